"""Run a library scenario live: real processes on loopback, real time (scaled).

``run_live(scenario, scale, rulepacks)``:

1. plans the run (``live_plan.plan``: which tool does what, when);
2. writes, in a temporary directory, the rule packs with every window divided
   by ``scale`` (``timescale``) and a ``prometheus.yml`` scraping the local
   node exporter, pushgateway, demo app and locust at the scenario's scrape
   interval divided by ``scale``, evaluating the scaled rule files
   (``rule_files``) every minute divided by ``scale``; jobs and labels are the
   scenario's (the demo app is scraped as ``job=<web service>``,
   ``namespace=<its namespace>``; the node exporter as ``job=node``,
   ``instance=<node>:9100``), so the alerts carry the labels the expectations
   name;
3. starts, each on a free 127.0.0.1 port: ``promlab node-exporter``,
   ``promlab pushgateway``, ``promlab demo-app``, ``promlab server`` on that
   configuration (with the autoscaling endpoints, ``--scaling.config-file``),
   then ``promlab load``; each is ready once it answers over HTTP;
4. for ``duration / scale`` seconds applies the faults as they unfold
   (``/admin/degrade`` with a short ``duration_s`` renewed every second, so a
   vanished orchestrator leaves no lasting fault; ``promlab stress cpu`` at a
   CPU fault's onset), and polls ``ALERTS{alertstate="firing"}`` through the
   server's ``/api/v1/query`` (the server's rules write it), reporting every
   change;
5. stops everything — also on an error, Ctrl-C or SIGTERM: each child gets
   SIGTERM, then SIGKILL, and is reaped; children also die with this process
   (``PR_SET_PDEATHSIG``);
6. judges the scenario's expectations on the alert episodes mapped back to
   scenario time (``expectations.check_expectation``). The quiet baseline is
   judged on the scenario's own alerts only: a real host may have troubles of
   its own (a full disk) that are not the scenario's. Expectations on alerts
   fed by the kernel's own averages (``REALTIME_ALERTS``: the load average)
   are reported as not judged.

All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from lab.live.burn import die_with_parent
from lab.live.errors import LiveError
from lab.live.live_plan import LivePlan, plan
from lab.live.safety import is_loopback
from lab.live.timescale import format_duration_ms, scale_ms, scale_rule_file
from lab.model.labels import Labels
from lab.scenarios.evaluate import Episode, rule_files
from lab.scenarios.expectations import Verdict, check_baseline, check_expectation
from lab.scenarios.scenario import Scenario
from lab.scenarios.shapes import seconds

PROMLAB: Final = [sys.executable, "-m", "lab"]
TICK_S: Final = 0.25
POLL_S: Final = 0.5
#: a degradation lasts this long unless renewed (the orchestrator renews every second)
DEGRADE_TTL_S: Final = 3.0
STARTUP_TIMEOUT_S: Final = 60.0
STOP_TIMEOUT_S: Final = 5.0
MIN_SCRAPE_MS: Final = 250
LOAD_GRACE_S: Final = 5.0

Echo = Callable[[str], None]

#: Alerts whose input runs on the kernel's clock, which the time scale cannot
#: shrink: their expectations are reported, not judged, in a live run.
REALTIME_ALERTS: Final = {
    "NodeSystemSaturation": "it reads the kernel's load average, a 1-minute moving "
                            "average that the time scale cannot shrink",
}


class LiveRunError(LiveError):
    """A live component failed (did not start, died); the message has its log tail."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


@dataclass
class LiveRun:
    scenario: type[Scenario]
    scale: float
    episodes: list[Episode]
    verdicts: list[Verdict]
    wall_s: float

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)


@dataclass
class Lab:
    """The processes of one live run; ``stop()`` ends every one of them."""

    workdir: Path
    children: list[Child] = field(default_factory=list)

    def spawn(self, name: str, argv: list[str]) -> Child:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,  # the orchestrator runs no threads
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def check_alive(self, *, except_: tuple[str, ...] = ()) -> None:
        for c in self.children:
            if c.name not in except_ and c.process.poll() is not None:
                raise LiveRunError(f"{c.name} exited with {c.process.returncode}:\n{c.tail()}")

    def stop(self) -> None:
        for c in reversed(self.children):
            if c.process.poll() is None:
                c.process.terminate()
        for c in reversed(self.children):
            try:
                c.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                c.process.kill()
                c.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


#: No proxies, whatever the environment says: lab requests stay on loopback.
_OPENER: Final = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _request(url: str, data: bytes | None = None, timeout: float = 2.0) -> bytes:
    host = urllib.parse.urlsplit(url).hostname or ""
    if not is_loopback(host):  # the lab's hard rule, checked where requests are made
        raise LiveError(f"refusing a non-loopback request to {url}")
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json"} if data else {})
    with _OPENER.open(req, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def wait_ready(lab: Lab, child: Child, url: str, deadline: float) -> None:
    while True:
        if child.process.poll() is not None:
            raise LiveRunError(f"{child.name} exited with {child.process.returncode} "
                               f"before answering:\n{child.tail()}")
        with contextlib.suppress(OSError):
            _request(url, timeout=1.0)
            return
        if time.monotonic() > deadline:
            raise LiveRunError(f"{child.name} did not answer {url} within "
                               f"{STARTUP_TIMEOUT_S:g}s:\n{child.tail()}")
        time.sleep(0.2)


def _ms(ms: int) -> str:
    return format_duration_ms(max(1, ms))


@dataclass(frozen=True)
class Ports:
    server: int
    node: int
    pushgateway: int
    demo: int
    locust: int

    @classmethod
    def pick(cls) -> Ports:
        return cls(free_port(), free_port(), free_port(), free_port(), free_port())


def scrape_config(p: LivePlan, ports: Ports) -> dict[str, Any]:
    interval_ms = max(MIN_SCRAPE_MS, scale_ms(round(seconds(p.scenario.scrape_interval) * 1000),
                                              p.scale))
    node_labels = {"instance": f"{p.node.name}:9100"} if p.node is not None else {}
    jobs: list[dict[str, Any]] = [
        {"job_name": "node",
         "static_configs": [{"targets": [f"127.0.0.1:{ports.node}"], "labels": node_labels}]},
        {"job_name": "pushgateway", "honor_labels": True,
         "static_configs": [{"targets": [f"127.0.0.1:{ports.pushgateway}"]}]},
    ]
    if p.web is not None:
        jobs.append({"job_name": p.web.name, "static_configs": [
            {"targets": [f"127.0.0.1:{ports.demo}"], "labels": {"namespace": p.web.namespace}}]})
        jobs.append({"job_name": "locust",
                     "static_configs": [{"targets": [f"127.0.0.1:{ports.locust}"]}]})
    return {
        "global": {"scrape_interval": _ms(interval_ms), "scrape_timeout": _ms(interval_ms),
                   "evaluation_interval": _ms(scale_ms(60_000, p.scale)),
                   "external_labels": {"lab": "live", "scenario": p.scenario.name}},
        "scrape_configs": jobs,
    }


def scaling_metrics(p: LivePlan, interval_ms: int) -> dict[str, str]:
    """What the live lab serves to KEDA / an HPA (``lab.live.scaling_api``)."""
    window = _ms(max(scale_ms(120_000, p.scale), 4 * interval_ms))
    out = {"node_cpu_utilisation":
           f'1 - avg(rate(node_cpu_seconds_total{{job="node", mode="idle"}}[{window}]))'}
    if p.web is not None:
        job = p.web.name
        out[f"{job}_rps"] = f'sum(rate(http_requests_total{{job="{job}"}}[{window}]))'
        out[f"{job}_p99_seconds"] = (
            "histogram_quantile(0.99, sum by (le) "
            f'(rate(http_request_duration_seconds_bucket{{job="{job}"}}[{window}])))'
        )
    return out


def lookback_ms(p: LivePlan, interval_ms: int) -> int:
    return max(scale_ms(300_000, p.scale), 4 * interval_ms)


def _fmt(s: float) -> str:
    s = round(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"


class _Faults:
    """Applies the plan's web knobs and CPU bursts as real time passes."""

    def __init__(self, lab: Lab, p: LivePlan, demo_url: str, echo: Echo) -> None:
        self.lab, self.p, self.demo_url, self.echo = lab, p, demo_url, echo
        self.applied: tuple[float, float] = (0.0, 0.0)
        self.renewed = -math.inf
        self.bursts_started: set[int] = set()
        self.announced: set[tuple[str, str]] = set()

    def tick(self, elapsed: float) -> None:
        self._announce(elapsed)
        if self.p.web is not None:
            i = self.p.at(elapsed)
            want = (round(float(self.p.latency_ms[i])), round(float(self.p.error_rate[i]), 4))
            if want != self.applied or (want != (0, 0) and elapsed - self.renewed >= 1.0):
                try:
                    if want == (0, 0):
                        _request(f"{self.demo_url}/admin/reset", b"{}")
                    else:
                        body = {"latency_ms": want[0], "error_rate": want[1],
                                "duration_s": DEGRADE_TTL_S}
                        _request(f"{self.demo_url}/admin/degrade", json.dumps(body).encode())
                except OSError:
                    return  # a busy moment: the next tick tries again (a dead app is caught)
                self.applied, self.renewed = (float(want[0]), float(want[1])), elapsed
        for k, burst in enumerate(self.p.cpu):
            if k not in self.bursts_started and elapsed >= burst.start_s:
                self.bursts_started.add(k)
                self.lab.spawn(f"stress-cpu-{k}", [*PROMLAB, "stress", "cpu", "--cores",
                                                   str(burst.cores), "--duration",
                                                   f"{max(1, round(burst.duration_s))}s"])
                self.echo(f"  starting promlab stress cpu --cores {burst.cores} for "
                          f"{burst.duration_s:.0f}s")

    def _announce(self, elapsed: float) -> None:
        t = self.p.scenario_s(elapsed)
        for f in self.p.scenario.faults:
            if t >= f.onset_s and (f.name, "on") not in self.announced:
                self.announced.add((f.name, "on"))
                self.echo(f"[{elapsed:6.1f}s | scenario +{_fmt(t)}] fault {f.name!r} begins "
                          f"({f.target} {f.knob})")
            end = f.end_s
            if end is not None and t >= end and (f.name, "off") not in self.announced:
                self.announced.add((f.name, "off"))
                self.echo(f"[{elapsed:6.1f}s | scenario +{_fmt(t)}] fault {f.name!r} is over")


class _Alerts:
    """Polls ``ALERTS{alertstate="firing"}``; keeps episodes in real seconds."""

    QUERY: Final = 'ALERTS{alertstate="firing"}'

    def __init__(self, server_url: str, echo: Echo, p: LivePlan) -> None:
        self.url = f"{server_url}/api/v1/query?" + urllib.parse.urlencode({"query": self.QUERY})
        self.echo, self.p = echo, p
        self.open: dict[Labels, float] = {}
        self.closed: list[tuple[Labels, float, float | None]] = []

    def poll(self, elapsed: float) -> None:
        try:
            doc = json.loads(_request(self.url))
        except (OSError, ValueError):
            return  # a slow answer: the next poll catches up
        now = set()
        for item in doc.get("data", {}).get("result", []):
            metric = {k: v for k, v in item["metric"].items()
                      if k not in ("__name__", "alertstate")}
            now.add(Labels.of(metric))
        stamp = f"[{elapsed:6.1f}s | scenario +{_fmt(self.p.scenario_s(elapsed))}]"
        for labels in sorted(now - set(self.open), key=str):
            self.open[labels] = elapsed
            self.echo(f"{stamp} FIRING   {_alert_text(labels)}")
        for labels in sorted(set(self.open) - now, key=str):
            self.closed.append((labels, self.open.pop(labels), elapsed))
            self.echo(f"{stamp} resolved {_alert_text(labels)}")

    def episodes(self) -> list[Episode]:
        start = self.p.scenario.start_ms()
        rows = self.closed + [(labels, t, None) for labels, t in self.open.items()]

        def ms(real_s: float) -> int:
            return start + round(self.p.scenario_s(real_s) * 1000)

        return [Episode(labels.get("alertname") or "", labels, ms(fired),
                        None if resolved is None else ms(resolved), ms(fired))
                for labels, fired, resolved in rows]


def _alert_text(labels: Labels) -> str:
    rest = ",".join(f"{k}={v}" for k, v in sorted(dict(labels).items()) if k != "alertname")
    return f"{labels.get('alertname')}{{{rest}}}"


def judge(scenario: type[Scenario], episodes: list[Episode]) -> list[Verdict]:
    """The expectations as in simulated time; the baseline on the scenario's own alerts."""
    own = {e.alert for e in scenario.expect}
    verdicts = [check_baseline(scenario, [ep for ep in episodes if ep.alert in own])]
    for e in scenario.expect:
        reason = REALTIME_ALERTS.get(e.alert)
        if reason is None:
            verdicts.append(check_expectation(scenario, e, episodes))
        else:
            verdicts.append(Verdict(True, f"{e.alert} after {e.after!r}",
                                    f"not judged live: {reason}"))
    return verdicts


@contextlib.contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    path = Path(tempfile.mkdtemp(prefix="promlab-live-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def prepare(p: LivePlan, ports: Ports, rulepacks: Path, workdir: Path) -> Path:
    """prometheus.yml naming the scaled rule files, those files and scaling.yml;
    returns the config path."""
    rules_dir = workdir / "rules"
    rules_dir.mkdir(exist_ok=True)
    for src in rule_files(rulepacks):
        scale_rule_file(src, rules_dir / src.name, p.scale)
    config = workdir / "prometheus.yml"
    cfg = scrape_config(p, ports)
    # The server evaluates them every global.evaluation_interval (already scaled).
    cfg["rule_files"] = [str(rules_dir / "*.yml")]
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    interval_ms = round(seconds(cfg["global"]["scrape_interval"]) * 1000)
    (workdir / "scaling.yml").write_text(
        yaml.safe_dump({"metrics": scaling_metrics(p, interval_ms)}, sort_keys=False))
    return config


def run_live(scenario: type[Scenario], scale: float, rulepacks: Path, *,
             echo: Echo = print, workdir: Path | None = None,
             host_cores: int | None = None) -> LiveRun:
    """Blocking; see the module docstring. Every child is stopped before it returns
    or raises (``LiveRunError``, ``KeyboardInterrupt`` ...)."""
    p = plan(scenario, scale, host_cores)
    ports = Ports.pick()
    began = time.monotonic()
    with _workdir(workdir) as wd:
        config = prepare(p, ports, rulepacks, wd)
        cfg = scrape_config(p, ports)
        interval_ms = max(MIN_SCRAPE_MS, scale_ms(
            round(seconds(scenario.scrape_interval) * 1000), scale))
        lab = Lab(wd)
        try:
            episodes = _run(lab, p, ports, config, cfg, interval_ms, echo)
        finally:
            lab.stop()
    verdicts = judge(scenario, episodes)
    return LiveRun(scenario, scale, episodes, verdicts, time.monotonic() - began)


def _run(lab: Lab, p: LivePlan, ports: Ports, config: Path, cfg: dict[str, Any],
         interval_ms: int, echo: Echo) -> list[Episode]:
    loopback = "127.0.0.1"
    server_url = f"http://{loopback}:{ports.server}"
    demo_url = f"http://{loopback}:{ports.demo}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    started: list[tuple[Child, str]] = [
        (lab.spawn("node-exporter", [
            *PROMLAB, "node-exporter", "--web.listen-address", f"{loopback}:{ports.node}",
            "--collector.disable-defaults", "--collector.cpu", "--collector.loadavg",
            "--collector.meminfo", "--collector.vmstat", "--web.disable-exporter-metrics"]),
         f"http://{loopback}:{ports.node}/metrics"),
        (lab.spawn("pushgateway", [
            *PROMLAB, "pushgateway", "--web.listen-address", f"{loopback}:{ports.pushgateway}"]),
         f"http://{loopback}:{ports.pushgateway}/-/ready"),
        (lab.spawn("lab-server", [
            *PROMLAB, "server", "--config.file", str(config),
            "--storage.tsdb.path", str(lab.workdir / "data"),
            "--web.listen-address", f"{loopback}:{ports.server}",
            "--query.lookback-delta", _ms(lookback_ms(p, interval_ms)),
            "--scaling.config-file", str(lab.workdir / "scaling.yml")]),
         f"{server_url}/-/ready"),
    ]
    if p.web is not None:
        started.append((lab.spawn("demo-app", [
            *PROMLAB, "demo-app", "--web.listen-address", f"{loopback}:{ports.demo}",
            "--seed", str(p.scenario.seed)]), f"{demo_url}/admin/state"))
    for child, url in started:
        wait_ready(lab, child, url, deadline)
    if p.web is not None:
        stages = lab.workdir / "stages.yml"
        stages.write_text(yaml.safe_dump({"stages": p.load_stages(extra_s=LOAD_GRACE_S)}))
        load = lab.spawn("load", [
            *PROMLAB, "load", "--target", demo_url, "--users", str(int(p.users.max())),
            "--spawn-rate", str(int(p.users.max())), "--shape", str(stages),
            "--duration", f"{math.ceil(p.duration_s + 2 * LOAD_GRACE_S)}s",
            "--web.listen-address", f"{loopback}:{ports.locust}"])
        wait_ready(lab, load, f"http://{loopback}:{ports.locust}/metrics", deadline)
    echo(f"live scenario {p.scenario.name}: {p.scenario.duration} at x{p.scale:g} "
         f"= {p.duration_s:.0f}s; scrape every {cfg['global']['scrape_interval']}, "
         f"rules every {cfg['global']['evaluation_interval']}")
    echo(f"  lab server {server_url}  (query ALERTS at {server_url}/query)")
    echo(f"  autoscaling metrics {server_url}/scaling/v1/metrics/<name> and "
         f"{server_url}/apis/external.metrics.k8s.io/v1beta1/namespaces/<ns>/<name>: "
         + ", ".join(scaling_metrics(p, interval_ms)))
    if p.web is not None:
        echo(f"  demo app {demo_url} as job={p.web.name}; locust metrics "
             f"http://{loopback}:{ports.locust}/metrics")
    echo(f"  node exporter http://{loopback}:{ports.node}/metrics, "
         f"pushgateway http://{loopback}:{ports.pushgateway}")
    faults = _Faults(lab, p, demo_url, echo)
    alerts = _Alerts(server_url, echo, p)
    t0 = time.monotonic()
    next_poll = 0.0
    stressors = tuple(f"stress-cpu-{k}" for k in range(len(p.cpu)))
    while (elapsed := time.monotonic() - t0) < p.duration_s:
        lab.check_alive(except_=stressors)
        faults.tick(elapsed)
        if elapsed >= next_poll:
            alerts.poll(elapsed)
            next_poll = elapsed + POLL_S
        time.sleep(TICK_S)
    alerts.poll(time.monotonic() - t0)
    return alerts.episodes()

