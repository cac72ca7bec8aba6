"""Comparing batches in tests: values bit for bit (every NaN equal to every NaN)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from exporters.common.exposition import FamilyMeta, SampleBatch

DATA = Path(__file__).resolve().parent.parent / "data"


def value_key(value: float) -> object:
    """Bit pattern of a float, with all NaNs the same."""
    return "NaN" if value != value else struct.pack("<d", value)


def rows(batch: SampleBatch) -> list[tuple[object, ...]]:
    """One comparable row per sample."""
    return [
        (
            batch.names[i],
            batch.series[i],
            tuple(batch.labels[i]),
            value_key(float(batch.values[i])),
            int(batch.timestamps[i]),
            batch.family_of(i),
        )
        for i in range(len(batch))
    ]


def assert_same(a: SampleBatch, b: SampleBatch) -> None:
    assert a.format == b.format
    assert rows(a) == rows(b)
    assert a.families == b.families


def families(batch: SampleBatch) -> dict[str, FamilyMeta]:
    return {f.name: f for f in batch.families}


def without_empty_labels(text: str) -> str:
    """Exposition text with ``name=""`` labels removed (``Labels`` drops them)."""
    return re.sub(r",\}", "}", re.sub(r'(?<=[{,])[a-zA-Z_][a-zA-Z0-9_]*="",?', "", text))
