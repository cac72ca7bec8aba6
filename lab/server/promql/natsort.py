"""Natural string order as upstream's ``sort_by_label`` uses it (facette/natsort).

Strings are split into runs of ASCII digits and non-digits; two numeric runs
compare as integers, anything else as strings.
"""

from __future__ import annotations

import re

_CHUNKS = re.compile(r"[0-9]+|[^0-9]+")
_INT64_MAX = 2**63 - 1


def _atoi(s: str) -> int | None:
    # strconv.Atoi: fails beyond int64, so such runs compare as strings.
    if not s.isascii() or not s.isdigit():
        return None
    v = int(s)
    return v if v <= _INT64_MAX else None


def natural_less(a: str, b: str) -> bool:
    """facette/natsort ``Compare(a, b)``: true when a sorts before b."""
    ca = _CHUNKS.findall(a)
    cb = _CHUNKS.findall(b)
    na, nb = len(ca), len(cb)
    for i, xa in enumerate(ca):
        if i >= nb:
            return False
        xb = cb[i]
        ia, ib = _atoi(xa), _atoi(xb)
        if ia is not None and ib is not None:
            if ia == ib:
                if i == na - 1:
                    return True
                if i == nb - 1:
                    return False
                continue
            return ia < ib
        if xa == xb:
            if i == na - 1:
                return True
            if i == nb - 1:
                return False
            continue
        return bool(xa < xb)
    return False
