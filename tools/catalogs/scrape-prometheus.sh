#!/usr/bin/env bash
# Regenerates src/alerts/catalogs/prometheus-<version>.yml from a real scrape of the installed
# Prometheus server's own /metrics on 127.0.0.1. The server loads the homelab's rules file so
# the per-rule-group metrics (prometheus_rule_*{rule_group}) exist, and scrapes itself so the
# scrape-time series (up, scrape_*) can be read back from its own TSDB.
set -euo pipefail
# shellcheck source=tools/catalogs/lib.sh
source "$(dirname "$0")/lib.sh"

binary=${PROMETHEUS:-prometheus}
repo=$(cd "$TOOLS_DIR/../.." && pwd)
rules="$repo/infrastructure/proxmox/modules/monitoring-stack/files/prometheus/alerts/default.yml"
require_tool "$binary" "apt-get install prometheus (2.42.0 is the version this catalog describes)"
version=$("$binary" --version 2>&1 | awk '/^prometheus, version/ {print $3; exit}' | sed 's/+.*//')
work=$(mktemp -d)
trap 'stop_started; rm -rf "$work"' EXIT

port=$(free_port)
cat >"$work/prometheus.yml" <<CONFIG
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:$port"]
CONFIG
"$binary" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$port" >"$work/prometheus.log" 2>&1 &
STARTED_PIDS+=($!)
wait_http "http://127.0.0.1:$port/-/ready" "$work/prometheus.log"
# Let it scrape itself and evaluate the rules a few times (histograms, rule-group gauges).
deadline=$((SECONDS + 30))
until curl -fsSG "http://127.0.0.1:$port/api/v1/query" --data-urlencode 'query=up' | grep -q '"value"'; do
    ((SECONDS < deadline)) || { echo "Prometheus did not scrape itself within 30 s; log: $work/prometheus.log" >&2; exit 1; }
    sleep 0.5
done
sleep 2
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/scrape.txt"

# Series Prometheus adds to every target at scrape time, read back from its TSDB, written as a
# supplement: label names minus the target labels (job, instance) the checker adds itself.
curl -fsSG "http://127.0.0.1:$port/api/v1/query" --data-urlencode 'query={__name__=~"up|scrape_.+"}' |
    python3 -c '
import json, sys
names = {}
for s in (r["metric"] for r in json.load(sys.stdin)["data"]["result"]):
    names.setdefault(s["__name__"], set()).update(k for k in s if k not in ("__name__", "job", "instance"))
helps = {"up": "1 if the target was scraped successfully, 0 otherwise (added by Prometheus per target)."}
for n in sorted(names):
    print("\t".join([n, "gauge", ",".join(sorted(names[n])), "scrape",
                     helps.get(n, "Added by Prometheus to every scrape of a target.")]))
' >"$work/synthetic.tsv"
test -s "$work/synthetic.tsv" || { echo "no up/scrape_* series read back from Prometheus" >&2; exit 1; }

python3 "$TOOLS_DIR/exposition_to_catalog.py" \
    --exporter prometheus --version "$version" \
    --produced-by "real scrape of the Prometheus $version server's own /metrics ($binary, Debian package $(dpkg-query -W -f='${Version}' prometheus 2>/dev/null || echo unknown)) on 127.0.0.1, $(date -u +%Y-%m-%d), with the homelab rules file loaded and the server scraping itself; up and scrape_* are not in /metrics: they were read back from the server's TSDB (an instant query on /api/v1/query) (the series Prometheus adds to every target; marked source: scrape); ALERTS/ALERTS_FOR_STATE from the Prometheus documentation (source: documentation)" \
    --regenerate "tools/catalogs/scrape-prometheus.sh (or: make catalogs)" \
    --scrape "$work/scrape.txt" \
    --supplement "$work/synthetic.tsv" \
    --supplement "$TOOLS_DIR/supplements/prometheus-alerts-series.tsv" \
    --output "$CATALOG_DIR/prometheus-$version.yml"
