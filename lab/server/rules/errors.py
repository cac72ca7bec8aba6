"""Errors of the rules package. Messages follow promtool's / Prometheus's texts.

* RulesError (LabError) — root
  * RuleFileError — a rule file cannot be read or is invalid; ``problems`` holds
    one promtool-formatted line per problem (``file: 12:9: group "g", rule 1, ...``)
  * TemplateError — a Go text/template cannot be parsed (load time) or executed
    * TemplateParseError — syntax, unknown function, undefined variable
    * TemplateExecError — a runtime failure (``error calling humanize: ...``)
  * RuleEvalError — a rule's evaluation failed (query error, duplicate labelset,
    ``limit`` exceeded)
  * UnitTestFileError — a promtool unit-test file is unreadable or malformed
  * NotifierError — an Alertmanager configuration or delivery problem
"""

from __future__ import annotations

from lab.model.errors import LabError


class RulesError(LabError):
    """Root of the rules package's errors."""


class RuleFileError(RulesError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class TemplateError(RulesError):
    """A template problem; ``str()`` is Go's ``template: NAME:LINE: message``."""


class TemplateParseError(TemplateError):
    pass


class TemplateExecError(TemplateError):
    pass


class RuleEvalError(RulesError):
    pass


class UnitTestFileError(RulesError):
    pass


class NotifierError(RulesError):
    pass
