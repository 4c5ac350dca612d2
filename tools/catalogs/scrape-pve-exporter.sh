#!/usr/bin/env bash
# Regenerates src/alerts/catalogs/prometheus-pve-exporter-<version>.yml from a real scrape of
# prometheus-pve-exporter (latest release from PyPI, or PVE_EXPORTER_VERSION) against fakepve, a
# fake Proxmox VE API, both on 127.0.0.1. Needs PyPI once to fill the venv (PVE_VENV, default a
# temporary one); nothing else leaves the machine.
#
# The replication collector fails on fakepve's replication data, so it is disabled; its
# families, and the ones fakepve has no data for (QDevice, a paid subscription's due date), come
# from the exporter's source (supplements/prometheus-pve-exporter-source.tsv), keeping the rows
# this release's own source defines (pve_source_supplement.py reads the installed package).
# Releases without a collector or flag the newest has (replication came in 3.3,
# --collector.pve-api-metrics in 3.7) are run without it; PVE_EXPORTER_VERSION=3.0 takes the
# newest 3.0.x (regenerate-all.sh runs one per minor release).
set -euo pipefail
# shellcheck source=tools/catalogs/lib.sh
source "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'stop_started; rm -rf "$work"' EXIT
venv=${PVE_VENV:-$work/venv}
if [ ! -x "$venv/bin/pve_exporter" ]; then
    python3 -m venv "$venv"
    # x.y means the newest x.y.z PyPI serves.
    requirement=${PVE_EXPORTER_VERSION:+==$PVE_EXPORTER_VERSION}
    [[ ${PVE_EXPORTER_VERSION:-} =~ ^[0-9]+\.[0-9]+$ ]] && requirement="~=$PVE_EXPORTER_VERSION.0"
    "$venv/bin/pip" install --quiet "prometheus-pve-exporter$requirement" "fakepve[crypto]"  # crypto: its TLS certificate
fi
version=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("prometheus-pve-exporter"))')
fakepve_version=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("fakepve"))')
package=$("$venv/bin/python" -c 'import os, pve_exporter; print(os.path.dirname(pve_exporter.__file__))')
# Flags this release has: older ones lack the replication collector and the self-metrics.
exporter_help=$("$venv/bin/pve_exporter" --help 2>&1)
exporter_flags=()
for flag in --no-collector.replication --collector.pve-api-metrics --collector.target-metrics; do
    collector=${flag#--}
    grep -q -- "--${collector#no-}\b" <<<"$exporter_help" && exporter_flags+=("$flag")
done

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
    "${exporter_flags[@]}" \
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

python3 "$TOOLS_DIR/pve_source_supplement.py" --package "$package" \
    --supplement "$TOOLS_DIR/supplements/prometheus-pve-exporter-source.tsv" \
    --scrape "$work/pve.txt" --scrape "$work/self.txt" >"$work/source.tsv"

# produced_by says what this release was run with and which families its source gave.
self_metrics="the exporter's own /metrics"
[[ " ${exporter_flags[*]} " == *" --collector.pve-api-metrics "* ]] &&
    self_metrics+=" with --collector.pve-api-metrics and --collector.target-metrics"
no_data=()
grep -q '^pve_qdevice_' "$work/source.tsv" && no_data+=("pve_qdevice_*")
grep -q '^pve_subscription_next_due_timestamp_seconds' "$work/source.tsv" &&
    no_data+=("pve_subscription_next_due_timestamp_seconds")
no_data_text=""
((${#no_data[@]})) && no_data_text="${no_data[0]}${no_data[1]:+ and ${no_data[1]}} which fakepve has no data for"
from_source="come from the exporter's source (pve_exporter/collector/*.py of this release) and are marked source: source-code"
if grep -q '^pve_replication_' "$work/source.tsv"; then
    how="the replication collector is disabled because it fails on fakepve's replication data, so pve_replication_*${no_data_text:+, and $no_data_text,} $from_source"
elif [[ -n "$no_data_text" ]]; then
    how="$no_data_text $from_source"
else
    how="this release has no replication collector and its source defines no family the scrape lacks (checked by tools/catalogs/pve_source_supplement.py), so nothing comes from the source"
fi

python3 "$TOOLS_DIR/exposition_to_catalog.py" \
    --exporter prometheus-pve-exporter --version "$version" \
    --produced-by "real scrape of prometheus-pve-exporter $version (PyPI) on 127.0.0.1, $(date -u +%Y-%m-%d): /pve?cluster=1&node=1 against fakepve $fakepve_version (a fake PVE API with tools/catalogs/fakepve-guests.json: 2 VMs, a template, a container, the default storages) plus $self_metrics; $how" \
    --regenerate "PVE_EXPORTER_VERSION=$version tools/catalogs/scrape-pve-exporter.sh (needs PyPI for the venv; or: make catalogs)" \
    --scrape "$work/pve.txt" --scrape "$work/self.txt" \
    --supplement "$work/source.tsv" \
    --output "$CATALOG_DIR/prometheus-pve-exporter-$version.yml"
