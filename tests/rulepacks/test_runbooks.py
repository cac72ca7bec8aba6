"""The rule packs' runbooks: every alert's runbook_url resolves to a section.

Each alerting rule's ``runbook_url`` is
``https://github.com/promlab/promlab/blob/main/<path>#<anchor>``: ``<path>``
must be a file of this repository and ``<anchor>`` the GitHub anchor of one
of its headings. Each runbook's ``##`` sections name alerts of its pack (no
stale sections), have the five sub-parts (``###`` Meaning, Impact, Diagnosis,
Mitigation, Reproduce it in the lab) with content, and the scenarios they cite
exist, at least one of them expecting the alert.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RULEPACKS = REPO / "rulepacks"
SCENARIOS = REPO / "lab" / "scenarios" / "library"
PACKS = sorted(p.name for p in RULEPACKS.iterdir() if (p / f"{p.name}.rules.yml").exists())
URL_PREFIX = "https://github.com/promlab/promlab/blob/main/"
PARTS = ("Meaning", "Impact", "Diagnosis", "Mitigation", "Reproduce it in the lab")
#: the scenario `make demo` (promlab demo) replays
DEMO_SCENARIO = re.findall(
    r'^CANONICAL = "([^"]+)"', (REPO / "lab" / "cli_demo.py").read_text(), re.MULTILINE
)[0]

HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


def github_anchor(text: str) -> str:
    """The anchor GitHub gives a heading (github-slugger): the rendered text
    lower-cased, everything but letters, digits, ``_``, ``-`` and spaces
    dropped, spaces turned into ``-``."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = re.sub(r"[`*]|(?<!\w)_+|_+(?!\w)", "", text)  # code and emphasis markers
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _lines(markdown: str) -> list[tuple[str, re.Match[str] | None]]:
    """Every line with its heading match (None inside fenced code blocks)."""
    out: list[tuple[str, re.Match[str] | None]] = []
    fence = ""
    for line in markdown.splitlines():
        m = FENCE.match(line)
        if m:
            if not fence:
                fence = m.group(1)
            elif m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = ""
            out.append((line, None))
        else:
            out.append((line, None if fence else HEADING.match(line)))
    return out


def headings(markdown: str) -> list[tuple[int, str]]:
    """(level, text) of every ATX heading outside fenced code blocks."""
    return [(len(h.group(1)), h.group(2)) for _, h in _lines(markdown) if h]


def anchors(markdown: str) -> set[str]:
    """Every anchor of the document; repeated headings get ``-1``, ``-2`` ... as on GitHub."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for _, text in headings(markdown):
        slug = github_anchor(text)
        anchor = slug if slug not in seen else f"{slug}-{seen[slug]}"
        seen[slug] = seen.get(slug, 0) + 1
        out.add(anchor)
    return out


def sections(markdown: str) -> dict[str, str]:
    """``##`` heading -> its body (up to the next ``#`` or ``##`` heading)."""
    out: dict[str, str] = {}
    current: str | None = None
    body: list[str] = []
    for line, h in _lines(markdown):
        if h is None or len(h.group(1)) > 2:
            body.append(line)
            continue
        if current is not None:
            out[current] = "\n".join(body)
        current, body = (h.group(2) if len(h.group(1)) == 2 else None), []
        assert current not in out, f"section {current!r} appears twice"
    if current is not None:
        out[current] = "\n".join(body)
    return out


def missing_anchors(rules: list[dict[str, Any]], repo: Path) -> list[str]:
    """What is wrong with the runbook_url of each alerting rule (empty: nothing)."""
    problems: list[str] = []
    cache: dict[Path, set[str]] = {}
    for rule in rules:
        name = rule["alert"]
        url = rule.get("annotations", {}).get("runbook_url", "")
        if not url.startswith(URL_PREFIX) or "#" not in url:
            problems.append(f"{name}: runbook_url {url!r} is not {URL_PREFIX}<path>#<anchor>")
            continue
        path, anchor = url[len(URL_PREFIX) :].split("#", 1)
        file = repo / path
        if not file.is_file():
            problems.append(f"{name}: {path} does not exist")
            continue
        if file not in cache:
            cache[file] = anchors(file.read_text(encoding="utf-8"))
        if anchor not in cache[file]:
            problems.append(f"{name}: no heading of {path} has the anchor #{anchor}")
    return problems


def _alerts(pack: str) -> list[dict[str, Any]]:
    doc = yaml.safe_load((RULEPACKS / pack / f"{pack}.rules.yml").read_text(encoding="utf-8"))
    return [r for g in doc["groups"] for r in g["rules"] if "alert" in r]


def _scenarios() -> dict[str, str]:
    """Scenario name -> its module's source (read, not imported: fast)."""
    out: dict[str, str] = {}
    for module in SCENARIOS.glob("*.py"):
        source = module.read_text(encoding="utf-8")
        for name in re.findall(r'^\s+name\s*=\s*"([^"]+)"', source, re.MULTILINE):
            out[name] = source
    return out


def test_github_anchor() -> None:
    assert github_anchor("ServiceErrorBudgetBurn") == "serviceerrorbudgetburn"
    assert github_anchor("`NodeCPUHighUsage`") == "nodecpuhighusage"
    assert github_anchor("Reproduce it in the lab") == "reproduce-it-in-the-lab"
    assert github_anchor("What's new? (v1.2)") == "whats-new-v12"
    assert github_anchor("snake_case name") == "snake_case-name"
    assert anchors("## A\n### Meaning\n## B\n### Meaning\n") == {"a", "b", "meaning", "meaning-1"}
    assert anchors("```\n## NotAHeading\n```\n## Real\n") == {"real"}


def test_a_missing_anchor_is_reported(tmp_path: Path) -> None:
    (tmp_path / "rulepacks" / "x").mkdir(parents=True)
    (tmp_path / "rulepacks" / "x" / "runbook.md").write_text("# X\n\n## AlertOne\n\ntext\n")

    def rule(target: str) -> dict[str, Any]:
        return {"alert": "AlertTwo", "annotations": {"runbook_url": URL_PREFIX + target}}

    assert missing_anchors([rule("rulepacks/x/runbook.md#alerttwo")], tmp_path) == [
        "AlertTwo: no heading of rulepacks/x/runbook.md has the anchor #alerttwo"
    ]
    assert missing_anchors([rule("rulepacks/x/runbook.md#alertone")], tmp_path) == []
    assert missing_anchors([rule("rulepacks/y/runbook.md#alertone")], tmp_path) == [
        "AlertTwo: rulepacks/y/runbook.md does not exist"
    ]
    assert missing_anchors([rule("rulepacks/x/runbook.md")], tmp_path) == [
        f"AlertTwo: runbook_url '{URL_PREFIX}rulepacks/x/runbook.md' is not "
        f"{URL_PREFIX}<path>#<anchor>"
    ]


@pytest.mark.parametrize("pack", PACKS)
def test_every_runbook_url_resolves(pack: str) -> None:
    assert missing_anchors(_alerts(pack), REPO) == []


@pytest.mark.parametrize("pack", PACKS)
def test_runbook_sections(pack: str) -> None:
    runbook = RULEPACKS / pack / "runbook.md"
    assert runbook.is_file(), f"{runbook.relative_to(REPO)} is missing"
    alerts = {r["alert"] for r in _alerts(pack)}
    found = sections(runbook.read_text(encoding="utf-8"))
    stale = sorted(set(found) - alerts)
    assert not stale, f"sections naming no alert of the {pack} pack: {stale}"
    assert set(found) == alerts, f"alerts without a section: {sorted(alerts - set(found))}"
    scenarios = _scenarios()
    for alert, body in found.items():
        parts = [text for level, text in headings(body) if level == 3]
        assert parts == list(PARTS), f"{alert}: sub-parts {parts}, want {list(PARTS)}"
        chunks = re.split(r"^### .*$", body, flags=re.MULTILINE)[1:]
        for part, chunk in zip(PARTS, chunks, strict=True):
            assert chunk.strip(), f"{alert}: {part} is empty"
        reproduce = chunks[-1]
        cited = set(re.findall(r"promlab scenario (?:run|live) ([a-z0-9-]+)", reproduce))
        if "make demo" in reproduce:
            cited.add(DEMO_SCENARIO)
        assert cited, f"{alert}: Reproduce cites no `promlab scenario run NAME` nor `make demo`"
        unknown = sorted(cited - set(scenarios))
        assert not unknown, f"{alert}: no scenario {unknown}"
        expecting = [s for s in cited if re.search(rf'fires\(\s*"{alert}"', scenarios[s])]
        assert expecting, f"{alert}: none of {sorted(cited)} expects it to fire"
