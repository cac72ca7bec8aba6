"""deploy/grafana: the provisioning files inside the ConfigMaps have the shapes
Grafana reads (apiVersion 1, datasources / providers), and the Vagrant lab
installs them where the provider looks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
MONITORING_SH = ROOT / "lab" / "vagrant" / "provision" / "monitoring.sh"


def embedded(kind: str) -> dict[str, Any]:
    """The one Grafana provisioning file of ConfigMap ``<kind>.yaml``."""
    configmap = yaml.safe_load((PROVISIONING / f"{kind}.yaml").read_text())
    assert configmap["kind"] == "ConfigMap"
    (text,) = configmap["data"].values()
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict)
    assert doc["apiVersion"] == 1
    return doc


def test_datasource_points_at_the_lab_server() -> None:
    (ds,) = embedded("datasources")["datasources"]
    assert ds["type"] == "prometheus"
    assert ds["access"] == "proxy"
    assert ds["url"] == "http://monitoring:9090"
    assert ds["uid"] == "promlab" and ds["isDefault"] is True
    assert set(ds) <= {
        "name", "uid", "type", "access", "url", "isDefault", "editable", "jsonData", "orgId",
    }  # fmt: skip


def test_dashboard_provider_loads_the_lab_dashboards() -> None:
    (provider,) = embedded("dashboards")["providers"]
    assert provider["type"] == "file"
    path = provider["options"]["path"]
    assert path == "/var/lib/grafana/dashboards/promlab"
    assert isinstance(provider["updateIntervalSeconds"], int)
    # The monitoring VM copies dashboards/*.json exactly there.
    script = MONITORING_SH.read_text()
    assert path in script and '"${SRC}/dashboards"' in script
