"""YAML with positions: rule and test files are composed into PyYAML nodes so
every problem can name its ``line:col`` (as go-yaml v3 does for promtool), and
decoded strictly (unknown keys are an error, as ``KnownFields(true)``)."""

from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass(frozen=True, slots=True)
class Pos:
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.line}:{self.col}"


def pos(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


class YamlShapeError(ValueError):
    """A node has the wrong shape; the message is go-yaml's wording."""


def compose(text: str) -> yaml.Node | None:
    """The first YAML document's node tree (later documents are ignored, as rulefmt)."""
    # libyaml's composer keeps the marks and is ~10x faster on big test files
    loader = yaml.CSafeLoader(text) if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader(text)
    try:
        return _first(loader)
    finally:
        loader.dispose()


def _first(loader: yaml.SafeLoader | yaml.CSafeLoader) -> yaml.Node | None:
    if loader.check_node():
        return loader.get_node()
    return None


def mapping_items(
    node: yaml.Node, type_name: str, known: frozenset[str], unknown: list[str], strict: bool
) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """A mapping node's entries by key; unknown keys are recorded in go-yaml's
    words (``line 8: field x not found in type rulefmt.RuleGroup``)."""
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise YamlShapeError(
            f"line {node.start_mark.line + 1}: cannot unmarshal {_kind(node)} into {type_name}"
        )
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for k, v in node.value:
        key = str(k.value)
        if key not in known:
            if strict:
                unknown.append(
                    f"line {k.start_mark.line + 1}: field {key} not found in type {type_name}"
                )
            continue
        out[key] = (k, v)
    return out


def sequence(node: yaml.Node | None) -> list[yaml.Node]:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise YamlShapeError(
            f"line {node.start_mark.line + 1}: cannot unmarshal {_kind(node)} into a list"
        )
    return list(node.value)


def scalar(node: yaml.Node | None) -> str:
    """A scalar's text ("" for null); a non-scalar is a shape error."""
    if node is None:
        return ""
    if not isinstance(node, yaml.ScalarNode):
        raise YamlShapeError(
            f"line {node.start_mark.line + 1}: cannot unmarshal {_kind(node)} into string"
        )
    if node.tag.endswith(":null"):
        return ""
    return str(node.value)


def is_null(node: yaml.Node | None) -> bool:
    return node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"))


def string_map(node: yaml.Node | None) -> dict[str, tuple[str, Pos]]:
    """A ``{string: string}`` mapping with each value's position."""
    if is_null(node):
        return {}
    assert node is not None
    if not isinstance(node, yaml.MappingNode):
        raise YamlShapeError(
            f"line {node.start_mark.line + 1}: cannot unmarshal {_kind(node)} into map"
        )
    return {str(k.value): (scalar(v), pos(v)) for k, v in node.value}


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "!!map"
    if isinstance(node, yaml.SequenceNode):
        return "!!seq"
    tag = node.tag.rsplit(":", 1)[-1]
    return f"!!{tag} `{node.value}`"
