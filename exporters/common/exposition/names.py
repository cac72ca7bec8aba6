"""Metric and label names on the wire: escaping schemes and quoting.

Names outside the legacy character set (``[a-zA-Z_:][a-zA-Z0-9_:]*`` for
metrics, no ``:`` for labels) are either quoted (``allow-utf-8``, Prometheus
3.x) or escaped to legacy names by the scheme the scraper asked for, the way
Prometheus' ``model.EscapeName`` does:

* ``underscores``: every invalid character becomes ``_``;
* ``dots``: ``_`` -> ``__``, ``.`` -> ``_dot_``, other invalid -> ``__`` (also
  applied to names that are already valid);
* ``values``: ``U__`` prefix, ``_`` -> ``__``, invalid -> ``_<hex code point>_``.
"""

from __future__ import annotations

from lab.model.labels import is_legacy_label_name, is_legacy_metric_name, quote

from .errors import RenderError
from .formats import Escaping

_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_DIGITS = frozenset("0123456789")


def _valid_char(ch: str, index: int, metric: bool) -> bool:
    return ch in _ALPHA or (ch in _DIGITS and index > 0) or (metric and ch == ":")


def escape_name(name: str, escaping: Escaping, *, metric: bool = True) -> str:
    """``name`` as a legacy name under ``escaping`` (unchanged for ``ALLOW_UTF8``)."""
    legacy = is_legacy_metric_name(name) if metric else is_legacy_label_name(name)
    if escaping is Escaping.ALLOW_UTF8 or not name:
        return name
    if escaping is Escaping.UNDERSCORES:
        if legacy:
            return name
        return "".join(ch if _valid_char(ch, i, metric) else "_" for i, ch in enumerate(name))
    if escaping is Escaping.DOTS:
        out = []
        for i, ch in enumerate(name):
            if ch == "_":
                out.append("__")
            elif ch == ".":
                out.append("_dot_")
            else:
                out.append(ch if _valid_char(ch, i, metric) else "__")
        return "".join(out)
    if legacy:
        return name
    out = ["U__"]
    for i, ch in enumerate(name):
        if ch == "_":
            out.append("__")
        elif _valid_char(ch, i, metric):
            out.append(ch)
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            out.append("_FFFD_")
        else:
            out.append(f"_{ord(ch):x}_")
    return "".join(out)


def wire_name(name: str, escaping: Escaping, *, metric: bool = True) -> tuple[str, bool]:
    """How ``name`` is written: ``(text, quoted)``; quoted names are ``"..."`` and,
    for metric names in samples, go inside the braces."""
    return name_token(escape_name(name, escaping, metric=metric), metric=metric)


def name_token(escaped: str, *, metric: bool = True) -> tuple[str, bool]:
    """An already escaped name as written: ``(text, quoted)``."""
    if not escaped:
        raise RenderError(f"empty {'metric' if metric else 'label'} name")
    legacy = is_legacy_metric_name(escaped) if metric else is_legacy_label_name(escaped)
    return (escaped, False) if legacy else (quote(escaped), True)
