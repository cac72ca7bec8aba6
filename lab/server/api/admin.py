"""The TSDB admin API (``--web.enable-admin-api``): ``delete_series``,
``clean_tombstones`` and ``snapshot``, with Prometheus's parameters, answers
(204 with no body, or ``{"name": ...}``) and error texts.

The handlers talk to the storage through ``AdminStorage`` (what ``lab.server
.tsdb.DB`` provides); a storage without it (an in-memory store) answers as
Prometheus does before its TSDB is open: ``unavailable``, "TSDB not ready".
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from lab.model.matcher import Matcher
from lab.server.api import encode
from lab.server.api.errors import BadDataError, InternalError, UnavailableError, invalid_param
from lab.server.api.params import MAX_TIME_MS, MIN_TIME_MS, Form


@runtime_checkable
class AdminStorage(Protocol):
    def delete(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> None: ...

    def clean_tombstones(self) -> list[str]: ...

    def snapshot(self, directory: str | os.PathLike[str], *, with_head: bool = True) -> None: ...


_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def _storage(storage: object) -> AdminStorage:
    if not isinstance(storage, AdminStorage):
        raise UnavailableError("TSDB not ready", status=500)
    return storage


def delete_series(storage: object, form: Form) -> None:
    from lab.server.api.series import parse_matchers

    texts = form.getall("match[]")
    if not texts:
        raise BadDataError("no match[] parameter provided")
    start = form.time("start", MIN_TIME_MS)
    end = form.time("end", MAX_TIME_MS)
    selectors = parse_matchers(texts)  # every selector checked before anything is deleted
    db = _storage(storage)
    for matchers in selectors:
        try:
            db.delete(matchers, start, end)
        except Exception as exc:  # a storage failure is upstream's errorInternal
            raise InternalError(str(exc)) from None


def clean_tombstones(storage: object) -> None:
    db = _storage(storage)
    try:
        db.clean_tombstones()
    except Exception as exc:
        raise InternalError(str(exc)) from None


def snapshot(storage: object, storage_path: str, form: Form) -> bytes:
    text = form.get("skip_head")
    skip_head = False
    if text:
        if text not in _TRUE + _FALSE:
            raise invalid_param(
                "skip_head",
                f'unable to parse boolean: strconv.ParseBool: parsing "{text}": invalid syntax',
            )
        skip_head = text in _TRUE
    db = _storage(storage)
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{now}-{secrets.randbits(63):016x}"
    directory = Path(storage_path) / "snapshots" / name
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InternalError(f"create snapshot directory: {exc}") from None
    try:
        db.snapshot(directory, with_head=not skip_head)
    except Exception as exc:
        raise InternalError(f"create snapshot: {exc}") from None
    return encode.envelope(encode.to_json({"name": name}))
