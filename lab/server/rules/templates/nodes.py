"""The parse tree of a Go text/template (the subset Prometheus rule packs use)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Node:
    line: int
    col: int  # 1-based byte column of the node's start, as Go's ErrorContext


@dataclass(slots=True)
class TextNode(Node):
    text: str


@dataclass(slots=True)
class DotNode(Node):
    pass


@dataclass(slots=True)
class NilNode(Node):
    pass


@dataclass(slots=True)
class BoolNode(Node):
    value: bool


@dataclass(slots=True)
class NumberNode(Node):
    value: int | float
    text: str


@dataclass(slots=True)
class StringNode(Node):
    value: str
    text: str


@dataclass(slots=True)
class FieldNode(Node):
    """``.A.B``: fields of dot."""

    names: list[str]


@dataclass(slots=True)
class VariableNode(Node):
    """``$x.A.B``: a variable and optional fields."""

    name: str
    names: list[str]


@dataclass(slots=True)
class IdentifierNode(Node):
    """A function name."""

    name: str


@dataclass(slots=True)
class ChainNode(Node):
    """``(pipeline).A.B``."""

    node: Node
    names: list[str]


@dataclass(slots=True)
class CommandNode(Node):
    args: list[Node]


@dataclass(slots=True)
class PipeNode(Node):
    decl: list[str]
    is_assign: bool
    cmds: list[CommandNode]
    text: str = ""  # source text, for error messages


@dataclass(slots=True)
class ListNode(Node):
    items: list[Node] = field(default_factory=list)


@dataclass(slots=True)
class ActionNode(Node):
    pipe: PipeNode


@dataclass(slots=True)
class BranchNode(Node):
    kind: str  # "if" | "range" | "with"
    pipe: PipeNode
    body: ListNode
    else_body: ListNode | None


@dataclass(slots=True)
class BreakNode(Node):
    pass


@dataclass(slots=True)
class ContinueNode(Node):
    pass
