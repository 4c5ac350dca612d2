"""Unit tests of the schema generator on small Go and Markdown inputs written for these tests
(no provider source needed): `python3 -m unittest discover -s tools/schemas -p 'test_*.py'`."""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import framework  # noqa: E402
import generate  # noqa: E402
import sdkv2  # noqa: E402
from gosrc import Evaluator, Tree  # noqa: E402

MODULE = "example.com/provider"

SDK_SOURCE = {
    "res/consts.go": """
        package res

        const (
            mkName   = "name"
            mkDisk   = "disk"
            mkSize   = "size"
            dvSize   = 8
            mkTags   = "tags"
            mkOut    = "addresses"
            mkLabels = "labels"
        )
    """,
    "res/extra.go": """
        package res

        import "github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

        func extraSchema() map[string]*schema.Schema {
            return map[string]*schema.Schema{
                "endpoint": {
                    Type:        schema.TypeString,
                    Required:    true,
                    DefaultFunc: schema.EnvDefaultFunc("X_ENDPOINT", "https://localhost"),
                },
                "token": {
                    Type:        schema.TypeString,
                    Required:    true,
                    Sensitive:   true,
                    DefaultFunc: schema.EnvDefaultFunc("X_TOKEN", nil),
                },
            }
        }
    """,
    "res/thing.go": """
        package res

        import (
            "time"

            "github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

            "example.com/provider/structure"
        )

        // Thing is a resource for these tests.
        func Thing() *schema.Resource {
            s := map[string]*schema.Schema{
                mkName: {
                    Type:     schema.TypeString,
                    Required: true,
                },
                mkDisk: {
                    Type:     schema.TypeList,
                    Optional: true,
                    MaxItems: 31,
                    Elem: &schema.Resource{Schema: map[string]*schema.Schema{
                        mkSize: {Type: schema.TypeInt, Optional: true, Default: dvSize},
                    }},
                },
                "boot": {
                    Type:     schema.TypeList,
                    Required: true,
                    MaxItems: 1,
                    Elem: &schema.Resource{Schema: map[string]*schema.Schema{
                        "order": {Type: schema.TypeString, Optional: true},
                    }},
                },
                mkTags: {
                    Type:       schema.TypeSet,
                    Optional:   true,
                    Deprecated: "use " + mkLabels,
                    Elem:       &schema.Schema{Type: schema.TypeString},
                },
                mkOut: {
                    Type:     schema.TypeList,
                    Computed: true,
                    Elem: &schema.Resource{Schema: map[string]*schema.Schema{
                        "ipv4": {Type: schema.TypeList, Computed: true, Elem: &schema.Schema{Type: schema.TypeString}},
                    }},
                },
                mkLabels: {
                    Type: schema.TypeMap,
                    Optional: true,
                    Elem: &schema.Resource{Schema: map[string]*schema.Schema{}},
                },
            }
            structure.MergeSchema(s, extraSchema())
            return &schema.Resource{
                Schema:        s,
                SchemaVersion: 2,
                Timeouts: &schema.ResourceTimeout{
                    Create: schema.DefaultTimeout(time.Minute),
                    Delete: schema.DefaultTimeout(time.Minute),
                },
            }
        }
    """,
    "structure/schema.go": """
        package structure

        import "github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

        func MergeSchema(dst, src map[string]*schema.Schema) {
            for k, v := range src {
                dst[k] = v
            }
        }
    """,
}


def write_tree(files: dict[str, str]) -> str:
    root = tempfile.mkdtemp()
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as handle:
            handle.write(textwrap.dedent(text))
    return root


class SdkConversion(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tree = Tree(write_tree(SDK_SOURCE), MODULE)
        evaluator = Evaluator(tree, "x")
        resource = evaluator.call_func(tree.funcs["res"]["Thing"], [])
        cls.block = sdkv2.resource_block(resource, "thing", top=True)
        cls.version = generate.schema_version(resource)

    def test_constants_merged_schemas_and_id(self):
        attributes = self.block["attributes"]
        self.assertEqual(attributes["name"], {"type": "string", "required": True})
        self.assertIn("endpoint", attributes)  # merged in from another function
        self.assertEqual(attributes["id"], {"type": "string", "optional": True, "computed": True})
        self.assertEqual(self.version, 2)

    def test_nested_resources_are_blocks_with_item_limits(self):
        disk = self.block["block_types"]["disk"]
        self.assertEqual(disk["nesting_mode"], "list")
        self.assertEqual(disk["max_items"], 31)
        self.assertNotIn("min_items", disk)
        self.assertEqual(disk["block"]["attributes"]["size"], {"type": "number", "optional": True})
        boot = self.block["block_types"]["boot"]
        self.assertEqual((boot["min_items"], boot["max_items"]), (1, 1))

    def test_primitive_elements_and_computed_only_nested_are_attributes(self):
        attributes = self.block["attributes"]
        self.assertEqual(attributes["tags"]["type"], ["set", "string"])
        self.assertTrue(attributes["tags"]["deprecated"])
        self.assertEqual(
            attributes["addresses"],
            {"type": ["list", ["object", {"ipv4": ["list", "string"]}]], "computed": True},
        )
        self.assertEqual(attributes["labels"]["type"], ["map", "string"])

    def test_required_with_a_default_func_that_yields_a_value_is_optional(self):
        attributes = self.block["attributes"]
        self.assertEqual(attributes["endpoint"], {"type": "string", "optional": True})
        self.assertEqual(attributes["token"], {"type": "string", "required": True, "sensitive": True})

    def test_timeouts_block(self):
        timeouts = self.block["block_types"]["timeouts"]
        self.assertEqual(timeouts["nesting_mode"], "single")
        self.assertEqual(sorted(timeouts["block"]["attributes"]), ["create", "delete"])


DOCS = """
# Resource: x_thing

## Schema

### Required

- `name` (String) The name.

### Optional

- `flag` (Boolean) A flag. Default value is `true`.
- `limits` (Attributes) Limits. (see [below for nested schema](#nestedatt--limits))
- `rules` (Block List) Rules. (see [below for nested schema](#nestedblock--rules))

### Read-Only

- `id` (String) The ID.
- `items` (List of Object) Items. (see [below for nested schema](#nestedatt--items))
- `secret` (String, Sensitive) A secret.

<a id="nestedatt--limits"></a>
### Nested Schema for `limits`

Optional:

- `cpu` (Number) CPUs.

<a id="nestedblock--rules"></a>
### Nested Schema for `rules`

Required:

- `action` (String) Action.

<a id="nestedatt--items"></a>
### Nested Schema for `items`

Read-Only:

- `tags` (Set of String)
- `size` (Number)

## Import

- `not_an_attribute` (String) after the schema section
"""


class FrameworkDocs(unittest.TestCase):
    def setUp(self):
        self.sections = framework.docs_sections(DOCS, "x_thing")
        self.block = framework.docs_block(self.sections, "", "x_thing")

    def test_types_nesting_and_flags(self):
        attributes = self.block["attributes"]
        self.assertEqual(attributes["name"], {"type": "string", "required": True})
        self.assertEqual(attributes["secret"], {"type": "string", "computed": True, "sensitive": True})
        self.assertEqual(
            attributes["items"]["type"], ["list", ["object", {"size": "number", "tags": ["set", "string"]}]]
        )
        self.assertEqual(
            attributes["limits"]["nested_type"],
            {"attributes": {"cpu": {"type": "number", "optional": True}}, "nesting_mode": "single"},
        )
        rules = self.block["block_types"]["rules"]
        self.assertEqual(rules["nesting_mode"], "list")
        self.assertEqual(rules["block"]["attributes"]["action"], {"type": "string", "required": True})
        self.assertNotIn("not_an_attribute", attributes)

    def test_source_facts_make_optional_attributes_computed(self):
        framework.apply_facts(self.block, {"flag": {"computed": True, "default": True}, "name": {"computed": False}})
        self.assertEqual(self.block["attributes"]["flag"], {"type": "bool", "optional": True, "computed": True})
        self.assertNotIn("computed", self.block["attributes"]["name"])

    def test_paths_cover_nested_sections(self):
        paths = framework.docs_paths(self.sections)
        for path in ("name", "limits.cpu", "rules.action", "items.tags"):
            self.assertIn(path, paths)


HANDWRITTEN = """
## Argument Reference

- `machine` - (Optional) The machine type.
    - `pc` - Standard PC.
    - `q35` - Q35.
- `disk` - (Optional) A disk.
    - `size` - (Optional) Size.
    - `cache` - (Optional) Cache mode.
        - `none` - No cache.
- `macro`- (Optional) Missing space before the dash.

## Attribute Reference

- `ipv4_addresses` - The addresses.

## Import

- `other` - (Optional) not in a reference section.
"""


class HandwrittenDocs(unittest.TestCase):
    def test_value_lists_are_not_attributes(self):
        self.assertEqual(
            generate.handwritten_paths(HANDWRITTEN),
            ["disk", "disk.cache", "disk.size", "ipv4_addresses", "machine", "macro"],
        )


if __name__ == "__main__":
    unittest.main()
