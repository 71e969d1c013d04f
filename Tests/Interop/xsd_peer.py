"""XML instances for the XML Schema differential: generated from schemas, mutated, judged by xmlschema.

Usage: xsd_peer.py generate --schemas DIR --count N --seed S
Writes one JSON object per line: {"schema": file name, "mutation": name, "xml": text, "valid": bool}.

       xsd_peer.py evolve --schemas DIR --pairs N --instances K --seed S
Writes one JSON object per line: {"writer": schema text, "reader": schema text, "change": name,
"instances": [documents valid under the writer, per xmlschema]}: each schema and a random edit of it
(an occurrence, a facet value, a type, an enumeration value, an element, an attribute's use), in
either order, for checking that a pair judged compatible accepts every writer document.

The generator walks xmlschema's components of each schema (content models, occurrences, attributes,
simple types and their facets) to build a valid instance, then applies one random mutation (or none):
a removed, duplicated, swapped or unknown element, a value breaking a facet, an attribute removed,
added or given a bad value. The verdict is the pure-Python xmlschema's (XSD 1.0), an engine
independent of libxml2.
"""

import argparse
import json
import os
import random
import string
import sys
import xml.etree.ElementTree as ET

import xmlschema
from xmlschema.validators import XsdAnyElement, XsdElement, XsdGroup

PATTERNS = {
    "[A-Z]{3}-[0-9]{4}": lambda r: "".join(r.choices(string.ascii_uppercase, k=3)) + "-" + "".join(r.choices(string.digits, k=4)),
    "ORD-[0-9]{6}": lambda r: "ORD-" + "".join(r.choices(string.digits, k=6)),
    "[A-Z]{3}": lambda r: "".join(r.choices(string.ascii_uppercase, k=3)),
    "[0-9]{16}": lambda r: "".join(r.choices(string.digits, k=16)),
}

BAD_VALUES = ["", "abc", "-99999999999", "1.555", "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "2021-13-45", "0", "true", " 7 "]


def facet(t, name):
    """A facet's value on t or its bases (xmlschema keeps them per derivation step)."""
    while t is not None:
        f = getattr(t, "facets", {}).get(f"{{http://www.w3.org/2001/XMLSchema}}{name}")
        if f is not None:
            return f.value
        t = getattr(t, "base_type", None)
    return None


def value(t, r):
    if t.is_list():
        n = r.randint(1, 3)
        lo, hi = facet(t, "minLength"), facet(t, "maxLength")
        if lo is not None:
            n = max(n, lo)
        if hi is not None:
            n = min(n, hi)
        base = t
        while getattr(base, "item_type", None) is None:
            base = base.base_type
        return " ".join(value(base.item_type, r) for _ in range(n))
    if t.is_union():
        base = t
        while getattr(base, "member_types", None) is None:
            base = base.base_type
        return value(r.choice(base.member_types), r)
    enumeration = getattr(t, "enumeration", None)
    if enumeration:
        return str(r.choice(enumeration))
    base = t
    while base is not None:
        patterns = getattr(base, "patterns", None)
        for pattern in getattr(patterns, "regexps", None) or []:
            if pattern in PATTERNS:
                return PATTERNS[pattern](r)
        base = getattr(base, "base_type", None)
    primitive = t.primitive_type.local_name if hasattr(t, "primitive_type") else "string"
    name = t.local_name or ""
    if primitive == "decimal":
        lo = float(t.min_value) if t.min_value is not None else -1000.0
        hi = float(t.max_value) if t.max_value is not None else 1000.0
        lo, hi = max(lo, -1000.0), min(hi, 1000.0)
        fraction = facet(t, "fractionDigits")
        chain, base = [], t
        while base is not None:
            chain.append(base.local_name or "")
            base = getattr(base, "base_type", None)
        integer_only = "integer" in chain or fraction == 0
        if facet(t, "minExclusive") is not None:
            lo = lo + (1 if integer_only else 0.01)
        if integer_only or r.random() < 0.5:
            return str(r.randint(int(lo) if lo == int(lo) else int(lo) + 1, int(hi)))
        return f"{r.uniform(float(lo), float(hi)):.2f}"
    if primitive in ("double", "float"):
        return r.choice(["1.5", "-0.25", "1e3", "INF", "42", "NaN"])
    if primitive == "boolean":
        return r.choice(["true", "false", "1", "0"])
    if primitive == "dateTime":
        return f"20{r.randint(10, 29)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00Z"
    if primitive == "date":
        return f"20{r.randint(10, 29)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
    if primitive == "gYearMonth":
        return f"20{r.randint(10, 39)}-{r.randint(1, 12):02d}"
    if primitive == "hexBinary":
        n = facet(t, "length") or r.randint(1, 6)
        return "".join(r.choices("0123456789ABCDEF", k=2 * n))
    lo = facet(t, "minLength") or facet(t, "length") or 1
    hi = facet(t, "maxLength") or facet(t, "length") or 12
    n = r.randint(lo, max(lo, min(hi, 12)))
    first = r.choice(string.ascii_letters)
    return (first + "".join(r.choices(string.ascii_letters + string.digits, k=n - 1)))[:n] if n else ""


def occurs(p, r):
    hi = p.max_occurs if p.max_occurs is not None else p.min_occurs + 3
    return r.randint(p.min_occurs, max(p.min_occurs, min(hi, p.min_occurs + 3)))


def element(e, r, parent=None):
    node = ET.Element(e.name) if parent is None else ET.SubElement(parent, e.name)
    t = e.type
    if t.is_simple():
        node.text = value(t, r)
        return node
    for name, a in t.attributes.items():
        if name is None:
            continue
        if a.fixed is not None:
            if a.use == "required" or r.random() < 0.5:
                node.set(name, str(a.fixed))
        elif a.use == "required" or r.random() < 0.5:
            node.set(name, value(a.type, r))
    if t.has_simple_content():
        node.text = value(t.content, r)
    elif isinstance(t.content, XsdGroup):
        group(t.content, r, node)
        if t.mixed and r.random() < 0.5:
            node.text = "some text"
    return node


def group(g, r, parent):
    for _ in range(occurs(g, r)):
        if g.model == "sequence":
            for p in g:
                particle(p, r, parent)
        elif g.model == "choice":
            if len(g):
                particle(r.choice(list(g)), r, parent)
        else:
            items = list(g)
            r.shuffle(items)
            for p in items:
                particle(p, r, parent)


def particle(p, r, parent):
    if isinstance(p, XsdGroup):
        group(p, r, parent)
    elif isinstance(p, XsdElement):
        for _ in range(occurs(p, r)):
            element(p, r, parent)
    elif isinstance(p, XsdAnyElement):
        pass


def nodes(root):
    return [n for n in root.iter()]


def mutate(root, r):
    kinds = ["none", "none", "remove", "duplicate", "swap", "unknown", "bad-value", "bad-attribute", "drop-attribute", "extra-attribute"]
    kind = r.choice(kinds)
    everything = nodes(root)
    parents = {c: p for p in everything for c in p}
    children = [n for n in everything if n is not root]
    if kind == "remove" and children:
        n = r.choice(children)
        parents[n].remove(n)
    elif kind == "duplicate" and children:
        n = r.choice(children)
        p = parents[n]
        p.insert(list(p).index(n), ET.fromstring(ET.tostring(n)))
    elif kind == "swap":
        candidates = [n for n in everything if len(n) >= 2]
        if candidates:
            p = r.choice(candidates)
            i = r.randrange(len(p) - 1)
            a, b = p[i], p[i + 1]
            p.remove(a)
            p.insert(i + 1, a)
    elif kind == "unknown":
        p = r.choice(everything)
        namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else None
        p.insert(r.randint(0, len(p)), ET.Element(f"{{{namespace}}}zz" if namespace else "zz"))
    elif kind == "bad-value":
        leaves = [n for n in everything if len(n) == 0]
        r.choice(leaves).text = r.choice(BAD_VALUES)
    elif kind in ("bad-attribute", "drop-attribute"):
        holders = [n for n in everything if n.attrib]
        if holders:
            n = r.choice(holders)
            name = r.choice(list(n.attrib))
            if kind == "drop-attribute":
                del n.attrib[name]
            else:
                n.set(name, r.choice(BAD_VALUES))
    elif kind == "extra-attribute":
        r.choice(everything).set("zz", "1")
    return kind


import re

TYPES = ["xs:int", "xs:long", "xs:short", "xs:byte", "xs:string", "xs:decimal", "xs:token", "xs:positiveInteger",
         "xs:unsignedShort", "xs:unsignedInt", "xs:integer", "xs:double", "xs:NMTOKEN", "xs:date"]


def edit(text, r):
    """One random edit of a schema's text (regular expressions: the text keeps its prefixes)."""
    edits = []
    for m in re.finditer(r' minOccurs="(\d+)"', text):
        edits.append(("minOccurs", m.start(), m.end(), r.choice(['', ' minOccurs="1"', ' minOccurs="2"'])))
    for m in re.finditer(r'<xs:element name="[^"]+"(?: type="[^"]+")?(?=[ />])', text):
        edits.append(("optional", m.end(), m.end(), ' minOccurs="0"'))
    for m in re.finditer(r' maxOccurs="([^"]+)"', text):
        edits.append(("maxOccurs", m.start(), m.end(), r.choice([' maxOccurs="1"', ' maxOccurs="2"', ' maxOccurs="unbounded"', ' maxOccurs="6"'])))
    for m in re.finditer(r'(<xs:(?:min|max)(?:In|Ex)clusive value=")(-?\d+)(")', text):
        delta = r.choice([-5, -1, 1, 5, 100])
        edits.append(("bound", m.start(2), m.end(2), str(int(m.group(2)) + delta)))
    for m in re.finditer(r'(<xs:(?:maxLength|minLength|length|totalDigits|fractionDigits) value=")(\d+)(")', text):
        edits.append(("length", m.start(2), m.end(2), str(max(0, int(m.group(2)) + r.choice([-1, 1, 3])))))
    for m in re.finditer(r'(type|base)="(xs:[A-Za-z]+)"', text):
        edits.append(("type", m.start(2), m.end(2), r.choice(TYPES)))
    for m in re.finditer(r'<xs:enumeration value="[^"]*"/>', text):
        edits.append(("enumeration-removed", m.start(), m.end(), ""))
        edits.append(("enumeration-added", m.end(), m.end(), '<xs:enumeration value="ZZ"/>'))
    for m in re.finditer(r'<xs:element name="[^"]+" (?:type="[^"]+" )?(?:minOccurs="[^"]+" )?(?:maxOccurs="[^"]+" )?type="[^"]+"/>|<xs:element name="[^"]+" type="[^"]+"/>', text):
        edits.append(("element-removed", m.start(), m.end(), ""))
    for m in re.finditer(r' use="(required|optional)"', text):
        edits.append(("use", m.start(), m.end(), ' use="optional"' if m.group(1) == "required" else ' use="required"'))
    for m in re.finditer(r'<xs:sequence>', text):
        edits.append(("choice", m.start(), m.end(), "<xs:choice>"))
    if not edits:
        return None, None
    name, start, end, replacement = r.choice(edits)
    new = text[:start] + replacement + text[end:]
    if name == "choice":
        # Close what was opened: the sequence's matching end tag is the next one at the same depth.
        depth, i = 0, start + len(replacement)
        for m in re.finditer(r"<(/?)xs:(sequence|choice)>", new[i:]):
            if m.group(1) == "" :
                depth += 1
            elif depth == 0:
                new = new[: i + m.start()] + "</xs:choice>" + new[i + m.end():]
                break
            else:
                depth -= 1
    return name, new


def evolve(args):
    files = sorted(f for f in os.listdir(args.schemas) if f.endswith(".xsd"))
    texts = {f: open(os.path.join(args.schemas, f), encoding="utf-8").read() for f in files}
    r = random.Random(args.seed)
    written = 0
    while written < args.pairs:
        base = texts[r.choice(files)]
        change, variant = edit(base, r)
        if variant is None or variant == base:
            continue
        try:
            compiled = {t: xmlschema.XMLSchema10(t) for t in (base, variant)}
        except Exception:
            continue
        writer, reader = (base, variant) if r.random() < 0.5 else (variant, base)
        schema = compiled[writer]
        if not schema.elements:
            continue
        instances = []
        for _ in range(args.instances * 3):
            root = element(next(iter(schema.elements.values())), r)
            text = ET.tostring(root, encoding="unicode")
            if schema.is_valid(text):
                instances.append(text)
            if len(instances) == args.instances:
                break
        sys.stdout.write(json.dumps({"writer": writer, "reader": reader, "change": change, "instances": instances}) + "\n")
        written += 1


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--schemas", required=True)
    g.add_argument("--count", type=int, default=5000)
    g.add_argument("--seed", type=int, default=1)
    e = sub.add_parser("evolve")
    e.add_argument("--schemas", required=True)
    e.add_argument("--pairs", type=int, default=200)
    e.add_argument("--instances", type=int, default=30)
    e.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.command == "evolve":
        return evolve(args)
    files = sorted(f for f in os.listdir(args.schemas) if f.endswith(".xsd"))
    schemas = {f: xmlschema.XMLSchema10(os.path.join(args.schemas, f)) for f in files}
    r = random.Random(args.seed)
    out = sys.stdout
    for i in range(args.count):
        name = files[i % len(files)]
        schema = schemas[name]
        root_decl = next(iter(schema.elements.values()))
        root = element(root_decl, r)
        kind = mutate(root, r)
        text = ET.tostring(root, encoding="unicode")
        out.write(json.dumps({"schema": name, "mutation": kind, "xml": text, "valid": schema.is_valid(text)}) + "\n")


if __name__ == "__main__":
    main()
