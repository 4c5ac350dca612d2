#!/usr/bin/env bash
# A copy of a homelab repository grown for the sharding figures (benches/README.md): to 9
# Terraform directories (copies of the first modules under new names, tests included) and 30
# BATS files (copies of the existing ones next to them, so their helpers and relative paths
# still resolve). The copies are real work: each is one more `terraform test` or `bats` run.
# Usage: tools/shards/grow.sh SRC DEST [TERRAFORM_DIRS] [BATS_FILES]
set -euo pipefail
src=$(cd "$1" && pwd)
dest=$2
want_tf=${3:-9}
want_bats=${4:-30}
[[ ! -e $dest ]] || { echo "grow: $dest exists" >&2; exit 2; }
mkdir -p "$dest"
# The repository's files as git has them (no target/, reports/ or .git), else everything.
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$src" ls-files -z --cached --others --exclude-standard |
        (cd "$src" && xargs -0 cp --parents -a -t "$dest")
else
    cp -a "$src/." "$dest/"
fi
modules=$(dirname "$(find "$dest/infrastructure" -type d -name modules -print -quit)/x")
originals=()
while IFS= read -r m; do originals+=("$m"); done < <(find "$modules" -mindepth 1 -maxdepth 1 -type d -exec test -d {}/tests \; -print | sort)
count=$(find "$dest/infrastructure" -name '*.tftest.hcl' -printf '%h\n' | sed 's|/tests$||' | sort -u | wc -l)
i=0
while (( count < want_tf )); do
    from=${originals[$(( i % ${#originals[@]} ))]}
    # A module deploying alert rules is left out: its copy would deploy the same alerts twice.
    if ! find "$from" -name '*.yml' -path '*alerts*' | grep -q .; then
        cp -a "$from" "$from-grown-$i"
        count=$((count + 1))
    fi
    i=$((i + 1))
    (( i < 100 )) || { echo "grow: no module to copy" >&2; exit 1; }
done
bats=()
while IFS= read -r b; do bats+=("$b"); done < <(find "$dest/tests" -name '*.bats' | sort)
n=${#bats[@]}
i=0
while (( n < want_bats )); do
    from=${bats[$(( i % ${#bats[@]} ))]}
    cp -a "$from" "${from%.bats}_grown_$i.bats"
    n=$((n + 1)); i=$((i + 1))
done
echo "grow: $dest: $count Terraform directories with tests, $n BATS files"
