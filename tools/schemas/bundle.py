#!/usr/bin/env python3
"""Bundles many versions of one provider's schema into one deduplicated file.

usage: bundle.py PROVIDER SCHEMA_DIR OUT_FILE [--skip VERSION]... [--check]
  PROVIDER    e.g. bpg-proxmox: reads SCHEMA_DIR/<PROVIDER>-<version>.json (generate.py's output)
  OUT_FILE    providers/offline/schemas/<PROVIDER>.bundle.json
  --skip      a version kept as its own file (the default version), left out of the bundle
  --check     compare with OUT_FILE instead of writing it (exit 1 when they differ)

Consecutive releases share almost every resource schema, so each distinct schema value (the
provider block, one resource, one data source) is stored once under a hash of its canonical
JSON, and each version lists the hashes it is made of. The offline provider rebuilds a
version's document from them when an install selects that version. Every rebuilt document is
checked here to equal the generated one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

FORMAT = 1


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def part_hash(value) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()[:16]


def version_key(version: str):
    numbers, _, pre = version.partition("-")
    return tuple(int(n) for n in numbers.split(".")), pre == "", pre


def bundle(provider: str, schema_dir: str, skip: set[str]) -> dict:
    prefix = provider + "-"
    versions = sorted(
        (name[len(prefix):-len(".json")] for name in os.listdir(schema_dir)
         if name.startswith(prefix) and name.endswith(".json")
         and not name.endswith((".plan.json", ".defaults.json", ".bundle.json"))
         and name[len(prefix):len(prefix) + 1].isdigit()),
        key=version_key)
    parts: dict[str, object] = {}
    entries: dict[str, dict] = {}
    address = None

    def store(value) -> str:
        key = part_hash(value)
        parts.setdefault(key, value)
        return key

    for version in versions:
        if version in skip:
            continue
        with open(os.path.join(schema_dir, prefix + version + ".json"), encoding="utf-8") as handle:
            document = json.load(handle)
        if set(document) != {"format_version", "provider_schemas"} or len(document["provider_schemas"]) != 1:
            raise SystemExit(f"bundle.py: {prefix}{version}.json: not a one-provider schema document")
        (found, schemas), = document["provider_schemas"].items()
        if address not in (None, found):
            raise SystemExit(f"bundle.py: {prefix}{version}.json is {found}, not {address}")
        address = found
        entry = {"format_version": document["format_version"]}
        for key, value in sorted(schemas.items()):
            if key.endswith("_schemas") and isinstance(value, dict):
                entry[key] = {name: store(schema) for name, schema in sorted(value.items())}
            else:
                entry[key] = store(value)
        entries[version] = entry
        if rebuild(address, entry, parts) != document:
            raise SystemExit(f"bundle.py: {version} does not rebuild to the generated document")
    return {"bundle_format": FORMAT, "provider": address, "versions": entries, "parts": parts}


def rebuild(address: str, entry: dict, parts: dict) -> dict:
    schemas = {}
    for key, value in entry.items():
        if key == "format_version":
            continue
        schemas[key] = ({name: parts[h] for name, h in value.items()}
                        if isinstance(value, dict) else parts[value])
    return {"format_version": entry["format_version"], "provider_schemas": {address: schemas}}


def render(data: dict) -> str:
    """Compact JSON, one version and one part per line (readable diffs between regenerations)."""
    lines = ["{", f'"bundle_format": {data["bundle_format"]},',
             f'"provider": {json.dumps(data["provider"])},', '"versions": {']
    versions = list(data["versions"].items())
    for i, (version, entry) in enumerate(versions):
        comma = "," if i < len(versions) - 1 else ""
        lines.append(f"{json.dumps(version)}: {canonical(entry)}{comma}")
    lines.append("},")
    lines.append('"parts": {')
    parts = sorted(data["parts"].items())
    for i, (key, value) in enumerate(parts):
        comma = "," if i < len(parts) - 1 else ""
        lines.append(f"{json.dumps(key)}: {canonical(value)}{comma}")
    lines.append("}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--check"]
    check = "--check" in argv
    skip = set()
    while "--skip" in args:
        i = args.index("--skip")
        skip.add(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    provider, schema_dir, out = args
    text = render(bundle(provider, schema_dir, skip))
    if check:
        with open(out, encoding="utf-8") as handle:
            if handle.read() != text:
                print(f"bundle.py: {out} differs from what the bundler writes", file=sys.stderr)
                return 1
        print(f"bundle.py: {out} is what the bundler writes")
        return 0
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(text)
    data = json.loads(text)
    print(f"wrote {out}: {len(data['versions'])} versions, {len(data['parts'])} distinct schemas, {len(text.encode())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
