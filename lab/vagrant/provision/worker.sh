#!/usr/bin/env bash
# A worker: promlab node-exporter (:9100) and the demo app (:8080) as systemd
# services, restarted on failure, so trainees can break and watch them.
set -euo pipefail

# unit NAME DESCRIPTION COMMAND...: write and (re)start a simple service.
unit() {
  local name=$1 description=$2
  shift 2
  cat > "/etc/systemd/system/${name}.service" <<UNIT
[Unit]
Description=${description}
After=network-online.target
Wants=network-online.target

[Service]
User=promlab
ExecStart=$*
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  systemctl enable "${name}.service"
  systemctl restart "${name}.service"
}

unit promlab-node-exporter "promlab node exporter" \
  /usr/local/bin/promlab node-exporter --web.listen-address=:9100
unit promlab-demo-app "promlab demo app" \
  /usr/local/bin/promlab demo-app --web.listen-address=:8080

systemctl --no-pager --lines=0 status promlab-node-exporter promlab-demo-app
