"""prometheus.yml loading: the YAML cases in data/config_cases.yml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.server.config import ConfigError, load_file, loads

CASES = yaml.safe_load((Path(__file__).parent / "data" / "config_cases.yml").read_text())


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(obj, (list, tuple)):
            obj = obj[int(part)]
        elif isinstance(obj, dict):
            obj = obj[part]
        else:
            obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_config_case(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(ConfigError) as info:
            loads(case["config"], file="prometheus.yml")
        assert str(info.value) == case["error"]
        return
    cfg = loads(case["config"], file="prometheus.yml")
    for path, want in case["expect"].items():
        assert _get(cfg, path) == want, path


def test_relative_paths_resolve_against_the_config_directory(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "prometheus.yml"
    path.parent.mkdir()
    path.write_text(
        "rule_files: [rules/*.yml]\n"
        "scrape_configs:\n"
        "  - job_name: f\n"
        "    file_sd_configs: [{files: [targets/*.json], refresh_interval: 1m}]\n"
    )
    cfg = load_file(path)
    assert cfg.rule_files == (str(path.parent / "rules/*.yml"),)
    sd = cfg.scrape_configs[0].file_sd_configs[0]
    assert sd.files == (str(path.parent / "targets/*.json"),)
    assert sd.refresh_interval_ms == 60_000


def test_ignored_fields_warn() -> None:
    cfg = loads("global:\n  query_log_file: q.log\n", file="p.yml")
    assert cfg.warnings == (
        "p.yml:2: global query_log_file is not supported by promlab and is ignored",
    )


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"open .*missing\.yml"):
        load_file(tmp_path / "missing.yml")


def test_equal_configs_compare_equal() -> None:
    text = "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['h:1']}]\n"
    assert loads(text) == loads(text)
