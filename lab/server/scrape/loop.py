"""One scrape loop per target: scrape, parse, append in one transaction, report.

Each scrape (``ScrapeLoop.scrape_and_report(t_ms)``):

1. fetches the body through the injected ``Scraper`` (timeout: the target's);
2. parses it (Content-Type picks text or OpenMetrics; text when it names neither);
3. appends every sample through one ``Appender``: a series known from earlier
   scrapes is found by its raw text in the scrape cache (no label parsing, no
   relabeling); a new one gets the target's labels (``honor_labels`` or the
   ``exported_`` prefix on conflicts), ``metric_relabel_configs`` and the label
   limits, and its result is cached (including "dropped"). When every series
   of a scrape is cached and the appender is a ``BatchAppender`` (the steady
   state), the whole scrape goes in as columns with one ``append_batch`` call
   of cached storage references;
4. appends staleness markers for series of the previous scrape that are gone;
5. appends ``up``, ``scrape_duration_seconds``, ``scrape_samples_scraped``,
   ``scrape_samples_post_metric_relabeling``, ``scrape_series_added``;
6. commits: in a worker thread when the appender says its commit waits on
   I/O (``commit_waits_on_io``, the TSDB's fsync), else inline.

Metric metadata (TYPE / HELP / UNIT of each family that declares one) is kept
per target from every parsed scrape, for ``/api/v1/metadata`` and
``/api/v1/targets/metadata``; an entry whose family has been absent for more
than 10 scrapes is forgotten, as upstream.

A failed scrape (HTTP, timeout, bad text, a limit) is an empty scrape, as
upstream: what was appended is rolled back, then a new appender gets the
staleness markers for every series of the previous scrape and the report with
``up`` 0; the error is kept as the target's ``last_error``.

Samples with their own timestamp (``honor_timestamps``) are not tracked for
staleness unless ``track_timestamps_staleness``. ``end_of_run_staleness``
writes markers for all series when a target has gone away (the manager calls
it just over two intervals later, as upstream); at shutdown nothing is written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from exporters.common.exposition import (
    NO_TIMESTAMP,
    ExpositionError,
    ExpositionFormat,
    SampleBatch,
    format_for_content_type,
    parse,
)
from lab.clock import Clock
from lab.model.labels import METRIC_NAME, Labels, is_legacy_label_name, is_legacy_metric_name
from lab.model.value import STALE_NAN
from lab.server.config import ScrapeConfig
from lab.server.storage.errors import (
    DuplicateSampleError,
    OutOfOrderSampleError,
    UnknownSeriesError,
)
from lab.server.storage.interface import Appendable, Appender, BatchAppender

from .errors import LabelLimitError, SampleLimitError, ScrapeFailedError
from .relabel import process_dict
from .scraper import Scraper, ScrapeRequest, accept_header
from .target import Health, Target

log = logging.getLogger(__name__)

REPORT_NAMES = (
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
)
_FALLBACK = {
    "OpenMetricsText1.0.0": ExpositionFormat.OPENMETRICS,
    "OpenMetricsText0.0.1": ExpositionFormat.OPENMETRICS,
}


@dataclass(slots=True, eq=False)  # identity equality: ``None in entries`` stays in C
class _Entry:
    labels: Labels | None  # None: dropped by metric relabeling
    last_iter: int
    #: the storage's reference (``BatchAppender.series_ref``), once it holds the series
    ref: int | None = None


@dataclass(frozen=True, slots=True)
class MetricMetadata:
    """One family's metadata as a target exposes it (the API's shape: "" when absent)."""

    metric: str
    type: str
    help: str
    unit: str


#: How many scrapes metadata outlives its family, as upstream.
METADATA_KEEP_SCRAPES = 10
_UNTYPED = ("untyped", "unknown")


@dataclass(frozen=True, slots=True)
class _Repeat:
    """What the last columnar scrape appended, to append again as is."""

    keys: list[str]
    refs: npt.NDArray[np.int64]
    keep: list[int] | None
    #: the series of that scrape (never mutated: it becomes ``_series_cur``)
    labels: set[Labels]


@dataclass(slots=True)
class _Appended:
    total: int = 0
    added: int = 0
    series_added: int = 0
    error: ScrapeFailedError | None = None


class ScrapeLoop:
    """Scrapes one target every interval; see the module docstring."""

    def __init__(
        self,
        target: Target,
        cfg: ScrapeConfig,
        scraper: Scraper,
        appendable: Appendable,
        clock: Clock,
        *,
        offset_seed: int = 0,
        on_interval: Callable[[float], None] | None = None,
    ) -> None:
        self.target = target
        #: gets the actual seconds between two scrapes' starts (self-metrics)
        self.on_interval = on_interval
        self.cfg = cfg
        self.scraper = scraper
        self.appendable = appendable
        self.clock = clock
        self.offset_seed = offset_seed
        self.last_scrape_ms: int | None = None
        self.scrapes = 0
        self._cache: dict[str, _Entry] = {}
        self._metadata: dict[str, tuple[MetricMetadata, int]] = {}
        #: the last columnar scrape, for the next one with the same series
        self._repeat: _Repeat | None = None
        self._skip_flush = False
        self._iter = 0
        self._series_prev: set[Labels] = set()
        self._series_cur: set[Labels] = set()
        self._public = target.public_labels()
        self._report_labels = [self._report_set(n) for n in REPORT_NAMES]
        self._request = ScrapeRequest(
            url=target.url(cfg.params),
            accept=accept_header(cfg.scrape_protocols),
            timeout_s=target.timeout_ms / 1000,
            body_size_limit=cfg.body_size_limit,
            compression=cfg.enable_compression,
        )

    def _report_set(self, name: str) -> Labels:
        return Labels.from_pairs([*self._public, (METRIC_NAME, name)])

    # -- running ---------------------------------------------------------------

    async def run(self) -> None:
        """Scrape at ``offset + k * interval`` until cancelled."""
        interval = self.target.interval_ms
        t = self.target.first_scrape_ms(self.clock.now_ms(), self.offset_seed)
        last_start: float | None = None
        while True:
            await self.clock.sleep_until(t)
            started = self.clock.monotonic()
            if last_start is not None and self.on_interval is not None:
                self.on_interval(started - last_start)
            last_start = started
            await self.scrape_and_report(t)
            t += interval
            now = self.clock.now_ms()
            if t <= now:  # a scrape overran: skip the ticks it missed
                t += ((now - t) // interval + 1) * interval

    def adopt(self, old: ScrapeLoop) -> None:
        """Continue from ``old`` (same target, new config): its series still get
        staleness markers when they disappear; the cache is rebuilt."""
        self._series_prev = old._series_prev
        self.last_scrape_ms = old.last_scrape_ms
        self._metadata = old._metadata
        self._iter = old._iter

    def next_tick_after(self, t_ms: int) -> int:
        interval = self.target.interval_ms
        first = self.target.first_scrape_ms(t_ms, self.offset_seed)
        return first if first > t_ms else first + interval

    async def scrape_and_report(self, t_ms: int) -> None:
        start = self.clock.monotonic()
        error: ScrapeFailedError | None = None
        batch: SampleBatch | None = None
        try:
            response = await asyncio.wait_for(
                self.scraper.scrape(self._request), self._request.timeout_s
            )
        except TimeoutError:
            error = ScrapeFailedError(f'Get "{self._request.url}": context deadline exceeded')
        except ScrapeFailedError as exc:
            error = exc
        else:
            if response.body:
                fmt = format_for_content_type(response.content_type) or _FALLBACK.get(
                    self.cfg.fallback_scrape_protocol, ExpositionFormat.TEXT
                )
                try:
                    batch = parse(response.body, fmt)
                except ExpositionError as exc:
                    error = ScrapeFailedError(str(exc))
        app = self.appendable.appender()
        result = _Appended()
        if batch is not None:
            self._update_metadata(batch)
            result = self._append(app, batch, t_ms)
        elif error is None:
            self._append_empty(app, t_ms)
        if error is None and result.error is None:
            self._iter_done(flush=True)
        else:
            error = error or result.error
            app.rollback()
            # Nothing of the failed pass landed: every series of the previous
            # scrape is now gone.
            self._series_cur = set()
            app = self.appendable.appender()
            self._append_empty(app, t_ms)
        duration = self.clock.monotonic() - start
        values = (
            0.0 if error else 1.0,
            duration,
            float(result.total),
            float(result.added),
            float(result.series_added),
        )
        for labels, value in zip(self._report_labels, values, strict=True):
            _append_ignoring_order(app, labels, t_ms, value)
        try:
            if getattr(app, "commit_waits_on_io", False):
                # An fsync must not stall every other target's scrape on this
                # event loop; concurrent commits share one (group commit).
                await asyncio.to_thread(app.commit)
            else:
                app.commit()
        except Exception as exc:  # storage failure: the scrape did not land
            log.error("scrape commit failed for %s: %s", self._request.url, exc)
            app.rollback()
        self.scrapes += 1
        self.last_scrape_ms = t_ms
        tgt = self.target
        tgt.health = Health.DOWN if error else Health.UP
        tgt.last_error = str(error) if error else ""
        tgt.last_scrape_ms = t_ms
        tgt.last_scrape_duration_s = duration

    def _update_metadata(self, batch: SampleBatch) -> None:
        it = self._iter
        meta = self._metadata
        for fam in batch.families:
            typ = "unknown" if fam.type in _UNTYPED else fam.type
            if typ == "unknown" and fam.help is None and fam.unit is None:
                continue  # no metadata line: upstream keeps no entry
            meta[fam.name] = (MetricMetadata(fam.name, typ, fam.help or "", fam.unit or ""), it)
        for name in [n for n, (_, seen) in meta.items() if it - seen > METADATA_KEEP_SCRAPES]:
            del meta[name]

    def metadata(self) -> list[MetricMetadata]:
        """This target's metric metadata, by metric name."""
        return [m for _, (m, _) in sorted(self._metadata.items())]

    def end_of_run_staleness(self, t_ms: int) -> None:
        """Stale markers for every series and report series of this target."""
        if self.last_scrape_ms is None:
            return
        app = self.appendable.appender()
        self._append_empty(app, t_ms)
        for labels in self._report_labels:
            _append_ignoring_order(app, labels, t_ms, STALE_NAN)
        app.commit()

    # -- appending -------------------------------------------------------------

    def _append_empty(self, app: Appender, t_ms: int) -> None:
        self._stale_markers(app, t_ms)
        self._iter_done(flush=False)

    def _stale_markers(self, app: Appender, t_ms: int) -> None:
        if self._series_prev is self._series_cur:
            return
        for labels in self._series_prev - self._series_cur:
            _append_ignoring_order(app, labels, t_ms, STALE_NAN)

    def _iter_done(self, *, flush: bool) -> None:
        if self._skip_flush:
            self._skip_flush = False
            flush = False
        if flush:
            # Series churn and alternative spellings would grow the cache forever.
            it = self._iter
            self._cache = {k: e for k, e in self._cache.items() if e.last_iter == it}
        self._series_prev, self._series_cur = self._series_cur, set()
        self._iter += 1

    def _append(self, app: Appender, batch: SampleBatch, t_ms: int) -> _Appended:
        if isinstance(app, BatchAppender):
            res = self._append_columns(app, batch, t_ms)
            if res is not None:
                return res
        return self._append_samples(app, batch, t_ms)

    def _append_columns(
        self, app: BatchAppender, batch: SampleBatch, t_ms: int
    ) -> _Appended | None:
        """The steady state in one ``append_batch``; None (nothing appended) when
        the scrape needs the sample-by-sample path: a series not cached or not yet
        held by the storage, repeated series, own timestamps, the sample limit."""
        cfg = self.cfg
        n = len(batch)
        if not n or (cfg.sample_limit and n > cfg.sample_limit):
            return None
        if cfg.honor_timestamps and bool((batch.timestamps != NO_TIMESTAMP).any()):
            return None
        keys = batch.series
        rep = self._repeat
        if rep is not None and rep.keys == keys:
            return self._append_repeat(app, rep, batch, t_ms)
        entries = list(map(self._cache.get, keys))
        if None in entries or len(set(keys)) != n:
            return None
        it = self._iter
        refs: list[int] = []
        keep: list[int] | None = None  # indices of samples not dropped, once one is
        for i, e in enumerate(entries):
            assert e is not None
            if e.labels is None:
                if keep is None:
                    keep = list(range(i))
                continue
            ref = e.ref
            if ref is None:
                ref = e.ref = app.series_ref(e.labels)
                if ref is None:
                    return None
            refs.append(ref)
            if keep is not None:
                keep.append(i)
        live = entries if keep is None else [entries[i] for i in keep]
        values = batch.values if keep is None else batch.values[keep]
        ref_array = np.array(refs, dtype=np.int64)
        try:
            taken = app.append_batch(ref_array, np.full(len(refs), t_ms, dtype=np.int64), values)
        except UnknownSeriesError:  # the storage dropped a series: look them up again
            for e in entries:
                if e is not None:
                    e.ref = None
            return None
        for e in entries:
            assert e is not None
            e.last_iter = it
        cur = self._series_cur
        if taken.all():
            labels = {e.labels for e in live if e is not None and e.labels is not None}
            cur.update(labels)
            self._repeat = _Repeat(keys, ref_array, keep, labels)
        else:
            cur.update(
                [
                    e.labels
                    for e, ok in zip(live, taken.tolist(), strict=True)
                    if ok and e is not None and e.labels is not None
                ]
            )
        self._stale_markers(app, t_ms)
        return _Appended(total=n, added=len(refs))

    def _append_repeat(
        self, app: BatchAppender, rep: _Repeat, batch: SampleBatch, t_ms: int
    ) -> _Appended | None:
        """The same series in the same order as the last columnar scrape (what a
        steady exporter sends): its references and label sets again, no cache
        lookups. Cache entries are not touched, so this scrape does not flush."""
        values = batch.values if rep.keep is None else batch.values[rep.keep]
        try:
            taken = app.append_batch(rep.refs, np.full(rep.refs.size, t_ms, np.int64), values)
        except UnknownSeriesError:
            self._repeat = None
            for e in self._cache.values():
                e.ref = None
            return None
        if not taken.all():  # out-of-order samples: the general path keeps count
            self._repeat = None
            app.rollback()
            return None
        self._skip_flush = True
        # Shared, never mutated: the next repeat sees ``prev is cur``, no markers.
        self._series_cur = rep.labels
        self._stale_markers(app, t_ms)
        return _Appended(total=len(batch), added=int(rep.refs.size))

    def _append_samples(self, app: Appender, batch: SampleBatch, t_ms: int) -> _Appended:
        cfg = self.cfg
        res = _Appended(total=len(batch))
        it = self._iter
        cache = self._cache
        honor_ts = cfg.honor_timestamps
        track = cfg.track_timestamps_staleness
        limit = cfg.sample_limit
        values = batch.values.tolist()
        stamps = batch.timestamps.tolist()
        seen: set[str] = set()
        appended = 0
        over_limit = False
        duplicates = 0
        for i, key in enumerate(batch.series):
            entry = cache.get(key)
            new = entry is None
            if entry is None:
                try:
                    entry = _Entry(self._mutate(batch.labels[i], key), it)
                except ScrapeFailedError as exc:
                    res.error = exc
                    return res
                if entry.labels is None:
                    cache[key] = entry
                    continue
            entry.last_iter = it
            labels = entry.labels
            if labels is None:
                continue
            ts = stamps[i]
            has_ts = honor_ts and ts != NO_TIMESTAMP
            added_sample = False
            if key in seen and not has_ts:
                duplicates += 1
            else:
                seen.add(key)
                appended += 1
                if limit and appended > limit:
                    over_limit = True
                else:
                    added_sample = _append_ignoring_order(
                        app, labels, ts if has_ts else t_ms, values[i]
                    )
            if added_sample:
                if new:
                    cache[key] = entry
                    if not over_limit:
                        res.series_added += 1
                if not has_ts or track:
                    self._series_cur.add(labels)
            res.added += 1
        if duplicates:
            log.warning(
                "%s: %d samples with the same timestamp dropped", self._request.url, duplicates
            )
        if over_limit:
            res.error = SampleLimitError("sample limit exceeded")
            return res
        self._stale_markers(app, t_ms)
        return res

    def _mutate(self, scraped: Labels, raw: str) -> Labels | None:
        """Target labels + metric relabeling + checks, for a series not in the cache."""
        lb = dict(scraped)
        if self.cfg.honor_labels:
            explicit_empty: set[str] | None = None
            for name, value in self._public:
                if name in lb:
                    continue
                # As upstream, a label the target exposes with an empty value
                # (``instance=""`` in /federate output) counts as present: the
                # series stays without it rather than get the target's.
                if explicit_empty is None:
                    explicit_empty = empty_label_names(raw)
                if name not in explicit_empty:
                    lb[name] = value
        else:
            conflicts = [(n, lb[n]) for n, _ in self._public if lb.get(n)]
            lb.update(self._public)
            for name, value in sorted(conflicts, key=lambda c: len(c[0])):
                new = name
                while True:
                    new = "exported_" + new
                    if not lb.get(new):
                        lb[new] = value
                        break
        if self.cfg.metric_relabel_configs and not process_dict(
            lb, self.cfg.metric_relabel_configs
        ):
            return None
        labels = Labels.from_pairs(lb.items())
        if not labels.name:
            raise ScrapeFailedError("missing metric name (__name__ label)")
        if not is_legacy_metric_name(labels.name) or not all(
            is_legacy_label_name(n) for n, _ in labels if n != METRIC_NAME
        ):
            raise ScrapeFailedError(f"invalid metric name or label names: {labels}")
        self._check_limits(labels, raw)
        return labels

    def _check_limits(self, labels: Labels, raw: str) -> None:
        cfg = self.cfg
        met = raw[:50]
        if cfg.label_limit and len(labels) > cfg.label_limit:
            raise LabelLimitError(
                f"label_limit exceeded (metric: {met}, number of labels: {len(labels)}, "
                f"limit: {cfg.label_limit})"
            )
        name_limit, value_limit = cfg.label_name_length_limit, cfg.label_value_length_limit
        if not name_limit and not value_limit:
            return
        for name, value in labels:
            if name_limit and len(name.encode()) > name_limit:
                raise LabelLimitError(
                    f"label_name_length_limit exceeded (metric: {met}, label name: "
                    f"{name[:50]}, length: {len(name.encode())}, limit: {name_limit})"
                )
            if value_limit and len(value.encode()) > value_limit:
                raise LabelLimitError(
                    f"label_value_length_limit exceeded (metric: {met}, label name: "
                    f'{name[:50]}, value: "{value[:50]}", length: {len(value.encode())}, '
                    f"limit: {value_limit})"
                )


def empty_label_names(raw: str) -> set[str]:
    """Names of the labels given with an empty value in a series' exposition
    text (``m{a="",b="x"}`` -> ``{"a"}``); the parser drops such labels, so only
    the raw text still says they were there. Unreadable text: none."""
    start = raw.find("{")
    if start < 0:
        return set()
    out: set[str] = set()
    i, n = start + 1, len(raw)
    while i < n:
        while i < n and raw[i] in " \t,":
            i += 1
        if i >= n or raw[i] == "}":
            break
        if raw[i] == '"':  # a quoted (UTF-8) name, or the metric name itself
            end = _quoted_end(raw, i + 1)
            name = raw[i + 1 : end]
            i = end + 1
            while i < n and raw[i] in " \t":
                i += 1
            if i >= n or raw[i] != "=":
                continue  # the quoted metric name: no value
        else:
            eq = raw.find("=", i)
            if eq < 0:
                break
            name, i = raw[i:eq].strip(), eq
        i += 1
        while i < n and raw[i] in " \t":
            i += 1
        if i >= n or raw[i] != '"':
            break
        end = _quoted_end(raw, i + 1)
        if end == i + 1:
            out.add(name)
        i = end + 1
    return out


def _quoted_end(raw: str, i: int) -> int:
    """Index of the quote closing the string that starts at ``i``."""
    while i < len(raw) and raw[i] != '"':
        i += 2 if raw[i] == "\\" else 1
    return i


def _append_ignoring_order(app: Appender, labels: Labels, t_ms: int, value: float) -> bool:
    """Append; out-of-order and duplicate samples are skipped, as upstream counts
    and ignores them. True if the sample was taken."""
    try:
        app.append(labels, t_ms, value)
    except (OutOfOrderSampleError, DuplicateSampleError):
        return False
    return True
