#!/usr/bin/env bash
# Regenerates src/alerts/catalogs/node-exporter-<version>.yml: every metric family node-exporter
# <version> can expose on a real host, from three real sources merged:
#  1. a scrape of the installed binary on this machine (source: scrape);
#  2. the same binary run on node_exporter's end-to-end test fixtures at tag v<version>: the
#     /proc and /sys trees of a host with ZFS, hwmon, md RAID, bonding, EDAC, NVMe, thermal
#     zones... with the flags of the project's end-to-end-test.sh (source: fixture-scrape);
#  3. the hwmon names the collector builds at run time, as patterns from its naming rule
#     (collector/hwmon_linux.go at the tag) and the kernel's hwmon attributes (source-code);
# plus node_systemd_* (no systemd/D-Bus in a container; supplements/node-exporter-systemd.tsv).
#
# NODE_EXPORTER_SRC: a clone of https://github.com/prometheus/node_exporter (or its .git
# directory) that has the tag v<version>. Nothing from it is copied into this repository.
# DEBIAN_SUITE=bookworm|trixie|sid: the binary of that Debian release's package, downloaded and
# unpacked into scratch through a private apt configuration (lib.sh debian_package); without
# it, the installed prometheus-node-exporter (or NODE_EXPORTER=path).
set -euo pipefail
# shellcheck source=tools/catalogs/lib.sh
source "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'stop_started; rm -rf "$work"' EXIT
suite=${DEBIAN_SUITE:-}
if [[ -n $suite ]]; then
    package=$(debian_package "$suite" prometheus-node-exporter "$work/deb")
    binary="$work/deb/usr/bin/prometheus-node-exporter"
    package_said="Debian $suite package $package, unpacked with dpkg-deb -x, not installed"
else
    binary=${NODE_EXPORTER:-prometheus-node-exporter}
    require_tool "$binary" "apt-get install prometheus-node-exporter, or DEBIAN_SUITE=<suite> for a Debian release's package"
    package_said="Debian package $(dpkg-query -W -f='${Version}' prometheus-node-exporter 2>/dev/null || echo unknown)"
fi
version=$("$binary" --version 2>&1 | awk '/^node_exporter, version/ {print $3; exit}')
src=${NODE_EXPORTER_SRC:-}
if [[ -z "$src" ]] || ! git -C "$src" rev-parse --verify -q "v$version^{commit}" >/dev/null; then
    echo "NODE_EXPORTER_SRC must name a node_exporter git clone with the tag v$version, e.g." >&2
    echo "  git clone https://github.com/prometheus/node_exporter /tmp/node_exporter" >&2
    echo "  make catalogs NODE_EXPORTER_SRC=/tmp/node_exporter" >&2
    exit 1
fi

# 1. This machine. A textfile directory with one file, so the textfile collector's own metrics
# appear; the homelab's textfile metrics are a separate catalog (homelab-textfile-*.yml).
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

# 2. The end-to-end fixtures at the tag, unpacked with the repository's own ttar.
mkdir "$work/e2e"
git -C "$src" archive "v$version" collector/fixtures end-to-end-test.sh ttar collector/hwmon_linux.go \
    collector/systemd_linux.go | tar -x -C "$work/e2e"
(cd "$work/e2e/collector/fixtures" && bash ../../ttar -C . -x -f sys.ttar && bash ../../ttar -C . -x -f udev.ttar)
"$binary" --help >"$work/help.txt" 2>&1
mapfile -t e2e_flags < <(python3 "$TOOLS_DIR/e2e_flags.py" "$work/e2e/end-to-end-test.sh" --known "$work/help.txt")
port=$(free_port)
# Debian's build excludes lo by default, which the test's netdev include contradicts; and
# systemd is left out (it would only fail without D-Bus, as in 1).
(cd "$work/e2e" && exec "$binary" "${e2e_flags[@]}" --collector.netdev.device-exclude= \
    --no-collector.systemd --web.listen-address="127.0.0.1:$port") >"$work/e2e.log" 2>&1 &
STARTED_PIDS+=($!)
wait_http "http://127.0.0.1:$port/metrics" "$work/e2e.log"
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/fixture-scrape.txt"
# The binary must give every family the project's own expected output has; otherwise the
# fixtures and the binary do not belong together.
missing=$(comm -23 <(awk '/^# TYPE/ {print $3}' "$work/e2e/collector/fixtures/e2e-output.txt" | sort -u) \
    <(awk '/^# TYPE/ {print $3}' "$work/fixture-scrape.txt" | sort -u))
# A few may be missing when the build's libraries read the fixtures differently from the tag's
# own build (Debian's 1.11.1 uses procfs 0.21, which names NVMe namespaces nvme<N>n<M> as real
# hosts do, while the v1.11.1 fixtures have nvme0c0n0): those families are taken from
# e2e-output.txt, the tag's expected output of the same collectors on the same fixtures
# (source: documentation), and produced_by names them. Many missing means a mismatch.
: >"$work/expected-only.tsv"
expected_only=""
if [[ -n "$missing" ]]; then
    expected=$(awk '/^# TYPE/ {print $3}' "$work/e2e/collector/fixtures/e2e-output.txt" | sort -u | wc -l)
    if (($(wc -l <<<"$missing") * 20 > expected)); then
        echo "the fixture scrape lacks families of e2e-output.txt (binary and tag do not match?):" >&2
        echo "$missing" | head -20 >&2
        exit 1
    fi
    echo "note: taken from e2e-output.txt, not given by this build on the fixtures:" "${missing//$'\n'/ }" >&2
    python3 - "$TOOLS_DIR" "$work/e2e/collector/fixtures/e2e-output.txt" "$missing" \
        >"$work/expected-only.tsv" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from exposition_to_catalog import parse_exposition
families = parse_exposition(open(sys.argv[2], encoding="utf-8").read())
for name in sys.argv[3].split():
    fam = families[name]
    if fam["type"] not in ("gauge", "counter", "untyped") or list(fam["series"]) != [name]:
        sys.exit(f"{name}: a {fam['type']} from e2e-output.txt cannot be a supplement row")
    print("\t".join([name, fam["type"], ",".join(sorted(fam["series"][name])), "documentation", fam["help"]]))
PY
    expected_only="; $(tr '\n' ' ' <<<"$missing" | sed 's/ $//; s/ /, /g'), which this build did not give on the fixtures (its libraries read them differently), are taken from the tag's e2e-output.txt, the project's expected output of the same collectors on the same fixtures (source: documentation)"
fi
failed=$(grep -E '^node_scrape_collector_success\{.*\} 0$' "$work/fixture-scrape.txt" || true)
[[ -z "$failed" ]] || echo "note: collectors that failed on the fixtures: $failed" >&2

# 3. hwmon names built at run time.
python3 "$TOOLS_DIR/hwmon_patterns.py" --source "$work/e2e/collector/hwmon_linux.go" \
    --attributes "$TOOLS_DIR/supplements/hwmon-sysfs-attributes.tsv" --version "$version" \
    >"$work/hwmon-patterns.tsv"

# node_systemd_* as this release's systemd collector defines them.
python3 "$TOOLS_DIR/systemd_supplement.py" --source "$work/e2e/collector/systemd_linux.go" \
    --supplement "$TOOLS_DIR/supplements/node-exporter-systemd.tsv" >"$work/systemd.tsv"

python3 "$TOOLS_DIR/exposition_to_catalog.py" \
    --exporter node-exporter --version "$version" \
    --produced-by "$(basename "$binary") $version ($package_said), $(date -u +%Y-%m-%d), three real sources merged: (1) a scrape on 127.0.0.1 of this machine with default collectors plus systemd, processes, interrupts, tcpstat, cpu.info, mountstats, meminfo_numa and a textfile directory (source: scrape); (2) the same binary run on node_exporter v$version's end-to-end test fixtures (collector/fixtures: proc/, sys.ttar, udev.ttar) with the collectors and flags of its end-to-end-test.sh, a host with ZFS, hwmon, md RAID, bonding, EDAC, NVMe, thermal zones and more, checked to give every family of the tag's e2e-output.txt (source: fixture-scrape); (3) hwmon families named at run time, as patterns from collector/hwmon_linux.go's naming rule at the tag and the kernel's documented hwmon sysfs attributes (tools/catalogs/supplements/hwmon-sysfs-attributes.tsv; source: source-code). node_systemd_* cannot be scraped in a container without systemd/D-Bus and comes from the v$version systemd collector (collector/systemd_linux.go; source: documentation)$expected_only" \
    --regenerate "${suite:+DEBIAN_SUITE=$suite }NODE_EXPORTER_SRC=<node_exporter clone> tools/catalogs/scrape-node-exporter.sh (or: make catalogs NODE_EXPORTER_SRC=...)" \
    --scrape "$work/scrape.txt" \
    --fixture-scrape "$work/fixture-scrape.txt" \
    --fixture-keep-prefix node_ --fixture-keep-prefix go_ \
    --fixture-keep-prefix process_ --fixture-keep-prefix promhttp_ \
    --supplement "$work/systemd.tsv" \
    --supplement "$work/expected-only.tsv" \
    --patterns "$work/hwmon-patterns.tsv" \
    --output "$CATALOG_DIR/node-exporter-$version.yml"
