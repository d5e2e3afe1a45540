"""reply_schema -> where a RESP3 reply differs from the RESP2 one (docs/commands.md).

The result is a shape string the runtime applies to a RESP2 valkey::Reply
that call() returns (runtime/src/resp3_shape.cpp), so call() answers in the
RESP3 shape on both protocols. Prefix grammar, one character per node:

  .            unchanged
  d            a double (RESP2: a bulk string holding one)
  S x          a set of x (RESP2: an array)
  A x          an array of x
  M x          a map with values x (RESP2: a flat array k, v, ... or an
               array of [k, v] arrays)
  P x y        pairs (RESP2: a flat array x, y, x, y, ...; RESP3 an array
               of [x, y] arrays)
  T(x...)      an array of exactly these elements
  U(x...|y)    an array of at least these elements, the rest y
  R{k=x,...}   a map (as M) whose value under key k is x, others unchanged

Rules from the schema:
  number                         -> d
  object with properties         -> R{...} (M. when no value changes)
  object with one value schema   -> M x
  array of 2-item tuples         -> P x y
  other arrays                   -> A x, T(...), U(...|...)
  array with uniqueItems, at the top of a command of the `set` group -> S x
      (the server sends sets only there; ZRANGE, HKEYS... mark uniqueItems
      and still answer arrays)
  alternatives (oneOf/anyOf)     -> the one shape that changes something, when
      it cannot apply to the RESP2 form of the others; else the command needs
      an entry in commands/resp3_shapes.json (chosen by a token or the
      argument count of the request)
  anything else                  -> .
"""

import json
import os

UNCHANGED = "."


class Ambiguous(Exception):
    pass


class Shape:
    """A shape string, what RESP2 kinds the schema's value can have, and for
    arrays and records what the merge of alternatives needs to see inside."""

    def __init__(self, code, kinds, items=None, props=None):
        self.code = code
        self.kinds = frozenset(kinds)
        self.items = items      # Shape of the elements of a homogeneous array
        self.props = props      # {key: Shape} of a record

    def applies_to(self):
        """The RESP2 kinds the conversion can touch (it leaves others alone)."""
        if self.code == UNCHANGED:
            return frozenset()
        if self.code == "d":
            return frozenset({"str"})
        return frozenset({"arr"})


ALL_KINDS = {"str", "int", "arr", "null"}


def _kinds(schema):
    if not isinstance(schema, dict) or not schema:
        return set(ALL_KINDS)
    if "const" in schema:
        c = schema["const"]
        return {"int"} if isinstance(c, int) else {"str"}
    for key in ("oneOf", "anyOf"):
        if key in schema:
            out = set()
            for a in schema[key]:
                out |= _kinds(a)
            return out
    t = schema.get("type")
    types = t if isinstance(t, list) else [t]
    out = set()
    for x in types:
        out |= {"integer": {"int"}, "boolean": {"int"}, "string": {"str"}, "number": {"str"},
                "null": {"null"}, "array": {"arr"}, "object": {"arr"}}.get(x, ALL_KINDS)
    return out


def _is_pair_schema(s):
    items = s.get("items")
    return (isinstance(items, list) and len(items) == 2 and s.get("minItems") == 2 and s.get("maxItems") == 2
            and s.get("additionalItems") in (None, False))


def derive(schema, top_of_set_group=False):
    """The Shape of a schema; raises Ambiguous."""
    kinds = _kinds(schema)
    if not isinstance(schema, dict) or not schema or "const" in schema:
        return Shape(UNCHANGED, kinds)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return _merge([derive(a, top_of_set_group) for a in schema[key]
                           if a.get("type") != "null"], kinds)
    t = schema.get("type")
    if isinstance(t, list):
        return _merge([derive({"type": x}) for x in t if x != "null"], kinds)
    if t == "number":
        return Shape("d", kinds)
    if t == "object":
        if "properties" in schema:
            props = {k: derive(v) for k, v in schema["properties"].items()}
            changed = {k: v for k, v in props.items() if v.code != UNCHANGED}
            if not changed:
                return Shape("M.", kinds, props=props)
            body = ",".join(f"{k}={v.code}" for k, v in sorted(changed.items()))
            return Shape("R{" + body + "}", kinds, props=props)
        values = []
        if isinstance(schema.get("additionalProperties"), dict):
            values.append(schema["additionalProperties"])
        values.extend((schema.get("patternProperties") or {}).values())
        value = _merge([derive(v) for v in values], ALL_KINDS) if values else Shape(UNCHANGED, ALL_KINDS)
        return Shape("M" + value.code, kinds, items=value)
    if t == "array":
        items = schema.get("items")
        if isinstance(items, list):
            parts = [derive(i) for i in items]
            extra = schema.get("additionalItems")
            if isinstance(extra, dict):
                rest = derive(extra)
                if all(p.code == UNCHANGED for p in parts) and rest.code == UNCHANGED:
                    return Shape(UNCHANGED, kinds)
                return Shape("U(" + "".join(p.code for p in parts) + "|" + rest.code + ")", kinds)
            if all(p.code == UNCHANGED for p in parts):
                return Shape(UNCHANGED, kinds)
            return Shape("T(" + "".join(p.code for p in parts) + ")", kinds)
        if isinstance(items, dict):
            if _is_pair_schema(items):
                a, b = (derive(i) for i in items["items"])
                return Shape("P" + a.code + b.code, kinds)
            item = derive(items)
            if top_of_set_group and schema.get("uniqueItems"):
                return Shape("S" + item.code, kinds, items=item)
            if item.code == UNCHANGED:
                return Shape(UNCHANGED, kinds, items=item)
            return Shape("A" + item.code, kinds, items=item)
        return Shape(UNCHANGED, kinds)
    return Shape(UNCHANGED, kinds)


def _merge(alts, kinds):
    """One Shape for alternatives, or Ambiguous."""
    if not alts:
        return Shape(UNCHANGED, kinds)
    codes = {a.code for a in alts}
    if len(codes) == 1:
        return Shape(alts[0].code, kinds, items=alts[0].items, props=alts[0].props)
    # records: one record with the union of their keys
    if all(a.props is not None for a in alts):
        props = {}
        for a in alts:
            for k, v in a.props.items():
                props.setdefault(k, []).append(v)
        merged = {k: _merge(v, set().union(*(x.kinds for x in v))) for k, v in props.items()}
        changed = {k: v for k, v in merged.items() if v.code != UNCHANGED}
        code = "R{" + ",".join(f"{k}={v.code}" for k, v in sorted(changed.items())) + "}" if changed else "M."
        return Shape(code, kinds, props=merged)
    changing = [a for a in alts if a.code != UNCHANGED]
    plain = [a for a in alts if a.code == UNCHANGED]
    if len({a.code for a in changing}) == 1:
        x = changing[0]
        others = set().union(*(a.kinds for a in plain)) if plain else set()
        if not (x.applies_to() & others):
            return Shape(x.code, kinds, items=x.items, props=x.props)
        # arrays on both sides: fine when the element conversion cannot touch
        # the plain alternatives' elements (GEOSEARCH: names vs [name, ...])
        touched = [p for p in plain if p.kinds & x.applies_to()]
        if x.code.startswith("A") and x.items is not None and all(p.items is not None for p in touched):
            inner = set().union(*(p.items.kinds for p in touched))
            if not (x.items.applies_to() & inner):
                return Shape(x.code, kinds, items=x.items)
    raise Ambiguous(" vs ".join(sorted(codes)))


def parse(code):
    """Checks a shape string against the grammar; returns it."""
    pos = _parse(code, 0)
    if pos != len(code):
        raise ValueError(f"shape {code!r}: trailing text at {pos}")
    return code


def _parse(c, i):
    if i >= len(c):
        raise ValueError(f"shape {c!r}: ends early")
    ch = c[i]
    if ch in ".d":
        return i + 1
    if ch in "SAM":
        return _parse(c, i + 1)
    if ch == "P":
        return _parse(c, _parse(c, i + 1))
    if ch in "TU":
        if c[i + 1:i + 2] != "(":
            raise ValueError(f"shape {c!r}: ( expected at {i + 1}")
        i += 2
        while c[i:i + 1] not in (")", "|", ""):
            i = _parse(c, i)
        if ch == "U":
            if c[i:i + 1] != "|":
                raise ValueError(f"shape {c!r}: | expected at {i}")
            i = _parse(c, i + 1)
        if c[i:i + 1] != ")":
            raise ValueError(f"shape {c!r}: ) expected at {i}")
        return i + 1
    if ch == "R":
        if c[i + 1:i + 2] != "{":
            raise ValueError(f"shape {c!r}: {{ expected at {i + 1}")
        i += 2
        while True:
            eq = c.find("=", i)
            if eq <= i:
                raise ValueError(f"shape {c!r}: key= expected at {i}")
            i = _parse(c, eq + 1)
            if c[i:i + 1] == "}":
                return i + 1
            if c[i:i + 1] != ",":
                raise ValueError(f"shape {c!r}: , or }} expected at {i}")
            i += 1
    raise ValueError(f"shape {c!r}: unknown {ch!r} at {i}")


def load_overrides(root):
    path = os.path.join(root, "commands", "resp3_shapes.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)["shapes"]


def rows_for(spec_entries, overrides):
    """[(name, token, min_argc, shape)] for every command whose RESP3 reply
    differs, sorted by name; for one name the conditional rows come first.
    Raises Ambiguous naming the commands that need an override."""
    by_name = {}
    for e in overrides:
        parse(e["shape"])
        by_name.setdefault(e["command"].upper(), []).append(e)
    rows = []
    unsettled = []
    seen = set()
    for _, key, body in spec_entries:
        container = body.get("container")
        name = (container + " " + key if container else key).upper()
        seen.add(name)
        if name in by_name:
            for e in by_name[name]:
                if e["shape"] != UNCHANGED or e.get("when_token") or e.get("min_argc"):
                    rows.append((name, e.get("when_token", "").upper(), e.get("min_argc", 0), e["shape"]))
            continue
        schema = body.get("reply_schema")
        if schema is None:
            continue
        try:
            s = derive(schema, top_of_set_group=body.get("group") == "set")
        except Ambiguous as ex:
            unsettled.append(f"{name}: {ex}")
            continue
        if s.code != UNCHANGED:
            rows.append((name, "", 0, s.code))
    missing = sorted(set(by_name) - seen)
    if unsettled:
        raise Ambiguous("reply shapes that depend on arguments need an entry in commands/resp3_shapes.json: "
                        + "; ".join(unsettled))
    # conditional rows first within a name, in file order; then the default
    rows.sort(key=lambda r: (r[0], r[1] == "" and r[2] == 0))
    return rows, missing
