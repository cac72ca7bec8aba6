"""``promlab demo``: the canonical incident, replayed into a lab you can open.

1. The ``incident-timeline`` scenario is shifted so that its replay ends now
   (``lab.scenarios.timeshift``): the UI's default "last hours" show it.
2. It is replayed into an in-memory store in simulated time, and the rule
   packs are evaluated over it by the rules engine's vectorised runner, which
   writes ``ALERTS``/``ALERTS_FOR_STATE`` (and the recording rules) into the
   same store: the alert history is data the UI and PromQL can read.
3. A summary (faults, which alerts fired when) is printed and the replay
   report (``lab.report``) written.
4. The lab server is started over that store with the dashboards and the
   rule packs in its configuration. Its rule manager takes over where the
   replay ended: the alerts still active then are on the Alerts page, their
   ``for`` state restored from the replay's ``ALERTS_FOR_STATE`` as after a
   Prometheus restart, and they resolve once the data goes stale (nothing
   is scraped; nothing leaves the machine).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lab.scenarios.validate import ScenarioRun
    from lab.server.app import PromlabServer

CANONICAL = "incident-timeline"
DEFAULT_LISTEN = "127.0.0.1:9090"
#: the checkout this module runs from (an editable install: the repository)
CHECKOUT = Path(__file__).resolve().parents[1]


def content_dir(name: str) -> Path | None:
    """``rulepacks``/``dashboards`` in the working directory, else the checkout's,
    so ``promlab demo`` needs no flags wherever it is started."""
    for base in (Path.cwd(), CHECKOUT):
        if (base / name).is_dir():
            return (base / name).resolve()
    return None


@dataclass(frozen=True)
class DemoReplay:
    run: ScenarioRun
    #: wall seconds for the replay and the rule evaluation
    seconds: float
    alert_rules: int
    #: the scenario's own start, before the shift (its description's clock)
    story_start_ms: int


def replay(rules_dir: Path, *, end_ms: int, scenario: str = CANONICAL) -> DemoReplay:
    """Replay ``scenario`` so that it ends at ``end_ms`` and evaluate the packs."""
    from lab.scenarios.evaluate import alert_rules, load_groups, rule_files
    from lab.scenarios.library import get
    from lab.scenarios.timeshift import ending_at
    from lab.scenarios.validate import run_scenario

    t0 = time.perf_counter()
    groups = load_groups(rule_files(rules_dir))
    original = get(scenario)
    run = run_scenario(ending_at(original, end_ms), groups)
    return DemoReplay(run, time.perf_counter() - t0, len(alert_rules(groups)),
                      original.start_ms())


def server_config(rules_dir: Path, scrape_interval_s: float) -> str:
    """The lab server's prometheus.yml: no targets (the replay is the data),
    the packs as ``rule_files``, the scenario's scrape interval (the
    dashboards' ``$__rate_interval`` is computed from it)."""
    return (
        "# written by `promlab demo`: the data is the incident replay; nothing is scraped\n"
        "global:\n"
        f"  scrape_interval: {round(scrape_interval_s)}s\n"
        "  evaluation_interval: 1m\n"
        "rule_files:\n"
        f"  - {str(rules_dir.resolve() / '*' / '*.rules.yml')!r}\n"
        "scrape_configs: []\n"
    )


async def serve(
    demo: DemoReplay,
    *,
    listen: str,
    rules_dir: Path,
    dashboards_dir: Path | None,
    workdir: Path,
    stop: asyncio.Event,
    on_ready: Callable[[list[str]], None],
) -> None:
    """Serve the lab UI and API over the replay's store until ``stop`` is set.

    ``workdir`` holds the server's configuration file (and is its nominal
    ``--storage.tsdb.path``: the store is the replay's, nothing is written)."""
    from lab.scenarios.shapes import seconds
    from lab.server.app import PromlabServer, ServerOptions

    config = workdir / "prometheus.yml"
    config.write_text(server_config(rules_dir, seconds(demo.run.scenario.scrape_interval)))
    options = ServerOptions(
        config_file=str(config),
        storage_path=str(workdir),
        listen_addresses=(listen,),
        dashboards_dir=None if dashboards_dir is None else str(dashboards_dir),
        flags={
            "config.file": str(config),
            "web.listen-address": listen,
            "web.dashboards-dir": "" if dashboards_dir is None else str(dashboards_dir),
        },
    )
    server = PromlabServer(options, storage=demo.run.storage)
    try:
        urls = await server.start()
        _evaluate_now(server)
        on_ready(urls)
        await stop.wait()
    finally:
        await server.stop()


def _evaluate_now(server: PromlabServer) -> None:
    """Evaluate every rule group right away, twice, rather than waiting up to
    an evaluation interval for the groups' first ticks: the first evaluation
    restores the ``for`` state from the replay's ``ALERTS_FOR_STATE`` (as a
    restarted Prometheus does), the second applies it, as upstream's next
    tick would, so the Alerts page agrees with the summary at once: what was
    firing at the end of the replay is firing, what was pending is pending."""
    manager = server.rules.manager
    for _ in range(2):
        now = server.clock.now_ms()
        for group in manager.groups:
            manager.evaluate(group, now)
