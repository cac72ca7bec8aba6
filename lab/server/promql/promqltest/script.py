"""Parse promqltest scripts (``*.test``) into commands.

Lines are trimmed; whole-line ``#`` comments count as blank; a blank line ends
a command block. Commands: ``load <interval>``, ``load_with_nhcb <interval>``,
``clear``, ``eval instant at <t> <expr>``, ``eval range from <a> to <b> step
<s> <expr>`` and the deprecated ``eval_fail``/``eval_warn``/``eval_info``/
``eval_ordered`` headers, with ``expect ...`` lines and expected results.
The PromQL expressions are kept as text; the runner parses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from lab.model.labels import Labels
from lab.server.promql.promqltest.notation import (
    NotationError,
    is_number,
    parse_duration_ms,
    parse_number,
    parse_series_descriptor,
    parse_value_columns,
    parse_values,
)


class ScriptError(ValueError):
    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.line = line


@dataclass(slots=True)
class LoadCmd:
    line: int
    interval_ms: int
    #: labels -> (timestamps, values); later lines for the same labels replace earlier
    series: dict[Labels, tuple[list[int], list[float]]]
    #: series that hold native histogram samples (not modelled)
    histogram_series: list[Labels]
    with_nhcb: bool = False


@dataclass(slots=True)
class ClearCmd:
    line: int


@dataclass(slots=True)
class ExpectedSeries:
    labels: Labels
    values: list[float | None]


@dataclass(slots=True)
class AnnotationExpectation:
    kind: str  # "warn" | "info"
    msg: str | None = None
    regex: str | None = None


@dataclass(slots=True)
class EvalCmd:
    line: int
    expr: str
    instant: bool
    at_ms: int = 0
    start_ms: int = 0
    end_ms: int = 0
    step_ms: int = 0
    fail: bool = False
    fail_msg: str | None = None
    fail_regex: str | None = None
    ordered: bool = False
    annotations: list[AnnotationExpectation] = field(default_factory=list)
    no_warn: bool = False
    no_info: bool = False
    expect_string: str | None = None
    range_vector: tuple[int, int, int] | None = None
    expected: list[ExpectedSeries] = field(default_factory=list)
    scalar: float | None = None
    has_histogram: bool = False


Command = LoadCmd | ClearCmd | EvalCmd

_PAT_INSTANT = re.compile(
    r"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$"
)
_PAT_RANGE = re.compile(
    r"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$"
)
_PAT_LOAD = re.compile(r"^load(?:_(with_nhcb))?\s+(.+?)$")
_PAT_EXPECT = re.compile(
    r"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.*))?$"
)
_PAT_RANGE_VECTOR = re.compile(r"^expect\s+range\s+vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$")
_PAT_STRING = re.compile(r"^expect\s+string\s+(.+)$")


def parse_script(text: str, file: str = "<script>") -> list[Command]:
    """Commands in file order. Line-based like upstream: ``clear`` is one line;
    ``load``/``eval`` take the following lines up to a blank (or comment) line."""
    lines = [ln.strip() for ln in text.splitlines()]
    lines = ["" if ln.startswith("#") else ln for ln in lines]
    cmds: list[Command] = []
    i = 0
    while i < len(lines):
        if not lines[i]:
            i += 1
            continue
        line_no = i + 1
        word = lines[i].split(None, 1)[0].lower()
        j = i + 1
        if word != "clear":
            while j < len(lines) and lines[j]:
                j += 1
        block = lines[i:j]
        i = j
        try:
            if word == "clear":
                cmds.append(ClearCmd(line_no))
            elif word.startswith("load"):
                cmds.append(_parse_load(line_no, block))
            elif word.startswith("eval"):
                cmds.append(_parse_eval(line_no, block))
            else:
                raise NotationError(f"invalid command {word!r}")
        except (ValueError, IndexError) as exc:
            raise ScriptError(file, line_no, str(exc)) from exc
    return cmds


def _parse_load(line_no: int, block: list[str]) -> LoadCmd:
    m = _PAT_LOAD.match(block[0])
    if not m:
        raise NotationError(f"invalid load command: {block[0]!r}")
    interval = parse_duration_ms(m.group(2))
    series: dict[Labels, tuple[list[int], list[float]]] = {}
    hist: list[Labels] = []
    for line in block[1:]:
        labels, rest = parse_series_descriptor(line)
        if rest.startswith("@st"):
            # start-timestamp offsets for the next line: not modelled
            continue
        vals = parse_value_columns(rest)
        idx = np.flatnonzero(vals.present)
        series[labels] = ((idx * interval).tolist(), vals.values[idx].tolist())
        if vals.histograms:
            hist.append(labels)
    return LoadCmd(line_no, interval, series, hist, with_nhcb=m.group(1) is not None)


def _parse_eval(line_no: int, block: list[str]) -> EvalCmd:
    header = block[0]
    mi = _PAT_INSTANT.match(header)
    mr = _PAT_RANGE.match(header)
    if mi:
        flag, at, expr = mi.group(1), mi.group(2), mi.group(3)
        if at is None:
            raise NotationError("eval instant without 'at'")
        cmd = EvalCmd(line_no, expr, True, at_ms=parse_duration_ms(at))
    elif mr:
        flag, expr = mr.group(1), mr.group(5)
        start = parse_duration_ms(mr.group(2))
        end = parse_duration_ms(mr.group(3))
        step = parse_duration_ms(mr.group(4))
        if end < start:
            raise NotationError("invalid test definition, end timestamp is before start")
        cmd = EvalCmd(line_no, expr, False, start_ms=start, end_ms=end, step_ms=step)
    else:
        raise NotationError(f"invalid eval command: {header!r}")
    if flag == "fail":
        cmd.fail = True
    elif flag == "warn":
        cmd.annotations.append(AnnotationExpectation("warn"))
    elif flag == "info":
        cmd.annotations.append(AnnotationExpectation("info"))
    elif flag == "ordered":
        cmd.ordered = True
    for line in block[1:]:
        if cmd.fail and line.startswith("expected_fail_message "):
            cmd.fail_msg = line[len("expected_fail_message ") :].strip()
            break
        if cmd.fail and line.startswith("expected_fail_regexp "):
            cmd.fail_regex = line[len("expected_fail_regexp ") :].strip()
            break
        if line.startswith("expect "):
            _parse_expect(cmd, line)
            continue
        if "{{" in line:
            cmd.has_histogram = True
        if is_number(line):
            cmd.scalar = parse_number(line)
            break
        labels, rest = parse_series_descriptor(line)
        vals = parse_values(rest)
        if vals.histograms:
            cmd.has_histogram = True
        cmd.expected.append(ExpectedSeries(labels, vals.values))
    return cmd


def _parse_expect(cmd: EvalCmd, line: str) -> None:
    m = _PAT_RANGE_VECTOR.match(line)
    if m:
        if not cmd.instant:
            raise NotationError("expect range vector is only valid for instant queries")
        start = parse_duration_ms(m.group(1))
        end = parse_duration_ms(m.group(2))
        step = parse_duration_ms(m.group(3))
        cmd.range_vector = (start, end, step)
        cmd.at_ms = end
        return
    m = _PAT_STRING.match(line)
    if m:
        cmd.expect_string = _go_unquote(m.group(1).strip())
        return
    m = _PAT_EXPECT.match(line)
    if not m:
        raise NotationError(f"invalid expect line: {line!r}")
    kind, how, text = m.group(1), m.group(2), (m.group(3) or "").strip()
    if kind == "fail":
        cmd.fail = True
        if how == "msg":
            cmd.fail_msg = text
        elif how == "regex":
            cmd.fail_regex = text
    elif kind == "ordered":
        if not cmd.instant:
            raise NotationError("expect ordered is only valid for instant queries")
        cmd.ordered = True
    elif kind == "no_warn":
        cmd.no_warn = True
    elif kind == "no_info":
        cmd.no_info = True
    else:
        cmd.annotations.append(
            AnnotationExpectation(
                kind, text if how == "msg" else None, text if how == "regex" else None
            )
        )


def _go_unquote(text: str) -> str:
    from lab.server.promql.promqltest.notation import _unquote

    if not text or text[0] not in "\"`'":
        raise NotationError(f"expected a quoted string: {text!r}")
    value, end = _unquote(text, 0)
    if end != len(text):
        raise NotationError(f"trailing characters after string: {text!r}")
    return value
