#!/usr/bin/env python3
"""Reference ("real peer") side of the Swift Avro schema-compatibility / schema
resolution differential tests.

Uses the Apache `avro` package (avro.compatibility, the checker that mirrors
Java's SchemaCompatibility), fastavro (binary encoding and resolving reads) and
avro_peer.py from this directory (random datums, Avro JSON rendering).

  generate --count N --seed K
      Prints N JSON lines, deterministic per seed:
        {"writer": <schema>, "reader": <schema>, "compatible": <bool>, "data": [...]}
      "compatible" is
        ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
            .compatibility == SchemaCompatibilityType.compatible
      "data" is empty unless compatible; then 0-5 entries
        {"hex": <writer-schema binary, lowercase hex>,
         "resolved": <Avro JSON text of the datum as read with the reader schema>}
      or, if fastavro fails to resolve that datum,
        {"hex": ..., "resolved": null, "error": "<ExceptionType>: <message>"}.
      A summary (verdict mix, datums, fastavro failures) goes to stderr.

  bench --reader R.avsc --writer W.avsc [--iterations N]
      {"us_per_check": <median of 5 runs>}: microseconds per
      ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
      (a new checker per call, schemas parsed once).

  bench-transitive --new NEW.avsc --previous-dir DIR [--iterations N]
      {"us_per_check": <median of 5 runs>, "versions": <count>}: microseconds
      per BACKWARD_TRANSITIVE check, i.e. get_compatibility(reader=NEW,
      writer=V) for every DIR/*.avsc V (sorted by file name, a new checker per
      call, all versions are always checked).

How "resolved" is produced: the bytes are read by fastavro's (C) schemaless_reader
with the writer and reader schema. To learn which *reader* union branch
fastavro resolved each union value to, and which record fields were filled from
reader defaults, the same bytes are read a second time with fastavro's
pure-Python reader (fastavro._read_py), whose read_data/read_union/read_record
are temporarily wrapped to record that information (the wrapped functions
still do all the work). The two results must agree (else the datum gets an
"error"). The value is rendered against the reader schema exactly as
`avro_peer.py decode` renders a datum of that schema: union values as
{"<branch label>": value} (full names for named types), bytes/fixed as
one-code-point-per-byte strings, json.dumps defaults.

Deviations from fastavro's raw result, both about what a reader *must* produce:
  * int/long promoted to a reader "float" is rounded to binary32 (round half to
    even from the exact integer); fastavro returns float(n) unrounded.
  * reader defaults are rendered by their reader type (bytes/fixed defaults
    are strings in the schema; the union default is in the first branch).
"""

import argparse
import copy
import io
import json
import os
import random
import statistics
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import avro_peer  # noqa: E402
from avro_peer import PRIMITIVES, PeerError  # noqa: E402

try:
    import fastavro
    from fastavro import _read_py
    import avro.schema
    from avro.compatibility import (ReaderWriterCompatibilityChecker,
                                    SchemaCompatibilityType)
except ImportError as exc:  # pragma: no cover
    sys.stderr.write(f"compat_peer: fastavro and avro are required ({exc})\n")
    sys.exit(2)


def die(msg):
    sys.stderr.write(f"compat_peer: error: {msg}\n")
    sys.exit(2)


# --------------------------------------------------------------------------
# Schema model
# --------------------------------------------------------------------------
#
# A schema is held as a Model: `types` maps the full name of every named type
# to its definition, and `top["type"]` is the root type node. A type node is a
# primitive name, a full name (reference), a list (union) or an
# {"type": "array", "items": node} / {"type": "map", "values": node} dict.
# Definitions:
#   {"type": "record", "name": full, "fields": [{"name", "type", ["default"], ["aliases"]}], ["aliases"]}
#   {"type": "enum", "name": full, "symbols": [...], ["default"], ["aliases"]}
#   {"type": "fixed", "name": full, "size": n, ["aliases"]}
# emit() turns a model into schema JSON, defining each named type inline at its
# first use and referencing it afterwards, with randomly chosen (but always
# correct) namespace styles. Aliases of named types are always written as full
# names (see "checker deviations" in README.md).

NONNULL_PRIMS = ("boolean", "int", "long", "float", "double", "bytes", "string")
NUMERIC_RANK = {"int": 0, "long": 1, "float": 2, "double": 3}
WIDEN = {"int": ("long", "float", "double"), "long": ("float", "double"),
         "float": ("double",), "string": ("bytes",), "bytes": ("string",)}
NARROW = {"long": ("int",), "float": ("int", "long"), "double": ("int", "long", "float"),
          "string": ("bytes",), "bytes": ("string",)}
NAMESPACES = ("com.example", "org.acme.v1", "test.evolution", "io.sample.events")
TYPE_WORDS = ("Point", "Item", "Node", "Order", "Line", "Meta", "Tag", "Kind", "Blob",
              "Entry", "Pair", "Info", "Event", "Header")
FIELD_WORDS = ("id", "name", "value", "count", "flag", "data", "note", "size", "tags",
               "items", "meta", "kind", "when", "ref", "score", "label")
SYMBOL_POOL = ("RED", "GREEN", "BLUE", "CYAN", "MAGENTA", "YELLOW", "BLACK", "WHITE",
               "UNKNOWN", "A", "B", "C", "D", "E")
MAX_TYPE_DEPTH = 3

INT_DEFAULTS = (0, 1, -1, 42, 2**31 - 1, -2**31, 300)
LONG_DEFAULTS = (0, -1, 7, 2**31, 2**63 - 1, -2**63, 123456789012)
FLOAT_DEFAULTS = (0.0, 1.5, -2.25, 0.5, 1e10, -0.0, 3.0, 1024.125)   # exact binary32 values
DOUBLE_DEFAULTS = (0.0, -1.0, 0.1, 3.141592653589793, 1e300, -2.5, 5e-324)
STRING_DEFAULTS = ("", "x", "hello", "caf\u00e9", "\U0001F600", "with \"quote\"")
BYTES_DEFAULTS = ("", "\u00ff\u0000", "abc", "\u0001\u0080", "\u00e9")


class Invalid(Exception):
    """A generated/mutated model is not acceptable; the attempt is retried."""


def split_name(full):
    i = full.rfind(".")
    return (full[:i], full[i + 1:]) if i >= 0 else ("", full)


def is_named_ref(node):
    return isinstance(node, str) and node not in PRIMITIVES


class Model:
    def __init__(self, ns):
        self.ns = ns
        self.types = {}
        self.top = {"type": None}

    @property
    def root(self):
        return self.top["type"]

    def clone(self):
        return copy.deepcopy(self)

    # ---- traversal -----------------------------------------------------
    def reachable(self):
        """Full names of named types reachable from the root, in first-use order."""
        out = []
        seen = set()

        def walk(n):
            if isinstance(n, str):
                if n not in PRIMITIVES and n not in seen:
                    seen.add(n)
                    out.append(n)
                    d = self.types[n]
                    if d["type"] == "record":
                        for f in d["fields"]:
                            walk(f["type"])
            elif isinstance(n, list):
                for b in n:
                    walk(b)
            elif n["type"] == "array":
                walk(n["items"])
            else:
                walk(n["values"])
        walk(self.root)
        return out

    def sites(self):
        """Every position holding a type node, as (holder, key, kind) with
        holder[key] the node; kind is "root", "field", "branch", "items" or
        "values". Each named definition is visited once."""
        out = []
        seen = set()

        def walk(holder, key, kind):
            out.append((holder, key, kind))
            n = holder[key]
            if isinstance(n, str):
                if n not in PRIMITIVES and n not in seen:
                    seen.add(n)
                    d = self.types[n]
                    if d["type"] == "record":
                        for f in d["fields"]:
                            walk(f, "type", "field")
            elif isinstance(n, list):
                for i in range(len(n)):
                    walk(n, i, "branch")
            elif n["type"] == "array":
                walk(n, "items", "items")
            else:
                walk(n, "values", "values")
        walk(self.top, "type", "root")
        return out

    def records(self):
        return [self.types[n] for n in self.reachable() if self.types[n]["type"] == "record"]

    def named_of(self, kind):
        return [self.types[n] for n in self.reachable() if self.types[n]["type"] == kind]

    def prune(self):
        keep = set(self.reachable())
        self.types = {k: v for k, v in self.types.items() if k in keep}

    def replace_refs(self, old, new):
        def fix(n):
            if isinstance(n, str):
                return new if n == old else n
            if isinstance(n, list):
                return [fix(b) for b in n]
            if n["type"] == "array":
                return dict(n, items=fix(n["items"]))
            return dict(n, values=fix(n["values"]))
        self.top["type"] = fix(self.top["type"])
        for d in self.types.values():
            if d["type"] == "record":
                for f in d["fields"]:
                    f["type"] = fix(f["type"])

    def kind_key(self, n):
        """Union-uniqueness key of a branch: primitive name, array, map or full name."""
        if isinstance(n, str):
            return n
        if isinstance(n, list):
            return "union"
        return n["type"]

    def label(self, n):
        return n if isinstance(n, str) else n["type"]

    # ---- validation ----------------------------------------------------
    def terminating(self):
        ok = set()
        changed = True

        def t(n):
            if isinstance(n, str):
                return n in PRIMITIVES or n in ok
            if isinstance(n, list):
                return any(t(b) for b in n)
            return True  # arrays/maps may be empty
        while changed:
            changed = False
            for name, d in self.types.items():
                if name not in ok and (d["type"] != "record" or all(t(f["type"]) for f in d["fields"])):
                    ok.add(name)
                    changed = True
        return t

    def validate(self):
        """Raise Invalid unless the model is a schema both Python libraries agree
        on and whose resolution is unambiguous (see README.md)."""
        reach = self.reachable()
        names = set(reach)
        unqual = Counter(split_name(n)[1] for n in reach)
        if any(c > 1 for c in unqual.values()):
            raise Invalid("unqualified name used twice")
        term = self.terminating()
        if not term(self.root) or not all(term(n) for n in reach):
            raise Invalid("a type cannot terminate")

        def check_node(n):
            if isinstance(n, list):
                if not n:
                    raise Invalid("empty union")
                keys = [self.kind_key(b) for b in n]
                if "union" in keys:
                    raise Invalid("nested union")
                if len(set(keys)) != len(keys):
                    raise Invalid("duplicate union branch")
                if "string" in keys and "bytes" in keys:
                    raise Invalid("union with string and bytes (branch choice ambiguous)")
                ranks = [NUMERIC_RANK[k] for k in keys if k in NUMERIC_RANK]
                if ranks != sorted(ranks):
                    raise Invalid("numeric union branches out of promotion order")
                for b in n:
                    check_node(b)
            elif isinstance(n, dict):
                check_node(n["items"] if n["type"] == "array" else n["values"])
            elif n not in PRIMITIVES and n not in self.types:
                raise Invalid(f"dangling reference {n}")

        check_node(self.root)
        for name in reach:
            d = self.types[name]
            for a in d.get("aliases", ()):
                if a in names or a == name:
                    raise Invalid("type alias collides with a type name")
            if d["type"] == "record":
                fnames = [f["name"] for f in d["fields"]]
                if not fnames:
                    raise Invalid("record without fields")
                allnames = fnames + [a for f in d["fields"] for a in f.get("aliases", ())]
                if len(set(allnames)) != len(allnames):
                    raise Invalid("field name/alias collision")
                for f in d["fields"]:
                    check_node(f["type"])
                    if "default" in f and not self.valid_default(f["type"], f["default"]):
                        raise Invalid(f"bad default for {name}.{f['name']}")
            elif d["type"] == "enum":
                syms = d["symbols"]
                if not syms or len(set(syms)) != len(syms):
                    raise Invalid("bad enum symbols")
                if "default" in d and d["default"] not in syms:
                    raise Invalid("enum default not a symbol")
            elif d["size"] < 1:
                raise Invalid("fixed size")

    def valid_default(self, n, v, depth=0):
        if depth > 20:
            return False
        if isinstance(n, list):
            return self.valid_default(n[0], v, depth + 1)
        if isinstance(n, dict):
            if n["type"] == "array":
                return isinstance(v, list) and all(self.valid_default(n["items"], x, depth + 1) for x in v)
            return isinstance(v, dict) and all(isinstance(k, str) and self.valid_default(n["values"], x, depth + 1)
                                               for k, x in v.items())
        if n == "null":
            return v is None
        if n == "boolean":
            return isinstance(v, bool)
        if n in ("int", "long"):
            bits = 31 if n == "int" else 63
            return isinstance(v, int) and not isinstance(v, bool) and -2**bits <= v < 2**bits
        if n == "float":  # a binary32 value, so that the JSON default is exact
            return isinstance(v, float) and abs(v) <= 3.4028234663852886e38 and avro_peer.f32(v) == v
        if n == "double":
            return isinstance(v, float)
        if n == "string":
            return isinstance(v, str)
        if n == "bytes":
            return isinstance(v, str) and all(ord(c) < 256 for c in v)
        d = self.types[n]
        if d["type"] == "enum":
            return v in d["symbols"]
        if d["type"] == "fixed":
            return isinstance(v, str) and len(v) == d["size"] and all(ord(c) < 256 for c in v)
        return (isinstance(v, dict) and set(v) == {f["name"] for f in d["fields"]}
                and all(self.valid_default(f["type"], v[f["name"]], depth + 1) for f in d["fields"]))


# --------------------------------------------------------------------------
# Random writer schemas and evolutions
# --------------------------------------------------------------------------

class SchemaGen:
    def __init__(self, rng):
        self.r = rng
        self.n = 0

    def fresh(self):
        self.n += 1
        return self.n

    def fresh_type_name(self, ns):
        return f"{ns}.{self.r.choice(TYPE_WORDS)}{self.fresh()}"

    def fresh_field_name(self):
        return f"{self.r.choice(FIELD_WORDS)}{self.fresh()}"

    # ---- writer schema -------------------------------------------------
    def model(self):
        r = self.r
        m = Model(r.choice(NAMESPACES))
        if r.random() < 0.9:
            m.top["type"] = self.record(m, 0, [], m.ns)
        else:
            m.top["type"] = self.type_node(m, 1, [], m.ns, allow_union=True)
        return m

    def record(self, m, depth, ancestors, ns):
        r = self.r
        if r.random() < 0.1:
            ns = ns + ".inner"
        name = self.fresh_type_name(ns)
        d = {"type": "record", "name": name, "fields": []}
        m.types[name] = d
        chain = ancestors + [name]
        for _ in range(r.randint(1, 6)):
            f = {"name": self.fresh_field_name(), "type": self.type_node(m, depth + 1, chain, ns)}
            if r.random() < 0.3:
                self.set_default(m, f)
            d["fields"].append(f)
        if depth >= 1 and r.random() < 0.25 or depth == 0 and r.random() < 0.06:
            target = r.choice(chain)
            if r.random() < 0.85:
                f = {"name": self.fresh_field_name(), "type": ["null", target]}
                if r.random() < 0.7:
                    f["default"] = None
            else:
                f = {"name": self.fresh_field_name(), "type": {"type": "array", "items": target}}
                if r.random() < 0.5:
                    f["default"] = []
            d["fields"].insert(r.randint(0, len(d["fields"])), f)
        return name

    def enum(self, m, ns):
        r = self.r
        name = self.fresh_type_name(ns)
        syms = r.sample(SYMBOL_POOL, r.randint(1, 5))
        d = {"type": "enum", "name": name, "symbols": syms}
        if r.random() < 0.15:
            d["default"] = r.choice(syms)
        m.types[name] = d
        return name

    def fixed(self, m, ns):
        name = self.fresh_type_name(ns)
        m.types[name] = {"type": "fixed", "name": name, "size": self.r.choice([1, 2, 4, 8, 12, 16])}
        return name

    def type_node(self, m, depth, ancestors, ns, allow_union=True):
        r = self.r
        leaf = depth >= MAX_TYPE_DEPTH
        weights = [("prim", 40), ("enum", 8), ("fixed", 5), ("ref", 4)]
        if not leaf:
            weights += [("record", 14), ("array", 10), ("map", 7)]
            if allow_union:
                weights += [("union", 14)]
        kind = r.choices([k for k, _ in weights], [w for _, w in weights])[0]
        if kind == "prim":
            return r.choice(NONNULL_PRIMS + ("null",) if r.random() < 0.05 else NONNULL_PRIMS)
        if kind == "enum":
            return self.enum(m, ns)
        if kind == "fixed":
            return self.fixed(m, ns)
        if kind == "ref":
            cands = [n for n in m.types if n not in ancestors]
            return r.choice(cands) if cands else r.choice(NONNULL_PRIMS)
        if kind == "record":
            return self.record(m, depth, ancestors, ns)
        if kind == "array":
            return {"type": "array", "items": self.type_node(m, depth + 1, ancestors, ns)}
        if kind == "map":
            return {"type": "map", "values": self.type_node(m, depth + 1, ancestors, ns)}
        return self.union(m, depth, ancestors, ns)

    def union(self, m, depth, ancestors, ns):
        r = self.r
        if r.random() < 0.55:
            t = self.type_node(m, depth + 1, ancestors, ns, allow_union=False)
            if t == "null":
                t = "string"
            return ["null", t] if r.random() < 0.85 else [t, "null"]
        branches = ["null"] if r.random() < 0.5 else []
        for _ in range(r.randint(2, 3)):
            branches.append(self.type_node(m, depth + 1, ancestors, ns, allow_union=False))
        return self.tidy_union(m, branches)

    def tidy_union(self, m, branches):
        """Drop duplicate kinds and bytes-next-to-string, put numerics in promotion order."""
        out, keys = [], set()
        for b in branches:
            k = m.kind_key(b)
            if k in keys or k == "union" or (k == "bytes" and "string" in keys) \
                    or (k == "string" and "bytes" in keys):
                continue
            keys.add(k)
            out.append(b)
        pos = [i for i, b in enumerate(out) if isinstance(b, str) and b in NUMERIC_RANK]
        nums = sorted((out[i] for i in pos), key=NUMERIC_RANK.get)
        for i, b in zip(pos, nums):
            out[i] = b
        return out if out else ["null", "int"]

    # ---- defaults ------------------------------------------------------
    def default_for(self, m, n, depth=0):
        r = self.r
        if depth > 6:
            raise Invalid("default too deep")
        if isinstance(n, list):
            return self.default_for(m, n[0], depth + 1)
        if isinstance(n, dict):
            sub = n["items"] if n["type"] == "array" else n["values"]
            if depth > 2 or r.random() < 0.5:
                return [] if n["type"] == "array" else {}
            if n["type"] == "array":
                return [self.default_for(m, sub, depth + 1) for _ in range(r.randint(1, 2))]
            return {r.choice(["k", "", "key2", "\u00e9"]): self.default_for(m, sub, depth + 1)}
        if n == "null":
            return None
        if n == "boolean":
            return r.random() < 0.5
        if n in ("int", "long", "float", "double", "string", "bytes"):
            return r.choice({"int": INT_DEFAULTS, "long": LONG_DEFAULTS, "float": FLOAT_DEFAULTS,
                             "double": DOUBLE_DEFAULTS, "string": STRING_DEFAULTS,
                             "bytes": BYTES_DEFAULTS}[n])
        d = m.types[n]
        if d["type"] == "enum":
            return r.choice(d["symbols"])
        if d["type"] == "fixed":
            return "".join(chr(r.choice([0, 1, 0x41, 0x7f, 0x80, 0xe9, 0xff])) for _ in range(d["size"]))
        return {f["name"]: self.default_for(m, f["type"], depth + 1) for f in d["fields"]}

    def set_default(self, m, f):
        f["default"] = self.default_for(m, f["type"])

    def fix_defaults(self, m):
        """Regenerate field defaults and enum defaults a mutation made invalid."""
        for d in m.records():
            for f in d["fields"]:
                if "default" in f and not m.valid_default(f["type"], f["default"]):
                    self.set_default(m, f)
        for d in m.named_of("enum"):
            if "default" in d and d["default"] not in d["symbols"]:
                if self.r.random() < 0.5:
                    d["default"] = self.r.choice(d["symbols"])
                else:
                    del d["default"]

    # ---- mutations -----------------------------------------------------
    def evolve(self, writer):
        r = self.r
        m = writer.clone()
        applied = []
        want = r.choice([1, 1, 2, 2, 3])
        tries = 0
        while len(applied) < want and tries < 30:
            tries += 1
            name = r.choices(MUTATION_NAMES, MUTATION_WEIGHTS)[0]
            if getattr(self, "mut_" + name)(m):
                applied.append(name)
        m.prune()
        self.fix_defaults(m)
        return m, applied

    def pick_site(self, m, pred):
        cands = [s for s in m.sites() if pred(s[0][s[1]], s[2])]
        return self.r.choice(cands) if cands else None

    def mut_add_field_default(self, m, with_default=True):
        recs = m.records()
        if not recs:
            return False
        d = self.r.choice(recs)
        f = {"name": self.fresh_field_name(),
             "type": self.type_node(m, 2, [d["name"]], split_name(d["name"])[0])}
        if with_default:
            self.set_default(m, f)
        d["fields"].insert(self.r.randint(0, len(d["fields"])), f)
        return True

    def mut_add_field_no_default(self, m):
        return self.mut_add_field_default(m, with_default=False)

    def mut_remove_field(self, m):
        recs = [d for d in m.records() if len(d["fields"]) >= 2]
        if not recs:
            return False
        d = self.r.choice(recs)
        del d["fields"][self.r.randrange(len(d["fields"]))]
        return True

    def _retype(self, m, table):
        s = self.pick_site(m, lambda n, k: isinstance(n, str) and n in table)
        if not s:
            return False
        holder, key, _ = s
        holder[key] = self.r.choice(table[holder[key]])
        return True

    def mut_widen(self, m):
        return self._retype(m, WIDEN)

    def mut_narrow(self, m):
        return self._retype(m, NARROW)

    def mut_change_type(self, m):
        s = self.pick_site(m, lambda n, k: isinstance(n, str) and n in PRIMITIVES)
        if not s:
            return False
        holder, key, kind = s
        old = holder[key]
        if self.r.random() < 0.7:
            holder[key] = self.r.choice([p for p in NONNULL_PRIMS if p != old])
        else:
            holder[key] = self.type_node(m, 2, [], m.ns, allow_union=(kind != "branch"))
        return True

    def mut_rename_field(self, m):
        recs = m.records()
        if not recs:
            return False
        d = self.r.choice(recs)
        f = self.r.choice(d["fields"])
        old = f["name"]
        f["name"] = self.fresh_field_name()
        if self.r.random() < 0.7:
            f["aliases"] = f.get("aliases", []) + [old]
        return True

    def mut_rename_type(self, m):
        r = self.r
        reach = m.reachable()
        if not reach:
            return False
        old = r.choice(reach)
        ns, short = split_name(old)
        if r.random() < 0.15:  # move to another namespace, same unqualified name
            new = f"{r.choice([x for x in NAMESPACES if x != ns])}.{short}"
            alias = r.random() < 0.3
        else:
            new = self.fresh_type_name(ns)
            alias = r.random() < 0.7
        d = m.types.pop(old)
        d["name"] = new
        if alias:
            d["aliases"] = d.get("aliases", []) + [old]
        m.types[new] = d
        m.replace_refs(old, new)
        return True

    def _maybe_enum_default(self, d):
        if self.r.random() < 0.35:
            d["default"] = self.r.choice(d["symbols"])

    def mut_enum_add_symbol(self, m):
        enums = m.named_of("enum")
        if not enums:
            return False
        d = self.r.choice(enums)
        free = [s for s in SYMBOL_POOL if s not in d["symbols"]] or [f"S{self.fresh()}"]
        d["symbols"].insert(self.r.randint(0, len(d["symbols"])), self.r.choice(free))
        self._maybe_enum_default(d)
        return True

    def mut_enum_remove_symbol(self, m):
        enums = [d for d in m.named_of("enum") if len(d["symbols"]) >= 2]
        if not enums:
            return False
        d = self.r.choice(enums)
        d["symbols"].pop(self.r.randrange(len(d["symbols"])))
        if self.r.random() < 0.5:
            d["default"] = self.r.choice(d["symbols"])
        return True

    def mut_enum_default(self, m):
        enums = m.named_of("enum")
        if not enums:
            return False
        d = self.r.choice(enums)
        if "default" in d and self.r.random() < 0.5:
            del d["default"]
        else:
            d["default"] = self.r.choice(d["symbols"])
        return True

    def mut_union_add_branch(self, m):
        s = self.pick_site(m, lambda n, k: isinstance(n, list))
        if not s:
            return False
        u = s[0][s[1]]
        b = self.type_node(m, 2, [], m.ns, allow_union=False) if self.r.random() < 0.8 else "null"
        u.insert(self.r.randint(0, len(u)), b)
        return True

    def mut_union_remove_branch(self, m):
        s = self.pick_site(m, lambda n, k: isinstance(n, list) and len(n) >= 2)
        if not s:
            return False
        u = s[0][s[1]]
        u.pop(self.r.randrange(len(u)))
        return True

    def mut_wrap_union(self, m):
        s = self.pick_site(m, lambda n, k: not isinstance(n, list) and n != "null" and k != "branch")
        if not s:
            return False
        holder, key, _ = s
        t = holder[key]
        c = self.r.random()
        if c < 0.75:
            holder[key] = ["null", t]
        elif c < 0.9:
            holder[key] = [t, "null"]
        else:
            holder[key] = self.tidy_union(m, [t, self.type_node(m, 3, [], m.ns, allow_union=False)])
        return True

    def mut_unwrap_union(self, m):
        s = self.pick_site(m, lambda n, k: isinstance(n, list))
        if not s:
            return False
        holder, key, _ = s
        u = holder[key]
        nonnull = [b for b in u if b != "null"]
        holder[key] = self.r.choice(nonnull or u)
        return True

    def mut_fixed_size(self, m):
        fx = m.named_of("fixed")
        if not fx:
            return False
        d = self.r.choice(fx)
        d["size"] = max(1, d["size"] + self.r.choice([-1, 1, 4]))
        return True

    def mut_container(self, m):
        s = self.pick_site(m, lambda n, k: isinstance(n, dict))
        if not s:
            return False
        n = s[0][s[1]]
        key = "items" if n["type"] == "array" else "values"
        c = self.r.random()
        if c < 0.15:  # array <-> map
            s[0][s[1]] = ({"type": "map", "values": n["items"]} if n["type"] == "array"
                          else {"type": "array", "items": n["values"]})
        elif c < 0.55 and isinstance(n[key], str) and n[key] in WIDEN:
            n[key] = self.r.choice(WIDEN[n[key]])
        elif c < 0.7 and isinstance(n[key], str) and n[key] in NARROW:
            n[key] = self.r.choice(NARROW[n[key]])
        else:
            n[key] = self.type_node(m, 2, [], m.ns)
        return True

    def mut_nest(self, m):
        s = self.pick_site(m, lambda n, k: k != "root")
        if not s:
            return False
        holder, key, _ = s
        t = holder[key]
        if self.r.random() < 0.7:
            name = self.fresh_type_name(m.ns)
            m.types[name] = {"type": "record", "name": name,
                             "fields": [{"name": "value", "type": t}]}
            holder[key] = name
        else:
            holder[key] = {"type": "array", "items": t} if not isinstance(t, list) else {"type": "array", "items": t}
        return True

    def mut_unnest(self, m):
        s = self.pick_site(m, lambda n, k: is_named_ref(n) and m.types[n]["type"] == "record"
                           and len(m.types[n]["fields"]) == 1 and k != "root")
        if not s:
            return False
        holder, key, _ = s
        holder[key] = copy.deepcopy(m.types[holder[key]]["fields"][0]["type"])
        return True

    def mut_reorder_fields(self, m):
        recs = [d for d in m.records() if len(d["fields"]) >= 2]
        if not recs:
            return False
        self.r.shuffle(self.r.choice(recs)["fields"])
        return True

    def mut_change_default(self, m):
        recs = m.records()
        if not recs:
            return False
        f = self.r.choice(self.r.choice(recs)["fields"])
        if "default" in f and self.r.random() < 0.5:
            del f["default"]
        else:
            try:
                self.set_default(m, f)
            except Invalid:
                return False
        return True


MUTATIONS = {
    "add_field_default": 10, "add_field_no_default": 6, "remove_field": 9,
    "widen": 8, "narrow": 5, "change_type": 3, "rename_field": 7, "rename_type": 6,
    "enum_add_symbol": 5, "enum_remove_symbol": 5, "enum_default": 2,
    "union_add_branch": 5, "union_remove_branch": 4, "wrap_union": 6, "unwrap_union": 4,
    "fixed_size": 2, "container": 5, "nest": 2, "unnest": 1, "reorder_fields": 3,
    "change_default": 3,
}
MUTATION_NAMES = list(MUTATIONS)
MUTATION_WEIGHTS = [MUTATIONS[k] for k in MUTATION_NAMES]


# ---- emission --------------------------------------------------------------

def emit(m, rng):
    """Schema JSON for a model; named types defined at first use."""
    defined = set()

    def ref(full, encl):
        ns, short = split_name(full)
        if ns == encl and rng.random() < 0.5:
            return short
        return full

    def node(n, encl):
        if isinstance(n, str):
            if n in PRIMITIVES:
                return n
            if n in defined:
                return ref(n, encl)
            defined.add(n)
            return define(m.types[n], encl)
        if isinstance(n, list):
            return [node(b, encl) for b in n]
        if n["type"] == "array":
            return {"type": "array", "items": node(n["items"], encl)}
        return {"type": "map", "values": node(n["values"], encl)}

    def define(d, encl):
        full = d["name"]
        ns, short = split_name(full)
        out = {"type": d["type"]}
        c = rng.random()
        if ns == encl and c < 0.5:
            out["name"] = short
        elif c < 0.75:
            out["name"] = short
            out["namespace"] = ns
        else:
            out["name"] = full
        if "aliases" in d:
            out["aliases"] = list(d["aliases"])
        if d["type"] == "record":
            fields = []
            for f in d["fields"]:
                fo = {"name": f["name"], "type": node(f["type"], ns)}
                if "default" in f:
                    fo["default"] = f["default"]
                if "aliases" in f:
                    fo["aliases"] = list(f["aliases"])
                fields.append(fo)
            out["fields"] = fields
        elif d["type"] == "enum":
            out["symbols"] = list(d["symbols"])
            if "default" in d:
                out["default"] = d["default"]
        else:
            out["size"] = d["size"]
        return out

    return node(m.root, None)


# --------------------------------------------------------------------------
# Resolving read with branch tracing
# --------------------------------------------------------------------------

class Branch:
    """A union value fastavro resolved to reader branch `schema`."""
    __slots__ = ("schema", "value")

    def __init__(self, schema, value):
        self.schema, self.value = schema, value


class Default:
    """A record field value fastavro took from the reader field's default."""
    __slots__ = ("json",)

    def __init__(self, value):
        self.json = value


def f32_from_int(n):
    """Nearest binary32 value to the integer n (ties to even), as a Python float."""
    a = abs(n)
    if a < 2**24:
        return float(n)
    shift = a.bit_length() - 24
    q, rem = divmod(a, 1 << shift)
    half = 1 << (shift - 1)
    if rem > half or (rem == half and q & 1):
        q += 1
    v = float(q << shift)
    return -v if n < 0 else v


class _Tracer:
    """Context manager wrapping fastavro._read_py's read_data/read_union/read_record."""

    def __init__(self):
        self.slots = []
        self.orig = None

    def __enter__(self):
        rp = _read_py
        self.orig = (rp.read_data, rp.READERS["union"], rp.READERS["error_union"],
                     rp.READERS["record"], rp.READERS["error"])
        orig_data, orig_union, _, orig_record, _ = self.orig
        slots = self.slots

        def read_data(decoder, ws, ns, rs=None, options={}):
            if slots and slots[-1][0] is False:
                slots[-1][0] = True  # first read_data of a read_union: the chosen branch
                slots[-1][1] = rs
            if rs is not None and not isinstance(ws, list):
                eff = rp.match_schemas(ws, rs, ns)
                if rp.extract_record_type(ws) in ("int", "long") and eff == "float":
                    v = f32_from_int(orig_data(decoder, ws, ns, None, options))
                else:
                    v = orig_data(decoder, ws, ns, rs, options)
                return Branch(eff, v) if isinstance(rs, list) else v
            return orig_data(decoder, ws, ns, rs, options)

        def read_union(decoder, ws, ns, rs=None, options={}):
            slot = [False, None]
            slots.append(slot)
            try:
                v = orig_union(decoder, ws, ns, rs, options)
            finally:
                slots.pop()
            if isinstance(rs, list):
                if not slot[0]:
                    raise PeerError("internal: union branch not traced")
                return Branch(slot[1], v)
            return v

        def read_record(decoder, ws, ns, rs=None, options={}):
            if rs is not None:
                rs = dict(rs, fields=[dict(f, default=Default(f["default"])) if "default" in f else f
                                      for f in rs["fields"]])
            return orig_record(decoder, ws, ns, rs, options)

        rp.read_data = read_data
        rp.READERS["union"] = rp.READERS["error_union"] = read_union
        rp.READERS["record"] = rp.READERS["error"] = read_record
        return self

    def __exit__(self, *exc):
        rp = _read_py
        (rp.read_data, rp.READERS["union"], rp.READERS["error_union"],
         rp.READERS["record"], rp.READERS["error"]) = self.orig
        return False


def plain(v):
    """Traced value -> the shape fastavro's own reader returns."""
    if isinstance(v, Branch):
        return plain(v.value)
    if isinstance(v, Default):
        return v.json
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) \
                or isinstance(a, bool) or isinstance(b, bool):
            return False
        a, b = float(a), float(b)
        return a == b or abs(a - b) <= 1e-6 * max(abs(a), abs(b))  # int/long -> float rounding
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


class Renderer:
    """Traced fastavro value -> avro_peer tuple notation for the reader schema."""

    def __init__(self, reader):
        self.s = reader  # avro_peer.Schema

    @staticmethod
    def label(b):
        if isinstance(b, str):
            return b
        return b.get("name", b["type"])

    def conv(self, n, v):
        if isinstance(v, Default):
            return self.default(n, v.json)
        if isinstance(n, str):
            if n in PRIMITIVES:
                return self.prim(n, v)
            return self.conv(self.s.named[n], v)
        if isinstance(n, list):
            if not isinstance(v, Branch):
                raise PeerError(f"internal: untraced union value {v!r}")
            lab = self.label(v.schema)
            for b in n:
                if self.label(b) == lab:
                    return None if b == "null" else (lab, self.conv(b, v.value))
            raise PeerError(f"internal: resolved branch {lab} not in reader union")
        t = n["type"]
        if t in ("record", "error"):
            return {f["name"]: self.conv(f["type"], v[f["name"]]) for f in n["fields"]}
        if t == "array":
            return [self.conv(n["items"], x) for x in v]
        if t == "map":
            return {k: self.conv(n["values"], x) for k, x in v.items()}
        if t in PRIMITIVES:
            return self.prim(t, v)
        return v  # enum symbol, fixed bytes

    @staticmethod
    def prim(t, v):
        if t in ("float", "double"):
            return float(v)
        return v

    def default(self, n, j):
        if isinstance(n, str):
            if n in PRIMITIVES:
                if n == "bytes":
                    return j.encode("iso-8859-1")
                if n == "float":
                    return avro_peer.f32(float(j))
                return self.prim(n, j)
            return self.default(self.s.named[n], j)
        if isinstance(n, list):
            b = n[0]
            return None if b == "null" else (self.label(b), self.default(b, j))
        t = n["type"]
        if t in ("record", "error"):
            return {f["name"]: self.default(f["type"], j[f["name"]] if f["name"] in j else f["default"])
                    for f in n["fields"]}
        if t == "array":
            return [self.default(n["items"], x) for x in j]
        if t == "map":
            return {k: self.default(n["values"], x) for k, x in j.items()}
        if t == "fixed":
            return j.encode("iso-8859-1")
        if t == "enum":
            return j
        return self.default(t, j)


def resolve(data, writer, reader):
    """(Avro JSON text, None) or (None, error) for bytes written with writer, read with reader."""
    try:
        buf = io.BytesIO(data)
        value = fastavro.schemaless_reader(buf, writer.stripped, reader.stripped)
        if buf.tell() != len(data):
            raise PeerError(f"{len(data) - buf.tell()} trailing byte(s) after datum")
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if writer.stripped == reader.stripped:
        # fastavro then reads without resolution (and so does the tracer):
        # this is avro_peer's decode.
        return reader.to_json(reader.from_binary(data)), None
    try:
        buf = io.BytesIO(data)
        with _Tracer():
            traced = _read_py.schemaless_reader(buf, writer.stripped, reader.stripped)
        if buf.tell() != len(data):
            raise PeerError("pure-Python reader left trailing bytes")
    except Exception as exc:
        return None, f"fastavro pure-Python reader failed where the C reader succeeded: " \
                     f"{type(exc).__name__}: {exc}"
    if not same(plain(traced), value):
        return None, "fastavro C and pure-Python readers disagree"
    datum = Renderer(reader).conv(reader.tree, traced)
    return reader.to_json(datum), None


# --------------------------------------------------------------------------
# generate
# --------------------------------------------------------------------------

def parse_both(js):
    text = json.dumps(js)
    try:
        a = avro.schema.parse(text)
    except Exception as exc:
        raise Invalid(f"avro rejects schema: {exc}")
    try:
        fastavro.parse_schema(copy.deepcopy(js))
        p = avro_peer.Schema("<generated>", raw=js)
    except Exception as exc:
        raise Invalid(f"fastavro rejects schema: {exc}")
    return a, p


def check(reader_avro, writer_avro):
    res = ReaderWriterCompatibilityChecker().get_compatibility(reader_avro, writer_avro)
    return res.compatibility == SchemaCompatibilityType.compatible


def make_pair(sg, rng):
    """One valid (writer JSON, reader JSON, parsed...) pair, or raises Invalid."""
    original = sg.model()
    sg.fix_defaults(original)
    original.validate()
    evolved, applied = sg.evolve(original)
    evolved.validate()
    swapped = rng.random() < 0.4
    wm, rm = (evolved, original) if swapped else (original, evolved)
    wj, rj = emit(wm, rng), emit(rm, rng)
    wa, wp = parse_both(wj)
    ra, rp = parse_both(rj)
    desc = "+".join(sorted(applied)) + (" (swapped)" if swapped else "")
    return wj, rj, wa, wp, ra, rp, desc


def cmd_generate(args):
    rng = random.Random(args.seed)
    sg = SchemaGen(rng)
    out = sys.stdout
    stats = Counter()
    errors = Counter()
    for _ in range(args.count):
        while True:
            try:
                wj, rj, wa, wp, ra, rp, desc = make_pair(sg, rng)
                break
            except Invalid as exc:
                stats["regenerated"] += 1
                stats["regenerated: " + str(exc).split(":")[0]] += 1
        compatible = check(ra, wa)
        data = []
        if compatible:
            g = avro_peer.Generator(wp, rng.getrandbits(64))
            for _ in range(rng.randint(0, 5)):
                d = g.datum()
                try:
                    raw = wp.to_binary(d)
                except Exception as exc:
                    raise PeerError(f"fastavro rejected generated datum {d!r}: "
                                    f"{type(exc).__name__}: {exc}") from exc
                text, err = resolve(raw, wp, rp)
                entry = {"hex": raw.hex(), "resolved": text}
                if err is not None:
                    entry["error"] = err
                    errors[err.split(":")[0]] += 1
                data.append(entry)
            stats["pairs with data"] += bool(data)
            stats["datums"] += len(data)
        stats["compatible" if compatible else "incompatible"] += 1
        if wp.stripped == rp.stripped:
            stats["identical writer and reader"] += 1
        if args.verbose and "+" not in desc:
            stats[f"mutation {desc}: {'compatible' if compatible else 'incompatible'}"] += 1
        out.write(json.dumps({"writer": wj, "reader": rj, "compatible": compatible,
                              "data": data}) + "\n")
    out.flush()
    n_err = sum(errors.values())
    msg = (f"compat_peer: {args.count} pairs: {stats['compatible']} compatible, "
           f"{stats['incompatible']} incompatible; {stats['pairs with data']} pairs with data, "
           f"{stats['datums']} datums, {n_err} fastavro failures")
    if errors:
        msg += " (" + ", ".join(f"{k}: {v}" for k, v in errors.most_common()) + ")"
    msg += f"; {stats['regenerated']} candidate pairs regenerated\n"
    sys.stderr.write(msg)
    if args.verbose:
        for k, v in sorted(stats.items()):
            sys.stderr.write(f"  {k}: {v}\n")


# --------------------------------------------------------------------------
# bench
# --------------------------------------------------------------------------

def load_avro(path):
    try:
        with open(path, encoding="utf-8") as f:
            return avro.schema.parse(f.read())
    except Exception as exc:
        raise PeerError(f"cannot parse schema {path}: {type(exc).__name__}: {exc}") from exc


def median_us(fn, iterations, per):
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(iterations):
            fn()
        runs.append((time.perf_counter() - t0) / (iterations * per) * 1e6)
    return statistics.median(runs)


def cmd_bench(args):
    reader, writer = load_avro(args.reader), load_avro(args.writer)

    def once():
        ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    print(json.dumps({"us_per_check": median_us(once, args.iterations, 1)}))


def cmd_bench_transitive(args):
    new = load_avro(args.new)
    try:
        files = sorted(f for f in os.listdir(args.previous_dir) if f.endswith(".avsc"))
    except OSError as exc:
        raise PeerError(f"cannot list {args.previous_dir}: {exc}") from exc
    previous = [load_avro(os.path.join(args.previous_dir, f)) for f in files]

    def once():
        for w in previous:
            ReaderWriterCompatibilityChecker().get_compatibility(new, w)
    print(json.dumps({"us_per_check": median_us(once, args.iterations, 1),
                      "versions": len(previous)}))


def main(argv=None):
    ap = argparse.ArgumentParser(description="avro/fastavro reference peer for schema "
                                             "compatibility and resolution tests")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="print N random writer/reader pairs with verdicts and data")
    g.add_argument("--count", type=int, required=True)
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--verbose", action="store_true", help="more statistics on stderr")
    b = sub.add_parser("bench", help="time the avro package's compatibility check")
    b.add_argument("--reader", required=True)
    b.add_argument("--writer", required=True)
    b.add_argument("--iterations", type=int, default=2000)
    t = sub.add_parser("bench-transitive", help="time a BACKWARD_TRANSITIVE check")
    t.add_argument("--new", required=True)
    t.add_argument("--previous-dir", required=True)
    t.add_argument("--iterations", type=int, default=2000)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "generate":
            cmd_generate(args)
        elif args.cmd == "bench":
            cmd_bench(args)
        else:
            cmd_bench_transitive(args)
    except PeerError as exc:
        die(str(exc))
    except BrokenPipeError:
        sys.exit(1)


if __name__ == "__main__":
    main()
