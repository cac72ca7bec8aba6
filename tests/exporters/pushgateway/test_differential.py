"""The battery (battery.yaml) against the real pushgateway and ours, in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.reference import ReferenceProcess

from .harness import body_bytes, pushed_samples, request, running

BATTERY: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "battery.yaml").read_text())


def test_battery_is_large_enough() -> None:
    assert len(BATTERY) >= 60
    # Debian 1.5.1 hangs after an invalid base64 job name (spec §12): never send one.
    assert not any("job@base64/%21" in c["path"] for c in BATTERY)


@pytest.mark.reference
def test_same_answers_and_same_metrics_as_upstream(
    pushgateway: ReferenceProcess, tmp_path: Path
) -> None:
    mismatches: list[str] = []
    last_diff: tuple[object, object] = (set(), set())
    with running(
        tmp_path / "ours",
        f"--persistence.file={tmp_path}/ours/state",
        "--web.enable-admin-api",
        "--web.enable-lifecycle",
    ) as ours:
        for i, case in enumerate(BATTERY):
            body = body_bytes(case)
            headers = {str(k): str(v) for k, v in (case.get("headers") or {}).items()}
            theirs = request(pushgateway.url, case["method"], case["path"], body, headers)
            mine = request(ours.url, case["method"], case["path"], body, headers)
            where = f"#{i} {case['method']} {case['path']}"
            if theirs.status != mine.status:
                mismatches.append(
                    f"{where}: status upstream {theirs.status} {theirs.body[:200]!r}, "
                    f"ours {mine.status} {mine.body[:200]!r}"
                )
            if case.get("status") is not None and theirs.status != case["status"]:
                mismatches.append(
                    f"{where}: upstream answered {theirs.status}, battery says {case['status']}"
                )
            expected, got = pushed_samples(pushgateway.url), pushed_samples(ours.url)
            diff = (expected - got, got - expected)
            if expected != got and diff != last_diff:  # report each divergence once
                mismatches.append(
                    f"{where}: metrics differ: only upstream {sorted(expected - got)[:5]}, "
                    f"only ours {sorted(got - expected)[:5]}"
                )
            last_diff = diff
    assert not mismatches, "\n".join(mismatches)
