#!/usr/bin/env python3
"""Validates X-ARF reports against the abusix JSON schemas (tests/fixtures/xarf/).

usage: xarf_validate.py SCHEMA_DIR FILE...
Prints one JSON object: {"valid": N, "errors": ["file: message", ...]}, or
{"skipped": "why"} when python3-jsonschema is not installed (exit 0 either way; the C test
decides what to assert).
"""
import json
import os
import sys

try:
    import jsonschema
except ImportError as e:  # the test says it skipped, with this reason
    print(json.dumps({"skipped": "python3-jsonschema is not installed (%s)" % e}))
    sys.exit(0)


def make_validator(schemas, root):
    """A validator of root that resolves the schemas' relative $refs from the local copies:
    through the referencing registry (jsonschema >= 4.18) or a RefResolver store (Debian 12's
    4.10)."""
    cls = jsonschema.validators.validator_for(root)
    try:
        from referencing import Registry, Resource
    except ImportError:
        resolver = jsonschema.RefResolver(root["$id"], root, store=schemas)
        return cls(root, resolver=resolver, format_checker=cls.FORMAT_CHECKER)
    registry = Registry().with_resources(
        (uri, Resource.from_contents(doc)) for uri, doc in schemas.items())
    return cls(root, registry=registry, format_checker=cls.FORMAT_CHECKER)


def main():
    schema_dir, files = sys.argv[1], sys.argv[2:]
    schemas = {}
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".schema.json"):
            with open(os.path.join(schema_dir, name)) as f:
                doc = json.load(f)
            schemas[doc["$id"]] = doc
    root = next(d for d in schemas.values() if d["$id"].endswith("/xarf.schema.json"))
    validator = make_validator(schemas, root)
    valid, errors = 0, []
    for path in files:
        with open(path) as f:
            report = json.load(f)
        problems = sorted(validator.iter_errors(report), key=lambda e: list(e.path))
        if problems:
            errors.append("%s: %s" % (path, "; ".join(p.message for p in problems)))
        else:
            valid += 1
    print(json.dumps({"valid": valid, "errors": errors}))


main()
