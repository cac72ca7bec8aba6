#!/usr/bin/env bash
# The monitoring VM: promlab server (:9090) scraping the workers, Debian's
# Alertmanager (:9093), Grafana (:3000) provisioned from deploy/grafana with the
# dashboards of dashboards/.
set -euo pipefail

SRC=/opt/promlab/src
WORKERS=${PROMLAB_WORKERS:-worker1 worker2}
export DEBIAN_FRONTEND=noninteractive

# --- promlab server ---------------------------------------------------------
{
  cat "${SRC}/lab/vagrant/files/prometheus.yml"
  for job in node:9100 demo:8080; do
    echo "  - job_name: ${job%%:*}"
    echo "    static_configs:"
    echo "      - targets:"
    for worker in ${WORKERS}; do
      echo "          - ${worker}:${job##*:}"
    done
  done
} > /etc/promlab/prometheus.yml
install -d -o promlab -g promlab /var/lib/promlab/data
install -d /etc/promlab/rules
rm -f /etc/promlab/rules/*.rules.yml
find "${SRC}/rulepacks" -mindepth 2 -maxdepth 2 -name '*.rules.yml' -exec install -m 0644 {} /etc/promlab/rules/ \;

cat > /etc/systemd/system/promlab-server.service <<'UNIT'
[Unit]
Description=promlab server
After=network-online.target
Wants=network-online.target

[Service]
User=promlab
ExecStart=/usr/local/bin/promlab server --config.file=/etc/promlab/prometheus.yml --storage.tsdb.path=/var/lib/promlab/data --web.listen-address=0.0.0.0:9090 --web.enable-lifecycle
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT

# --- Alertmanager (Debian package) --------------------------------------------
apt-get install -y -q --no-install-recommends prometheus-alertmanager
install -m 0644 "${SRC}/lab/vagrant/files/alertmanager.yml" /etc/prometheus/alertmanager.yml
systemctl enable prometheus-alertmanager
systemctl restart prometheus-alertmanager

# --- Grafana (Grafana Labs' apt repository) ----------------------------------
if [[ ! -f /etc/apt/sources.list.d/grafana.list ]]; then
  apt-get install -y -q --no-install-recommends gnupg apt-transport-https
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL https://apt.grafana.com/gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/grafana.gpg
  echo "deb [signed-by=/etc/apt/keyrings/grafana.gpg] https://apt.grafana.com stable main" \
    > /etc/apt/sources.list.d/grafana.list
  apt-get update -q
fi
apt-get install -y -q grafana
# deploy/grafana/provisioning/<kind>.yaml are ConfigMaps: each data key is one
# Grafana provisioning file for /etc/grafana/provisioning/<kind>/.
/opt/promlab/venv/bin/python - "${SRC}/deploy/grafana/provisioning" /etc/grafana/provisioning <<'PY'
import pathlib
import sys

import yaml

src, dst = (pathlib.Path(a) for a in sys.argv[1:])
for path in sorted(src.glob("*.yaml")):
    out = dst / path.stem
    out.mkdir(parents=True, exist_ok=True)
    for key, text in yaml.safe_load(path.read_text())["data"].items():
        (out / key).write_text(text)
        print(f"grafana provisioning: {out / key}")
PY
install -d -o grafana -g grafana /var/lib/grafana/dashboards/promlab
# Dashboards are generated into dashboards/; none may exist yet.
find "${SRC}/dashboards" -maxdepth 1 -name '*.json' -exec install -m 0644 {} /var/lib/grafana/dashboards/promlab/ \;
systemctl enable grafana-server
systemctl restart grafana-server

systemctl daemon-reload
systemctl enable promlab-server
systemctl restart promlab-server
systemctl --no-pager --lines=0 status promlab-server prometheus-alertmanager grafana-server
