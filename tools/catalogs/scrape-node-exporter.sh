#!/usr/bin/env bash
# Regenerates src/alerts/catalogs/node-exporter-<version>.yml from a real scrape of the installed
# prometheus-node-exporter on 127.0.0.1, plus the collectors a container cannot run (systemd),
# taken from node-exporter's documentation/source for that version (supplements/).
set -euo pipefail
# shellcheck source=tools/catalogs/lib.sh
source "$(dirname "$0")/lib.sh"

binary=${NODE_EXPORTER:-prometheus-node-exporter}
require_tool "$binary" "apt-get install prometheus-node-exporter (1.5.0 is the version this catalog describes)"
version=$("$binary" --version 2>&1 | awk '/^node_exporter, version/ {print $3; exit}')
work=$(mktemp -d)
trap 'stop_started; rm -rf "$work"' EXIT

# A textfile directory with one file, so the textfile collector's own metrics appear; the
# homelab's textfile metrics are a separate catalog (homelab-textfile.yml).
mkdir "$work/textfile"
echo 'catalog_probe 1' >"$work/textfile/probe.prom"

port=$(free_port)
# Default collectors plus the non-default ones the homelab enables (systemd, processes) and a
# few that are useful and work unprivileged. systemd fails without D-Bus (see supplement).
"$binary" --web.listen-address="127.0.0.1:$port" \
    --collector.textfile.directory="$work/textfile" \
    --collector.systemd --collector.processes --collector.interrupts --collector.tcpstat \
    --collector.cpu.info --collector.mountstats --collector.meminfo_numa \
    >"$work/exporter.log" 2>&1 &
STARTED_PIDS+=($!)
wait_http "http://127.0.0.1:$port/metrics" "$work/exporter.log"
curl -fsS "http://127.0.0.1:$port/metrics" | grep -v '^catalog_probe' >"$work/scrape.txt"

python3 "$TOOLS_DIR/exposition_to_catalog.py" \
    --exporter node-exporter --version "$version" \
    --produced-by "real scrape of $binary $version (Debian package $(dpkg-query -W -f='${Version}' prometheus-node-exporter 2>/dev/null || echo unknown)) on 127.0.0.1, $(date -u +%Y-%m-%d), with default collectors plus systemd, processes, interrupts, tcpstat, cpu.info, mountstats, meminfo_numa and a textfile directory; node_systemd_* cannot be scraped in a container without systemd/D-Bus, so it is added from node-exporter v$version's systemd collector (collector/systemd_linux.go) and marked source: documentation" \
    --regenerate "tools/catalogs/scrape-node-exporter.sh (or: make catalogs)" \
    --scrape "$work/scrape.txt" \
    --supplement "$TOOLS_DIR/supplements/node-exporter-systemd.tsv" \
    --output "$CATALOG_DIR/node-exporter-$version.yml"
