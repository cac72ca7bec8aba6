"""Errors shared by the lab's model.

* LabError — root of every error the lab raises on purpose
  * RegexError — a label-matcher or label_replace regex is not valid RE2
"""


class LabError(Exception):
    """Root of the lab's deliberate errors; the message is for the user."""


class RegexError(LabError, ValueError):
    """A regular expression is not valid (or uses RE2 syntax we cannot translate)."""
