#!/usr/bin/env python3
"""Reference ("real peer") side of the Swift Avro interop tests.

Uses only fastavro + the Python standard library.

  generate --schema FILE.avsc [--schema-dir DIR] --count N --seed K
      Prints N lines, each  {"json": "<Avro JSON text>", "hex": "<binary hex>"}
      where "json" is fastavro.json_write.json_writer output for one datum and
      "hex" is fastavro.schemaless_writer output (lowercase hex). Random data is
      produced by random.Random(K), so output is deterministic per seed.

  decode --schema FILE.avsc [--schema-dir DIR]
      Reads one lowercase-hex datum per stdin line (an empty line is the empty
      encoding, e.g. of "null" or of a record without fields), decodes it with
      fastavro.schemaless_reader and prints one line of json_writer output.

Logical types: every "logicalType" attribute is stripped from the schema before
fastavro sees it for writing/reading. The binary encoding of a logical type is
identical to that of its underlying type, and the Swift side works on the
underlying type; without stripping, fastavro would insist on datetime/Decimal/
UUID objects and convert values back and forth. The generator still reads the
logical types (from a second, unstripped parse) to produce plausible underlying
values (UUID strings, decimal two's-complement bytes, 12-byte durations, ...).

Unions: generated datums use fastavro's tuple notation ("branch name", value) so
that the chosen branch is explicit (otherwise fastavro guesses: e.g. an int value
in ["int","long"] always goes to "int", a string equal to an enum symbol goes to
the enum). For decoding, every non-named union branch (primitive, array, map) is
wrapped in a synthetic single-field record -- a record's binary encoding is just
its fields' encodings, so the bytes are unchanged -- and the reader is run with
return_named_type=True, which makes the branch of every union value explicit.
The result is converted back to tuple notation before json_writer re-encodes it,
so decode(hex) reproduces exactly the union labels that were written.

JSON text: fastavro's json_writer (json.dumps defaults). For schemas it cannot
handle -- recursive schemas (fastavro#765) and a top-level record without fields
(fastavro#732) -- a small mirror encoder with identical conventions is used; for
all other schemas both run and must agree byte-for-byte.

Exit code 2 with a message on stderr for a bad schema, bad hex or bad datum.
"""

import argparse
import copy
import io
import json
import os
import random
import struct
import sys
import uuid

try:
    import fastavro
    from fastavro.json_write import json_writer
    from fastavro.io.json_encoder import AvroJSONEncoder
    from fastavro.repository.base import (
        AbstractSchemaRepository,
        SchemaRepositoryError,
    )
    from fastavro.schema import load_schema
except ImportError as exc:  # pragma: no cover
    sys.stderr.write(f"avro_peer: fastavro is required ({exc}); "
                     "run: python3 -m pip install fastavro\n")
    sys.exit(2)


PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
NAMED = ("record", "error", "enum", "fixed")
WRAP_NS = "zzavropeerwrap"
MAX_DEPTH = 3           # beyond this nesting of records, recursion is cut off
HARD_DEPTH = 64         # safety net against schemas that cannot terminate


class PeerError(Exception):
    pass


class _JSONEncoder(AvroJSONEncoder):
    """fastavro's AvroJSONEncoder with one bug fixed (fastavro 1.13.1): it tests
    the pending object key with `if self._key:` and therefore raises
    "No key was set" for the (valid) empty map key "". Everything else,
    including the output format, is inherited unchanged."""

    def write_value(self, value):
        if isinstance(self._current, dict):
            if self._key is None:
                raise Exception("No key was set")
            self._current[self._key] = value
        else:
            super().write_value(value)


def die(msg):
    sys.stderr.write(f"avro_peer: error: {msg}\n")
    sys.exit(2)


# --------------------------------------------------------------------------
# Schema loading
# --------------------------------------------------------------------------

def strip_logical(node):
    """Deep copy of a schema JSON value without any 'logicalType' attribute."""
    if isinstance(node, dict):
        return {k: strip_logical(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [strip_logical(v) for v in node]
    return node


class _Repo(AbstractSchemaRepository):
    """Main schema under a private name, referenced named types from DIR/<fullname>.avsc."""

    MAIN = "\x00main"

    def __init__(self, main_json, schema_dir, transform):
        self.main_json = main_json
        self.schema_dir = schema_dir
        self.transform = transform

    def load(self, name):
        if name == self.MAIN:
            return self.transform(copy.deepcopy(self.main_json))
        if not self.schema_dir:
            raise SchemaRepositoryError(f"unknown named type '{name}'")
        path = os.path.join(self.schema_dir, f"{name}.avsc")
        try:
            with open(path, encoding="utf-8") as f:
                return self.transform(json.load(f))
        except (OSError, ValueError) as exc:
            raise SchemaRepositoryError(f"failed to load '{path}': {exc}") from exc


def parse(main_json, schema_dir, transform):
    if schema_dir:
        return load_schema(_Repo.MAIN, repo=_Repo(main_json, schema_dir, transform))
    return fastavro.parse_schema(transform(copy.deepcopy(main_json)))


def clean(parsed):
    """Parsed schema without fastavro's private '__...' bookkeeping keys."""
    if isinstance(parsed, dict):
        return {k: clean(v) for k, v in parsed.items() if not k.startswith("__")}
    if isinstance(parsed, list):
        return [clean(v) for v in parsed]
    return parsed


def collect_named(schema, out):
    """Map full name -> definition for every named type in a parsed schema."""
    if isinstance(schema, list):
        for b in schema:
            collect_named(b, out)
    elif isinstance(schema, dict):
        t = schema["type"]
        if t in NAMED:
            out[schema["name"]] = schema
        if t in ("record", "error"):
            for f in schema["fields"]:
                collect_named(f["type"], out)
        elif t == "array":
            collect_named(schema["items"], out)
        elif t == "map":
            collect_named(schema["values"], out)
    return out


def is_recursive(schema, named):
    """True if some named record can (transitively) contain itself."""
    def walk(s, stack):
        if isinstance(s, str):
            if s in PRIMITIVES:
                return False
            if s in stack:
                return True
            return walk(named[s], stack)
        if isinstance(s, list):
            return any(walk(b, stack) for b in s)
        t = s["type"]
        if t in ("record", "error"):
            if s["name"] in stack:
                return True
            return any(walk(f["type"], stack | {s["name"]}) for f in s["fields"])
        if t == "array":
            return walk(s["items"], stack)
        if t == "map":
            return walk(s["values"], stack)
        return False
    return walk(schema, frozenset())


class Schema:
    def __init__(self, path, schema_dir=None, *, raw=None):
        """Loads the schema from the .avsc file at path, or -- if raw is given --
        uses raw (an already decoded schema JSON value; path is then only used
        in error messages)."""
        if raw is None:
            try:
                with open(path, encoding="utf-8") as f:
                    raw = json.load(f)
            except (OSError, ValueError) as exc:
                raise PeerError(f"cannot read schema {path}: {exc}") from exc
        try:
            # Stripped parse: used for all binary/JSON writing and reading.
            self.stripped = parse(raw, schema_dir, strip_logical)
            # Unstripped parse: only consulted for logical types by the generator.
            self.logical = clean(parse(raw, schema_dir, lambda s: s))
        except Exception as exc:  # fastavro raises several exception types
            raise PeerError(f"invalid schema {path}: {type(exc).__name__}: {exc}") from exc
        self.tree = clean(self.stripped)
        self.named = collect_named(self.tree, {})
        self.named_logical = collect_named(self.logical, {})
        self.recursive = is_recursive(self.tree, self.named)
        self._reader_schema = None
        self._wrappers = None

    # ---- encoding ------------------------------------------------------
    def to_binary(self, datum):
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, self.stripped, datum)
        return buf.getvalue()

    def to_json(self, datum):
        mirror = json.dumps(self._json_obj(self.tree, datum))
        if self.recursive:
            # fastavro's JSON encoder cannot handle recursive schemas (it builds
            # its grammar eagerly: RecursionError for arrays/maps of Self, and
            # recursive ["null","Self"] fields are forced to null, cf. fastavro
            # issue #765 / PR #773), so the mirror encoder output is used.
            return mirror
        buf = io.StringIO()
        try:
            json_writer(buf, self.stripped, [datum], encoder=_JSONEncoder)
        except Exception:
            # fastavro's JSON encoder fails on some valid schemas, e.g. a
            # top-level record without fields ("Internal Parser Exception",
            # fastavro issue #732); the mirror encoder covers those.
            return mirror
        out = buf.getvalue()
        if out != mirror:  # keep the two JSON encoders honest
            raise PeerError("internal: fastavro json_writer and mirror encoder disagree:\n"
                            f"  fastavro: {out}\n  mirror:   {mirror}")
        return out

    def _json_obj(self, s, v):
        """Mirror of fastavro's json_writer conventions, as a json.dumps-able value.
        Expects union values in tuple notation (or None for the null branch)."""
        if isinstance(s, str):
            if s in PRIMITIVES:
                return self._json_prim(s, v)
            return self._json_obj(self.named[s], v)
        if isinstance(s, list):
            if v is None and "null" in s:
                return None
            if not isinstance(v, tuple):
                raise PeerError(f"union value not in tuple notation: {v!r}")
            label, inner = v
            for b in s:
                blabel = b if isinstance(b, str) else b.get("name", b["type"])
                if blabel == label:
                    if b == "null":
                        return None
                    return {label: self._json_obj(b, inner)}
            raise PeerError(f"no union branch named {label!r}")
        t = s["type"]
        if t in ("record", "error"):
            return {f["name"]: self._json_obj(f["type"], v[f["name"]]) for f in s["fields"]}
        if t == "array":
            return [self._json_obj(s["items"], x) for x in v]
        if t == "map":
            return {k: self._json_obj(s["values"], x) for k, x in v.items()}
        if t == "fixed":
            return v.decode("iso-8859-1")
        if t == "enum":
            return v
        return self._json_prim(t, v)

    @staticmethod
    def _json_prim(t, v):
        if t == "bytes":
            return v.decode("iso-8859-1")
        if t in ("float", "double"):
            return float(v)
        return v

    # ---- decoding ------------------------------------------------------
    def _build_reader(self):
        self._wrappers = {}
        counter = [0]

        def wrap(s):
            if isinstance(s, list):
                out = []
                for b in s:
                    if b == "null" or (isinstance(b, str) and b not in PRIMITIVES) \
                            or (isinstance(b, dict) and b["type"] in NAMED):
                        out.append(wrap(b))
                    else:
                        counter[0] += 1
                        name = f"{WRAP_NS}.W{counter[0]}"
                        self._wrappers[name] = b
                        out.append({"type": "record", "name": name,
                                    "fields": [{"name": "v", "type": wrap(b)}]})
                return out
            if isinstance(s, dict):
                t = s["type"]
                s = dict(s)
                if t in ("record", "error"):
                    s["fields"] = [dict(f, type=wrap(f["type"])) for f in s["fields"]]
                elif t == "array":
                    s["items"] = wrap(s["items"])
                elif t == "map":
                    s["values"] = wrap(s["values"])
                return s
            return s

        self._reader_schema = fastavro.parse_schema(wrap(self.tree))

    def _unwrap(self, s, v):
        """Convert a reader result (with wrappers) to tuple notation for json_writer."""
        if isinstance(s, str):
            if s in PRIMITIVES:
                return v
            return self._unwrap(self.named[s], v)
        if isinstance(s, list):
            if v is None:
                return None
            name, inner = v
            if name in self._wrappers:
                branch = self._wrappers[name]
                label = branch if isinstance(branch, str) else branch["type"]
                return (label, self._unwrap(branch, inner["v"]))
            return (name, self._unwrap(self.named[name], inner))
        t = s["type"]
        if t in ("record", "error"):
            return {f["name"]: self._unwrap(f["type"], v[f["name"]]) for f in s["fields"]}
        if t == "array":
            return [self._unwrap(s["items"], x) for x in v]
        if t == "map":
            return {k: self._unwrap(s["values"], x) for k, x in v.items()}
        return v  # enum, fixed, primitive in dict form

    def from_binary(self, data):
        if self._reader_schema is None:
            self._build_reader()
        buf = io.BytesIO(data)
        raw = fastavro.schemaless_reader(buf, self._reader_schema, None,
                                         return_named_type=True)
        if buf.tell() != len(data):
            raise PeerError(f"{len(data) - buf.tell()} trailing byte(s) after datum")
        return self._unwrap(self.tree, raw)


# --------------------------------------------------------------------------
# Random datum generation
# --------------------------------------------------------------------------

def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


INT_EDGES = [-2**31, 2**31 - 1, 0, -1, 1, 63, 64, -64, -65, 8191, 8192, 127, 128, -128,
             2**31 - 2, -2**31 + 1, 1000000]
LONG_EDGES = [-2**63, 2**63 - 1, 0, -1, 1, 2**53, 2**53 + 1, 2**53 - 1, -2**53,
              -(2**53 + 1), -(2**53 - 1), 2**31, -2**31 - 1, 2**31 - 1, -2**31,
              2**32, 2**62, -2**62, 2**63 - 2, -2**63 + 1, 63, 64, -65]
FLOAT_EDGES = [0.0, -0.0, 1.5, -1.5, 1.0, -1.0, 3.4028234663852886e38,
               -3.4028234663852886e38, 1.401298464324817e-45, -1.401298464324817e-45,
               1.1754943508222875e-38, f32(0.1), f32(1e-7), 16777216.0, 16777217.0 - 1,
               f32(3.14159265), f32(123456.789), 0.5, 2.0 ** 100]
DOUBLE_EDGES = [0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308,
                -1.7976931348623157e308, 2.2250738585072014e-308, 0.1, 1e-7,
                123456789.125, 1e22, 1e21, 1e16, 1e15, 1e-5, 1e-4, 1.0, -1.0, 1.5,
                0.3333333333333333, 9007199254740993.0, 9007199254740992.0,
                3.4028234663852886e38, 1.401298464324817e-45, 100.0, 2.5e-10]
STRING_EDGES = [
    "", "a", "hello world", "caf\u00e9", "Stra\u00dfe \u00e9\u00e8\u00ea \u00ff",
    "\u4e2d\u6587\u5b57\u7b26 \u65e5\u672c\u8a9e \ud55c\uad6d\uc5b4",
    "\U0001F600", "emoji \U0001F600\U0001F680\U0001F44D\U0001F3FD end",
    "\U00010348\U0001D11E\U0010FFFF", 'say "hi"', "back\\slash \\\\ \\n",
    "line1\nline2\r\n\ttab", "\u0001\u0002\u001f\u007f", "\u0000nul", "\b\f",
    "\u2028\u2029\ufeff\ufffd", "</script>", "null", "true", "0", "{\"json\": 1}",
    " leading and trailing ", "x" * 300, "\u00e9" * 200, "\U0001F600" * 120,
]
BYTES_EDGES = [b"", bytes(range(256)), b"\x00", b"\xff", b"\x00\x00", b"\x80",
               b"\"\\", b"\x7f\x80\xfe\xff", bytes(range(255, -1, -1)), b"\x00" * 300]
MAP_KEY_EDGES = ["", "a", "key", "caf\u00e9", "\u00df", "\u4e2d", "\U0001F600",
                 "with space", "q\"uote", "back\\slash", "nl\nx", "\u0001", "Z", "z", "0"]

# Character classes for random strings: (lo, hi) code-point ranges, no surrogates.
CHAR_RANGES = [(0x20, 0x7E)] * 4 + [(0x00, 0x1F), (0x7F, 0xFF), (0x100, 0x17F),
                                    (0x370, 0x3FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3),
                                    (0xE000, 0xFFFD), (0x1F300, 0x1FAFF),
                                    (0x10000, 0x10FFFF)]


class Generator:
    def __init__(self, schema, seed):
        self.s = schema
        self.r = random.Random(seed)
        self._term_cache = {}

    # ---- primitives ----------------------------------------------------
    def gen_int(self):
        r = self.r
        c = r.random()
        if c < 0.45:
            return r.choice(INT_EDGES)
        if c < 0.75:
            return r.randint(-100, 100)
        return r.randint(-2**31, 2**31 - 1)

    def gen_long(self):
        r = self.r
        c = r.random()
        if c < 0.45:
            return r.choice(LONG_EDGES)
        if c < 0.6:
            return r.randint(-1000, 1000)
        if c < 0.75:
            return r.randint(-2**31, 2**31 - 1)
        return r.randint(-2**63, 2**63 - 1)

    def gen_float(self):
        r = self.r
        c = r.random()
        if c < 0.45:
            return r.choice(FLOAT_EDGES)
        if c < 0.7:
            return f32(r.uniform(-1000.0, 1000.0))
        while True:  # random finite bit pattern
            v = struct.unpack("<f", struct.pack("<I", r.getrandbits(32)))[0]
            if v == v and v not in (float("inf"), float("-inf")):
                return v

    def gen_double(self):
        r = self.r
        c = r.random()
        if c < 0.45:
            return r.choice(DOUBLE_EDGES)
        if c < 0.7:
            return r.uniform(-1e6, 1e6)
        while True:
            v = struct.unpack("<d", struct.pack("<Q", r.getrandbits(64)))[0]
            if v == v and v not in (float("inf"), float("-inf")):
                return v

    def gen_char(self):
        lo, hi = self.r.choice(CHAR_RANGES)
        while True:
            cp = self.r.randint(lo, hi)
            if not 0xD800 <= cp <= 0xDFFF:
                return chr(cp)

    def gen_string(self):
        r = self.r
        c = r.random()
        if c < 0.4:
            return r.choice(STRING_EDGES)
        if c < 0.6:
            return "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789 _-")
                           for _ in range(r.randint(1, 20)))
        if c < 0.93:
            return "".join(self.gen_char() for _ in range(r.randint(1, 24)))
        return "".join(self.gen_char() for _ in range(r.randint(300, 400)))

    def gen_bytes(self):
        r = self.r
        c = r.random()
        if c < 0.4:
            return r.choice(BYTES_EDGES)
        if c < 0.95:
            return bytes(r.getrandbits(8) for _ in range(r.randint(0, 40)))
        return bytes(r.getrandbits(8) for _ in range(r.randint(300, 600)))

    def gen_map_key(self):
        return self.r.choice(MAP_KEY_EDGES) if self.r.random() < 0.5 else self.gen_string()

    # ---- logical types (underlying values only) -------------------------
    def gen_logical(self, lt, base, ls):
        r = self.r
        edge = r.random() < 0.15  # sometimes full-range underlying values
        if lt == "uuid" and base == "string":
            return str(uuid.UUID(int=r.getrandbits(128), version=4))
        if lt == "uuid" and base == "fixed":
            return bytes(r.getrandbits(8) for _ in range(ls["size"]))
        if lt == "date" and base == "int":
            return self.gen_int() if edge else r.randint(-719162, 2932896)
        if lt == "time-millis" and base == "int":
            return r.choice([0, 86399999]) if edge else r.randint(0, 86399999)
        if lt == "time-micros" and base == "long":
            return r.choice([0, 86399999999]) if edge else r.randint(0, 86399999999)
        if lt in ("timestamp-millis", "local-timestamp-millis") and base == "long":
            return self.gen_long() if edge else r.randint(-62135596800000, 253402300799999)
        if lt in ("timestamp-micros", "local-timestamp-micros") and base == "long":
            return self.gen_long() if edge else r.randint(-62135596800000000,
                                                          253402300799999999)
        if lt in ("timestamp-nanos", "local-timestamp-nanos") and base == "long":
            return self.gen_long() if edge else r.randint(-2**62, 2**62)
        if lt == "decimal" and base in ("bytes", "fixed"):
            prec = int(ls.get("precision", 10))
            if base == "fixed":  # also bounded by what fits in size bytes
                size = ls["size"]
                bound = min(10 ** prec - 1, 2 ** (8 * size - 1) - 1)
            else:
                bound = 10 ** prec - 1
            c = r.random()
            if c < 0.1:
                unscaled = 0
            elif c < 0.2:
                unscaled = r.choice([bound, -bound, 1, -1, 127, 128, -128, -129, 255, 256])
                unscaled = max(-bound, min(bound, unscaled))
            else:
                unscaled = r.randint(-bound, bound)
            nbytes = max(1, (unscaled.bit_length() + 8) // 8)  # minimal two's complement
            if base == "fixed":
                nbytes = ls["size"]
            return unscaled.to_bytes(nbytes, "big", signed=True)
        if lt == "big-decimal" and base == "bytes":
            # Avro 1.12: the bytes hold the unscaled value (Avro bytes) then the scale (Avro int).
            unscaled = r.choice([0, 1, -1, r.randint(-10**60, 10**60), r.randint(-1000, 1000)])
            u = unscaled.to_bytes(max(1, (unscaled.bit_length() + 8) // 8), "big", signed=True)
            def varint(n):
                z = (n << 1) ^ (n >> 63)
                out = bytearray()
                while z >= 0x80:
                    out.append((z & 0x7F) | 0x80)
                    z >>= 7
                out.append(z)
                return bytes(out)
            return varint(len(u)) + u + varint(r.randint(0, 40))
        if lt == "duration" and base == "fixed" and ls.get("size") == 12:
            vals = [r.choice([0, 1, 2**32 - 1]) if r.random() < 0.3 else r.getrandbits(32)
                    for _ in range(3)]
            return struct.pack("<III", *vals)
        return None  # unknown / mismatched logical type: use the underlying type

    # ---- recursion control ---------------------------------------------
    def terminates(self, s, visiting=frozenset()):
        """True if a value of s can be built without entering a record named in visiting."""
        if isinstance(s, str):
            if s in PRIMITIVES:
                return True
            if s in visiting:
                return False
            return self.terminates(self.s.named[s], visiting)
        if isinstance(s, list):
            return any(self.terminates(b, visiting) for b in s)
        t = s["type"]
        if t in ("record", "error"):
            if s["name"] in visiting:
                return False
            v = visiting | {s["name"]}
            return all(self.terminates(f["type"], v) for f in s["fields"])
        return True  # arrays/maps can be empty, enum/fixed/primitives are leaves

    def is_shallow(self, s):
        """Branch preference at the depth limit: no record / named reference to one."""
        if isinstance(s, str):
            if s in PRIMITIVES:
                return True
            s = self.s.named[s]
        return s["type"] not in ("record", "error")

    # ---- main walk -----------------------------------------------------
    def gen(self, s, ls, depth):
        """s: stripped parsed schema node; ls: same node from the logical parse."""
        r = self.r
        if depth > HARD_DEPTH:
            raise PeerError("schema recursion does not terminate")
        if isinstance(s, str):
            if s in PRIMITIVES:
                return self.gen_primitive(s)
            return self.gen(self.s.named[s], self.s.named_logical[s], depth)
        if isinstance(s, list):
            idx = list(range(len(s)))
            if depth > MAX_DEPTH:
                cands = [i for i in idx if s[i] == "null"] or \
                        [i for i in idx if self.is_shallow(s[i])] or \
                        [i for i in idx if self.terminates(s[i])] or idx
                i = r.choice(cands)
            else:
                i = r.choice(idx)
            b = s[i]
            if b == "null":
                return None
            if isinstance(b, str):
                label = b  # primitive or full name of a named type
            elif b["type"] in NAMED:
                label = b["name"]
            else:
                label = b["type"]
            return (label, self.gen(b, ls[i], depth))
        t = s["type"]
        lt = ls.get("logicalType") if isinstance(ls, dict) else None
        if lt:
            v = self.gen_logical(lt, t, ls)
            if v is not None:
                return v
        if t in PRIMITIVES:
            return self.gen_primitive(t)
        if t in ("record", "error"):
            return {f["name"]: self.gen(f["type"], lf["type"], depth + 1)
                    for f, lf in zip(s["fields"], ls["fields"])}
        if t == "enum":
            return r.choice(s["symbols"])
        if t == "fixed":
            c = r.random()
            if c < 0.15:
                return b"\x00" * s["size"]
            if c < 0.3:
                return b"\xff" * s["size"]
            return bytes(r.getrandbits(8) for _ in range(s["size"]))
        if t == "array":
            n = 0 if depth > MAX_DEPTH else r.choice([0, 0, 1, 1, 2, 3, 4, 5, 6])
            return [self.gen(s["items"], ls["items"], depth) for _ in range(n)]
        if t == "map":
            n = 0 if depth > MAX_DEPTH else r.choice([0, 0, 1, 1, 2, 3, 4, 5, 6])
            out = {}
            tries = 0
            while len(out) < n and tries < 50:
                tries += 1
                k = self.gen_map_key()
                if k not in out:
                    out[k] = self.gen(s["values"], ls["values"], depth)
            return out
        raise PeerError(f"unsupported schema type {t!r}")

    def gen_primitive(self, t):
        if t == "null":
            return None
        if t == "boolean":
            return self.r.random() < 0.5
        return getattr(self, "gen_" + t)()

    def datum(self):
        return self.gen(self.s.tree, self.s.logical, 0)


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def cmd_generate(args):
    schema = Schema(args.schema, args.schema_dir)
    g = Generator(schema, args.seed)
    out = sys.stdout
    for _ in range(args.count):
        d = g.datum()
        try:
            line = json.dumps({"json": schema.to_json(d), "hex": schema.to_binary(d).hex()})
        except Exception as exc:
            raise PeerError(f"fastavro rejected generated datum {d!r}: "
                            f"{type(exc).__name__}: {exc}") from exc
        out.write(line + "\n")


def cmd_decode(args):
    schema = Schema(args.schema, args.schema_dir)
    out = sys.stdout
    for lineno, line in enumerate(sys.stdin, 1):
        text = line.strip()
        try:
            data = bytes.fromhex(text)
        except ValueError as exc:
            raise PeerError(f"line {lineno}: bad hex: {exc}") from exc
        try:
            datum = schema.from_binary(data)
            js = schema.to_json(datum)
        except PeerError as exc:
            raise PeerError(f"line {lineno}: {exc}") from exc
        except Exception as exc:
            raise PeerError(f"line {lineno}: cannot decode {text!r}: "
                            f"{type(exc).__name__}: {exc}") from exc
        out.write(js + "\n")


def cmd_read_container(args):
    """Reads an object container file with fastavro's reader; prints a header line
    {"codec": ..., "schema": <writer schema>} and then one JSON line per record (plain JSON:
    unions unwrapped, bytes as latin-1 strings)."""
    def plain(v):
        if isinstance(v, bytes):
            return v.decode("latin-1")
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v
    try:
        with open(args.file, "rb") as f:
            reader = fastavro.reader(f)
            out = sys.stdout
            out.write(json.dumps({"codec": reader.codec, "schema": reader.writer_schema}) + "\n")
            for record in reader:
                out.write(json.dumps(plain(record)) + "\n")
    except Exception as exc:
        raise PeerError(f"cannot read container {args.file}: {type(exc).__name__}: {exc}") from exc


def main(argv=None):
    ap = argparse.ArgumentParser(description="fastavro reference peer for Avro interop tests")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="print N random datums as {json, hex} lines")
    g.add_argument("--schema", required=True)
    g.add_argument("--schema-dir", default=None,
                   help="directory with <fullname>.avsc files for referenced named types")
    g.add_argument("--count", type=int, required=True)
    g.add_argument("--seed", type=int, required=True)
    d = sub.add_parser("decode", help="decode hex lines from stdin to Avro JSON lines")
    d.add_argument("--schema", required=True)
    d.add_argument("--schema-dir", default=None)
    c = sub.add_parser("read-container", help="read an object container file with fastavro, print JSON lines")
    c.add_argument("file")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "generate":
            cmd_generate(args)
        elif args.cmd == "read-container":
            cmd_read_container(args)
        else:
            cmd_decode(args)
        sys.stdout.flush()
    except PeerError as exc:
        die(str(exc))
    except BrokenPipeError:
        sys.exit(1)


if __name__ == "__main__":
    main()
