#!/usr/bin/env bash
# Regenerates src/alerts/catalogs/prometheus-<version>.yml from real scrapes of the installed
# Prometheus server's own /metrics on 127.0.0.1:
#  - running the monitoring stack's own configuration: the prometheus.yml the
#    monitoring-stack module renders (terraform console on a scratch copy, offline providers),
#    with its Alertmanager and scrape jobs pointed at stand-ins on 127.0.0.1 and the homelab's
#    rules file loaded (so prometheus_notifications_*{alertmanager} and
#    prometheus_rule_*{rule_group} exist); up and scrape_* read back from its TSDB;
#  - once per configuration the stack does not use (remote_write, remote_read, other service
#    discovery mechanisms), that configuration added: the families it brings are recorded with
#    `requires: <configuration>`, so a rule on one is told what it needs.
# DEBIAN_SUITE=bookworm|trixie|sid: that Debian release's prometheus package (and its promtool
# package, separate from trixie on), downloaded and unpacked into scratch through a private apt
# configuration (lib.sh debian_package); without it, the installed prometheus (PROMETHEUS=path).
set -euo pipefail
# shellcheck source=tools/catalogs/lib.sh
source "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'stop_started; rm -rf "$work"' EXIT
suite=${DEBIAN_SUITE:-}
if [[ -n $suite ]]; then
    package=$(debian_package "$suite" prometheus "$work/deb")
    binary="$work/deb/usr/bin/prometheus"
    promtool="$work/deb/usr/bin/promtool"
    package_said="Debian $suite package $package"
    # The build's own promtool judges which configurations it accepts.
    if [[ ! -x $promtool ]]; then
        package_said+=", with promtool from Debian $suite package $(debian_package "$suite" promtool "$work/deb")"
    fi
    package_said+=", unpacked with dpkg-deb -x, not installed"
else
    binary=${PROMETHEUS:-prometheus}
    promtool=promtool
    package_said="$binary, Debian package $(dpkg-query -W -f='${Version}' prometheus 2>/dev/null || echo unknown)"
fi
node_exporter=${NODE_EXPORTER:-prometheus-node-exporter}
repo=$(cd "$TOOLS_DIR/../.." && pwd)
module="$repo/infrastructure/proxmox/modules/monitoring-stack"
rules="$module/files/prometheus/alerts/default.yml"
require_tool "$binary" "apt-get install prometheus, or DEBIAN_SUITE=<suite> for a Debian release's package"
require_tool terraform "install Terraform >= 1.9 (it renders the monitoring stack's prometheus.yml)"
require_tool "$node_exporter" "apt-get install prometheus-node-exporter"
version=$("$binary" --version 2>&1 | awk '/^prometheus, version/ {print $3; exit}' | sed 's/+.*//')

# The stack's prometheus.yml as the module renders it (pve job included), through the offline
# providers so that no registry is needed.
(cd "$repo" && cargo run -q -p tf-offline-provider -- install "$work/providers" >/dev/null)
cp -r "$module" "$work/module"
rm -rf "$work/module/tests" "$work/module/.terraform"
(cd "$work/module" && echo 'jsonencode(yamldecode(local.prometheus_config))' |
    TF_CLI_CONFIG_FILE="$work/providers/terraform.rc" TF_DATA_DIR="$work/tfdata" terraform console \
        -var node_name=pve -var vm_id=900 -var template_vm_id=9000 \
        -var ip_address=192.0.2.80/24 -var gateway=192.0.2.1 \
        -var pve_exporter_address=127.0.0.1:9221 -var 'pve_targets=["pve"]') |
    python3 -c 'import json, sys; print(json.loads(sys.stdin.read()))' >"$work/rendered.json"

# Stand-ins: one HTTP server for the Alertmanager, pve exporter and extra endpoints, and a
# real node-exporter for the node job.
stub_port=$(free_port)
python3 "$TOOLS_DIR/stub_server.py" "$stub_port" >"$work/stub.log" 2>&1 &
STARTED_PIDS+=($!)
wait_http "http://127.0.0.1:$stub_port/" "$work/stub.log"
node_port=$(free_port)
"$node_exporter" --web.listen-address="127.0.0.1:$node_port" >"$work/node.log" 2>&1 &
STARTED_PIDS+=($!)
wait_http "http://127.0.0.1:$node_port/metrics" "$work/node.log"

# scrape NAME [CONFIGURATION]: run the server on the stack's configuration (plus one), let it
# scrape, evaluate and notify a few times, save /metrics as $work/NAME.txt, stop it.
scrape() {
    local name=$1 port pid
    port=$(free_port)
    python3 "$TOOLS_DIR/prometheus_config.py" --rendered "$work/rendered.json" \
        --self "127.0.0.1:$port" --stub "127.0.0.1:$stub_port" --node "127.0.0.1:$node_port" \
        --rules "$rules" ${2:+--with "$2"} >"$work/$name.yml"
    # A build without that mechanism (Debian leaves some service discoveries out) refuses the
    # configuration: nothing to learn from it.
    if ! "$promtool" check config --syntax-only "$work/$name.yml" >"$work/$name.check" 2>&1; then
        echo "note: $(basename "$binary") refuses a configuration with $name (not in this build); skipped" >&2
        return 1
    fi
    "$binary" --config.file="$work/$name.yml" --storage.tsdb.path="$work/data-$name" \
        --web.listen-address="127.0.0.1:$port" >"$work/$name.log" 2>&1 &
    pid=$!
    STARTED_PIDS+=("$pid")
    wait_http "http://127.0.0.1:$port/-/ready" "$work/$name.log"
    local deadline=$((SECONDS + 30))
    until curl -fsSG "http://127.0.0.1:$port/api/v1/query" --data-urlencode 'query=up' | grep -q '"value"'; do
        ((SECONDS < deadline)) || { echo "Prometheus did not scrape within 30 s; log: $work/$name.log" >&2; exit 1; }
        sleep 0.5
    done
    sleep 3
    curl -fsS "http://127.0.0.1:$port/metrics" >"$work/$name.txt"
    if [[ $name == stack ]]; then
        # Series Prometheus adds to every target at scrape time, read back from its TSDB:
        # label names minus the target labels (job, instance) the checker adds itself.
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
    fi
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}

scrape stack || exit 1
grep -q '^prometheus_notifications_sent_total{alertmanager=' "$work/stack.txt" ||
    { echo "the stack's Alertmanager did not show up in prometheus_notifications_*" >&2; exit 1; }
configurations=(remote_write remote_read consul_sd_configs http_sd_configs kubernetes_sd_configs dns_sd_configs file_sd_configs)
conditional=()
used=()
for config in "${configurations[@]}"; do
    if scrape "$config" "$config"; then
        conditional+=(--conditional-scrape "$config=$work/$config.txt")
        used+=("$config")
    fi
done

python3 "$TOOLS_DIR/exposition_to_catalog.py" \
    --exporter prometheus --version "$version" \
    --produced-by "real scrapes of the Prometheus $version server's own /metrics ($package_said) on 127.0.0.1, $(date -u +%Y-%m-%d). Without requires: the server running the monitoring stack's own prometheus.yml (rendered from infrastructure/proxmox/modules/monitoring-stack by terraform console), its Alertmanager, pve exporter and extra targets pointed at an HTTP stand-in (tools/catalogs/stub_server.py) and its node job at a real node-exporter, the homelab rules file loaded, 1 s intervals; up and scrape_* read back from the server's TSDB (/api/v1/query); ALERTS/ALERTS_FOR_STATE from the Prometheus documentation (source: documentation). With requires: <configuration> [or <configuration>...]: families that only appeared when one of those configurations, which the stack does not use, was added to the same server (${used[*]}; tools/catalogs/prometheus_config.py; this build refuses the others)" \
    --regenerate "${suite:+DEBIAN_SUITE=$suite }tools/catalogs/scrape-prometheus.sh (or: make catalogs)" \
    --scrape "$work/stack.txt" \
    "${conditional[@]}" \
    --supplement "$work/synthetic.tsv" \
    --supplement "$TOOLS_DIR/supplements/prometheus-alerts-series.tsv" \
    --output "$CATALOG_DIR/prometheus-$version.yml"
