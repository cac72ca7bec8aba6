"""Go's shortest float formatting: ``strconv.FormatFloat(f, fmt, -1, 64)``.

The digits are the shortest that round-trip (Python's ``repr`` finds the same
ones as Go); the formats differ only in notation:

* :func:`format_f` -- ``'f'``: never an exponent (``100000000``, ``0.0001``);
* :func:`format_g` -- ``'g'``, also fmt's ``%g`` and ``%v``: exponent form
  below 1e-4 and from 1e6 (``1e+06``, ``1.5e-05``, ``123456``);
* :func:`format_e` -- ``'e'``/``'E'``: always an exponent (``1.5e+00``);
* :func:`format_g21` -- exponent form only below 1e-4 and from 1e21;
* :func:`format_json` -- Prometheus's ``jsonutil.MarshalFloat`` (the API's
  sample values): ``'f'``, but ``'e'`` below 1e-6 and from 1e21 (ES6 style);
* :func:`format_openmetrics` -- ``'g'`` with ``.0`` on integral values
  (``1.0``, ``100000.0``), as client_golang writes OpenMetrics.

Non-finite values are ``NaN``, ``+Inf`` and ``-Inf``, as Go spells them; the
sign of ``-0`` is kept (``-0``, ``-0e+00``).
"""

from __future__ import annotations

import math


def shortest_digits(f: float) -> tuple[str, int]:
    """The shortest round-trip decimal digits of ``|f|`` (finite, non-zero),
    and the power of ten of the first digit: ``1234.5`` -> ``("12345", 3)``."""
    mantissa, _, e = repr(abs(f)).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    significant = digits.lstrip("0")
    exp = int(e or 0) + len(whole) - 1 - (len(digits) - len(significant))
    return significant.rstrip("0"), exp


def _special(f: float) -> str | None:
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    return None


def _sign(f: float) -> str:
    return "-" if math.copysign(1.0, f) < 0 else ""


def _exponent_form(f: float, digits: str, exp: int, e: str = "e") -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{_sign(f)}{mantissa}{e}{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _positional(f: float, digits: str, exp: int) -> str:
    if exp < 0:
        return f"{_sign(f)}0.{'0' * (-exp - 1)}{digits}"
    if exp >= len(digits) - 1:
        return f"{_sign(f)}{digits}{'0' * (exp - len(digits) + 1)}"
    return f"{_sign(f)}{digits[: exp + 1]}.{digits[exp + 1 :]}"


def format_f(f: float) -> str:
    """``strconv.FormatFloat(f, 'f', -1, 64)``: shortest digits, no exponent."""
    special = _special(f)
    if special is not None:
        return special
    text = repr(f)
    if "e" not in text:  # repr is positional from 1e-4 to 1e16
        return text[:-2] if text.endswith(".0") else text
    return _positional(f, *shortest_digits(f))


def _format_g(f: float, exponent_from: float, exponent_below: float = 1e-4) -> str:
    a = abs(f)
    if a != 0 and (a < exponent_below or exponent_from <= a < math.inf):
        # Shortest digits identify the float, so these bounds are exactly
        # "decimal exponent < -4 (-6) or >= 6 (21)".
        digits, exp = shortest_digits(f)
        return _exponent_form(f, digits, exp)
    return format_f(f)


def format_g(f: float) -> str:
    """``strconv.FormatFloat(f, 'g', -1, 64)``, which fmt's ``%v`` and ``%g``
    use for a float64: exponent form when the exponent is < -4 or >= 6."""
    return _format_g(f, 1e6)


def format_g21(f: float) -> str:
    """Like :func:`format_g` but in exponent form only from 1e21 up (and below
    1e-4): ``100000000`` rather than ``1e+08``."""
    return _format_g(f, 1e21)


def format_json(f: float) -> str:
    """Prometheus's ``jsonutil.MarshalFloat``: ``strconv.FormatFloat(f, 'f',
    -1, 64)``, or ``'e'`` when ``|f|`` is below 1e-6 or from 1e21 (``1e-07``)."""
    return _format_g(f, 1e21, 1e-6)


def format_openmetrics(f: float) -> str:
    """:func:`format_g` with ``.0`` on integral values (``1.0``, ``-0.0``,
    ``1e+06`` unchanged), OpenMetrics' canonical numbers as client_golang
    writes them (and Prometheus 3.x ``le``/``quantile`` label values)."""
    text = format_g(f)
    if text[-1].isdigit() and "." not in text and "e" not in text:
        return text + ".0"
    return text


def format_e(f: float, *, upper: bool = False) -> str:
    """``strconv.FormatFloat(f, 'e', -1, 64)`` (``'E'`` with ``upper``):
    ``1.5e+06``, ``0e+00``."""
    special = _special(f)
    if special is not None:
        return special
    e = "E" if upper else "e"
    if f == 0:
        return _exponent_form(f, "0", 0, e)
    digits, exp = shortest_digits(f)
    return _exponent_form(f, digits, exp, e)
