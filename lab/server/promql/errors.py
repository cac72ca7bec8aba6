"""PromQL errors. Messages follow upstream's texts, which tests and users match.

* PromQLError (LabError) — root
  * ParseError — the query text is not valid PromQL; carries positions
  * EvalError — the query is valid but cannot be evaluated on this data
    (``many-to-many matching not allowed``, ``vector cannot contain metrics
    with the same labelset``, invalid function arguments at run time)
  * QueryLimitError — a resource limit was hit
    * TooManySamplesError — more samples than ``--query.max-samples``
    * QueryTimeoutError — evaluation exceeded ``--query.timeout``
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.model.errors import LabError


class PromQLError(LabError):
    """Root of PromQL errors."""


@dataclass(frozen=True, slots=True)
class ParseErrorDetail:
    """One problem in the query: where (character offsets) and what."""

    start: int
    end: int
    message: str
    query: str = ""

    def line_col(self) -> tuple[int, int]:
        """1-based line and column of ``start``, as upstream prints them."""
        before = self.query[: self.start]
        line = before.count("\n") + 1
        col = self.start - (before.rfind("\n") + 1) + 1
        return line, col

    def __str__(self) -> str:
        line, col = self.line_col()
        return f"{line}:{col}: parse error: {self.message}"


class ParseError(PromQLError):
    """Invalid query text. ``str()`` is upstream's ``1:12: parse error: ...``."""

    def __init__(self, details: list[ParseErrorDetail]) -> None:
        self.details = details
        super().__init__("; ".join(str(d) for d in details))

    @property
    def position(self) -> int:
        return self.details[0].start if self.details else 0


class EvalError(PromQLError):
    """A runtime evaluation error with upstream's message."""


class QueryLimitError(PromQLError):
    """A configured resource limit was exceeded."""


class TooManySamplesError(QueryLimitError):
    def __init__(self) -> None:
        super().__init__(
            "query processing would load too many samples into memory in query execution"
        )


class QueryTimeoutError(QueryLimitError):
    def __init__(self, where: str = "query execution") -> None:
        super().__init__(f"query timed out in {where}")
