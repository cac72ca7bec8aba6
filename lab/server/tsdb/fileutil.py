"""Durable file-system steps: fsync a file's data and the directory entry naming it.

"Durable means fsync": a new file or rename is only crash-safe once its
parent directory is synced too, so every writer here goes through these.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes) -> None:
    """Write a whole file and fsync it (the caller syncs the directory)."""
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def rename_durably(src: Path, dst: Path) -> None:
    os.replace(src, dst)
    fsync_dir(dst.parent)


def remove_tree(path: Path) -> None:
    """Delete a directory: renamed aside first, so a crash never leaves half a block
    under its real name."""
    if not path.exists():
        return
    doomed = path.with_name(path.name + ".tmp-for-deletion")
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, doomed)
        fsync_dir(path.parent)
    shutil.rmtree(doomed, ignore_errors=True)


def dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(root, name)).st_size
    return total
