"""terraform-plugin-sdk/v2 resources: the schema.Resource values of the source, turned into
the block JSON that `terraform providers schema -json` prints.

The conversion follows the SDK's documented CoreConfigSchema rules (recorded here as our
own code, not copied): Elem *Resource in a list/set is a nested block unless it is
computed-only or ConfigMode says attribute; TypeMap with a *Resource Elem is a map of
strings; a Required block gets min_items 1, an Optional one none, a computed-only one no
limits; Required plus a DefaultFunc that yields a value becomes optional; every resource
gets an optional+computed `id` and, with Timeouts, a `timeouts` block.
"""

from __future__ import annotations

from gosrc import OPAQUE, Call, External, Opaque, Struct

SCALARS = {
    "schema.TypeString": "string",
    "schema.TypeInt": "number",
    "schema.TypeFloat": "number",
    "schema.TypeBool": "bool",
}
COLLECTIONS = {"schema.TypeList": "list", "schema.TypeSet": "set", "schema.TypeMap": "map"}


class SchemaProblem(Exception):
    pass


def type_name(schema: Struct, where: str) -> str:
    value = schema.get("Type")
    if isinstance(value, External):
        return value.name
    raise SchemaProblem(f"{where}: Type is not a schema.ValueType ({value!r})")


def truthy(value) -> bool:
    return value is True


def present(value) -> bool:
    return value is not None and value is not False


def default_func_yields_value(value) -> bool:
    """Whether a DefaultFunc gives a value when no environment variable is set."""
    if isinstance(value, Call) and value.name in ("schema.EnvDefaultFunc", "schema.MultiEnvDefaultFunc"):
        return len(value.args) > 1 and value.args[1] is not None
    return value is not None


def cty_type(schema: Struct, where: str):
    name = type_name(schema, where)
    if name in SCALARS:
        return SCALARS[name]
    if name in COLLECTIONS:
        elem = schema.get("Elem")
        if elem is None:
            element = "string"
        elif isinstance(elem, External):
            element = SCALARS.get(elem.name, "string")
        elif isinstance(elem, Struct) and elem.type == "schema.Schema":
            element = cty_type(elem, where + "[]")
        elif isinstance(elem, Struct) and elem.type == "schema.Resource":
            if name == "schema.TypeMap":
                element = "string"
            else:
                element = implied_type(resource_block(elem, where + "[]", top=False))
        else:
            raise SchemaProblem(f"{where}: cannot read Elem ({elem!r})")
        return [COLLECTIONS[name], element]
    raise SchemaProblem(f"{where}: unknown type {name}")


def implied_type(block: dict):
    """The object type of a block's value, as Terraform derives it."""
    attributes = {}
    for name, attribute in block.get("attributes", {}).items():
        attributes[name] = attribute["type"]
    for name, nested in block.get("block_types", {}).items():
        inner = implied_type(nested["block"])
        mode = nested["nesting_mode"]
        attributes[name] = inner if mode == "single" else [mode, inner]
    return ["object", dict(sorted(attributes.items()))]


def attribute(schema: Struct, where: str) -> dict:
    required = truthy(schema.get("Required"))
    optional = truthy(schema.get("Optional"))
    if required and default_func_yields_value(schema.get("DefaultFunc")):
        required, optional = False, True
    result = {"type": cty_type(schema, where)}
    if required:
        result["required"] = True
    if optional:
        result["optional"] = True
    if truthy(schema.get("Computed")):
        result["computed"] = True
    if truthy(schema.get("Sensitive")):
        result["sensitive"] = True
    deprecated = schema.get("Deprecated")
    if isinstance(deprecated, str) and deprecated or isinstance(deprecated, Opaque):
        result["deprecated"] = True
    return result


def nested_block(schema: Struct, where: str) -> dict:
    mode = COLLECTIONS[type_name(schema, where)]
    result = {"nesting_mode": mode, "block": resource_block(schema.get("Elem"), where, top=False)}
    min_items = schema.get("MinItems") if isinstance(schema.get("MinItems"), int) else 0
    max_items = schema.get("MaxItems") if isinstance(schema.get("MaxItems"), int) else 0
    if truthy(schema.get("Required")) and min_items == 0:
        min_items = 1
    if truthy(schema.get("Optional")) and min_items > 0:
        min_items = 0
    if truthy(schema.get("Computed")) and not truthy(schema.get("Optional")):
        min_items = max_items = 0
    if min_items:
        result["min_items"] = min_items
    if max_items:
        result["max_items"] = max_items
    return result


def schema_map_block(schemas: dict, where: str) -> dict:
    attributes, blocks = {}, {}
    for name, schema in schemas.items():
        here = f"{where}.{name}"
        if not isinstance(schema, Struct):
            raise SchemaProblem(f"{here}: not a schema.Schema literal ({schema!r})")
        elem = schema.get("Elem")
        is_resource = isinstance(elem, Struct) and elem.type == "schema.Resource"
        mode = schema.get("ConfigMode")
        mode = mode.name if isinstance(mode, External) else ""
        if not is_resource or type_name(schema, here) == "schema.TypeMap":
            attributes[name] = attribute(schema, here)
        elif mode == "schema.SchemaConfigModeAttr":
            attributes[name] = attribute(schema, here)
        elif mode == "schema.SchemaConfigModeBlock":
            blocks[name] = nested_block(schema, here)
        elif truthy(schema.get("Computed")) and not truthy(schema.get("Optional")):
            attributes[name] = attribute(schema, here)
        else:
            blocks[name] = nested_block(schema, here)
    block = {}
    if attributes:
        block["attributes"] = dict(sorted(attributes.items()))
    if blocks:
        block["block_types"] = dict(sorted(blocks.items()))
    return block


def resource_block(resource, where: str, top: bool) -> dict:
    if not isinstance(resource, Struct) or resource.type != "schema.Resource":
        raise SchemaProblem(f"{where}: not a schema.Resource literal ({resource!r})")
    schemas = resource.get("Schema")
    if not isinstance(schemas, dict):
        raise SchemaProblem(f"{where}: Schema is not a map literal ({schemas!r})")
    block = schema_map_block(schemas, where)
    if top:
        attributes = block.setdefault("attributes", {})
        if "id" not in attributes:
            attributes["id"] = {"type": "string", "optional": True, "computed": True}
            block["attributes"] = dict(sorted(attributes.items()))
        timeouts = resource.get("Timeouts")
        if isinstance(timeouts, Struct) and "timeouts" not in block.get("block_types", {}):
            names = {"Create": "create", "Read": "read", "Update": "update", "Delete": "delete", "Default": "default"}
            timeout_attributes = {
                names[k]: {"type": "string", "optional": True}
                for k in timeouts.fields
                if k in names and timeouts.fields[k] is not None
            }
            blocks = block.setdefault("block_types", {})
            blocks["timeouts"] = {
                "nesting_mode": "single",
                "block": {"attributes": dict(sorted(timeout_attributes.items()))},
            }
            block["block_types"] = dict(sorted(blocks.items()))
    return block


def defaults(schemas: dict) -> dict:
    """Static Default values of the top-level attributes (for the plan-facts data)."""
    out = {}
    for name, schema in schemas.items():
        value = schema.get("Default") if isinstance(schema, Struct) else None
        if isinstance(value, (str, int, float, bool)):
            out[name] = value
    return out


__all__ = ["resource_block", "schema_map_block", "SchemaProblem", "defaults", "OPAQUE"]
