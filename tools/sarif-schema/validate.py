"""Validates a JSON file against a JSON schema: findings.sarif against the SARIF 2.1.0 schema
(draft-04), reports/coverage.json against docs/coverage.schema.json (draft 2020-12). The
validator follows the schema's "$schema" (draft-04 when it names none).

Usage: python3 validate.py SCHEMA FILE; prints every error with its JSON path, exit 1 if any.
"""
import json
import sys

import jsonschema

schema_path, file_path = sys.argv[1], sys.argv[2]
with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)
with open(file_path, encoding="utf-8") as f:
    log = json.load(f)
cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
cls.check_schema(schema)
validator = cls(schema, format_checker=jsonschema.FormatChecker())
errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
for error in errors:
    path = "/".join(str(p) for p in error.absolute_path)
    print(f"{file_path}: /{path}: {error.message}")
sys.exit(1 if errors else 0)
