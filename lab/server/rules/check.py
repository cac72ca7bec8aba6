"""promtool's ``check rules``: parse and validate files, lint duplicate rules.

Output and exit codes follow promtool: ``Checking FILE`` then ``  SUCCESS: N
rules found`` (stdout) or ``  FAILED:`` and the problems (stderr); exit 1 on
errors, 3 when only lint findings and ``--lint-fatal``, else 0.
"""

from __future__ import annotations

import sys

from lab.server.rules.errors import RuleFileError
from lab.server.rules.rule import merged_labels
from lab.server.rules.rulefile import RuleFile, load_rule_file

SUCCESS, FAILURE, LINT_ERROR = 0, 1, 3


def duplicate_rules(rf: RuleFile) -> list[tuple[str, list[tuple[str, str]]]]:
    """(name, labels) pairs defined more than once in a file (promtool's lint:
    same name and label set, expression not compared)."""
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    for g in rf.groups:
        for r in g.rules:
            labels = tuple(sorted(merged_labels(g.labels, r.labels).items()))
            key = (r.name, labels)
            seen[key] = seen.get(key, 0) + 1
    return [(name, list(labels)) for (name, labels), n in sorted(seen.items()) if n > 1]


def check_files(
    files: list[str], *, lint: bool = True, lint_fatal: bool = False,
    ignore_unknown_fields: bool = False,
) -> int:  # fmt: skip
    failed = has_errors = False
    for f in files:
        print("Checking", f)
        try:
            rf = load_rule_file(f, ignore_unknown_fields=ignore_unknown_fields)
        except RuleFileError as exc:
            failed = has_errors = True
            print("  FAILED:", file=sys.stderr)
            for p in exc.problems:
                print(p, file=sys.stderr)
            print()
            continue
        dups = duplicate_rules(rf) if lint else []
        if dups:
            failed = True
            msg = f"lint error {len(dups)} duplicate rule(s) found.\n"
            for name, labels in dups:
                msg += f"Metric: {name}\nLabel(s):\n"
                msg += "".join(f"\t{k}: {v}\n" for k, v in labels)
            msg += "Might cause inconsistency while recording expressions"
            print("  FAILED:", file=sys.stderr)
            print(msg, file=sys.stderr)
        else:
            print(f"  SUCCESS: {rf.rule_count()} rules found")
        print()
    if failed and has_errors:
        return FAILURE
    if failed and lint_fatal:
        return LINT_ERROR
    return SUCCESS
