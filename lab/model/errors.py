"""Errors shared by the lab's model.

* LabError — root of every error the lab raises on purpose
  * RegexError — a label-matcher or label_replace regex is not valid RE2
  * DurationError — a duration string is not valid (``reason`` says how)
"""


class LabError(Exception):
    """Root of the lab's deliberate errors; the message is for the user."""


class RegexError(LabError, ValueError):
    """A regular expression is not valid (or uses RE2 syntax we cannot translate)."""


class DurationError(LabError, ValueError):
    """A duration string is not valid; the message is upstream's.

    ``reason`` is ``"empty"``, ``"invalid"``, ``"unit"`` (an unknown unit),
    ``"missing_unit"`` or ``"range"`` (overflow), so that callers that word
    their errors differently can tell them apart."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
