#!/usr/bin/env bash
# Regenerates every exporter catalog under src/alerts/catalogs/ (make catalogs). Each script
# starts its real server on 127.0.0.1, scrapes it and stops it; only the pve one needs PyPI.
set -euo pipefail
dir=$(dirname "$0")
bash "$dir/scrape-node-exporter.sh"
bash "$dir/scrape-prometheus.sh"
bash "$dir/scrape-homelab-textfile.sh"
bash "$dir/scrape-pve-exporter.sh"
