"""The lab server of a live scenario: ``promlab server`` plus a rule manager.

``python -m lab.live.lab_server --config.file F --storage.tsdb.path D
--web.listen-address 127.0.0.1:PORT --rules 'dir/*.yml' --evaluation-interval 1s
--query.lookback-delta 5s`` runs the lab server (``lab.server.app.PromlabServer``:
scraping, TSDB, HTTP API, UI) and, in the same event loop over the same
storage, a ``RuleManager`` evaluating ``--rules``, and with
``--scaling.config-file`` the autoscaling endpoints (``lab.live.scaling_api``): recording results,
``ALERTS`` and ``ALERTS_FOR_STATE`` land in the TSDB, so ``ALERTS`` can be
queried through ``/api/v1/query`` and seen in the UI.

Why a wrapper and not ``rule_files`` in prometheus.yml: the server does not
evaluate rules yet (its composition root is someone else's). The rule files
are therefore *not* named in the generated prometheus.yml, so nothing is
evaluated twice once it does.

Prints ``ready <url>`` on stdout once serving; SIGTERM/SIGINT stop it
cleanly; it dies with its parent (``PR_SET_PDEATHSIG``) so a killed scenario
leaves no server behind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any

from lab.clock import RealClock
from lab.live.burn import die_with_parent
from lab.server.promql.parser.literals import parse_duration_ms

if TYPE_CHECKING:
    from lab.server.app import PromlabServer


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m lab.live.lab_server")
    p.add_argument("--config.file", dest="config", required=True)
    p.add_argument("--storage.tsdb.path", dest="storage", required=True)
    p.add_argument("--web.listen-address", dest="listen", default="127.0.0.1:0")
    p.add_argument("--rules", action="append", default=[], help="rule file glob (repeatable)")
    p.add_argument("--evaluation-interval", dest="interval", default="1m")
    p.add_argument("--query.lookback-delta", dest="lookback", default="5m")
    p.add_argument("--scaling.config-file", dest="scaling", default=None,
                   help="YAML {metrics: {name: query}}: serve them for KEDA and HPAs")
    return p.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    from lab.server.app import ServerOptions
    from lab.server.promql.engine import Engine
    from lab.server.rules.manager import RuleManager
    from lab.server.rules.rule import engine_query_func

    lookback_ms = parse_duration_ms(args.lookback)
    options = ServerOptions(
        config_file=args.config,
        storage_path=args.storage,
        listen_addresses=(args.listen,),
        query_lookback_delta_ms=lookback_ms,
    )
    server = _server_class(args.scaling)(options)
    clock = RealClock()
    engine = Engine(lookback_delta_ms=lookback_ms)
    rules = RuleManager(
        query=engine_query_func(engine, server.storage),
        appendable=server.storage,
        queryable=server.storage,
        clock=clock,
        default_interval_ms=parse_duration_ms(args.interval),
    )
    rules.load(args.rules)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    urls = await server.start()
    rules_task = asyncio.create_task(rules.run())
    print(f"ready {urls[0]}", flush=True)
    try:
        await stop.wait()
    finally:
        await rules.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await rules_task
        await server.stop()


def _server_class(scaling: str | None) -> type[PromlabServer]:
    """``PromlabServer``, plus the autoscaling routes when ``scaling`` names a file."""
    from lab.server.app import PromlabServer

    if scaling is None:
        return PromlabServer
    from lab.live.scaling_api import ScalingApi, add_scaling_routes, load_metrics

    metrics = load_metrics(scaling)

    class WithScaling(PromlabServer):
        def _add_own_routes(self, app: Any) -> None:
            super()._add_own_routes(app)
            add_scaling_routes(app, ScalingApi(metrics, self.storage))

    return WithScaling


def main(argv: list[str]) -> int:
    die_with_parent()
    logging.basicConfig(level=logging.WARNING,
                        format="ts=%(asctime)s level=%(levelname)s msg=%(message)r")
    asyncio.run(serve(_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
