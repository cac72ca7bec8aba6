"""Render each rule pack (``rulepacks/<pack>/<pack>.rules.yml``) into a
Prometheus Operator ``PrometheusRule`` under ``deploy/rules/``.

The rule file stays the source of truth (promtool tests run against it);
the object is generated from it through a jinja2 template, committed, and a
test checks the committed files are up to date. Regenerate with::

    .venv/bin/python -m lab.rulepacks.prometheusrule [REPO_ROOT]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import jinja2
import yaml

TEMPLATE = """\
# Generated from rulepacks/{{ pack }}/{{ pack }}.rules.yml by lab/rulepacks/prometheusrule.py;
# do not edit by hand (python -m lab.rulepacks.prometheusrule regenerates it).
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: promlab-{{ pack }}
  namespace: {{ namespace }}
  labels:
    app.kubernetes.io/name: promlab-rules
    app.kubernetes.io/part-of: promlab
    app.kubernetes.io/component: {{ pack }}
    role: alert-rules
spec:
{{ spec | indent(2, first=True) }}"""


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (PromQL) as literal blocks, the way people write them."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def render(pack: str, rules_yaml: str, namespace: str = "monitoring") -> str:
    doc: Any = yaml.safe_load(rules_yaml)
    spec = yaml.dump({"groups": doc["groups"]}, Dumper=_Dumper, sort_keys=False, width=200)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    return env.from_string(TEMPLATE).render(pack=pack, namespace=namespace, spec=spec)


def packs(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "rulepacks").iterdir()
                  if (p / f"{p.name}.rules.yml").is_file())


def expected_files(root: Path) -> dict[Path, str]:
    """deploy/rules/<pack>.yaml -> its content."""
    return {
        root / "deploy" / "rules" / f"{pack}.yaml": render(
            pack, (root / "rulepacks" / pack / f"{pack}.rules.yml").read_text()
        )
        for pack in packs(root)
    }


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path.cwd()
    for path, text in expected_files(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(root)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
