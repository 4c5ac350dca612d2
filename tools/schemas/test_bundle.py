"""Unit tests of bundle.py: shared schemas are stored once, and every version rebuilds."""

import json
import os
import tempfile
import unittest

import bundle


def document(resources: dict) -> dict:
    return {
        "format_version": "1.0",
        "provider_schemas": {
            "registry.terraform.io/x/y": {
                "provider": {"version": 0, "block": {}},
                "resource_schemas": resources,
                "data_source_schemas": {},
            }
        },
    }


class BundleTest(unittest.TestCase):
    def test_shared_schemas_are_stored_once_and_every_version_rebuilds(self):
        a = {"version": 0, "block": {"attributes": {"id": {"type": "string", "computed": True}}}}
        b = {"version": 1, "block": {"attributes": {"name": {"type": "string", "required": True}}}}
        docs = {
            "1.0.0": document({"y_a": a}),
            "1.1.0": document({"y_a": a, "y_b": b}),
            "1.10.0": document({"y_a": a, "y_b": b}),
            "1.2.0": document({"y_a": b}),
        }
        with tempfile.TemporaryDirectory() as schemas:
            for version, doc in docs.items():
                with open(os.path.join(schemas, f"x-y-{version}.json"), "w", encoding="utf-8") as f:
                    json.dump(doc, f)
            data = bundle.bundle("x-y", schemas, skip={"1.2.0"})
        self.assertEqual(list(data["versions"]), ["1.0.0", "1.1.0", "1.10.0"])
        # the provider block, a and b: three distinct values
        self.assertEqual(len(data["parts"]), 3)
        for version, entry in data["versions"].items():
            self.assertEqual(bundle.rebuild(data["provider"], entry, data["parts"]), docs[version])
        self.assertEqual(json.loads(bundle.render(data)), data)


if __name__ == "__main__":
    unittest.main()
