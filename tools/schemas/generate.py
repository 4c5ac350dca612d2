#!/usr/bin/env python3
"""Writes the offline provider's schema documents from a provider's source at its release tag.

usage: generate.py PROVIDER SRC OUT_DIR DOCS_PATHS_DIR
  PROVIDER        bpg-proxmox | hashicorp-tls | hashicorp-random (see PROVIDERS below)
  SRC             the provider's source tree at the release tag (e.g. `git archive v0.94.0`)
  OUT_DIR         providers/offline/schemas
  DOCS_PATHS_DIR  tools/schemas/docs-paths

Writes OUT_DIR/<provider>-<version>.json (the format of `terraform providers schema -json`),
OUT_DIR/<provider>-<version>.defaults.json (static defaults from the source, plus the plan
facts of tools/schemas/plan-facts/, for the providers planned without a mock) and
DOCS_PATHS_DIR/<provider>-<version>.tsv (every attribute path the provider's docs name).
The version is read from the source's CHANGELOG or given as PROVIDER@VERSION.
"""

from __future__ import annotations

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import framework  # noqa: E402
import sdkv2  # noqa: E402
from gosrc import Evaluator, Struct, Tree  # noqa: E402

PROVIDERS = {
    "bpg-proxmox": {
        "address": "registry.terraform.io/bpg/proxmox",
        "module": "github.com/bpg/terraform-provider-proxmox",
        "type_name": "proxmox",
        # what the framework half's provider Metadata sets as TypeName
        "framework_type_name": "proxmox_virtual_environment",
        "docs_prefix": "proxmox_",
        "framework_provider": ("fwprovider", "proxmoxProvider"),
        "sdk_resources": ("proxmoxtf/provider", "createResourceMap"),
        "sdk_data_sources": ("proxmoxtf/provider", "createDatasourceMap"),
        "sdk_provider": ("proxmoxtf/provider", "createSchema"),
    },
    "hashicorp-tls": {
        "address": "registry.terraform.io/hashicorp/tls",
        "module": "github.com/hashicorp/terraform-provider-tls",
        "type_name": "tls",
        "framework_provider": ("internal/provider", "tlsProvider"),
        "docs_prefix": "tls_",
    },
    "hashicorp-random": {
        "address": "registry.terraform.io/hashicorp/random",
        "module": "github.com/hashicorp/terraform-provider-random",
        "type_name": "random",
        "framework_provider": ("internal/provider", "randomProvider"),
        "docs_prefix": "random_",
    },
}


class GenerateError(Exception):
    pass


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def docs(src: str, kind_dir: str, prefix: str) -> dict[str, str]:
    directory = os.path.join(src, "docs", kind_dir)
    if not os.path.isdir(directory):
        return {}
    return {prefix + name[:-3]: os.path.join(directory, name)
            for name in sorted(os.listdir(directory)) if name.endswith(".md")}


def framework_schemas(tree: Tree, evaluator: Evaluator, spec) -> dict[tuple[str, str], object]:
    """(kind, type name) -> the schema.Schema value of every framework resource and data
    source: each constructor the provider lists is evaluated, then its Metadata and Schema
    methods (on the type or on a struct it embeds) are run against that value."""
    found = {}
    provider_package, provider_type = spec["framework_provider"]
    for kind, method_name in (("resource", "Resources"), ("data", "DataSources")):
        lister = tree.methods.get(provider_package, {}).get((provider_type, method_name))
        if lister is None:
            raise GenerateError(f"no method {provider_type}.{method_name} in {provider_package}")
        constructors = evaluator.call_func(lister, [])
        if constructors is None:  # `return nil`: none of this kind
            continue
        if not isinstance(constructors, list):
            raise GenerateError(f"{provider_type}.{method_name} does not return a list literal")
        for constructor in constructors:
            if not (isinstance(constructor, tuple) and constructor[0] == "funcref"):
                continue
            value = evaluator.call_func(tree.funcs[constructor[1]][constructor[2]], [])
            if not isinstance(value, Struct):
                continue
            metadata = find_method(tree, constructor[1], value, "Metadata")
            schema = find_method(tree, constructor[1], value, "Schema")
            if metadata is None or schema is None:
                continue
            response = Struct("response")
            evaluator.run(tree.body(metadata[0]), {"resp": response, metadata[0].receiver_var: metadata[1]},
                          metadata[0].file)
            type_name = response.get("TypeName")
            if not isinstance(type_name, str):
                continue
            schema_response = Struct("response")
            evaluator.run(tree.body(schema[0]), {"resp": schema_response, schema[0].receiver_var: schema[1]},
                          schema[0].file)
            found[(kind, type_name)] = schema_response.get("Schema")
    return found


def find_method(tree: Tree, package: str, value: Struct, name: str, depth: int = 0):
    """The method `name` of a struct value's type, or of a struct it embeds: (Func, receiver)."""
    type_name = value.type.split(".")[-1]
    packages = [package] + sorted(p for p in tree.methods if p != package)
    for candidate in packages:
        method = tree.methods[candidate].get((type_name, name))
        if method is not None and method.body_tokens and method.body_tokens[1] - method.body_tokens[0] > 3:
            return method, value
    if depth < 4:
        for field in value.fields.values():
            if isinstance(field, Struct):
                found = find_method(tree, package, field, name, depth + 1)
                if found is not None:
                    return found
    return None


def sdk_map(evaluator: Evaluator, tree: Tree, where) -> dict:
    if where is None:
        return {}
    package, name = where
    return evaluator.call_func(tree.funcs[package][name], [])


def handwritten_paths(text: str) -> list[str]:
    """Attribute paths of hand-written docs: the nested "- `name` - ..." lists of the
    Argument and Attribute Reference sections, nesting by indentation. In the Argument
    Reference an attribute is marked (Optional)/(Required)/...; an unmarked item there is an
    allowed value of its parent (`- `l26` - Linux Kernel 2.6 - 5.X.`), not an attribute."""
    paths = set()
    section = None
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            section = ("arguments" if title == "Argument Reference" else
                       "attributes" if title in ("Attribute Reference", "Attributes Reference") else None)
            stack = []
            continue
        if section is None:
            continue
        match = re.match(r"^(\s*)[-*] `([a-z0-9_]+)`(.*)$", line)
        if not match:
            continue
        indent = len(match.group(1).expandtabs(4))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        marked = re.match(r"\s*-?\s*\((Optional|Required|Computed|Deprecated)", match.group(3))
        if section == "arguments" and not marked:
            stack.append((indent, "\0"))  # a value list: nothing below it is an attribute
            continue
        if any(name == "\0" for _, name in stack):
            continue
        path = ".".join([name for _, name in stack] + [match.group(2)])
        paths.add(path)
        stack.append((indent, match.group(2)))
    return sorted(paths)


def generate(provider: str, version: str, src: str):
    spec = PROVIDERS[provider]
    tree = Tree(src, spec["module"])
    evaluator = Evaluator(tree, spec.get("framework_type_name", spec["type_name"]))
    sdk = {"resource": sdk_map(evaluator, tree, spec.get("sdk_resources")),
           "data": sdk_map(evaluator, tree, spec.get("sdk_data_sources"))}
    fw = framework_schemas(tree, evaluator, spec)
    schemas = {"resource": {}, "data": {}}
    defaults = {"resource": {}, "data": {}}
    doc_paths = []
    for kind, kind_dir in (("resource", "resources"), ("data", "data-sources")):
        documented = docs(src, kind_dir, spec["docs_prefix"])
        names = sorted(set(documented) | set(sdk[kind]))
        for name in names:
            where = f"{kind} {name}"
            text = read(documented[name]) if name in documented else ""
            sections = framework.docs_sections(text, where) if text else None
            if name in sdk[kind]:
                block = sdkv2.resource_block(sdk[kind][name], where, top=True)
                paths = handwritten_paths(text) if sections is None else framework.docs_paths(sections)
                schemas_of = sdk[kind][name].get("Schema")
                defaults[kind][name] = sdkv2.defaults(schemas_of) if isinstance(schemas_of, dict) else {}
            elif sections is not None:
                block = framework.docs_block(sections, "", where)
                facts = framework.source_facts(fw.get((kind, name)))
                framework.apply_facts(block, facts)
                defaults[kind][name] = {p: f["default"] for p, f in sorted(facts.items()) if "default" in f}
                paths = framework.docs_paths(sections)
            elif (kind, name) in fw:
                block = framework.source_block(fw[(kind, name)], where)
                facts = framework.source_facts(fw[(kind, name)])
                defaults[kind][name] = {p: f["default"] for p, f in sorted(facts.items()) if "default" in f}
                paths = []
            else:
                raise GenerateError(f"{where}: neither SDK source, generated docs nor framework source found")
            version_of = sdk[kind].get(name) if name in sdk[kind] else fw.get((kind, name))
            schemas[kind][name] = {"version": schema_version(version_of), "block": block}
            doc_paths.extend(f"{kind}\t{name}\t{p}" for p in paths)
    provider_block = provider_config(spec, tree, evaluator, src)
    doc_paths.extend(f"provider\t{spec['type_name']}\t{p}" for p in provider_paths(spec, src))
    document = {
        "format_version": "1.0",
        "provider_schemas": {
            spec["address"]: {
                "provider": {"version": 0, "block": provider_block},
                "resource_schemas": schemas["resource"],
                "data_source_schemas": schemas["data"],
            }
        },
    }
    facts_file = os.path.join(HERE, "plan-facts", f"{provider}-{version}.json")
    plan = None
    if os.path.exists(facts_file):
        plan = json.loads(read(facts_file))
        plan["defaults"] = {k: v for k, v in sorted(defaults["resource"].items()) if v}
    return document, plan, sorted(doc_paths)


def schema_version(resource) -> int:
    """SchemaVersion of an SDK resource, Version of a framework schema."""
    for field in ("SchemaVersion", "Version"):
        if isinstance(resource, Struct) and isinstance(resource.get(field), int):
            return resource.get(field)
    return 0


def provider_config(spec, tree, evaluator, src) -> dict:
    """The provider block: from the docs' generated schema section if there is one, else
    from the framework provider's Schema method (a muxed provider serves the block of its
    framework half, listed first), else from the SDK provider's schema map."""
    index = os.path.join(src, "docs", "index.md")
    sections = framework.docs_sections(read(index), "provider") if os.path.exists(index) else None
    if sections:
        return framework.docs_block(sections, "", "provider")
    package, provider_type = spec["framework_provider"]
    method = tree.methods.get(package, {}).get((provider_type, "Schema"))
    if method is not None:
        response = Struct("response")
        evaluator.run(tree.body(method), {"resp": response}, method.file)
        if response.get("Schema") is not None:
            return framework.source_block(response.get("Schema"), "provider")
    if "sdk_provider" in spec:
        return sdkv2.schema_map_block(sdk_map(evaluator, tree, spec["sdk_provider"]), "provider")
    return {}


def provider_paths(spec, src) -> list[str]:
    index = os.path.join(src, "docs", "index.md")
    if not os.path.exists(index):
        return []
    text = read(index)
    sections = framework.docs_sections(text, "provider")
    return framework.docs_paths(sections) if sections else handwritten_paths(text)


def dump(value) -> str:
    return json.dumps(value, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    provider, _, version = argv[1].partition("@")
    src, out_dir, paths_dir = argv[2:5]
    if provider not in PROVIDERS:
        print(f"generate.py: unknown provider {provider} (known: {', '.join(PROVIDERS)})", file=sys.stderr)
        return 2
    if not version:
        print("generate.py: give the version as PROVIDER@VERSION (e.g. bpg-proxmox@0.94.0)", file=sys.stderr)
        return 2
    try:
        document, plan, paths = generate(provider, version, src)
    except (GenerateError, sdkv2.SchemaProblem, framework.DocsProblem, framework.SourceProblem) as error:
        print(f"generate.py: {src}: {error}", file=sys.stderr)
        return 1
    base = f"{provider}-{version}"
    outputs = {os.path.join(out_dir, base + ".json"): dump(document),
               os.path.join(paths_dir, base + ".tsv"): "".join(p + "\n" for p in paths)}
    if plan is not None:
        outputs[os.path.join(out_dir, base + ".plan.json")] = dump(plan)
    for path, text in outputs.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
