#!/usr/bin/env python3
"""The peer of the JSON Schema code generator's round-trip test: values made in Python, checked by
Python `jsonschema` against the golden schema files (`Tests/CanonCodegenTests/Schemas/json`).

    jsonschema_codegen_peer.py produce SEED COUNT

writes one JSON line per value, {"type": "Purchase", "value": ...}: COUNT random values of each root
type, each valid under its schema (checked here before it is written).

    jsonschema_codegen_peer.py compare < lines

reads lines {"type", "original", "roundtrip"} (the roundtrip is what the generated Swift type wrote
after decoding the original) and checks that the two are equal as JSON values (key order aside, as
Python compares dicts; numbers compared exactly as decimals, so 6.1e+18 equals 6100000000000000000
and 1.0 equals 1) and that the roundtrip is valid under the schema; prints the first differences and
exits 1 when there is one.
"""
import decimal
import json
import os
import random
import sys

import jsonschema
from referencing import Registry, Resource

SCHEMAS = os.path.join(os.path.dirname(__file__), "..", "CanonCodegenTests", "Schemas", "json")
FILES = {"Purchase": "Purchase.schema.json", "PostalAddress": "Address.schema.json", "Shipment": "Shipment.schema.json",
         "Category": "Category.schema.json", "Measurement": "Measurement.schema.json", "PriceTag": "Money.schema.json"}


def load():
    documents = {}
    for name in FILES.values():
        with open(os.path.join(SCHEMAS, name)) as f:
            documents[name] = json.load(f)
    draft7 = __import__("referencing.jsonschema").jsonschema.DRAFT7
    resources = [(name, Resource.from_contents(doc, default_specification=draft7)) for name, doc in documents.items()]
    # A file with its own $id is found by it too.
    resources += [(doc["$id"], Resource.from_contents(doc, default_specification=draft7))
                  for doc in documents.values() if "$id" in doc]
    registry = Registry().with_resources(resources)
    validators = {}
    for type_name, file in FILES.items():
        schema = documents[file]
        cls = jsonschema.validators.validator_for(schema)
        validators[type_name] = cls(schema, registry=registry)
    return validators


def text(r):
    alphabet = ["a", "Z", "0", " ", "é", "日本", "🎉", "\"", "\\", "/", "\n", "\t", "\u0001", "\u2028", "ß"]
    return "".join(r.choice(alphabet) for _ in range(r.randint(0, 12)))


def double(r):
    return r.choice([0.0, -1.5, 1e300, -2.5e-300, 5e-324, 1.7976931348623157e308, 0.1, 123456.789, 3, -7,
                     r.uniform(-1e6, 1e6), r.random() * 10 ** r.randint(-20, 20)])


def float32(r):
    # `format: float` is a Swift Float, which keeps 6 significant decimal digits (FLT_DIG) and writes
    # the shortest text that reads back as the same Float: a value of 6 digits or fewer comes back as
    # the same text. (A longer one comes back as the Float's shorter text, another double for Python.)
    return r.choice([round(r.uniform(-9999, 9999), 2), float("%.6g" % r.uniform(-1e30, 1e30)), 0.1, -0.5, 3])


def any_json(r, depth=0):
    kinds = ["null", "bool", "int", "float", "string"] + (["array", "object"] if depth < 3 else [])
    k = r.choice(kinds)
    if k == "null": return None
    if k == "bool": return r.random() < 0.5
    if k == "int": return r.randint(-2 ** 63, 2 ** 63 - 1)
    if k == "float": return double(r)
    if k == "string": return text(r)
    if k == "array": return [any_json(r, depth + 1) for _ in range(r.randint(0, 3))]
    return {text(r): any_json(r, depth + 1) for _ in range(r.randint(0, 3))}


def maybe(r, obj, key, make):
    if r.random() < 0.6:
        obj[key] = make()


def extra(r, obj):
    """Members the schema does not name, in an open content model: kept by the generated types."""
    for _ in range(r.randint(0, 2)):
        obj["x-" + text(r)] = any_json(r)
    return obj


def address(r):
    a = {"street": text(r), "city": text(r), "country": r.choice(["DE", "FR", "US"])}
    maybe(r, a, "postalCode", lambda: text(r))
    return extra(r, a)


def purchase(r):
    p = {
        "purchaseId": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "kind": "purchase",
        "quantity": r.choice([1, 2 ** 31 - 1, r.randint(1, 1000)]),
        "total": double(r),
        "status": r.choice(["PENDING", "PAID", "in-transit", "default"]),
        "note": r.choice([None, text(r)]),
        "lines": [{"sku": text(r), "count": r.randint(-2 ** 31, 2 ** 31 - 1)} for _ in range(r.randint(0, 3))],
        "payment": extra(r, r.choice([
            {"method": "card", "last4": "%04d" % r.randint(0, 9999)},
            {"method": "card", "last4": "0042", "expires": "2030-01-31"},
            {"method": "bank", "iban": text(r)},
        ])),
    }
    for line in p["lines"]:
        maybe(r, line, "unit-price", lambda: double(r))
    maybe(r, p, "version", lambda: 2)
    maybe(r, p, "customerNumber", lambda: r.choice([-2 ** 63, 2 ** 63 - 1, r.randint(-10, 10)]))
    maybe(r, p, "sequence", lambda: r.randint(-2 ** 63, 2 ** 63 - 1))
    maybe(r, p, "weight", lambda: float32(r))
    maybe(r, p, "gift", lambda: r.random() < 0.5)
    maybe(r, p, "tags", lambda: [text(r) for _ in range(r.randint(0, 3))])
    maybe(r, p, "attributes", lambda: {text(r): text(r) for _ in range(r.randint(0, 3))})
    maybe(r, p, "shipTo", lambda: address(r))
    maybe(r, p, "discount", lambda: r.choice([double(r), "%d%%" % r.randint(0, 100)]))
    # An optional property that may be null reads absent and null both as nil, and nil is written
    # absent (the README says so): so the peer leaves such a property out rather than writing null.
    maybe(r, p, "reading", lambda: r.choice([text(r), r.randint(-2 ** 63, 2 ** 63 - 1)]))
    maybe(r, p, "extra", lambda: any_json(r))
    maybe(r, p, "self", lambda: text(r))
    maybe(r, p, "type", lambda: r.choice(["retail", "wholesale"]))
    maybe(r, p, "card", lambda: extra(r, {"holder": text(r)}))
    maybe(r, p, "contact", lambda: extra(r, r.choice([{"email": text(r)}, {"phone": text(r)}])))
    maybe(r, p, "price", lambda: {"cents": r.randint(-2 ** 63, 2 ** 63 - 1), "currency": r.choice(["EUR", "USD"])})
    maybe(r, p, "flags", lambda: 18446744073709551615)
    for _ in range(r.randint(0, 2)):
        p["x-" + text(r)] = r.choice([None, True, text(r), double(r)])
    return p


def shipment(r):
    s = address(r)
    s["carrier"] = text(r)
    maybe(r, s, "weightGrams", lambda: r.choice([0, 2 ** 32 - 1, r.randint(0, 5000)]))
    return extra(r, s)


def category(r, depth=0):
    c = {"name": text(r)}
    if depth < 3:
        maybe(r, c, "parent", lambda: category(r, depth + 1))
        maybe(r, c, "children", lambda: [category(r, depth + 2) for _ in range(r.randint(0, 2))])
    return extra(r, c)


def measurement(r):
    return r.choice([double(r), text(r), [double(r) for _ in range(r.randint(0, 3))]])


MAKERS = {"Purchase": purchase, "PostalAddress": address, "Shipment": shipment, "Category": category,
          "Measurement": measurement}


def produce(seed, count):
    validators = load()
    r = random.Random(seed)
    for type_name, make in MAKERS.items():
        for _ in range(count):
            value = make(r)
            validators[type_name].validate(value)
            print(json.dumps({"type": type_name, "value": value}, ensure_ascii=False))


def difference(a, b, path=""):
    """Where two JSON values first differ, and how."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}/{k}: only in {'the original' if k in a else 'the roundtrip'}"
            if a[k] != b[k]:
                return difference(a[k], b[k], f"{path}/{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return difference(x, y, f"{path}/{i}")
    return f"{path or '/'}: {json.dumps(a, default=str)} became {json.dumps(b, default=str)}"


def compare():
    validators = load()
    failures = 0
    checked = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        row = json.loads(line)
        exact = json.loads(line, parse_float=decimal.Decimal, parse_int=decimal.Decimal)
        checked += 1
        original, roundtrip = exact["original"], exact["roundtrip"]
        if original != roundtrip:
            failures += 1
            if failures <= 5:
                print(f"{row['type']}: differs at {difference(original, roundtrip)}")
        errors = list(validators[row["type"]].iter_errors(row["roundtrip"]))
        if errors:
            failures += 1
            print(f"{row['type']}: the roundtrip is invalid: {errors[0].message}")
    print(f"checked {checked}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(int(sys.argv[2]), int(sys.argv[3]))
    else:
        compare()
