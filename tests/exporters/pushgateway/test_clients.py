"""prometheus_client's push helpers against ours; base64 job names that
upstream 1.5.1 hangs on; the admin and lifecycle switches."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import (
    delete_from_gateway,
    push_to_gateway,
    pushadd_to_gateway,
)

from .harness import pushed_samples, request, running


def _names(base: str) -> set[str]:
    return {dict(labels)["__name__"] for labels, _ in pushed_samples(base)}


def test_prometheus_client_push_pushadd_delete(tmp_path: Path) -> None:
    with running(tmp_path) as ours:
        gateway = ours.url.removeprefix("http://")
        registry = CollectorRegistry()
        Gauge("job_last_success_unixtime", "Last success.", registry=registry).set(1234)
        Counter("job_items", "Items.", registry=registry).inc(3)
        push_to_gateway(
            gateway, job="batch", registry=registry, grouping_key={"instance": "host/1"}, timeout=10
        )
        names = _names(ours.url)
        assert {"job_last_success_unixtime", "job_items_total"} <= names
        other = CollectorRegistry()
        Gauge("job_extra", "Extra.", registry=other).set(1)
        pushadd_to_gateway(
            gateway, job="batch", registry=other, grouping_key={"instance": "host/1"}, timeout=10
        )
        assert {"job_last_success_unixtime", "job_extra"} <= _names(ours.url)
        samples = {dict(ls)["__name__"]: dict(ls) for ls, _ in pushed_samples(ours.url)}
        assert samples["job_extra"]["instance"] == "host/1"  # sent as @base64
        push_to_gateway(
            gateway, job="batch", registry=other, grouping_key={"instance": "host/1"}, timeout=10
        )
        assert "job_last_success_unixtime" not in _names(ours.url)
        delete_from_gateway(gateway, job="batch", grouping_key={"instance": "host/1"}, timeout=10)
        assert "job_extra" not in _names(ours.url)


def test_invalid_base64_job_does_not_wedge_the_route(tmp_path: Path) -> None:
    # Debian 1.5.1 hangs every later request on this route (spec §12); we must not.
    with running(tmp_path) as ours:
        reply = request(ours.url, "PUT", "/metrics/job@base64/%21%21", b"x 1\n")
        assert reply.status == 400
        assert reply.body.startswith(b'invalid base64 encoding in job name "": illegal base64')
        reply = request(ours.url, "PUT", "/metrics/job@base64/=", b"x 1\n", timeout=5)
        assert (reply.status, reply.body) == (400, b"job name is required\n")
        assert request(ours.url, "PUT", "/metrics/job@base64/am9i", b"x 1\n").status == 200


def test_admin_and_lifecycle_are_off_by_default(tmp_path: Path) -> None:
    with running(tmp_path) as ours:
        assert request(ours.url, "PUT", "/api/v1/admin/wipe").status == 404
        reply = request(ours.url, "PUT", "/-/quit")
        assert (reply.status, reply.body) == (403, b"Lifecycle API is not enabled.\n")
    with running(tmp_path, "--web.enable-lifecycle") as ours:
        reply = request(ours.url, "POST", "/-/quit")
        assert reply.body == b"Requesting termination... Goodbye!"
        assert ours.process.wait(timeout=15) == 0


def test_disabled_consistency_check_answers_202_and_fails_scrapes(tmp_path: Path) -> None:
    with running(tmp_path, "--push.disable-consistency-check") as ours:
        assert request(ours.url, "PUT", "/metrics/job/a", b"# TYPE m counter\nm 1\n").status == 202
        assert request(ours.url, "PUT", "/metrics/job/b", b"# TYPE m gauge\nm 1\n").status == 202
        reply = request(ours.url, "GET", "/metrics")
        assert reply.status == 500
        assert b"An error has occurred while serving metrics" in reply.body
        assert request(ours.url, "DELETE", "/metrics/job/b").status == 202
        assert request(ours.url, "GET", "/metrics").status == 200
