"""Read the eval expressions of the promqltest corpus (../shared/conformance/promqltest).

Follows the block rules of specs/promqltest-format.md: lines are trimmed, a
whole-line ``#`` comment counts as blank, and an eval header is
``eval[_fail|_warn|_info|_ordered] instant at <t> <expr>`` or
``... range from <t> to <t> step <d> <expr>``. An eval expects failure if it
uses ``eval_fail`` or has an ``expect fail`` line in its body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[5].parent / "shared" / "conformance" / "promqltest"

_HEADER = re.compile(
    r"^(?P<cmd>eval(?:_fail|_warn|_info|_ordered)?)\s+"
    r"(?:instant\s+(?:at\s+)?\S+|range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+)\s+(?P<expr>.+)$"
)


@dataclass(frozen=True)
class Eval:
    file: str
    line: int
    expr: str
    expect_fail: bool
    fail_message: str | None  # exact text after "expect fail msg:"
    fail_regex: str | None

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"


def evals() -> list[Eval]:
    out: list[Eval] = []
    for path in sorted(CORPUS.glob("*.test")):
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            m = _HEADER.match(lines[i].strip())
            if m is None:
                i += 1
                continue
            header_line = i + 1
            fail = m.group("cmd") == "eval_fail"
            msg = regex = None
            i += 1
            while i < len(lines):
                body = lines[i].strip()
                if not body or body.startswith("#"):
                    break
                fm = re.match(r"^expect\s+fail(?:\s+(msg|regex):\s*(.*))?$", body)
                if fm:
                    fail = True
                    if fm.group(1) == "msg":
                        msg = fm.group(2).strip()
                    elif fm.group(1) == "regex":
                        regex = fm.group(2).strip()
                em = re.match(r"^expected_fail_(message|regexp)\s+(.*)$", body)
                if em:
                    if em.group(1) == "message":
                        msg = em.group(2).strip()
                    else:
                        regex = em.group(2).strip()
                i += 1
            out.append(Eval(path.name, header_line, m.group("expr").strip(), fail, msg, regex))
    return out
