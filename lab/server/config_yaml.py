"""Reading YAML node trees with positions: the typed getters ``lab.server.config``
uses so that every error names the file, line and column of the offending node.

Messages follow Go's yaml.v2 / Prometheus wording where there is one
(``field x not found in type config.plain``, ``cannot unmarshal !!str `abc`
into int``, ``not a valid duration string: "1x"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NoReturn

import yaml

from lab.model.durations import format_model_duration_ms, parse_model_duration_ms
from lab.model.errors import DurationError
from lab.model.labels import Labels, is_legacy_label_name

from .config_errors import ConfigSyntaxError, ConfigValueError

_TAGS = {
    "tag:yaml.org,2002:str": "!!str",
    "tag:yaml.org,2002:int": "!!int",
    "tag:yaml.org,2002:float": "!!float",
    "tag:yaml.org,2002:bool": "!!bool",
    "tag:yaml.org,2002:null": "!!null",
    "tag:yaml.org,2002:map": "!!map",
    "tag:yaml.org,2002:seq": "!!seq",
}


class Reader:
    """Typed access to the nodes of one YAML document named ``file``."""

    def __init__(self, file: str) -> None:
        self.file = file

    def compose(self, text: str) -> yaml.Node | None:
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            raise ConfigSyntaxError(
                f"yaml: {exc.problem}",
                file=self.file,
                line=mark.line + 1 if mark else 0,
                column=mark.column + 1 if mark else 0,
            ) from None
        except yaml.YAMLError as exc:
            raise ConfigSyntaxError(f"yaml: {exc}", file=self.file) from None

    def fail(self, node: yaml.Node | None, message: str) -> NoReturn:
        mark = node.start_mark if node is not None else None
        raise ConfigValueError(
            message,
            file=self.file,
            line=mark.line + 1 if mark else 0,
            column=mark.column + 1 if mark else 0,
        )

    # -- structure -------------------------------------------------------------

    def mapping(
        self, node: yaml.Node, type_name: str, allowed: frozenset[str]
    ) -> dict[str, yaml.Node]:
        """The fields of a mapping; unknown or repeated keys are errors."""
        if is_null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"cannot unmarshal {tag(node)} into {type_name}")
        out: dict[str, yaml.Node] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self.string(key_node)
            if key in out:
                self.fail(
                    key_node,
                    f'mapping key "{key}" already defined at line {lines[key]}',
                )
            if key not in allowed:
                self.fail(key_node, f"field {key} not found in type {type_name}")
            out[key] = value_node
            lines[key] = key_node.start_mark.line + 1
        return out

    def seq(self, node: yaml.Node) -> list[yaml.Node]:
        if is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"cannot unmarshal {tag(node)} into a list")
        return list(node.value)

    def str_map(self, node: yaml.Node) -> Iterator[tuple[yaml.Node, str, str]]:
        """``(key node, key, value)`` of a mapping of strings."""
        if is_null(node):
            return
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"cannot unmarshal {tag(node)} into map[string]string")
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = self.string(key_node)
            if key in seen:
                self.fail(key_node, f'mapping key "{key}" already defined')
            seen.add(key)
            yield key_node, key, self.string(value_node)

    def labels(self, node: yaml.Node) -> Labels:
        """A label set (``labels:``, ``external_labels:``) with validated names."""
        pairs = []
        for key_node, key, value in self.str_map(node):
            if not is_legacy_label_name(key):
                self.fail(key_node, f'"{key}" is not a valid label name')
            pairs.append((key, value))
        return Labels.from_pairs(pairs)

    # -- scalars ---------------------------------------------------------------

    def string(self, node: yaml.Node) -> str:
        if is_null(node):
            return ""
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, f"cannot unmarshal {tag(node)} into string")
        return str(node.value)

    def strings(self, node: yaml.Node) -> tuple[str, ...]:
        return tuple(self.string(n) for n in self.seq(node))

    def boolean(self, node: yaml.Node) -> bool:
        value = self.plain(node)
        if not isinstance(value, bool):
            self.fail(node, f"cannot unmarshal {tag(node)} `{node.value}` into bool")
        return value

    def uint(self, node: yaml.Node) -> int:
        value = self.plain(node)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail(node, f"cannot unmarshal {tag(node)} `{node.value}` into uint")
        return value

    def duration_ms(self, node: yaml.Node) -> int:
        try:
            return parse_duration_ms(self.string(node))
        except ValueError as exc:
            self.fail(node, str(exc))

    def bytes_size(self, node: yaml.Node) -> int:
        text = self.string(node)
        try:
            return parse_base2_bytes(text)
        except ValueError as exc:
            self.fail(node, str(exc))

    def plain(self, node: yaml.Node) -> Any:
        """The Python value of any node (lists, dicts, scalars), for data kept as is."""
        if isinstance(node, yaml.MappingNode):
            return {self.string(k): self.plain(v) for k, v in node.value}
        if isinstance(node, yaml.SequenceNode):
            return [self.plain(v) for v in node.value]
        return yaml.SafeLoader("").construct_object(node)


def is_null(node: yaml.Node | None) -> bool:
    return node is None or (
        isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"
    )


def tag(node: yaml.Node) -> str:
    return _TAGS.get(node.tag, node.tag)


# -- durations and sizes (Prometheus model.Duration, alecthomas/units) -----------


def parse_duration_ms(text: str) -> int:
    """``15s``, ``1m30s``, ``0`` -> milliseconds; units in decreasing order."""
    try:
        return parse_model_duration_ms(text)
    except DurationError as exc:
        if exc.reason in ("empty", "range"):
            raise ValueError(str(exc)) from None
        raise ValueError(f'not a valid duration string: "{text}"') from None


#: As ``model.Duration.String()``: ``1m30s``, ``500ms``, ``0s``.
format_duration_ms = format_model_duration_ms


_BYTE_UNITS = {
    "B": 1,
    **{f"{p}B": 1 << (10 * (i + 1)) for i, p in enumerate("KMGTPE")},
    **{f"{p}iB": 1 << (10 * (i + 1)) for i, p in enumerate("KMGTPE")},
}
_BYTES_PART = re.compile(r"(\d+)([A-Za-z]*)")


def parse_base2_bytes(text: str) -> int:
    """``512KB``, ``10MB``, ``1GiB`` -> bytes (KB = 1024 B, as upstream); ``0`` is 0."""
    if text in ("", "0"):
        return 0
    total, pos = 0, 0
    for m in _BYTES_PART.finditer(text):
        if m.start() != pos:
            break
        unit = m.group(2)
        if unit not in _BYTE_UNITS:
            raise ValueError(f"units: unknown unit {unit} in {text}")
        total += int(m.group(1)) * _BYTE_UNITS[unit]
        pos = m.end()
    if pos != len(text):
        raise ValueError(f"units: invalid size {text}")
    return total
