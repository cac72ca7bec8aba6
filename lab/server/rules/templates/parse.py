"""Lexer and parser for Go's text/template syntax.

Covers actions, pipelines, variables (``:=``/``=``), fields, parenthesised
pipelines, ``if``/``else if``/``else``, ``range`` (with ``$i, $v :=``),
``with``/``else with``, ``break``/``continue``, comments and ``{{-``/``-}}``
trimming. As Go's parser does, it rejects at parse time an undefined variable
or an unknown function, which is how promtool catches ``{{ $label.x }}`` when
a rule file is loaded. Errors read ``template: NAME:LINE: message``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container

from lab.server.rules.errors import TemplateParseError
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

_SPACE = " \t\r\n"
_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<number>[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?))
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<variable>\$[A-Za-z0-9_]*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+)
  | (?P<dot>\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<lparen>\()
  | (?P<rparen>\))(?P<chain>(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<pipe>\|)
  | (?P<comma>,)
    """,
    re.VERBOSE,
)
_KEYWORDS = frozenset(
    {"if", "else", "end", "range", "with", "break", "continue", "define", "template", "block"}
)


class _Tok:
    __slots__ = ("col", "kind", "line", "text")

    def __init__(self, kind: str, text: str, line: int, col: int) -> None:
        self.kind, self.text, self.line, self.col = kind, text, line, col


class _Action:
    """The tokens of one ``{{ ... }}``."""

    def __init__(self, toks: list[_Tok], line: int, col: int, source: str) -> None:
        self.toks, self.line, self.col, self.source, self.i = toks, line, col, source, 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self) -> _Tok | None:
        tok = self.peek()
        self.i += tok is not None
        return tok


class Parser:
    def __init__(self, name: str, text: str, funcs: Container[str]) -> None:
        self.name, self.text, self.funcs = name, text, funcs
        self.items: list[TextNode | _Action] = []
        self.pos = 0
        self.vars: list[str] = ["$"]

    # -- errors ---------------------------------------------------------------------

    def error(self, line: int, message: str) -> TemplateParseError:
        return TemplateParseError(f"template: {self.name}:{line}: {message}")

    # -- lexing ---------------------------------------------------------------------

    def _line_col(self, offset: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def lex(self) -> None:
        text, i = self.text, 0
        trim_next = False
        while i < len(text):
            start = text.find("{{", i)
            chunk = text[i:] if start < 0 else text[i:start]
            trim_left = (
                start >= 0
                and text.startswith("{{-", start)
                and (start + 3 < len(text) and text[start + 3] in _SPACE)
            )
            if trim_next:
                chunk = chunk.lstrip(_SPACE)
            if trim_left:
                chunk = chunk.rstrip(_SPACE)
            if chunk:
                line, col = self._line_col(i)
                self.items.append(TextNode(line, col, chunk))
            if start < 0:
                return
            i, trim_next = self._lex_action(start, trim_left)

    def _lex_action(self, start: int, trim_left: bool) -> tuple[int, bool]:
        text = self.text
        j = start + (3 if trim_left else 2)
        line, col = self._line_col(start)
        # comments: {{/* ... */}}
        k = j
        while k < len(text) and text[k] in _SPACE:
            k += 1
        if text.startswith("/*", k):
            end = text.find("*/", k + 2)
            if end < 0:
                raise self.error(line, "unclosed comment")
            close = end + 2
            while close < len(text) and text[close] in _SPACE:
                close += 1
            trim_right = text.startswith("-}}", close)
            if not (trim_right or text.startswith("}}", close)):
                raise self.error(line, "comment ends before closing delimiter")
            return close + (3 if trim_right else 2), trim_right
        toks: list[_Tok] = []
        while True:
            if j >= len(text):
                raise self.error(self._line_col(j)[0], "unclosed action")
            if text.startswith("}}", j):
                self.items.append(_Action(toks, line, col, text[start : j + 2]))
                return j + 2, False
            if text.startswith(" -}}", j - 1) and text[j - 1] in _SPACE and text[j] == "-":
                self.items.append(_Action(toks, line, col, text[start : j + 3]))
                return j + 3, True
            m = _TOKEN.match(text, j)
            if m is None:
                tline, _ = self._line_col(j)
                c = text[j]
                if c == "\n":
                    raise self.error(tline, "unclosed action")
                raise self.error(tline, f"unexpected {_go_char(c)} in command")
            kind = m.lastgroup or ""
            if m.group("rparen") is not None:
                kind = "rparen"
            if kind != "space":
                tl, tc = self._line_col(j)
                toks.append(_Tok(kind, m.group(0), tl, tc))
            j = m.end()

    # -- parsing --------------------------------------------------------------------

    def parse(self) -> ListNode:
        self.lex()
        body, stop = self._list(top=True)
        assert stop is None
        return body

    def _list(self, top: bool = False) -> tuple[ListNode, _Action | None]:
        """Items up to a matching ``end``/``else`` (returned, unconsumed) or EOF."""
        out = ListNode(1, 1)
        while self.pos < len(self.items):
            item = self.items[self.pos]
            self.pos += 1
            if isinstance(item, TextNode):
                out.items.append(item)
                continue
            first = item.peek()
            if first is None:
                raise self.error(item.line, "missing value for command")
            if first.kind == "ident" and first.text in ("end", "else"):
                if top:
                    raise self.error(item.line, f"unexpected {{{{{first.text}}}}}")
                return out, item
            out.items.append(self._action(item))
        if not top:
            line = self.items[-1].line if self.items else 1
            raise self.error(line, "unexpected EOF")
        return out, None

    def _action(self, act: _Action) -> Node:
        first = act.peek()
        assert first is not None
        if first.kind == "ident" and first.text in _KEYWORDS:
            act.next()
            if first.text in ("if", "range", "with"):
                return self._control(first.text, act)
            if first.text in ("break", "continue"):
                if act.peek() is not None:
                    raise self.error(act.line, f"unexpected token in {{{{{first.text}}}}}")
                return (BreakNode if first.text == "break" else ContinueNode)(act.line, act.col)
            raise self.error(act.line, f"{{{{{first.text}}}}} is not supported")
        pipe = self._pipeline(act, "command")
        return ActionNode(act.line, act.col, pipe)

    def _control(self, kind: str, act: _Action) -> BranchNode:
        depth = len(self.vars)
        pipe = self._pipeline(act, kind)
        body, stop = self._list()
        else_body: ListNode | None = None
        assert stop is not None
        stop.next()  # "end" or "else"
        word = self.items[self.pos - 1]
        assert isinstance(word, _Action)
        if word.toks[0].text == "else":
            nxt = stop.peek()
            if nxt is not None and nxt.kind == "ident" and nxt.text in ("if", "with"):
                # "else if" / "else with": a nested branch sharing our {{end}}
                stop.next()
                nested = self._control(nxt.text, stop)
                else_body = ListNode(stop.line, stop.col, [nested])
            else:
                if nxt is not None:
                    raise self.error(stop.line, f"unexpected {nxt.text!r} in else")
                else_body, stop2 = self._list()
                assert stop2 is not None
                end = stop2.next()
                if end is None or end.text != "end":
                    raise self.error(stop2.line, "expected end; found {{else}}")
        del self.vars[depth:]
        return BranchNode(act.line, act.col, kind, pipe, body, else_body)

    def _pipeline(self, act: _Action, context: str) -> PipeNode:
        decl: list[str] = []
        is_assign = False
        toks = act.toks[act.i :]
        # declarations: $x := / $x = / $i, $v :=
        if toks and toks[0].kind == "variable":
            names = [toks[0].text]
            k = 1
            if len(toks) > 3 and toks[1].kind == "comma" and toks[2].kind == "variable":
                names.append(toks[2].text)
                k = 3
            if len(toks) > k and toks[k].kind in ("declare", "assign"):
                is_assign = toks[k].kind == "assign"
                if is_assign:
                    for n in names:
                        if n not in self.vars:
                            raise self.error(act.line, f'undefined variable "{n}"')
                decl = names
                act.i += k + 1
        cmds: list[CommandNode] = []
        cmd: list[Node] = []
        while True:
            tok = act.next()
            if tok is None or tok.kind == "pipe":
                if not cmd:
                    raise self.error(act.line, f"missing value for {context}")
                cmds.append(CommandNode(cmd[0].line, cmd[0].col, cmd))
                cmd = []
                if tok is None:
                    break
                continue
            cmd.append(self._operand(tok, act))
        for n in decl:
            if not is_assign:
                self.vars.append(n)
        return PipeNode(act.line, act.col, decl, is_assign, cmds, act.source)

    def _operand(self, tok: _Tok, act: _Action) -> Node:
        line, col, kind, text = tok.line, tok.col, tok.kind, tok.text
        if kind == "field":
            return FieldNode(line, col, text[1:].split("."))
        if kind == "dot":
            return DotNode(line, col)
        if kind == "variable":
            name = text
            nxt = act.peek()
            names: list[str] = []
            if (
                nxt is not None
                and nxt.kind == "field"
                and nxt.line == line
                and nxt.col == col + len(text)
            ):
                act.next()
                names = nxt.text[1:].split(".")
            if name not in self.vars:
                raise self.error(line, f'undefined variable "{name}"')
            return VariableNode(line, col, name, names)
        if kind == "ident":
            if text in ("true", "false"):
                return BoolNode(line, col, text == "true")
            if text == "nil":
                return NilNode(line, col)
            if text in _KEYWORDS:
                raise self.error(line, f"unexpected <{text}> in {_ctx(act)}")
            if text not in self.funcs:
                raise self.error(line, f'function "{text}" not defined')
            return IdentifierNode(line, col, text)
        if kind in ("string", "raw", "char"):
            return _literal(kind, text, line, col, self.error)
        if kind == "number":
            return _number(text, line, col, self.error)
        if kind == "lparen":
            inner = _Action([], line, col, act.source)
            depth = 1
            while True:
                t = act.next()
                if t is None:
                    raise self.error(line, "unclosed left paren")
                if t.kind == "lparen":
                    depth += 1
                elif t.kind == "rparen":
                    depth -= 1
                    if depth == 0:
                        pipe = self._pipeline(inner, "parenthesized pipeline")
                        chain = t.text[1:]
                        if chain:
                            return ChainNode(line, col, pipe, chain[1:].split("."))
                        return pipe
                inner.toks.append(t)
        if kind == "rparen":
            raise self.error(line, "unexpected right paren")
        raise self.error(line, f"unexpected {text!r} in operand")


def _ctx(act: _Action) -> str:
    return "command"


def _go_char(c: str) -> str:
    return f'"{c}"' if c != '"' else "'\"'"


def _literal(
    kind: str, text: str, line: int, col: int, error: Callable[[int, str], TemplateParseError]
) -> Node:
    if kind == "raw":
        return StringNode(line, col, text[1:-1], text)
    try:
        value = _unquote_go(text[1:-1])
    except ValueError:
        raise error(line, f"bad string syntax: {text}") from None
    if kind == "char":
        if len(value) != 1:
            raise error(line, f"malformed character constant: {text}")
        return NumberNode(line, col, ord(value), text)
    return StringNode(line, col, value, text)


def _unquote_go(body: str) -> str:
    out: list[str] = []
    i = 0
    simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a",
              "b": "\b", "f": "\f", "v": "\v"}  # fmt: skip
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
        elif e in "xuU":
            n = {"x": 2, "u": 4, "U": 8}[e]
            out.append(chr(int(body[i + 2 : i + 2 + n], 16)))
            i += 2 + n
        elif e in "01234567":
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        else:
            raise ValueError(e)
    return "".join(out)


def _number(
    text: str, line: int, col: int, error: Callable[[int, str], TemplateParseError]
) -> NumberNode:
    clean = text.replace("_", "")
    try:
        if re.fullmatch(r"[+-]?(0[xX][0-9a-fA-F]+|\d+)", clean):
            return NumberNode(line, col, int(clean, 0), text)
        return NumberNode(line, col, float(clean), text)
    except ValueError:
        raise error(line, f"illegal number syntax: {text!r}") from None


def parse(name: str, text: str, funcs: Container[str]) -> ListNode:
    return Parser(name, text, funcs).parse()
