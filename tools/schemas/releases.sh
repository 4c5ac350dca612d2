#!/usr/bin/env bash
# Writes providers/offline/releases.tsv: every release of each offline provider, from the
# release tags of its source repository, and which of them have a bundled schema. The suite
# matches `required_providers` constraints against this list, as `terraform init` matches
# them against the registry's.
#
# usage: tools/schemas/releases.sh PROVIDER=GIT_DIR...
#   e.g. tools/schemas/releases.sh bpg-proxmox=/src/terraform-provider-proxmox/.git \
#          hashicorp-tls=/src/terraform-provider-tls/.git hashicorp-random=...
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$repo/providers/offline/releases.tsv
schemas=$repo/providers/offline/schemas

{
  echo "# Every release of each offline provider: its source repository's release tags (vX.Y.Z),"
  echo "# written by tools/schemas/releases.sh on $(date -u +%Y-%m-%d). Columns: provider address,"
  echo "# version, and \"default\" (its own schema file, served when nothing selects another) or"
  echo "# \"bundled\" (in <provider>.bundle.json) when providers/offline/schemas holds its schema."
  for arg in "$@"; do
    name=${arg%%=*}
    git_dir=${arg#*=}
    address=registry.terraform.io/${name/-//}
    bundled=$(python3 - "$schemas" "$name" <<'PY'
import json, os, sys
schemas, name = sys.argv[1], sys.argv[2]
found = {}
bundle = os.path.join(schemas, name + ".bundle.json")
if os.path.exists(bundle):
    with open(bundle, encoding="utf-8") as handle:
        found.update((v, "bundled") for v in json.load(handle)["versions"])
for file in os.listdir(schemas):
    version = file[len(name) + 1:-len(".json")]
    if file.startswith(name + "-") and file.endswith(".json") and version[:1].isdigit() \
            and not file.endswith(".plan.json"):
        found[version] = "default"
print(" ".join(f"{v}={kind}" for v, kind in sorted(found.items())))
PY
)
    git --git-dir="$git_dir" tag --list 'v[0-9]*' | sed 's/^v//' \
      | grep -E '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$' | sort -V \
      | while read -r version; do
          kind=
          for entry in $bundled; do
            [ "${entry%=*}" = "$version" ] && kind=${entry#*=}
          done
          if [ -n "$kind" ]; then
            printf '%s\t%s\t%s\n' "$address" "$version" "$kind"
          else
            printf '%s\t%s\n' "$address" "$version"
          fi
        done
  done
} >"$out"
echo "wrote $out"
