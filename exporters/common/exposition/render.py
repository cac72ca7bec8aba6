"""Render metric families as text 0.0.4 or OpenMetrics 1.0.

Two sources: prometheus_client ``Metric`` objects (what ``Collector.collect()``
yields, in the OpenMetrics data model: a counter ``foo`` has samples
``foo_total`` / ``foo_created``) and a parsed ``SampleBatch``. Both become
``_Family`` records in the target format's data model, then one writer per
format prints them.

Text 0.0.4 from the OpenMetrics model follows prometheus_client's conventions:
counter ``foo`` is family ``foo_total``; ``info`` is gauge ``foo_info``;
``stateset`` is a gauge; ``gaugehistogram`` a histogram; ``unknown`` is
``untyped``; ``_created``, ``_gsum`` and ``_gcount`` samples become separate
gauge families after their family; units are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any, Final, TypeVar

from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Exemplar, Timestamp

from lab.model.labels import METRIC_NAME

from .errors import RenderError
from .formats import (
    EXEMPLAR_SAMPLES,
    NUMERIC_LABEL,
    OPENMETRICS_SUFFIXES,
    TEXT_FAMILY_SUFFIXES,
    Escaping,
    ExpositionFormat,
    text_family_of,
)
from .names import escape_name, name_token, wire_name
from .numbers import (
    format_float,
    format_float_openmetrics,
    format_seconds_timestamp,
)

if TYPE_CHECKING:  # the batch side brings numpy; rendering families does not need it
    from .batch import SampleBatch

_TEXT_NAME_SUFFIX: Final = {"counter": "_total", "info": "_info"}
_SUFFIXES: Final = frozenset(s for v in OPENMETRICS_SUFFIXES.values() for s in v if s)
#: the suffixes by which text 0.0.4 files a name under another family
_CAPTURABLE: Final = tuple({s for _, suffixes in TEXT_FAMILY_SUFFIXES for s in suffixes})
#: OpenMetrics-only samples that text 0.0.4 carries as separate gauge families.
_SPLIT_SUFFIXES: Final = ("_created", "_gcount", "_gsum")
_TEXT_TYPE: Final = {
    "counter": "counter",
    "gauge": "gauge",
    "histogram": "histogram",
    "summary": "summary",
    "gaugehistogram": "histogram",
    "info": "gauge",
    "stateset": "gauge",
    "unknown": "untyped",
}

Pairs = Sequence[tuple[str, str]]
T = TypeVar("T")


@dataclass(slots=True)
class _Sample:
    name: str
    labels: Pairs  # sorted, without __name__
    value: float
    ts_ms: int | None = None
    exemplar: tuple[Pairs, float, int | None] | None = None


@dataclass(slots=True)
class _Family:
    name: str
    type: str
    help: str | None
    unit: str | None = None
    samples: list[_Sample] = field(default_factory=list)


def render(
    families: Iterable[Metric],
    fmt: ExpositionFormat = ExpositionFormat.TEXT,
    *,
    escaping: Escaping = Escaping.UNDERSCORES,
) -> bytes:
    """Render prometheus_client metric families (e.g. ``registry.collect()``)."""
    om = [_from_metric(m) for m in families]
    return _write(om, fmt, escaping, from_openmetrics=True)


def render_batch(
    batch: SampleBatch,
    fmt: ExpositionFormat | None = None,
    *,
    escaping: Escaping = Escaping.UNDERSCORES,
) -> bytes:
    """Render a parsed batch, in its own format unless ``fmt`` says otherwise."""
    from .batch import NO_TIMESTAMP

    target = batch.format if fmt is None else fmt
    families = [_Family(meta.name, meta.type, meta.help, meta.unit) for meta in batch.families]
    timestamps = batch.timestamps.tolist()
    for i, (name, labels, value, fam) in enumerate(
        zip(batch.names, batch.labels, batch.values.tolist(), batch.family.tolist(), strict=True)
    ):
        ts = timestamps[i]
        pairs = [p for p in labels if p[0] != METRIC_NAME]
        sample = _Sample(name, pairs, value, None if ts == NO_TIMESTAMP else ts)
        families[fam].samples.append(sample)
    from_om = batch.format is ExpositionFormat.OPENMETRICS
    if target is ExpositionFormat.OPENMETRICS and not from_om:
        families = [f for fam in families for f in _text_to_openmetrics(fam)]
    return _write(families, target, escaping, from_openmetrics=from_om)


# --- sources -------------------------------------------------------------------


def _from_metric(metric: Metric) -> _Family:
    fam = _Family(metric.name, metric.type, metric.documentation, metric.unit or None)
    append = fam.samples.append
    for s in metric.samples:
        if s.native_histogram is not None:
            continue  # not expressible in OpenMetrics 1.0 or text 0.0.4
        labels = s.labels
        append(
            _Sample(
                s.name,
                sorted(labels.items()) if len(labels) > 1 else list(labels.items()),
                float(s.value),
                None if s.timestamp is None else _to_ms(s.timestamp),
                None if s.exemplar is None else _exemplar(s.exemplar),
            )
        )
    return fam


def _exemplar(ex: Exemplar) -> tuple[Pairs, float, int | None]:
    return sorted(ex.labels.items()), float(ex.value), _to_ms(ex.timestamp)


def _to_ms(ts: float | Timestamp | None) -> int | None:
    """prometheus_client timestamps (float seconds or ``Timestamp``) in exact ms."""
    if ts is None:
        return None
    if isinstance(ts, Timestamp):
        # nsec carries the sign of sec (Timestamp(-1, 5e8) is -1.5 s); truncate toward 0
        return ts.sec * 1000 + int(ts.nsec / 1_000_000)
    seconds = float(ts)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise RenderError(f"invalid timestamp {ts!r}")
    # Through the shortest decimal so 1.001 s is 1001 ms, not int(1000.9999999999999).
    return int(Decimal(repr(seconds)).scaleb(3).to_integral_value(rounding=ROUND_DOWN))


def _text_to_openmetrics(fam: _Family) -> list[_Family]:
    """A text-format family in the OpenMetrics model; families that do not fit
    become one ``unknown`` family per sample name (never renaming series)."""
    name, kind = fam.name, fam.type
    if kind == "counter" and name.endswith("_total"):
        name = name[:-6]
    elif kind == "untyped":
        kind = "unknown"
    candidate = _Family(name, kind, fam.help, fam.unit, fam.samples)
    if _fits_openmetrics(candidate):
        return [candidate]
    split: dict[str, _Family] = {}
    for s in fam.samples:
        if s.name not in split:
            split[s.name] = _Family(s.name, "unknown", fam.help)
        split[s.name].samples.append(s)
    return list(split.values())


def _fits_openmetrics(fam: _Family) -> bool:
    suffixes = OPENMETRICS_SUFFIXES.get(fam.type)
    if suffixes is None:
        return False
    label, required_on = NUMERIC_LABEL.get(fam.type, ("", ""))
    for s in fam.samples:
        suffix = s.name[len(fam.name) :]
        if not s.name.startswith(fam.name) or suffix not in suffixes:
            return False
        if label and suffix == required_on and label not in dict(s.labels):
            return False
    return True


def _openmetrics_to_text(fam: _Family) -> list[_Family]:
    kind = _TEXT_TYPE.get(fam.type)
    if kind is None:
        raise RenderError(f"unknown metric type {fam.type!r} for family {fam.name!r}")
    name = fam.name + _TEXT_NAME_SUFFIX.get(fam.type, "")
    if fam.type == "counter" and _plain_counter(fam):
        name = fam.name
    for s in fam.samples:
        if s.name.endswith(_SPLIT_SUFFIXES):
            break
    else:  # the usual case: nothing to split off; ``fam`` is ours to reuse
        fam.name, fam.type, fam.unit = name, kind, None
        return [fam]
    main = _Family(name, kind, fam.help)
    split: dict[str, _Family] = {}
    for s in fam.samples:
        suffix = s.name[len(fam.name) :] if s.name.startswith(fam.name) else ""
        if suffix in _SPLIT_SUFFIXES:
            if s.name not in split:
                split[s.name] = _Family(s.name, "gauge", fam.help)
            split[s.name].samples.append(s)
        else:
            main.samples.append(s)
    return [main, *(split[k] for k in sorted(split))]


def _plain_counter(fam: _Family) -> bool:
    """A counter whose samples carry the family's own name, not ``_total``
    (text files may hold one): Go's text writer keeps that name, so do we."""
    total = fam.name + "_total"
    names = {s.name for s in fam.samples}
    return fam.name in names and total not in names


# --- writers -------------------------------------------------------------------


def _write(
    families: list[_Family], fmt: ExpositionFormat, escaping: Escaping, *, from_openmetrics: bool
) -> bytes:
    out: list[str] = []
    om = fmt is ExpositionFormat.OPENMETRICS
    names = _NAMES[escaping]
    if om:
        _check_openmetrics(families, names)
    else:
        parts = [
            p for f in families for p in (_openmetrics_to_text(f) if from_openmetrics else [f])
        ]
        families = _merge_text_families(parts, names)
    for fam in families:
        _write_family(out, fam, names, om=om)
    if om:
        out.append("# EOF\n")
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RenderError(f"text is not valid UTF-8: {exc}") from None


def _sample_name(family: str, sample: str, escaping: Escaping) -> str:
    """A sample's name as written: the family's escaped name plus the type suffix
    (as client_golang writes it), so ``_total`` & co. survive escaping."""
    suffix = sample[len(family) :]
    if escaping is not Escaping.ALLOW_UTF8 and sample.startswith(family) and suffix in _SUFFIXES:
        return escape_name(family, escaping) + suffix
    return escape_name(sample, escaping)


class _Names:
    """The wire forms of names under one escaping, memoized: names repeat from
    scrape to scrape, and checking one is a per-character Python loop (most of
    a render's time before), as do label pairs. One instance per escaping for
    the process (``_NAMES``); plain dicts, each dropped whole when it outgrows
    its bound (bounded memory for churning names and values)."""

    def __init__(self, escaping: Escaping) -> None:
        self.escaping = escaping
        self._family: dict[str, str] = {}
        self._sample: dict[tuple[str, str], str] = {}
        self._token: dict[tuple[str, str], tuple[str, bool]] = {}
        self._label: dict[str, tuple[str, bool]] = {}
        #: (label, value) -> (label as written, 'label="value"', escaping changed
        #: the label); label pairs repeat from scrape to scrape too
        self.pairs: dict[tuple[str, str], tuple[str, str, bool]] = {}

    def family(self, name: str) -> str:
        """``escape_name(name)``."""
        got = self._family.get(name)
        if got is None:
            got = _remember(self._family, name, escape_name(name, self.escaping))
        return got

    def sample(self, family: str, sample: str) -> str:
        """``_sample_name(family, sample)``."""
        key = (family, sample)
        got = self._sample.get(key)
        if got is None:
            got = _remember(self._sample, key, _sample_name(family, sample, self.escaping))
        return got

    def token(self, family: str, sample: str) -> tuple[str, bool]:
        """The sample's name as written and whether it is quoted."""
        key = (family, sample)
        got = self._token.get(key)
        if got is None:
            got = _remember(self._token, key, name_token(self.sample(family, sample)))
        return got

    def pair(self, pair: tuple[str, str]) -> tuple[str, str, bool]:
        """A label pair as written (``pairs`` holds the ones seen before)."""
        label, value = pair
        if label == METRIC_NAME:
            raise RenderError(f"label name {METRIC_NAME!r} is reserved")
        label_text, changed = self.label(label)
        written = (label_text, f'{label_text}="{_escape_value(value)}"', changed)
        return _remember(self.pairs, pair, written, _PAIRS_MAX)

    def label(self, label: str) -> tuple[str, bool]:
        """A label name as written, and whether escaping changed it."""
        got = self._label.get(label)
        if got is None:
            text, _ = wire_name(label, self.escaping, metric=False)
            got = _remember(self._label, label, (text, text != label))
        return got


_NAMES_MAX: Final = 1 << 16
#: label values churn more (and are longer): a smaller bound, ~2 MB at most
_PAIRS_MAX: Final = 1 << 13
_NAMES: Final = {e: _Names(e) for e in Escaping}


def _remember(cache: dict[Any, Any], key: Any, value: T, limit: int = _NAMES_MAX) -> T:
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value
    return value


def _check_openmetrics(families: list[_Family], names: _Names) -> None:
    """Refuse what would not parse back as written: a sample name in two families
    (names that escape alike), or two metadata blocks of one name with no samples
    between them."""
    owner: dict[str, int] = {}
    previous: tuple[str, bool] | None = None
    for index, fam in enumerate(families):
        name = names.family(fam.name)
        if previous == (name, False):
            raise RenderError(
                f"two families {name!r} with no samples between them cannot be "
                "told apart in OpenMetrics"
            )
        previous = (name, bool(fam.samples))
        for s in fam.samples:
            if owner.setdefault(names.sample(fam.name, s.name), index) != index:
                raise RenderError(f"sample name {s.name!r} would be in two families")


def _merge_text_families(families: list[_Family], names: _Names) -> list[_Family]:
    """Text 0.0.4 knows one family per name: families that share a (escaped) name
    and TYPE are merged; anything expfmt would read differently is refused."""
    merged: dict[str, _Family] = {}
    copied: set[str] = set()
    for fam in families:
        key = names.family(fam.name)
        prev = merged.get(key)
        if prev is None:
            merged[key] = fam
            continue
        if key not in copied:
            # the first family of a name is taken as it is; copied once merged into
            prev = merged[key] = _Family(prev.name, prev.type, prev.help, None, list(prev.samples))
            copied.add(key)
        if prev.type != fam.type or (None not in (prev.help, fam.help) and prev.help != fam.help):
            raise RenderError(
                f"family {key!r} twice with different TYPE or HELP: text 0.0.4 cannot express that"
            )
        prev.help = fam.help if prev.help is None else prev.help
        prev.samples.extend(fam.samples)
    ordered = _captured_first(merged)
    types: dict[str, str] = {}
    for key, fam in ordered.items():
        # keys are unique here: only a summary/histogram suffix can capture one
        owner = text_family_of(key, types) if key.endswith(_CAPTURABLE) else None
        if owner is not None:
            raise RenderError(
                f"family {key!r} would be read as part of family {owner!r} in text 0.0.4"
            )
        types[key] = fam.type
        for s in fam.samples:
            if s.name == fam.name:
                continue  # written as the family's own name: key
            wire = names.sample(fam.name, s.name)
            if wire != key and text_family_of(wire, types) != key:
                raise RenderError(
                    f"sample {wire!r} would not be read as part of family {key!r} in text 0.0.4"
                )
    return list(ordered.values())


def _captured_first(families: dict[str, _Family]) -> dict[str, _Family]:
    """Families named like a summary's or histogram's ``_count``/``_sum``/``_bucket``
    go before it: written after it, expfmt would file them under it (they exist
    when the text defined them before that family's TYPE)."""
    captured: dict[str, list[str]] = {}
    for key, fam in families.items():
        for kind, suffixes in TEXT_FAMILY_SUFFIXES:
            if fam.type == kind:
                captured[key] = [key + s for s in suffixes if key + s in families]
    moved = {c for cs in captured.values() for c in cs}
    ordered: dict[str, _Family] = {}
    for key in families:
        if key not in moved:
            for c in captured.get(key, ()):
                ordered[c] = families[c]
            ordered[key] = families[key]
    return ordered if len(ordered) == len(families) else families


def _escape_value(value: str) -> str:
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def _escape_help(text: str, om: bool) -> str:
    if "\\" in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return text.replace('"', '\\"') if om and '"' in text else text


def _write_family(out: list[str], fam: _Family, names: _Names, *, om: bool) -> None:
    name, _ = names.token(fam.name, fam.name)
    if fam.help is not None:
        out.append(f"# HELP {name} {_escape_help(fam.help, om)}\n# TYPE {name} {fam.type}\n")
    else:
        out.append(f"# TYPE {name} {fam.type}\n")
    if om and fam.unit:
        out.append(f"# UNIT {name} {fam.unit}\n")
    fmt_value = format_float_openmetrics if om else format_float
    token = names.token
    append = out.append
    label_cache = names.pairs
    last: str | None = None
    for s in fam.samples:
        if s.name is not last:  # samples of a family mostly share their name
            last = s.name
            sample_name, quoted = token(fam.name, last)
        if s.labels:
            parts = [sample_name] if quoted else []
            check = False
            for pair in s.labels:
                cached = label_cache.get(pair)
                if cached is None:
                    cached = names.pair(pair)
                check = check or cached[2]
                parts.append(cached[1])
            if check:
                # only labels that escaping changed can collide with another one
                written = [names.pair(p)[0] for p in s.labels]
                for label_text in written:
                    if written.count(label_text) > 1:
                        raise RenderError(
                            f"two labels of sample {s.name!r} are both written {label_text}"
                        )
            block = "{" + ",".join(parts) + "}"
            line = block if quoted else sample_name + block
        else:
            line = "{" + sample_name + "}" if quoted else sample_name
        line += " " + fmt_value(s.value)
        if s.ts_ms is not None:
            line += " " + (format_seconds_timestamp(s.ts_ms) if om else str(s.ts_ms))
        if om and s.exemplar is not None:
            line += _exemplar_text(fam, s, names.escaping)
        append(line + "\n")


def _exemplar_text(fam: _Family, s: _Sample, escaping: Escaping) -> str:
    assert s.exemplar is not None
    suffix = s.name[len(fam.name) :]
    if (fam.type, suffix) not in EXEMPLAR_SAMPLES:
        raise RenderError(
            f"exemplar on {fam.type} sample {s.name!r}: only counter _total and "
            "histogram _bucket samples may carry one"
        )
    pairs, value, ts_ms = s.exemplar
    labels = ",".join(
        f'{wire_name(k, escaping, metric=False)[0]}="{_escape_value(v)}"' for k, v in pairs
    )
    text = f" # {{{labels}}} {format_float_openmetrics(value)}"
    if ts_ms is not None:
        text += " " + format_seconds_timestamp(ts_ms)
    return text
