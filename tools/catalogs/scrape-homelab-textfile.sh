#!/usr/bin/env bash
# Regenerates src/alerts/catalogs/homelab-textfile-<version>.yml from the declared contract
# tools/catalogs/homelab-textfile.prom: the real node-exporter serves it through its textfile
# collector on 127.0.0.1, so the catalog holds exactly what Prometheus would see (and a file
# node-exporter rejects fails here). Entries are marked source: contract.
set -euo pipefail
# shellcheck source=tools/catalogs/lib.sh
source "$(dirname "$0")/lib.sh"

contract_version=${HOMELAB_TEXTFILE_VERSION:-1.1}
binary=${NODE_EXPORTER:-prometheus-node-exporter}
require_tool "$binary" "apt-get install prometheus-node-exporter"
work=$(mktemp -d)
trap 'stop_started; rm -rf "$work"' EXIT
mkdir "$work/textfile"
grep -v '^# [^HT]' "$TOOLS_DIR/homelab-textfile.prom" | grep -v '^# *$' >"$work/textfile/homelab.prom"

port=$(free_port)
# Only the textfile collector: the rest of node-exporter is in its own catalog.
"$binary" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$work/textfile" >"$work/exporter.log" 2>&1 &
STARTED_PIDS+=($!)
wait_http "http://127.0.0.1:$port/metrics" "$work/exporter.log"
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/scrape.txt"
if grep -q '^node_textfile_scrape_error 1' "$work/scrape.txt"; then
    echo "node-exporter rejected tools/catalogs/homelab-textfile.prom:" >&2
    grep -i textfile "$work/exporter.log" >&2 || true
    exit 1
fi

python3 "$TOOLS_DIR/exposition_to_catalog.py" \
    --exporter homelab-textfile --version "$contract_version" --source contract --keep-prefix homelab_ \
    --produced-by "declared contract of the metrics the homelab's operations scripts publish through node-exporter's textfile collector (tools/catalogs/homelab-textfile.prom), served by the real $binary $("$binary" --version 2>&1 | awk '/^node_exporter, version/ {print $3; exit}') textfile collector on 127.0.0.1 and scraped, $(date -u +%Y-%m-%d)" \
    --regenerate "edit tools/catalogs/homelab-textfile.prom, then tools/catalogs/scrape-homelab-textfile.sh (or: make catalogs)" \
    --scrape "$work/scrape.txt" \
    --output "$CATALOG_DIR/homelab-textfile-$contract_version.yml"
