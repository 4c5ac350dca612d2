"""terraform-plugin-framework resources: structure from the docs' generated "## Schema"
sections (tfplugindocs output: names, types, nesting, required/optional/read-only,
sensitive, deprecated), and from the source what the docs do not say: which optional
attributes are also computed, and their static defaults.

A resource whose docs have no generated schema section is read from its source alone.
"""

from __future__ import annotations

import re

from gosrc import Call, External, Opaque, Struct

ITEM = re.compile(r"^- `([A-Za-z0-9_]+)` \(([^)]*)\)(.*)$")
ANCHOR = re.compile(r'^<a id="([^"]+)"></a>')
LINK = re.compile(r"\(see \[below for nested schema\]\(#([^)]+)\)\)")
CATEGORY = {"Required": "required", "Optional": "optional", "Read-Only": "read_only"}


class DocsProblem(Exception):
    pass


# ---------------------------------------------------------------- docs


def docs_sections(text: str, where: str):
    """Parses the generated schema section into {anchor: [(name, type_text, category, link)]};
    the top level is anchor ""."""
    lines = text.splitlines()
    try:
        start = lines.index("## Schema")
    except ValueError:
        return None
    sections: dict[str, list] = {"": []}
    current = ""
    category = None
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        stripped = line.strip()
        anchor = ANCHOR.match(stripped)
        if anchor:
            current = anchor.group(1)
            sections.setdefault(current, [])
            category = None
            continue
        heading = stripped.lstrip("#").strip().rstrip(":")
        if heading in CATEGORY and (stripped.startswith("###") or stripped.endswith(":")):
            category = CATEGORY[heading]
            continue
        item = ITEM.match(stripped)
        if item:
            if category is None:
                raise DocsProblem(f"{where}: attribute {item.group(1)} outside a Required/Optional/Read-Only list")
            link = LINK.search(item.group(3))
            sections[current].append((item.group(1), item.group(2), category, link.group(1) if link else None))
    return sections


def docs_paths(sections) -> list[str]:
    """Every attribute path the docs name, in the form a.b.c (for the coverage data)."""
    paths = []

    def walk(anchor: str, prefix: str, seen: tuple):
        for name, _, _, link in sections.get(anchor, []):
            path = f"{prefix}{name}"
            paths.append(path)
            if link and link in sections and link not in seen:
                walk(link, path + ".", seen + (link,))

    walk("", "", ())
    return sorted(set(paths))


SCALAR_DOCS = {"String": "string", "Number": "number", "Boolean": "bool", "Bool": "bool", "Dynamic": "dynamic"}


def docs_type(text: str, link, sections, where: str):
    if text in SCALAR_DOCS:
        return SCALAR_DOCS[text]
    for prefix, kind in (("List of ", "list"), ("Set of ", "set"), ("Map of ", "map")):
        if text.startswith(prefix):
            return [kind, docs_type(text[len(prefix):], link, sections, where)]
    if text == "Object":
        if link is None or link not in sections:
            raise DocsProblem(f"{where}: Object without its nested schema")
        return ["object", {name: docs_type(t.split(",")[0].strip(), l, sections, f"{where}.{name}")
                           for name, t, _, l in sorted(sections[link])}]
    raise DocsProblem(f"{where}: unknown type {text!r}")


def docs_block(sections, anchor: str, where: str) -> dict:
    attributes, blocks = {}, {}
    for name, type_text, category, link in sections.get(anchor, []):
        here = f"{where}.{name}"
        parts = [p.strip() for p in type_text.split(",")]
        base, flags = parts[0], parts[1:]
        if base.startswith("Block"):
            mode = {"Block": "single", "Block List": "list", "Block Set": "set", "Block Map": "map"}.get(base)
            if mode is None:
                raise DocsProblem(f"{here}: unknown block kind {base!r}")
            nested = {"nesting_mode": mode, "block": docs_block(sections, link, here) if link else {}}
            for flag in flags:
                if flag.startswith("Min: "):
                    nested["min_items"] = int(flag[5:])
                if flag.startswith("Max: "):
                    nested["max_items"] = int(flag[5:])
            blocks[name] = nested
            continue
        attribute: dict = {}
        if base.startswith("Attributes"):
            mode = {"Attributes": "single", "Attributes List": "list", "Attributes Set": "set",
                    "Attributes Map": "map"}.get(base)
            if mode is None or link is None:
                raise DocsProblem(f"{here}: unknown nested attribute kind {base!r}")
            inner = docs_block(sections, link, here)
            if inner.get("block_types"):
                raise DocsProblem(f"{here}: nested attributes cannot hold blocks")
            attribute["nested_type"] = {"attributes": inner.get("attributes", {}), "nesting_mode": mode}
        else:
            attribute["type"] = docs_type(base, link, sections, here)
        if category == "required":
            attribute["required"] = True
        elif category == "optional":
            attribute["optional"] = True
        else:
            attribute["computed"] = True
        if "Sensitive" in flags:
            attribute["sensitive"] = True
        if "Deprecated" in flags:
            attribute["deprecated"] = True
        attributes[name] = attribute
    block = {}
    if attributes:
        block["attributes"] = dict(sorted(attributes.items()))
    if blocks:
        block["block_types"] = dict(sorted(blocks.items()))
    return block


# ---------------------------------------------------------------- source


NUMBER_ATTRIBUTES = {"Int64Attribute", "Int32Attribute", "Float64Attribute", "Float32Attribute", "NumberAttribute"}
SCALAR_ATTRIBUTES = {"StringAttribute": "string", "BoolAttribute": "bool", "DynamicAttribute": "dynamic",
                     **{n: "number" for n in NUMBER_ATTRIBUTES}}
ELEMENT_TYPES = {"StringType": "string", "Int64Type": "number", "Int32Type": "number", "Float64Type": "number",
                 "Float32Type": "number", "NumberType": "number", "BoolType": "bool", "DynamicType": "dynamic"}


class SourceProblem(Exception):
    pass


def short(type_text: str) -> str:
    return type_text.split(".")[-1]


def element_type(value, where: str):
    if isinstance(value, External) and short(value.name) in ELEMENT_TYPES:
        return ELEMENT_TYPES[short(value.name)]
    if isinstance(value, Struct):
        kind = short(value.type)
        if kind in ELEMENT_TYPES:
            return ELEMENT_TYPES[kind]
        if kind in ("ListType", "SetType", "MapType"):
            return [kind[:-4].lower(), element_type(value.get("ElemType"), where)]
        if kind == "ObjectType":
            types = value.get("AttrTypes")
            if isinstance(types, dict):
                return ["object", {k: element_type(v, f"{where}.{k}") for k, v in sorted(types.items())}]
    raise SourceProblem(f"{where}: cannot read the element type ({value!r})")


def flags(value: Struct) -> dict:
    out = {}
    for field, key in (("Required", "required"), ("Optional", "optional"), ("Computed", "computed"),
                       ("Sensitive", "sensitive")):
        if value.get(field) is True:
            out[key] = True
    message = value.get("DeprecationMessage")
    if isinstance(message, str) and message or isinstance(message, Opaque):
        out["deprecated"] = True
    return out


def source_attribute(value, where: str) -> dict:
    if isinstance(value, Call) and value.name == "timeouts.Attributes":
        return {"nested_type": {"attributes": timeout_attributes(value), "nesting_mode": "single"}, "optional": True}
    if not isinstance(value, Struct):
        raise SourceProblem(f"{where}: not an attribute literal ({value!r})")
    kind = short(value.type)
    result: dict = {}
    if kind in SCALAR_ATTRIBUTES:
        result["type"] = SCALAR_ATTRIBUTES[kind]
    elif kind in ("ListAttribute", "SetAttribute", "MapAttribute"):
        result["type"] = [kind[:-9].lower(), element_type(value.get("ElementType"), where)]
    elif kind == "ObjectAttribute":
        result["type"] = element_type(Struct("types.ObjectType", {"AttrTypes": value.get("AttributeTypes")}), where)
    elif kind in ("ListNestedAttribute", "SetNestedAttribute", "MapNestedAttribute"):
        nested = value.get("NestedObject")
        attributes = nested.get("Attributes") if isinstance(nested, Struct) else None
        result["nested_type"] = {"attributes": source_attributes(attributes, where),
                                 "nesting_mode": kind[:-15].lower()}
    elif kind == "SingleNestedAttribute":
        result["nested_type"] = {"attributes": source_attributes(value.get("Attributes"), where),
                                 "nesting_mode": "single"}
    else:
        raise SourceProblem(f"{where}: unknown attribute kind {value.type}")
    result.update(flags(value))
    return result


def timeout_attributes(call: Call) -> dict:
    options = call.args[1] if len(call.args) > 1 else None
    names = ("Create", "Read", "Update", "Delete")
    if isinstance(options, Struct):
        return {n.lower(): {"type": "string", "optional": True} for n in names if options.get(n) is True}
    return {}


def source_attributes(attributes, where: str) -> dict:
    if not isinstance(attributes, dict):
        raise SourceProblem(f"{where}: attributes are not a map literal ({attributes!r})")
    return {name: source_attribute(v, f"{where}.{name}") for name, v in sorted(attributes.items())}


def source_block(value, where: str) -> dict:
    block = {}
    attributes = value.get("Attributes") if isinstance(value, Struct) else None
    if attributes:
        block["attributes"] = source_attributes(attributes, where)
    blocks = value.get("Blocks") if isinstance(value, Struct) else None
    if isinstance(blocks, dict) and blocks:
        nested_blocks = {}
        for name, nested in sorted(blocks.items()):
            here = f"{where}.{name}"
            if isinstance(nested, Call) and nested.name == "timeouts.Block":
                nested_blocks[name] = {"nesting_mode": "single",
                                       "block": {"attributes": timeout_attributes(nested)}}
                continue
            if not isinstance(nested, Struct):
                raise SourceProblem(f"{here}: not a block literal ({nested!r})")
            kind = short(nested.type)
            if kind == "SingleNestedBlock":
                nested_blocks[name] = {"nesting_mode": "single", "block": source_block(nested, here)}
            elif kind in ("ListNestedBlock", "SetNestedBlock"):
                nested_blocks[name] = {"nesting_mode": kind[:-11].lower(),
                                       "block": source_block(nested.get("NestedObject"), here)}
            else:
                raise SourceProblem(f"{here}: unknown block kind {nested.type}")
        block["block_types"] = nested_blocks
    return block


def source_facts(value, prefix: str = "") -> dict:
    """{path: {"computed": bool, "default": value?}} for every attribute the source spells out,
    whatever else in the schema could not be evaluated."""
    facts = {}
    if not isinstance(value, Struct):
        return facts
    attributes = value.get("Attributes")
    if isinstance(attributes, dict):
        for name, attribute in attributes.items():
            path = prefix + name
            if isinstance(attribute, Struct):
                fact = {"computed": attribute.get("Computed") is True}
                default = attribute.get("Default")
                if isinstance(default, Call) and default.args and isinstance(default.args[0], (str, int, float, bool)):
                    fact["default"] = default.args[0]
                facts[path] = fact
                nested = attribute.get("NestedObject")
                facts.update(source_facts(nested if isinstance(nested, Struct) else attribute, path + "."))
    blocks = value.get("Blocks")
    if isinstance(blocks, dict):
        for name, block in blocks.items():
            if isinstance(block, Struct):
                nested = block.get("NestedObject")
                facts.update(source_facts(nested if isinstance(nested, Struct) else block, prefix + name + "."))
    return facts


def apply_facts(block: dict, facts: dict, prefix: str = "") -> None:
    """Marks the docs' optional attributes that the source declares computed too."""
    for name, attribute in block.get("attributes", {}).items():
        path = prefix + name
        fact = facts.get(path)
        if fact and fact["computed"] and attribute.get("optional"):
            attribute["computed"] = True
        nested = attribute.get("nested_type")
        if nested:
            apply_facts(nested, facts, path + ".")
    for name, nested in block.get("block_types", {}).items():
        apply_facts(nested["block"], facts, prefix + name + ".")
