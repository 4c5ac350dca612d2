#!/usr/bin/env bash
# Regenerates every exporter catalog under src/alerts/catalogs/ (make catalogs), one file per
# exporter and version. Each script starts its real server on 127.0.0.1, scrapes it and stops it:
#  - node-exporter and Prometheus as each Debian release ships them (DEBIAN_SUITES, default
#    bookworm trixie sid), fetched through a private apt configuration in scratch, shared by
#    the runs so each suite's index is downloaded once;
#  - prometheus-pve-exporter: the newest patch of every minor release PyPI serves from
#    PVE_EXPORTER_FROM (default 3.0) on, each in its own venv;
#  - the homelab's textfile contract, served by the installed node-exporter.
# NODE_EXPORTER_SRC: a node_exporter git clone with the release tags (their end-to-end fixtures).
# Needs deb.debian.org and PyPI; nothing else leaves the machine.
set -euo pipefail
dir=$(dirname "$0")
if [[ -z "${NODE_EXPORTER_SRC:-}" ]]; then
    echo "make catalogs needs NODE_EXPORTER_SRC, a node_exporter git clone with the release tags:" >&2
    echo "  git clone https://github.com/prometheus/node_exporter /tmp/node_exporter" >&2
    echo "  make catalogs NODE_EXPORTER_SRC=/tmp/node_exporter" >&2
    exit 1
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export DEBIAN_APT_DIR="$scratch/apt"

for suite in ${DEBIAN_SUITES:-bookworm trixie sid}; do
    DEBIAN_SUITE=$suite bash "$dir/scrape-node-exporter.sh"
    DEBIAN_SUITE=$suite bash "$dir/scrape-prometheus.sh"
done
bash "$dir/scrape-homelab-textfile.sh"

# Minor releases from PVE_EXPORTER_FROM on, as pip lists them (newest first).
from=${PVE_EXPORTER_FROM:-3.0}
minors=$(python3 -m pip index versions prometheus-pve-exporter 2>/dev/null |
    sed -n 's/^Available versions: //p' | tr -d ' ' | tr ',' '\n' |
    python3 -c '
import sys
low = tuple(int(x) for x in sys.argv[1].split("."))
seen = []
for v in sys.stdin.read().split():
    parts = v.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        minor = (int(parts[0]), int(parts[1]))
        if minor >= low and minor not in seen:
            seen.append(minor)
print(" ".join(f"{a}.{b}" for a, b in sorted(seen)))
' "$from")
[[ -n $minors ]] || { echo "pip index versions listed no prometheus-pve-exporter release from $from on" >&2; exit 1; }
for minor in $minors; do
    PVE_VENV="$scratch/pve-$minor" PVE_EXPORTER_VERSION=$minor bash "$dir/scrape-pve-exporter.sh"
done
