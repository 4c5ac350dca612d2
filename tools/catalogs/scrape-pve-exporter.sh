#!/usr/bin/env bash
# Regenerates src/alerts/catalogs/prometheus-pve-exporter-<version>.yml from a real scrape of
# prometheus-pve-exporter (latest release from PyPI, or PVE_EXPORTER_VERSION) against fakepve, a
# fake Proxmox VE API, both on 127.0.0.1. Needs PyPI once to fill the venv (PVE_VENV, default a
# temporary one); nothing else leaves the machine.
#
# The replication collector fails on fakepve's replication data, so it is disabled; its
# families, and the ones fakepve has no data for (QDevice, a paid subscription's due date), come
# from the exporter's source (supplements/prometheus-pve-exporter-source.tsv).
set -euo pipefail
# shellcheck source=tools/catalogs/lib.sh
source "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'stop_started; rm -rf "$work"' EXIT
venv=${PVE_VENV:-$work/venv}
if [ ! -x "$venv/bin/pve_exporter" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "prometheus-pve-exporter${PVE_EXPORTER_VERSION:+==$PVE_EXPORTER_VERSION}" fakepve
fi
version=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("prometheus-pve-exporter"))')
fakepve_version=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("fakepve"))')

password=catalog-$RANDOM
api_port=$(free_port)
"$venv/bin/fakepve" --host 127.0.0.1 --port "$api_port" --user root@pam --password "$password" \
    "$TOOLS_DIR/fakepve-guests.json" >"$work/fakepve.log" 2>&1 &
STARTED_PIDS+=($!)
cat >"$work/pve.yml" <<CONFIG
default:
  user: root@pam
  password: $password
  verify_ssl: false
CONFIG
port=$(free_port)
"$venv/bin/pve_exporter" --config.file "$work/pve.yml" --web.listen-address "127.0.0.1:$port" \
    --no-collector.replication --collector.pve-api-metrics --collector.target-metrics \
    >"$work/exporter.log" 2>&1 &
STARTED_PIDS+=($!)
wait_http "http://127.0.0.1:$port/metrics" "$work/exporter.log"
deadline=$((SECONDS + 30))
# Any HTTP answer (even 401) means fakepve is listening.
until curl -sk -o /dev/null "https://127.0.0.1:$api_port/api2/json/version" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "fakepve did not start; log: $(cat "$work/fakepve.log")" >&2; exit 1; }
    sleep 0.2
done
# Cluster and node collectors in one scrape, then the exporter's own /metrics (its API and
# per-target histograms only have series once a /pve scrape has happened).
curl -fsS "http://127.0.0.1:$port/pve?target=127.0.0.1:$api_port&cluster=1&node=1" >"$work/pve.txt" ||
    { echo "scrape of /pve failed; exporter log:" >&2; tail -20 "$work/exporter.log" >&2; exit 1; }
grep -q '^pve_guest_info{' "$work/pve.txt" || { echo "no pve_guest_info in the /pve scrape" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/self.txt"

python3 "$TOOLS_DIR/exposition_to_catalog.py" \
    --exporter prometheus-pve-exporter --version "$version" \
    --produced-by "real scrape of prometheus-pve-exporter $version (PyPI) on 127.0.0.1, $(date -u +%Y-%m-%d): /pve?cluster=1&node=1 against fakepve $fakepve_version (a fake PVE API with tools/catalogs/fakepve-guests.json: 2 VMs, a template, a container, the default storages) plus the exporter's own /metrics with --collector.pve-api-metrics and --collector.target-metrics; the replication collector is disabled because it fails on fakepve's replication data, so pve_replication_*, and pve_qdevice_* and pve_subscription_next_due_timestamp_seconds which fakepve has no data for, come from the exporter's source (pve_exporter/collector/*.py of this release) and are marked source: source-code" \
    --regenerate "tools/catalogs/scrape-pve-exporter.sh (needs PyPI for the venv; PVE_EXPORTER_VERSION=x.y.z pins a release; or: make catalogs)" \
    --scrape "$work/pve.txt" --scrape "$work/self.txt" \
    --supplement "$TOOLS_DIR/supplements/prometheus-pve-exporter-source.tsv" \
    --output "$CATALOG_DIR/prometheus-pve-exporter-$version.yml"
