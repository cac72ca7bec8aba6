"""Where the node exporter's data comes from: the ``NodeSource`` protocol.

Collectors never open files or make syscalls themselves; they ask a source.
``HostSource`` reads a real (or fixture) tree: every ``/proc`` path is taken
relative to ``--path.procfs``, every ``/sys`` path to ``--path.sysfs``, and
host files such as ``/etc/os-release`` and the mountpoints given to statfs to
``--path.rootfs``. So a DaemonSet that mounts the host's ``/`` read-only at
``/host/root`` and passes the ``--path.*`` flags reports the host, not the
container. ``FakeSource`` serves the same calls from dictionaries for unit
tests.

Syscalls with no file behind them (uname, adjtimex, the clock) are not
redirected by the path flags, exactly as upstream.
"""

from __future__ import annotations

import functools
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from .errors import NoDataError

if TYPE_CHECKING:
    import ctypes

#: statfs calls slower than this mark the mount as stuck (upstream's
#: ``--collector.filesystem.mount-timeout`` default).
DEFAULT_MOUNT_TIMEOUT_S = 5.0


class StatFs(NamedTuple):
    """The statfs(2) fields the filesystem collector reports."""

    bsize: int
    blocks: int
    bfree: int
    bavail: int
    files: int
    ffree: int


class Uname(NamedTuple):
    sysname: str
    nodename: str
    release: str
    version: str
    machine: str
    domainname: str


class Timex(NamedTuple):
    """adjtimex(2) with modes 0 (read only): its return value and struct timex."""

    state: int
    offset: int
    freq: int
    maxerror: int
    esterror: int
    status: int
    constant: int
    tick: int
    ppsfreq: int
    jitter: int
    shift: int
    stabil: int
    jitcnt: int
    calcnt: int
    errcnt: int
    stbcnt: int
    tai: int


class StuckMountError(OSError):
    """statfs on this mountpoint did not return within the mount timeout."""


class NodeSource(Protocol):
    """Everything the collectors read. Paths are relative ("meminfo",
    "class/net/eth0/statistics/rx_nohandler"); missing files raise
    ``FileNotFoundError`` (an ``OSError``)."""

    def proc(self, path: str) -> str:
        """Text of ``<procfs>/<path>``."""
        ...

    def sys(self, path: str) -> str:
        """Text of ``<sysfs>/<path>``."""
        ...

    def sys_list(self, path: str) -> list[str]:
        """Sorted entry names of the directory ``<sysfs>/<path>``."""
        ...

    def root(self, path: str) -> str:
        """Text of ``<rootfs>/<path>`` (host files such as etc/os-release)."""
        ...

    def file(self, path: str) -> bytes:
        """Bytes of an absolute path taken as given (textfile, udev data)."""
        ...

    def list_dir(self, path: str) -> list[str]:
        """Sorted entry names of an absolute directory path taken as given."""
        ...

    def mtime(self, path: str) -> float:
        """Modification time of an absolute path, in seconds."""
        ...

    def strip_rootfs(self, path: str) -> str:
        """A mountpoint as the host sees it (``--path.rootfs`` prefix removed)."""
        ...

    def statfs(self, mountpoint: str, may_hang: bool = True) -> StatFs:
        """statfs of a host mountpoint (reached through ``--path.rootfs``);
        ``may_hang`` (network and FUSE filesystems) runs it under the mount
        timeout."""
        ...

    def uname(self) -> Uname: ...

    def adjtimex(self) -> Timex: ...

    def time(self) -> float:
        """Wall clock, seconds since the epoch."""
        ...

    def timezone(self) -> tuple[str, int]:
        """Local time zone abbreviation and offset from UTC in seconds."""
        ...

    def page_size(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Paths:
    """The ``--path.*`` flags."""

    procfs: str = "/proc"
    sysfs: str = "/sys"
    rootfs: str = "/"
    udev_data: str = "/run/udev/data"


class HostSource:
    """Reads the host through the ``--path.*`` prefixes (see the module docstring)."""

    def __init__(
        self, paths: Paths | None = None, mount_timeout_s: float = DEFAULT_MOUNT_TIMEOUT_S
    ) -> None:
        self.paths = paths or Paths()
        self._statfs = StatfsRunner(mount_timeout_s)

    @staticmethod
    def _read(path: str) -> str:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def proc(self, path: str) -> str:
        return self._read(os.path.join(self.paths.procfs, path))

    def sys(self, path: str) -> str:
        return self._read(os.path.join(self.paths.sysfs, path))

    def sys_list(self, path: str) -> list[str]:
        return sorted(os.listdir(os.path.join(self.paths.sysfs, path)))

    def root(self, path: str) -> str:
        return self._read(os.path.join(self.paths.rootfs, path.lstrip("/")))

    def file(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def list_dir(self, path: str) -> list[str]:
        return sorted(os.listdir(path))

    def mtime(self, path: str) -> float:
        return os.stat(path).st_mtime

    def strip_rootfs(self, path: str) -> str:
        rootfs = self.paths.rootfs
        if rootfs == "/":
            return path
        stripped = path.removeprefix(rootfs)
        return stripped or "/"

    def statfs(self, mountpoint: str, may_hang: bool = True) -> StatFs:
        path = os.path.join(self.paths.rootfs, mountpoint.lstrip("/"))
        if may_hang:
            return self._statfs.statfs(path)
        # Local filesystems answer from memory: handing the call to the worker
        # thread and back cost more (GIL hand-offs) than the whole syscall.
        return statfs_of(os.statvfs(path))

    def uname(self) -> Uname:
        u = os.uname()
        # os.uname() has no domainname; this file is the same UTS field (the
        # caller's namespace, like the syscall upstream makes).
        try:
            domain = self._read("/proc/sys/kernel/domainname").strip()
        except OSError:
            domain = "(none)"
        return Uname(u.sysname, u.nodename, u.release, u.version, u.machine, domain)

    def adjtimex(self) -> Timex:
        return _adjtimex()

    def time(self) -> float:
        return time.time()

    def timezone(self) -> tuple[str, int]:
        now = time.localtime()
        return now.tm_zone, now.tm_gmtoff

    def page_size(self) -> int:
        return os.sysconf("SC_PAGE_SIZE")


def statfs_of(st: os.statvfs_result) -> StatFs:
    # f_bsize is statfs's f_bsize, the unit upstream multiplies by.
    return StatFs(st.f_bsize, st.f_blocks, st.f_bfree, st.f_bavail, st.f_files, st.f_ffree)


class StatfsRunner:
    """statfs on a worker thread, so a hung network mount costs one timeout and
    is then reported as a device error until the call returns, instead of
    hanging every scrape (upstream does the same with its stuck-mount list)."""

    def __init__(
        self, timeout_s: float, statvfs: Callable[[str], os.statvfs_result] = os.statvfs
    ) -> None:
        self._timeout_s = timeout_s
        self._statvfs = statvfs
        self._lock = threading.Lock()
        self._stuck: set[str] = set()
        self._requests: queue.SimpleQueue[tuple[str, queue.SimpleQueue[object]]] | None = None

    def statfs(self, path: str) -> StatFs:
        with self._lock:
            if path in self._stuck:
                raise StuckMountError(f"mount {path} is still stuck in statfs")
            if self._requests is None:
                self._requests = queue.SimpleQueue()
                threading.Thread(
                    target=self._work, args=(self._requests,), name="statfs", daemon=True
                ).start()
            requests = self._requests
        reply: queue.SimpleQueue[object] = queue.SimpleQueue()
        requests.put((path, reply))
        try:
            result = reply.get(timeout=self._timeout_s)
        except queue.Empty:
            with self._lock:
                self._stuck.add(path)
                if self._requests is requests:
                    self._requests = None  # the blocked worker retires when statfs returns
            raise StuckMountError(f"statfs on {path} timed out") from None
        if isinstance(result, OSError):
            raise result
        assert isinstance(result, StatFs)
        return result

    def _work(self, requests: queue.SimpleQueue[tuple[str, queue.SimpleQueue[object]]]) -> None:
        while True:
            path, reply = requests.get()
            result: object
            try:
                result = statfs_of(self._statvfs(path))
            except OSError as exc:
                result = exc
            reply.put(result)
            with self._lock:
                if path in self._stuck:
                    self._stuck.discard(path)
                    return  # this worker was replaced while it was blocked
                if self._requests is not requests:
                    return


@functools.cache
def _adjtimex_call() -> tuple[Callable[[Any], int], type[ctypes.Structure]]:
    """libc's adjtimex and struct timex (x86-64/arm64 layout: longs and ints),
    built once; ctypes is imported only when the timex collector first runs."""
    import ctypes

    c_long = ctypes.c_long
    c_int = ctypes.c_int

    class TimeVal(ctypes.Structure):
        _fields_ = (("sec", c_long), ("usec", c_long))

    class StructTimex(ctypes.Structure):
        _fields_ = (
            ("modes", ctypes.c_uint),
            ("offset", c_long),
            ("freq", c_long),
            ("maxerror", c_long),
            ("esterror", c_long),
            ("status", c_int),
            ("constant", c_long),
            ("precision", c_long),
            ("tolerance", c_long),
            ("time", TimeVal),
            ("tick", c_long),
            ("ppsfreq", c_long),
            ("jitter", c_long),
            ("shift", c_int),
            ("stabil", c_long),
            ("jitcnt", c_long),
            ("calcnt", c_long),
            ("errcnt", c_long),
            ("stbcnt", c_long),
            ("tai", c_int),
            ("_padding", c_int * 11),
        )

    libc = ctypes.CDLL(None, use_errno=True)
    return libc.adjtimex, StructTimex


def _adjtimex() -> Timex:
    import ctypes

    adjtimex, struct = _adjtimex_call()
    tx: Any = struct()  # modes 0: read only, no privilege needed
    state = adjtimex(ctypes.byref(tx))
    if state < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"adjtimex: {os.strerror(errno)}")
    return Timex(
        state,
        tx.offset,
        tx.freq,
        tx.maxerror,
        tx.esterror,
        tx.status,
        tx.constant,
        tx.tick,
        tx.ppsfreq,
        tx.jitter,
        tx.shift,
        tx.stabil,
        tx.jitcnt,
        tx.calcnt,
        tx.errcnt,
        tx.stbcnt,
        tx.tai,
    )


@dataclass
class FakeSource:
    """An in-memory host for unit tests.

    ``files`` maps ``proc/<path>``, ``sys/<path>``, ``root/<path>`` and absolute
    paths to their text; directories are implied by the keys.
    """

    files: Mapping[str, str] = field(default_factory=dict)
    mtimes: Mapping[str, float] = field(default_factory=dict)
    statfs_results: Mapping[str, StatFs | OSError] = field(default_factory=dict)
    uname_result: Uname = field(
        default_factory=lambda: Uname("Linux", "fake", "6.1.0", "#1 SMP", "x86_64", "(none)")
    )
    timex_result: Timex | None = None
    now: float = 1_700_000_000.0
    zone: tuple[str, int] = ("UTC", 0)
    page: int = 4096
    rootfs: str = "/"
    #: (mountpoint, may_hang) of every statfs call, for tests
    statfs_calls: list[tuple[str, bool]] = field(default_factory=list)

    def _get(self, key: str) -> str:
        try:
            return self.files[key]
        except KeyError:
            raise FileNotFoundError(2, "No such file or directory", key) from None

    def _list(self, prefix: str) -> list[str]:
        prefix = prefix.rstrip("/") + "/"
        names = {k[len(prefix) :].split("/", 1)[0] for k in self.files if k.startswith(prefix)}
        if not names:
            raise FileNotFoundError(2, "No such file or directory", prefix)
        return sorted(names)

    def proc(self, path: str) -> str:
        return self._get("proc/" + path)

    def sys(self, path: str) -> str:
        return self._get("sys/" + path)

    def sys_list(self, path: str) -> list[str]:
        return self._list("sys/" + path)

    def root(self, path: str) -> str:
        return self._get("root/" + path.lstrip("/"))

    def file(self, path: str) -> bytes:
        return self._get(path).encode()

    def list_dir(self, path: str) -> list[str]:
        return self._list(path)

    def mtime(self, path: str) -> float:
        self._get(path)
        return self.mtimes.get(path, 0.0)

    def strip_rootfs(self, path: str) -> str:
        if self.rootfs == "/":
            return path
        return path.removeprefix(self.rootfs) or "/"

    def statfs(self, mountpoint: str, may_hang: bool = True) -> StatFs:
        self.statfs_calls.append((mountpoint, may_hang))
        result = self.statfs_results.get(mountpoint)
        if result is None:
            raise FileNotFoundError(2, "No such file or directory", mountpoint)
        if isinstance(result, OSError):
            raise result
        return result

    def uname(self) -> Uname:
        return self.uname_result

    def adjtimex(self) -> Timex:
        if self.timex_result is None:
            raise NoDataError("adjtimex: not available in this fake")
        return self.timex_result

    def time(self) -> float:
        return self.now

    def timezone(self) -> tuple[str, int]:
        return self.zone

    def page_size(self) -> int:
        return self.page
