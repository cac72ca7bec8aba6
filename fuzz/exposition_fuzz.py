"""atheris target: the exposition parsers (text 0.0.4 and OpenMetrics 1.0) and renderer.

The first input byte picks the format (bit 0) and whether the rest is first put
through ``decompress`` (bit 1); the rest is the payload. Checked per input:

* only ``ExpositionError`` may escape (anything else is a crash);
* the fast parser and the exact (lexer-only) parser agree: both reject, or both
  return the same batch;
* a parsed batch renders in its own format, and in the other one or a
  ``RenderError``, to text that parses back to the same samples (and, in the
  same format, the same families);
* ``negotiate`` accepts any header.

    .venv/bin/python fuzz/exposition_fuzz.py -max_total_time=600 -rss_limit_mb=2048 \
        fuzz-corpus/exposition

Seeds: ``fuzz/seeds/exposition`` (``make fuzz`` copies them into the corpus).
"""

from __future__ import annotations

import struct
import sys

import atheris

with atheris.instrument_imports():
    from exporters.common.exposition import (
        Escaping,
        ExpositionError,
        ExpositionFormat,
        RenderError,
        SampleBatch,
        decompress,
        negotiate,
        parse,
        render_batch,
    )
    from exporters.common.exposition.parser import parse_exact

FORMATS = (ExpositionFormat.TEXT, ExpositionFormat.OPENMETRICS)


def _key(value: float) -> bytes:
    return b"NaN" if value != value else struct.pack("<d", value)


def _samples(batch: SampleBatch) -> list[tuple[object, ...]]:
    return [
        (
            batch.names[i],
            tuple(batch.labels[i]),
            _key(float(batch.values[i])),
            int(batch.timestamps[i]),
        )
        for i in range(len(batch))
    ]


def _same(a: SampleBatch, b: SampleBatch, what: str) -> None:
    if a.families != b.families or _samples(a) != _samples(b) or a.series != b.series:
        raise AssertionError(f"{what}: batches differ")
    if a.family.tolist() != b.family.tolist():
        raise AssertionError(f"{what}: family indices differ")


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    fmt = FORMATS[data[0] & 1]
    body = data[1:]
    negotiate(body.decode("latin-1"))
    if data[0] & 2:
        try:
            body = decompress(body, max_bytes=1 << 20)
        except ExpositionError:
            return
    try:
        batch = parse(body, fmt)
    except ExpositionError:
        try:
            parse_exact(body, fmt)
        except ExpositionError:
            return
        raise AssertionError("the fast parser rejected what the exact parser accepts") from None
    _same(batch, parse_exact(body, fmt), "fast vs exact")
    for target in FORMATS:
        try:
            rendered = render_batch(batch, target, escaping=Escaping.ALLOW_UTF8)
        except RenderError:
            if target is fmt:
                raise  # a parsed batch always renders in its own format
            continue  # some batches have no faithful form in the other format
        again = parse(rendered, target)
        # rendering groups text 0.0.4 families and may reorder them
        if target is fmt and sorted(again.families, key=repr) != sorted(batch.families, key=repr):
            raise AssertionError("render -> parse changed the families")
        if sorted(_samples(again)) != sorted(_samples(batch)):
            raise AssertionError(f"render as {target.value} -> parse changed the samples")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
