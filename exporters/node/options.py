"""Per-collector flags of the node exporter, with node_exporter 1.5's defaults.

The defaults are the Debian 1.5.0 build's (the reference on our machines):
``--collector.textfile.directory`` is ``/var/lib/prometheus/node-exporter`` and
``--collector.netdev.device-exclude`` is ``^lo$``, where upstream has none.
Regexes are Go (RE2) syntax and, as in Go's ``MatchString``, unanchored unless
the pattern anchors itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lab.model.errors import RegexError
from lab.model.re2 import translate

from .errors import OptionsError
from .source import DEFAULT_MOUNT_TIMEOUT_S, Paths

MOUNT_POINTS_EXCLUDE = (
    "^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
)
FS_TYPES_EXCLUDE = (
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs"
    "|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs"
    "|squashfs|sysfs|tracefs)$"
)
DISKSTATS_DEVICE_EXCLUDE = r"^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$"
NETDEV_DEVICE_EXCLUDE = "^lo$"
NETSTAT_FIELDS = (
    "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)"
    "|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)"
    "|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)"
    "|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$"
)
VMSTAT_FIELDS = "^(oom_kill|pgpg|pswp|pg.*fault).*"
TEXTFILE_DIRECTORY = "/var/lib/prometheus/node-exporter"


def go_regex(pattern: str, flag: str) -> re.Pattern[str]:
    """Compile a flag's RE2 pattern; use ``.search`` for Go's ``MatchString``."""
    try:
        return re.compile(translate(pattern))
    except (RegexError, re.error) as exc:
        raise OptionsError(f"invalid regex for --{flag}: {exc}") from None


@dataclass(frozen=True, slots=True)
class DeviceFilter:
    """An include or exclude regex over device names (at most one of them)."""

    exclude: re.Pattern[str] | None = None
    include: re.Pattern[str] | None = None

    def ignored(self, name: str) -> bool:
        if self.exclude is not None and self.exclude.search(name):
            return True
        return self.include is not None and not self.include.search(name)

    @classmethod
    def build(cls, flag: str, exclude: str | None, include: str | None) -> DeviceFilter:
        if exclude and include:
            raise OptionsError(
                f"--collector.{flag}-exclude and --collector.{flag}-include are mutually exclusive"
            )
        return cls(
            go_regex(exclude, f"collector.{flag}-exclude") if exclude else None,
            go_regex(include, f"collector.{flag}-include") if include else None,
        )


@dataclass(frozen=True, slots=True)
class NodeOptions:
    """Everything the collectors are configured with, as plain values.

    ``netdev_device_exclude`` None means "the default"; it is dropped when an
    include regex is given instead (upstream would refuse the pair, which makes
    Debian's ``^lo$`` default unusable with ``-include``).
    """

    paths: Paths = field(default_factory=Paths)
    mount_points_exclude: str = MOUNT_POINTS_EXCLUDE
    fs_types_exclude: str = FS_TYPES_EXCLUDE
    mount_timeout_s: float = DEFAULT_MOUNT_TIMEOUT_S
    diskstats_device_exclude: str | None = None
    diskstats_device_include: str | None = None
    netdev_device_exclude: str | None = None
    netdev_device_include: str | None = None
    netdev_netlink: bool = True
    netstat_fields: str = NETSTAT_FIELDS
    vmstat_fields: str = VMSTAT_FIELDS
    textfile_directory: str = TEXTFILE_DIRECTORY
    cpu_guest: bool = True

    def diskstats_filter(self) -> DeviceFilter:
        exclude = self.diskstats_device_exclude
        if exclude is None and not self.diskstats_device_include:
            exclude = DISKSTATS_DEVICE_EXCLUDE
        return DeviceFilter.build("diskstats.device", exclude, self.diskstats_device_include)

    def netdev_filter(self) -> DeviceFilter:
        exclude = self.netdev_device_exclude
        if exclude is None and not self.netdev_device_include:
            exclude = NETDEV_DEVICE_EXCLUDE
        return DeviceFilter.build("netdev.device", exclude, self.netdev_device_include)
