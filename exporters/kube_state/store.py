"""Pre-rendered metric lines per object, so a scrape only concatenates bytes.

``MetricsStore`` is what one reflector feeds: object UID -> one ``bytes`` per
family (all of that family's lines for the object, possibly empty). Add and
update re-render the object; delete drops it, so its series are gone at the
next scrape. ``ResourceWriter`` writes one resource (several stores when
several namespaces are watched) family by family: HELP/TYPE once, then every
object's lines. A resource with no objects writes nothing at all, as KSM.

A scrape is streamed (``Scrape.chunks``): the body of 10,000 pods is ~90 MB,
and joining it whole (plus the per-family joins it is made of) cost ~180 MB
of transient memory per scrape, which glibc does not all give back.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from exporters.common.exposition import format_float

from .families.base import Family, Obj, Pairs

#: (all lines of an object, offsets: family i is blob[offsets[i]:offsets[i + 1]])
Row: TypeAlias = "tuple[bytes, array[int]]"

#: objects whose lines of one family are joined at a time: bounds a piece to ~1 MB
#: (a pod's longest family is a few hundred bytes) while keeping the slicing in
#: list comprehensions, which is what makes a scrape fast
BATCH = 1024
#: the size a scrape's chunks are coalesced to before they are written
CHUNK_SIZE = 256 * 1024


def escape_value(value: str) -> str:
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return value


def render_labels(pairs: Pairs) -> str:
    return ",".join(f'{k}="{escape_value(str(v))}"' for k, v in pairs)


def _help_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


class Renderer:
    """Renders one object's lines for a resource's families."""

    def __init__(self, families: Sequence[Family], identity: Any) -> None:
        self.families = tuple(families)
        self._identity = identity

    def render(self, obj: Obj) -> Row:
        """One object's lines: every family's lines in one blob, with the offsets
        where each family starts (one bytes object per object, not per family:
        ~30 bytes of overhead saved per family and object)."""
        ident = render_labels(self._identity(obj))
        parts: list[str] = []
        offsets = array("I", [0])
        size = 0
        for fam in self.families:
            for labels, value in fam.generate(obj):
                extra = render_labels(labels)
                body = f"{ident},{extra}" if ident and extra else ident or extra
                line = (
                    f"{fam.name}{{{body}}} {format_float(value)}\n"
                    if body
                    else f"{fam.name} {format_float(value)}\n"
                )
                parts.append(line)
                size += len(line.encode()) if not line.isascii() else len(line)
            offsets.append(size)
        return "".join(parts).encode(), offsets


def _uid(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return str(meta.get("uid") or f"{meta.get('namespace', '')}/{meta.get('name', '')}")


class MetricsStore:
    """UID -> pre-rendered lines; thread-safe (reflector thread writes, scrapes read)."""

    def __init__(self, renderer: Renderer) -> None:
        self._renderer = renderer
        self._lock = threading.Lock()
        self._objects: dict[str, Row] = {}

    def add(self, obj: Obj) -> None:
        lines = self._renderer.render(obj)  # rendered outside the lock: scrapes never wait
        with self._lock:
            self._objects[_uid(obj)] = lines

    update = add

    def delete(self, obj: Obj) -> None:
        with self._lock:
            self._objects.pop(_uid(obj), None)

    def replace(self, objs: Iterable[Obj]) -> None:
        """A relist: the new set of objects replaces the old one atomically (nothing
        changes when iterating ``objs`` raises). Objects are rendered as they come,
        so a reflector can stream its pages in (``StreamingSink``)."""
        fresh = {_uid(o): self._renderer.render(o) for o in objs}
        with self._lock:
            self._objects = fresh

    replace_stream = replace

    def snapshot(self) -> list[Row]:
        with self._lock:
            return list(self._objects.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._objects)


class ResourceWriter:
    """Writes one resource's families from its stores."""

    def __init__(self, resource: str, families: Sequence[Family], stores: Sequence[MetricsStore]):
        self.resource = resource
        self.families = tuple(families)
        self.stores = tuple(stores)
        self._headers = [self._header(f, openmetrics=False) for f in self.families]
        self._om_headers = [self._header(f, openmetrics=True) for f in self.families]

    @staticmethod
    def _header(fam: Family, *, openmetrics: bool) -> bytes:
        name = fam.name
        if openmetrics and fam.type == "counter" and name.endswith("_total"):
            name = name[: -len("_total")]  # OpenMetrics names the counter family without it
        return f"# HELP {name} {_help_escape(fam.help)}\n# TYPE {name} {fam.type}\n".encode()

    def rows(self) -> list[Row]:
        """The rows a scrape writes: references to the stored blobs, taken at once so
        the scrape is consistent however long it takes to write."""
        return [row for store in self.stores for row in store.snapshot()]

    def size(self, rows: Sequence[Row], *, openmetrics: bool = False) -> int:
        """The number of bytes ``pieces(rows)`` yields (the Content-Length)."""
        if not rows:
            return 0
        headers = self._om_headers if openmetrics else self._headers
        return sum(map(len, headers)) + sum(len(blob) for blob, _ in rows)

    def pieces(self, rows: Sequence[Row], *, openmetrics: bool = False) -> Iterator[bytes]:
        """The resource's exposition in pieces of at most ``BATCH`` objects' lines of
        one family (possibly empty); nothing when there are no rows."""
        if not rows:
            return
        headers = self._om_headers if openmetrics else self._headers
        views = [(memoryview(blob), offs) for blob, offs in rows]
        batches = [views[k : k + BATCH] for k in range(0, len(views), BATCH)]
        for i, header in enumerate(headers):
            yield header
            j = i + 1
            for batch in batches:
                # memoryview slices: the stored lines are copied once, into the piece
                yield b"".join([v[offs[i] : offs[j]] for v, offs in batch])

    def object_count(self) -> int:
        return sum(len(s) for s in self.stores)


@dataclass(frozen=True)
class Scrape:
    """One /metrics response: the rows of every resource it covers, snapshotted."""

    parts: Sequence[tuple[ResourceWriter, Sequence[Row]]]
    openmetrics: bool = False
    trailer: bytes = b""

    def content_length(self) -> int:
        return len(self.trailer) + sum(
            w.size(rows, openmetrics=self.openmetrics) for w, rows in self.parts
        )

    def chunks(self, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The body in chunks of about ``size`` bytes (a piece is never split; small
        ones are coalesced so a write is not a few hundred bytes of HELP/TYPE)."""
        pending: list[bytes] = []
        n = 0
        for writer, rows in self.parts:
            for piece in writer.pieces(rows, openmetrics=self.openmetrics):
                if not piece:
                    continue
                pending.append(piece)
                n += len(piece)
                if n >= size:
                    yield pending[0] if len(pending) == 1 else b"".join(pending)
                    pending, n = [], 0
        if self.trailer:
            pending.append(self.trailer)
        if pending:
            yield b"".join(pending)
