"""Executing a parsed template: Go's text/template evaluation rules.

Truth is Go's ``isTrue`` (false, 0, nil, empty string/map/slice are false);
``and``/``or`` short-circuit and return an operand; comparisons follow Go's
basic-kind rules (an int and a float are "incompatible types for comparison");
a missing map key reads as "" (Prometheus uses ``missingkey=zero`` over string
maps); printing is ``fmt.Sprint``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from lab.server.rules.errors import TemplateExecError
from lab.server.rules.templates.funcs import FuncError
from lab.server.rules.templates.gofmt import go_type, sprint_value
from lab.server.rules.templates.nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    StringNode,
    TextNode,
    VariableNode,
)

#: Guards against runaway templates (Go has no limit; ours must never hang).
MAX_OUTPUT = 1 << 20
MAX_STEPS = 1_000_000


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def is_true(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, (bool, int, float, str, list, dict)):
        return bool(v)
    return True


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return "other"


class Executor:
    def __init__(self, name: str, funcs: dict[str, Callable[..., Any]]) -> None:
        self.name = name
        self.funcs = funcs
        self.out: list[str] = []
        self.size = 0
        self.vars: list[tuple[str, Any]] = []
        self.node: Node | None = None
        self.steps = 0

    def error(self, node: Node | None, message: str) -> TemplateExecError:
        if node is None:
            return TemplateExecError(f"template: {self.name}: {message}")
        at = ""
        if isinstance(node, (CommandNode, PipeNode, ActionNode)):
            at = ""
        return TemplateExecError(
            f"template: {self.name}:{node.line}:{node.col}: executing {self.name!r}".replace(
                "'", '"'
            )
            + f"{at}: {message}"
        )

    def run(self, root: ListNode, dot: Any) -> str:
        self.vars = [("$", dot)]
        try:
            self.walk(dot, root)
        except (_Break, _Continue):
            raise self.error(None, "break or continue outside range") from None
        return "".join(self.out)

    # -- statements -------------------------------------------------------------------

    def emit(self, s: str) -> None:
        self.size += len(s)
        if self.size > MAX_OUTPUT:
            raise self.error(self.node, "template output too large")
        self.out.append(s)

    def walk(self, dot: Any, node: Node) -> None:
        self.node = node
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise self.error(node, "template evaluation too long")
        if isinstance(node, TextNode):
            self.emit(node.text)
        elif isinstance(node, ListNode):
            for item in node.items:
                self.walk(dot, item)
        elif isinstance(node, ActionNode):
            val = self.pipe(dot, node.pipe)
            if not node.pipe.decl:
                self.emit("<no value>" if val is None else sprint_value(val))
        elif isinstance(node, BranchNode):
            self.branch(dot, node)
        elif isinstance(node, BreakNode):
            raise _Break
        elif isinstance(node, ContinueNode):
            raise _Continue
        else:
            raise self.error(node, f"unknown node {type(node).__name__}")

    def branch(self, dot: Any, node: BranchNode) -> None:
        mark = len(self.vars)
        val = self.pipe(dot, node.pipe)
        try:
            if node.kind == "range":
                self.range(dot, node, val)
                return
            if is_true(val):
                self.walk(val if node.kind == "with" else dot, node.body)
            elif node.else_body is not None:
                self.walk(dot, node.else_body)
        finally:
            del self.vars[mark:]

    def range(self, dot: Any, node: BranchNode, val: Any) -> None:
        items: Iterable[tuple[Any, Any]]
        if isinstance(val, dict):
            items = [(k, val[k]) for k in sorted(val)]
        elif isinstance(val, list):
            items = list(enumerate(val))
        elif isinstance(val, int) and not isinstance(val, bool):
            items = ((i, i) for i in range(val))  # lazily: MAX_STEPS bounds it
        elif val is None:
            items = []
        else:
            raise self.error(node, f"range can't iterate over {sprint_value(val)}")
        empty = val <= 0 if isinstance(val, int) else not items
        if empty:
            if node.else_body is not None:
                self.walk(dot, node.else_body)
            return
        mark = len(self.vars)
        for k, v in items:
            decl = node.pipe.decl
            if len(decl) == 1:
                self.vars[mark - 1] = (decl[0], v)
            elif len(decl) == 2:
                self.vars[mark - 2] = (decl[0], k)
                self.vars[mark - 1] = (decl[1], v)
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise self.error(node, "template evaluation too long")
            try:
                self.walk(v, node.body)
            except _Break:
                break
            except _Continue:
                continue
            finally:
                del self.vars[mark:]

    # -- pipelines ----------------------------------------------------------------------

    def pipe(self, dot: Any, pipe: PipeNode) -> Any:
        val: Any = _NO_FINAL
        for cmd in pipe.cmds:
            val = self.command(dot, cmd, val)
        if pipe.decl:
            if pipe.is_assign:
                for i in range(len(self.vars) - 1, -1, -1):
                    if self.vars[i][0] == pipe.decl[0]:
                        self.vars[i] = (pipe.decl[0], val)
                        break
            else:
                for name in pipe.decl:
                    self.vars.append((name, val))
        return val

    def command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, IdentifierNode):
            return self.call(dot, first, cmd.args[1:], final, cmd)
        if len(cmd.args) > 1 or final is not _NO_FINAL:
            if isinstance(first, (FieldNode, VariableNode, ChainNode)) and (
                not isinstance(first, VariableNode) or first.names
            ):
                raise self.error(cmd, f"can't give argument to non-function {_node_text(first)}")
            raise self.error(cmd, f"can't give argument to non-function {_node_text(first)}")
        return self.arg(dot, first)

    def arg(self, dot: Any, node: Node) -> Any:
        if isinstance(node, DotNode):
            return dot
        if isinstance(node, NilNode):
            return None
        if isinstance(node, (BoolNode, NumberNode, StringNode)):
            return node.value
        if isinstance(node, FieldNode):
            return self.fields(dot, node.names, node)
        if isinstance(node, VariableNode):
            return self.fields(self.variable(node), node.names, node)
        if isinstance(node, ChainNode):
            return self.fields(self.arg(dot, node.node), node.names, node)
        if isinstance(node, PipeNode):
            mark = len(self.vars)
            try:
                return self.pipe(dot, node)
            finally:
                del self.vars[mark:]
        if isinstance(node, IdentifierNode):
            return self.call(dot, node, [], _NO_FINAL, node)
        raise self.error(node, f"can't evaluate {type(node).__name__}")

    def variable(self, node: VariableNode) -> Any:
        for name, value in reversed(self.vars):
            if name == node.name:
                return value
        raise self.error(node, f"undefined variable: {node.name}")

    def fields(self, value: Any, names: list[str], node: Node) -> Any:
        for name in names:
            if isinstance(value, dict):
                value = value.get(name, "")
            elif value is None:
                raise self.error(node, f"nil pointer evaluating interface {{}}.{name}")
            elif hasattr(value, name) and not name.startswith("_"):
                value = getattr(value, name)
            else:
                raise self.error(node, f"can't evaluate field {name} in type {go_type(value)}")
        return value

    def call(
        self, dot: Any, ident: IdentifierNode, arg_nodes: list[Node], final: Any, at: Node
    ) -> Any:
        name = ident.name
        if name in ("and", "or"):
            # Short-circuit: later operands are evaluated only when needed.
            operands: list[Node | None] = [*arg_nodes]
            if final is not _NO_FINAL:
                operands.append(None)
            if not operands:
                raise self.error(at, f"wrong number of args for {name}: want at least 1 got 0")
            v: Any = None
            for node in operands:
                v = final if node is None else self.arg(dot, node)
                if is_true(v) != (name == "and"):
                    return v
            return v
        args = [self.arg(dot, n) for n in arg_nodes]
        if final is not _NO_FINAL:
            args.append(final)
        try:
            if name == "not":
                if len(args) != 1:
                    raise FuncError(f"wrong number of args for not: want 1 got {len(args)}")
                return not is_true(args[0])
            if name in ("eq", "ne", "lt", "le", "gt", "ge"):
                return _compare(name, args)
            if name == "len":
                if len(args) != 1 or not isinstance(args[0], (str, list, dict)):
                    raise FuncError(f"len of type {go_type(args[0] if args else None)}")
                return len(args[0])
            if name == "index":
                return _index(args)
            if name == "slice":
                return _slice(args)
            fn: Callable[..., Any] | None = self.funcs.get(name)
            if fn is None:
                raise FuncError(f'function "{name}" not defined')
            return fn(*args)
        except FuncError as exc:
            raise self.error(at, f"error calling {name}: {exc}") from None
        except TypeError:
            raise self.error(at, f"wrong number of args for {name}: got {len(args)}") from None


class _NoFinal:
    pass


_NO_FINAL: Any = _NoFinal()


def _node_text(node: Node) -> str:
    if isinstance(node, FieldNode):
        return "." + ".".join(node.names)
    if isinstance(node, VariableNode):
        return node.name + "".join("." + n for n in node.names)
    return type(node).__name__


def _compare(name: str, args: list[Any]) -> bool:
    if len(args) < 2:
        raise FuncError("missing argument for comparison")
    a = args[0]
    if name in ("eq", "ne"):
        if name == "ne" and len(args) != 2:
            raise FuncError(f"wrong number of args for ne: want 2 got {len(args)}")
        hit = False
        for b in args[1:]:
            if _kind(a) != _kind(b) and not (a is None or b is None):
                raise FuncError("incompatible types for comparison")
            if a == b:
                hit = True
                break
        return hit if name == "eq" else not hit
    if len(args) != 2:
        raise FuncError(f"wrong number of args for {name}: want 2 got {len(args)}")
    b = args[1]
    if _kind(a) != _kind(b):
        raise FuncError("incompatible types for comparison")
    if _kind(a) not in ("int", "float", "string"):
        raise FuncError("invalid type for comparison")
    return bool({"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[name])


def _index(args: list[Any]) -> Any:
    if not args:
        raise FuncError("wrong number of args for index: want at least 1 got 0")
    v = args[0]
    for key in args[1:]:
        if isinstance(v, dict):
            v = v.get(key, "")
        elif isinstance(v, (list, str)) and isinstance(key, int):
            if not 0 <= key < len(v):
                raise FuncError(f"index out of range: {key}")
            v = v[key]
        elif v is None:
            raise FuncError("index of untyped nil")
        else:
            raise FuncError(f"can't index item of type {go_type(v)}")
    return v


def _slice(args: list[Any]) -> Any:
    if not args:
        raise FuncError("wrong number of args for slice")
    v, idx = args[0], args[1:]
    if not isinstance(v, (str, list)) or len(idx) > 2:
        raise FuncError(f"can't slice item of type {go_type(v)}")
    lo = idx[0] if idx else 0
    hi = idx[1] if len(idx) > 1 else len(v)
    if not (0 <= lo <= hi <= len(v)):
        raise FuncError(f"index out of range: {hi}")
    return v[lo:hi]
