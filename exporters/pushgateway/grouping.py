"""Grouping keys from the URL path: ``/metrics/job/<JOB>{/<NAME>/<VALUE>}``,
``@base64`` segments, label name rules and error texts as upstream.

A grouping key is the sorted tuple of ``(name, value)`` pairs, ``job``
included; upstream's key is the same data joined with 0xFF bytes.
"""

from __future__ import annotations

import base64
import re
from typing import Final
from urllib.parse import unquote

from lab.model.gostr import go_quote

from .errors import GroupingKeyError

GroupingKey = tuple[tuple[str, str], ...]
BASE64_SUFFIX: Final = "@base64"
_LABEL_NAME: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_B64_ALPHABET: Final = re.compile(r"[A-Za-z0-9_-]*")


def decode_base64(text: str) -> str:
    """RFC 4648 URL-safe base64, padding optional (trailing ``=`` trimmed).

    Errors say ``illegal base64 data at input byte N`` with N as Go reports it.
    """
    data = text.rstrip("=")
    bad = _B64_ALPHABET.match(data)
    end = bad.end() if bad else 0
    if end < len(data):
        raise ValueError(f"illegal base64 data at input byte {end}")
    if len(data) % 4 == 1:
        raise ValueError(f"illegal base64 data at input byte {len(data) - 1}")
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    # Invalid UTF-8 is kept as Go strings keep bytes; U+FFFD is the closest here.
    return raw.decode("utf-8", errors="replace")


def valid_label_name(name: str) -> bool:
    return _LABEL_NAME.fullmatch(name) is not None and not name.startswith("__")


def split_labels(labels: str) -> dict[str, str]:
    """``/a/b/c@base64/ZA`` (raw, percent-encoded segments) -> ``{a: b, c: d}``."""
    result: dict[str, str] = {}
    if len(labels) <= 1:
        return result
    components = labels[1:].split("/")
    if len(components) % 2:
        raise GroupingKeyError(
            f"odd number of components in label string {go_quote(unquote(labels))}"
        )
    for i in range(0, len(components), 2):
        name, value = unquote(components[i]), unquote(components[i + 1])
        trimmed = name.removesuffix(BASE64_SUFFIX)
        if not valid_label_name(trimmed):
            raise GroupingKeyError(f"improper label name {go_quote(trimmed)}")
        if trimmed == name:
            result[name] = value
            continue
        try:
            result[trimmed] = decode_base64(value)
        except ValueError as exc:
            raise GroupingKeyError(
                f"invalid base64 encoding for label {trimmed}={go_quote(value)}: {exc}"
            ) from None
    return result


def parse_grouping_path(raw_tail: str) -> dict[str, str]:
    """The grouping labels for the raw path after ``/metrics/``.

    ``raw_tail`` is ``job/<JOB>[/...]`` or ``job@base64/<JOB>[/...]``, still
    percent-encoded: splitting before decoding is what lets ``%2F`` stand for
    a slash inside a value (upstream answers those with a redirect instead).
    """
    head, _, rest = raw_tail.partition("/")
    job_raw, slash, labels = rest.partition("/")
    job = unquote(job_raw)
    if head == "job" + BASE64_SUFFIX:
        try:
            job = decode_base64(job)
        except ValueError as exc:
            raise GroupingKeyError(f'invalid base64 encoding in job name "": {exc}') from None
    elif head != "job":
        raise GroupingKeyError(f"unknown path /metrics/{head}")
    result = split_labels(slash + labels)
    if job == "":
        raise GroupingKeyError("job name is required")
    result["job"] = job
    return result


def grouping_key(labels: dict[str, str]) -> GroupingKey:
    return tuple(sorted(labels.items()))
