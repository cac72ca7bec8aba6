"""filesystem: size, free space and inodes of each mounted filesystem.

Mounts come from ``<procfs>/1/mounts`` (the host's view when running with
hostPID), falling back to ``<procfs>/self/mounts``; mountpoints matching
``--collector.filesystem.mount-points-exclude`` or filesystems matching
``--collector.filesystem.fs-types-exclude`` are skipped, and each remaining
mountpoint is statfs'ed through ``--path.rootfs``. A mount whose statfs fails
or hangs reports only ``node_filesystem_device_error 1``, as in 1.5.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final, NamedTuple

from prometheus_client.metrics_core import Metric

from ..options import NodeOptions, go_regex
from ..source import NodeSource, StatFs
from .families import gauges

LABELS: Final = ["device", "fstype", "mountpoint"]
#: filesystems whose statfs can block on a network or a user-space daemon;
#: only these go through the mount timeout (``fuse.*`` too)
MAY_HANG: Final = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p", "afs", "lustre",
     "gpfs", "ncpfs", "davfs", "fuse", "fuseblk", "beegfs", "orangefs", "ocfs2", "gfs2"}
)  # fmt: skip
_OCTAL_ESCAPE: Final = re.compile(r"\\([0-7]{3})")


class Mount(NamedTuple):
    device: str
    mountpoint: str
    fstype: str
    options: str


def _unescape(field: str) -> str:
    # The kernel writes space, tab, newline and backslash in mount fields as \ooo.
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mounts(text: str) -> list[Mount]:
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        mounts.append(Mount(_unescape(parts[0]), _unescape(parts[1]), parts[2], parts[3]))
    return mounts


class FilesystemCollector:
    def __init__(
        self,
        source: NodeSource,
        mount_points_exclude: re.Pattern[str],
        fs_types_exclude: re.Pattern[str],
    ) -> None:
        self.source = source
        self.mount_points_exclude = mount_points_exclude
        self.fs_types_exclude = fs_types_exclude

    def _mounts(self) -> list[Mount]:
        try:
            text = self.source.proc("1/mounts")
        except FileNotFoundError:
            text = self.source.proc("self/mounts")
        return parse_mounts(text)

    def collect(self) -> Iterator[Metric]:
        stats: dict[tuple[str, str, str], tuple[StatFs | None, bool]] = {}
        for mount in self._mounts():
            mountpoint = self.source.strip_rootfs(mount.mountpoint)
            if self.mount_points_exclude.search(mountpoint):
                continue
            if self.fs_types_exclude.search(mount.fstype):
                continue
            key = (mount.device, mount.fstype, mountpoint)
            if key in stats:
                continue  # the same mount listed twice (bind mounts, namespaces)
            readonly = "ro" in mount.options.split(",")
            try:
                may_hang = mount.fstype in MAY_HANG or mount.fstype.startswith("fuse.")
                stats[key] = (self.source.statfs(mountpoint, may_hang), readonly)
            except OSError:
                stats[key] = (None, readonly)
        names = (
            ("node_filesystem_avail_bytes",
             "Filesystem space available to non-root users in bytes."),
            ("node_filesystem_device_error",
             "Whether an error occurred while getting statistics for the given device."),
            ("node_filesystem_files", "Filesystem total file nodes."),
            ("node_filesystem_files_free", "Filesystem total free file nodes."),
            ("node_filesystem_free_bytes", "Filesystem free space in bytes."),
            ("node_filesystem_readonly", "Filesystem read-only status."),
            ("node_filesystem_size_bytes", "Filesystem size in bytes."),
        )  # fmt: skip
        fams = {name: gauges(name, help_text, LABELS) for name, help_text in names}
        for key in sorted(stats):
            st, readonly = stats[key]
            labels = list(key)
            fams["node_filesystem_device_error"].add_metric(labels, 0.0 if st else 1.0)
            if st is None:
                continue
            fams["node_filesystem_size_bytes"].add_metric(labels, float(st.blocks) * st.bsize)
            fams["node_filesystem_free_bytes"].add_metric(labels, float(st.bfree) * st.bsize)
            fams["node_filesystem_avail_bytes"].add_metric(labels, float(st.bavail) * st.bsize)
            fams["node_filesystem_files"].add_metric(labels, float(st.files))
            fams["node_filesystem_files_free"].add_metric(labels, float(st.ffree))
            fams["node_filesystem_readonly"].add_metric(labels, 1.0 if readonly else 0.0)
        return (fam for fam in fams.values() if fam.samples)


def build(source: NodeSource, options: NodeOptions) -> FilesystemCollector:
    return FilesystemCollector(
        source,
        go_regex(options.mount_points_exclude, "collector.filesystem.mount-points-exclude"),
        go_regex(options.fs_types_exclude, "collector.filesystem.fs-types-exclude"),
    )
