#!/usr/bin/env bash
# Regenerates (or, with --check, compares) the offline provider's bundled schemas from the
# providers' source trees at their release tags.
#
# usage: tools/schemas/regenerate.sh SRC [--check]
#   SRC holds one source tree per provider, named like the schema files without the version:
#   SRC/bpg-proxmox, SRC/hashicorp-tls, SRC/hashicorp-random (e.g. `git archive v0.94.0 | tar -x`).
#   --check writes into a temp dir and fails if anything differs from the committed files.
set -euo pipefail

# The bundled releases: one line per provider. A new release is a new line (and a new file).
RELEASES=(bpg-proxmox@0.94.0 hashicorp-tls@4.2.1 hashicorp-random@3.8.1)

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
src=${1:?usage: regenerate.sh SRC [--check]}
check=${2:-}

schemas=$repo/providers/offline/schemas
paths=$repo/tools/schemas/docs-paths
if [ "$check" = --check ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  schemas=$out/schemas
  paths=$out/docs-paths
fi

for release in "${RELEASES[@]}"; do
  name=${release%@*}
  if [ ! -d "$src/$name" ]; then
    echo "regenerate.sh: $src/$name: no source tree (extract the provider at its release tag there)" >&2
    exit 2
  fi
  python3 "$here/generate.py" "$release" "$src/$name" "$schemas" "$paths" >/dev/null
done

if [ "$check" = --check ]; then
  status=0
  for file in "$schemas"/* "$paths"/*; do
    case $file in
      "$schemas"/*) committed=$repo/providers/offline/schemas/${file##*/} ;;
      *) committed=$repo/tools/schemas/docs-paths/${file##*/} ;;
    esac
    if ! cmp -s "$file" "$committed"; then
      echo "schemas: ${committed#"$repo"/} differs from what the generator writes" >&2
      status=1
    fi
  done
  [ $status = 0 ] && echo "schemas: the generator reproduces every bundled schema byte for byte"
  exit $status
fi
echo "schemas: regenerated ${RELEASES[*]}"
