"""Alert delivery to Alertmanager (API v2), as Prometheus's notifier.

    notifier = Notifier.from_config(config.alerting, external_labels={...})
    manager = RuleManager(..., notify=notifier.send)
    task = asyncio.create_task(notifier.run())

``send`` adds external labels (an alert's own label wins) and enqueues; the
queue holds ``queue_capacity`` alerts (10,000) and drops the oldest when
full. ``run`` posts batches of up to ``max_batch`` (256) alerts as JSON to
``<scheme>://<target><path_prefix>/api/v2/alerts`` on every configured
Alertmanager, concurrently; a failed post is counted, not retried (the rule
manager re-sends firing alerts every ``resend_delay``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from lab.server.rules.errors import NotifierError
from lab.server.rules.manager import OutgoingAlert

DEFAULT_QUEUE_CAPACITY = 10_000
MAX_BATCH = 256


@dataclass(frozen=True)
class AlertmanagerTarget:
    url: str  # full URL of the alerts endpoint
    timeout_s: float = 10.0


def rfc3339(ms: int) -> str:
    """Go's RFC3339Nano in UTC (trailing zeros of the fraction dropped)."""
    t = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
    frac = f"{t.microsecond // 1000:03d}".rstrip("0")
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


def payload(alerts: Sequence[OutgoingAlert]) -> bytes:
    return orjson.dumps(
        [
            {
                "labels": dict(a.labels),
                "annotations": dict(a.annotations),
                "startsAt": rfc3339(a.starts_at_ms),
                "endsAt": rfc3339(a.ends_at_ms),
                "generatorURL": a.generator_url,
            }
            for a in alerts
        ]
    )


def targets_from_config(alerting: Mapping[str, Any] | None) -> list[AlertmanagerTarget]:
    """``alerting.alertmanagers[].static_configs[].targets`` with ``scheme``,
    ``path_prefix``, ``timeout`` and ``api_version`` (only v2 exists in 3.x)."""
    out: list[AlertmanagerTarget] = []
    for am in (alerting or {}).get("alertmanagers", []) or []:
        version = str(am.get("api_version", "v2"))
        if version != "v2":
            raise NotifierError(
                f"expected Alertmanager api version to be one of [v2] but got {version}"
            )
        scheme = str(am.get("scheme", "http"))
        prefix = "/" + str(am.get("path_prefix", "")).strip("/")
        prefix = prefix.rstrip("/")
        timeout = str(am.get("timeout", "10s"))
        from lab.server.rules.rulefile import duration_ms

        timeout_s = duration_ms(timeout) / 1000.0
        for sc in am.get("static_configs", []) or []:
            for target in sc.get("targets", []) or []:
                out.append(
                    AlertmanagerTarget(f"{scheme}://{target}{prefix}/api/v2/alerts", timeout_s)
                )
    return out


class Notifier:
    def __init__(
        self,
        targets: Sequence[AlertmanagerTarget],
        *,
        external_labels: Mapping[str, str] | None = None,
        queue_capacity: int = DEFAULT_QUEUE_CAPACITY,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.targets = list(targets)
        self.external_labels = dict(external_labels or {})
        self.queue: deque[OutgoingAlert] = deque()
        self.capacity = queue_capacity
        self.max_batch = max_batch
        self.dropped = 0
        self.sent = 0
        self.errors = 0
        self._wake = asyncio.Event()
        self._stopping = False

    @classmethod
    def from_config(
        cls, alerting: Mapping[str, Any] | None, *, external_labels: Mapping[str, str] | None = None
    ) -> Notifier:
        return cls(targets_from_config(alerting), external_labels=external_labels)

    def send(self, alerts: Sequence[OutgoingAlert]) -> None:
        """The rule manager's ``NotifyFunc``: enqueue without blocking."""
        for a in alerts:
            if self.external_labels:
                labels = {**self.external_labels, **a.labels}
                a = OutgoingAlert(labels, a.annotations, a.starts_at_ms, a.ends_at_ms,
                                  a.generator_url)  # fmt: skip
            self.queue.append(a)
        overflow = len(self.queue) - self.capacity
        for _ in range(max(0, overflow)):
            self.queue.popleft()
            self.dropped += 1
        self._wake.set()

    def next_batch(self) -> list[OutgoingAlert]:
        n = min(self.max_batch, len(self.queue))
        return [self.queue.popleft() for _ in range(n)]

    async def post(self, session: aiohttp.ClientSession, batch: Sequence[OutgoingAlert]) -> None:
        body = payload(batch)

        async def one(t: AlertmanagerTarget) -> bool:
            try:
                async with session.post(
                    t.url, data=body, headers={"Content-Type": "application/json"},
                    timeout=aiohttp.ClientTimeout(total=t.timeout_s),
                ) as resp:  # fmt: skip
                    await resp.read()
                    return resp.status // 100 == 2
            except (aiohttp.ClientError, TimeoutError):
                return False

        results = await asyncio.gather(*(one(t) for t in self.targets))
        self.sent += sum(len(batch) for ok in results if ok)
        self.errors += sum(1 for ok in results if not ok)

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            while not self._stopping:
                if not self.queue:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                await self.post(session, self.next_batch())

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
