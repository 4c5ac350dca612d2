#!/usr/bin/env bash
# Regenerates every exporter catalog under src/alerts/catalogs/ (make catalogs). Each script
# starts its real server on 127.0.0.1, scrapes it and stops it; only the pve one needs PyPI.
# NODE_EXPORTER_SRC: a node_exporter git clone with the release tag (its end-to-end fixtures).
set -euo pipefail
dir=$(dirname "$0")
if [[ -z "${NODE_EXPORTER_SRC:-}" ]]; then
    echo "make catalogs needs NODE_EXPORTER_SRC, a node_exporter git clone with the release tag:" >&2
    echo "  git clone https://github.com/prometheus/node_exporter /tmp/node_exporter" >&2
    echo "  make catalogs NODE_EXPORTER_SRC=/tmp/node_exporter" >&2
    exit 1
fi
bash "$dir/scrape-node-exporter.sh"
bash "$dir/scrape-prometheus.sh"
bash "$dir/scrape-homelab-textfile.sh"
bash "$dir/scrape-pve-exporter.sh"
