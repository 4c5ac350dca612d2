#!/usr/bin/env bash
# Fails when a package declares a dependency its code never names (what `cargo machete`
# checks): each [dependencies], [dev-dependencies] and [build-dependencies] entry of every
# workspace package must appear as `name::` or `use name` (dashes as underscores) in that
# package's Rust sources. Usage: tools/check-unused-deps.sh [Cargo.toml ...]
set -euo pipefail
cd "$(dirname "$0")/.."
manifests=("$@")
if [[ ${#manifests[@]} -eq 0 ]]; then
    manifests=(Cargo.toml providers/offline/Cargo.toml)
fi
unused=()
for manifest in "${manifests[@]}"; do
    dir=$(dirname "$manifest")
    # The package's own sources: its src, tests, benches, steps and build script, not the
    # other workspace members below it.
    sources=()
    for sub in src tests benches steps build.rs; do
        [[ -e "$dir/$sub" ]] && sources+=("$dir/$sub")
    done
    deps=$(awk '
        /^\[/ { section = $0; next }
        section ~ /^\[(dev-|build-)?dependencies\]$/ && /^[A-Za-z0-9_-]+[[:space:]]*=/ {
            sub(/[[:space:]]*=.*/, ""); print
        }' "$manifest")
    # Crates only generated code names (tonic-build's prost types), listed the way
    # cargo-machete reads them: [package.metadata.cargo-machete] ignored = [...].
    ignored=$(awk '
        /^\[/ { section = $0; next }
        section == "[package.metadata.cargo-machete]" && /^ignored/ {
            gsub(/.*\[|\].*|"|,/, " "); print
        }' "$manifest")
    for dep in $deps; do
        if [[ " $ignored " == *" $dep "* ]]; then
            continue
        fi
        name=${dep//-/_}
        # Crates whose library is named differently from the package.
        case "$dep" in
            hcl-rs) name=hcl ;;
        esac
        if ! grep -rqE "(\b${name}::|use ${name}\b|extern crate ${name}\b|#\[${name}::)" \
            --include='*.rs' "${sources[@]}"; then
            unused+=("$manifest: $dep")
        fi
    done
done
if [[ ${#unused[@]} -gt 0 ]]; then
    printf 'unused dependency: %s\n' "${unused[@]}" >&2
    exit 1
fi
echo "dependencies: every declared crate is used"
