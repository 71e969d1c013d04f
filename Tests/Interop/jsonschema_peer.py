#!/usr/bin/env python3
"""The JSON Schema peer: Python `jsonschema` (Draft7Validator, Draft202012Validator) as the reference
for Canon's validator.

    jsonschema_peer.py generate DRAFT SEED COUNT < schemas.json

reads a JSON array of schemas, makes COUNT instances per schema (built from the schema, then mutated
at random, so about half are invalid), and writes one JSON line per instance:
[schema index, instance, valid?] with `valid?` from jsonschema. Strings avoid what `re` and ECMA-262
read differently (line ends before `$`, non-ASCII digits), so a disagreement is a real one.

One keyword is replaced: jsonschema's `multipleOf` divides binary floats (0.07 / 0.01 is
7.000000000000001, so 0.07 "is not" a multiple of 0.01); the peer's divides the decimals the JSON text
says, as the specification means and Canon does.
"""
import decimal
import json
import random
import sys

import jsonschema
from jsonschema import validators


def exact_multiple_of(validator, divisor, instance, schema):
    if not validator.is_type(instance, "number"):
        return
    quotient = decimal.Decimal(repr(instance)) / decimal.Decimal(repr(divisor))
    if quotient != quotient.to_integral_value():
        yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {divisor}")


decimal.getcontext().prec = 400
DRAFTS = {
    "7": validators.extend(jsonschema.Draft7Validator, {"multipleOf": exact_multiple_of}),
    "2020-12": validators.extend(jsonschema.Draft202012Validator, {"multipleOf": exact_multiple_of}),
}

CHARS = "abcdefxyzABCXYZ0123456789 _-.@:/é漢"


def rand_string(rng, n=None):
    n = rng.randint(0, 12) if n is None else n
    return "".join(rng.choice(CHARS) for _ in range(n))


def rand_number(rng):
    return rng.choice([
        rng.randint(-1000, 1000), rng.randint(-5, 5), round(rng.uniform(-100, 100), rng.randint(0, 3)),
        rng.choice([0, 1, -1, 0.5, 1.0, 2.0, 0.01, 0.07, 1e3, 100, 9007199254740993, 2**63, -(2**63)]),
    ])


def rand_value(rng, depth=0):
    kind = rng.randint(0, 7 if depth < 3 else 4)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind in (2, 3):
        return rand_number(rng)
    if kind == 4:
        return rand_string(rng)
    if kind == 5:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rand_string(rng, rng.randint(1, 5)): rand_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def resolve(schema, root):
    while isinstance(schema, dict) and "$ref" in schema and schema["$ref"].startswith("#/"):
        node = root
        for token in schema["$ref"][2:].split("/"):
            node = node[token]
        schema = node
    return schema


def generate(rng, schema, root, depth=0):
    """An instance built from the schema (often valid), or anything."""
    schema = resolve(schema, root)
    if not isinstance(schema, dict) or depth > 6 or rng.random() < 0.05:
        return rand_value(rng, depth)
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema and rng.random() < 0.7:
            return generate(rng, rng.choice(schema[key]), root, depth + 1)
    if "const" in schema and rng.random() < 0.8:
        return schema["const"]
    if "enum" in schema and rng.random() < 0.8:
        return rng.choice(schema["enum"])
    types = schema.get("type")
    if isinstance(types, list):
        types = rng.choice(types)
    if types is None:
        if "properties" in schema or "required" in schema:
            types = "object"
        elif "items" in schema or "prefixItems" in schema or "contains" in schema:
            types = "array"
        else:
            return rand_value(rng, depth)
    if types == "object":
        out = {}
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        for name, sub in props.items():
            if name in required or rng.random() < 0.6:
                out[name] = generate(rng, sub, root, depth + 1)
        for pattern in schema.get("patternProperties", {}):
            if rng.random() < 0.3:
                out[rng.choice(["x1", "x_a", "y2", "zz"])] = rand_value(rng, depth + 1)
        if rng.random() < 0.2:
            out[rand_string(rng, 3)] = rand_value(rng, depth + 1)
        return out
    if types == "array":
        prefix = schema.get("prefixItems", [])
        items = schema.get("items", {})
        n = rng.randint(0, 5)
        out = []
        for i in range(n):
            sub = prefix[i] if i < len(prefix) else (items if isinstance(items, dict) else {})
            out.append(generate(rng, sub, root, depth + 1))
        return out
    if types == "string":
        if "format" in schema and rng.random() < 0.5:
            return rng.choice(["2024-02-29T12:00:00Z", "not-a-date", "user@example.com", "3fa85f64-5717-4562-b3fc-2c963f66afa6"])
        lo = schema.get("minLength", 0)
        hi = schema.get("maxLength", lo + 10)
        return rand_string(rng, rng.randint(max(0, lo - 1), hi + 1))
    if types in ("integer", "number"):
        lo = schema.get("minimum", schema.get("exclusiveMinimum", -50))
        hi = schema.get("maximum", schema.get("exclusiveMaximum", 50))
        step = schema.get("multipleOf")
        if step and rng.random() < 0.7:
            k = rng.randint(int(lo / step) - 1, int(hi / step) + 1)
            value = round(k * step, 10)
            return int(value) if types == "integer" and value == int(value) else value
        if types == "integer":
            return rng.randint(int(lo) - 1, int(hi) + 1)
        return round(rng.uniform(lo - 1, hi + 1), rng.randint(0, 3))
    if types == "boolean":
        return rng.choice([True, False])
    if types == "null":
        return None
    return rand_value(rng, depth)


def mutate(rng, value, depth=0):
    """The value with one random change somewhere (type, a member removed or added, an item changed)."""
    if depth > 4 or rng.random() < 0.3:
        return rand_value(rng, depth)
    if isinstance(value, dict) and value:
        out = dict(value)
        key = rng.choice(list(out))
        choice = rng.random()
        if choice < 0.3:
            del out[key]
        elif choice < 0.5:
            out[rand_string(rng, 2)] = rand_value(rng)
        else:
            out[key] = mutate(rng, out[key], depth + 1)
        return out
    if isinstance(value, list) and value:
        out = list(value)
        i = rng.randrange(len(out))
        choice = rng.random()
        if choice < 0.3:
            out.append(out[i])
        elif choice < 0.5:
            del out[i]
        else:
            out[i] = mutate(rng, out[i], depth + 1)
        return out
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value + rng.choice([1, -1, 0.5, 0.01, 1000])
    if isinstance(value, str):
        return value + rng.choice(["", "x", "!", "Z9"])
    return rand_value(rng, depth)


def main():
    command, draft, seed, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    assert command == "generate"
    validator_class = DRAFTS[draft]
    schemas = json.load(sys.stdin)
    rng = random.Random(seed)
    for index, schema in enumerate(schemas):
        validator = validator_class(schema)
        for _ in range(count):
            instance = generate(rng, schema, schema)
            if rng.random() < 0.5:
                instance = mutate(rng, instance)
            print(json.dumps([index, instance, validator.is_valid(instance)], ensure_ascii=False))


if __name__ == "__main__":
    main()
