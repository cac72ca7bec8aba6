"""os: ``node_os_info`` and ``node_os_version`` from the host's os-release(5).

Read through ``--path.rootfs`` (``etc/os-release``, else ``usr/lib/os-release``),
so a container reports the host's distribution. The file is re-parsed only
when its text changes.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Final

from prometheus_client.metrics_core import Metric

from ..errors import NoDataError
from ..options import NodeOptions
from ..source import NodeSource
from .families import gauges

FILES: Final = ("etc/os-release", "usr/lib/os-release")
#: os-release key -> label, in label order
LABELS: Final = (
    ("BUILD_ID", "build_id"),
    ("ID", "id"),
    ("ID_LIKE", "id_like"),
    ("IMAGE_ID", "image_id"),
    ("IMAGE_VERSION", "image_version"),
    ("NAME", "name"),
    ("PRETTY_NAME", "pretty_name"),
    ("VARIANT", "variant"),
    ("VARIANT_ID", "variant_id"),
    ("VERSION", "version"),
    ("VERSION_CODENAME", "version_codename"),
    ("VERSION_ID", "version_id"),
)
_VERSION: Final = re.compile(r"^[0-9]+\.?[0-9]*")


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines with shell quoting, as os-release(5) specifies."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            words = shlex.split(raw, posix=True)
        except ValueError:
            words = [raw]
        out[key.strip()] = " ".join(words)
    return out


class OsCollector:
    def __init__(self, source: NodeSource) -> None:
        self.source = source
        self._cache: tuple[str, dict[str, str]] | None = None

    def _release(self) -> dict[str, str]:
        for path in FILES:
            try:
                text = self.source.root(path)
            except FileNotFoundError:
                continue
            cache = self._cache
            if cache is None or cache[0] != text:
                cache = (text, parse_os_release(text))
                self._cache = cache
            return cache[1]
        raise NoDataError("os: no os-release file in etc/ or usr/lib/")

    def collect(self) -> Iterator[Metric]:
        release = self._release()
        info = gauges(
            "node_os_info",
            "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, "
            "image_version, name, pretty_name, variant, variant_id, version, version_codename, "
            "version_id.",
            [label for _, label in LABELS],
        )
        info.add_metric([release.get(key, "") for key, _ in LABELS], 1.0)
        yield info
        match = _VERSION.match(release.get("VERSION_ID", ""))
        version = float(match.group(0)) if match else 0.0
        if version > 0:
            fam = gauges(
                "node_os_version",
                "Metric containing the major.minor part of the OS version.",
                ["id", "id_like", "name"],
            )
            fam.add_metric(
                [release.get("ID", ""), release.get("ID_LIKE", ""), release.get("NAME", "")],
                version,
            )
            yield fam


def build(source: NodeSource, options: NodeOptions) -> OsCollector:
    return OsCollector(source)
