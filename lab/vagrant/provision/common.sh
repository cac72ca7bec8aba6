#!/usr/bin/env bash
# Every VM: host names of the lab, Python, and promlab installed from the
# rsynced checkout into /opt/promlab/venv, run as the unprivileged user promlab.
# Idempotent: `vagrant provision` may run it again after a code change.
set -euo pipefail

SRC=/opt/promlab/src
VENV=/opt/promlab/venv

# /etc/hosts: replace our block, keep everything else.
if [[ -n "${PROMLAB_HOSTS:-}" ]]; then
  sed -i '/# promlab-lab begin/,/# promlab-lab end/d' /etc/hosts
  {
    echo "# promlab-lab begin"
    echo "${PROMLAB_HOSTS}"
    echo "# promlab-lab end"
  } >> /etc/hosts
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip ca-certificates curl

if ! id promlab >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/promlab --create-home --shell /usr/sbin/nologin promlab
fi
install -d -o promlab -g promlab /var/lib/promlab /etc/promlab

if [[ ! -x "${VENV}/bin/python" ]]; then
  python3 -m venv "${VENV}"
fi
"${VENV}/bin/pip" install -q --upgrade pip
"${VENV}/bin/pip" install -q "${SRC}"
ln -sf "${VENV}/bin/promlab" /usr/local/bin/promlab
promlab --version
