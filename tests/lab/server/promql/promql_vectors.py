"""Building hand-made InstantVectors for operator/function unit tests."""

from __future__ import annotations

import numpy as np

from lab.model.labels import Labels
from lab.server.promql.context import EvalContext
from lab.server.promql.values import InstantVector, Scalar


def lbl(text: str = "") -> Labels:
    """``name{a="b",c="d"}`` (values without quotes or commas) -> Labels."""
    name, _, rest = text.partition("{")
    pairs = {}
    for part in rest.rstrip("}").split(","):
        if part.strip():
            k, _, v = part.partition("=")
            pairs[k.strip()] = v.strip().strip('"')
    if name:
        pairs["__name__"] = name
    return Labels.of(pairs)


def vec(series: dict[str, list[float | None]], drop: list[bool] | None = None) -> InstantVector:
    """One series per entry; ``None`` marks a step without a sample."""
    labels = [lbl(k) for k in series]
    rows = list(series.values())
    steps = len(rows[0]) if rows else 1
    values = np.array([[0.0 if v is None else v for v in r] for r in rows]).reshape(
        len(rows), steps
    )
    present = np.array([[v is not None for v in r] for r in rows], dtype=bool).reshape(
        len(rows), steps
    )
    out = InstantVector(labels, values, present)
    if drop is not None:
        out.drop_name = np.array(drop, dtype=bool)
    return out


def scalar(*values: float) -> Scalar:
    return Scalar(np.array(values, dtype=np.float64))


def ctx(steps: int = 1, start_ms: int = 0, step_ms: int = 60_000) -> EvalContext:
    return EvalContext(start_ms, start_ms + (steps - 1) * step_ms, step_ms)


def as_dict(v: InstantVector) -> dict[str, list[float | None]]:
    """Series by ``str(labels)`` (drop-marked names shown with a leading ``~``)."""
    out: dict[str, list[float | None]] = {}
    for i, labels in enumerate(v.labels):
        key = ("~" if v.drop_name[i] else "") + str(labels)
        out[key] = [float(x) if p else None for x, p in zip(v.values[i], v.present[i], strict=True)]
    return out


def norm(d: dict[str, list[float | None]]) -> dict[str, list[object]]:
    """NaN-comparable form of ``as_dict`` output (NaN becomes the string "NaN")."""
    return {k: [("NaN" if (x is not None and x != x) else x) for x in v] for k, v in d.items()}
