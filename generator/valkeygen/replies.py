"""reply_schema -> C++ reply type, by a few rules (see docs/commands.md).

  const "OK" (any const string)     -> valkey::Ok
  integer                           -> std::int64_t
  integer consts exactly {0, 1}     -> bool
  other integer consts              -> std::int64_t
  number                            -> double
  string                            -> std::string
  boolean                           -> bool
  null or X                         -> std::optional<X>
  array of X                        -> std::vector<X>
  array of exactly 2 / N items      -> std::pair<A, B> / std::tuple<...>
  object with one value type V      -> std::vector<std::pair<std::string, V>>
  object with named properties      -> a record: a struct nested in the
                                       command's, one member per property
                                       (Record at the top, the property's name
                                       in PascalCase below it, singular for
                                       an array's items and a map's values:
                                       nodes -> Node); a
                                       property no rule settles is a
                                       valkey::Reply member
  alternatives of one C++ type      -> that type
  anything else (or no schema)      -> valkey::Reply (generic)
"""

from dataclasses import dataclass

from . import names

GENERIC = "valkey::Reply"


@dataclass
class Record:
    name: str      # nested in the command struct
    fields: list   # (member, the server's key, C++ type)


class Unsettled(Exception):
    pass


def _consts(alts):
    vals = []
    for a in alts:
        if "const" not in a:
            return None
        vals.append(a["const"])
    return vals


def cpp_type(schema, records=None, name="Record", owner=None):
    """The C++ type for a schema, or raise Unsettled. Records are made (and
    appended to `records`) only when `owner`, the command struct, is given."""
    if schema is None or schema is True or schema == {}:
        raise Unsettled("no schema")
    if "const" in schema:
        c = schema["const"]
        if isinstance(c, str):
            return "valkey::Ok"
        if isinstance(c, bool):
            return "bool"
        if isinstance(c, int):
            return "std::int64_t"
        raise Unsettled("const")
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return _alternatives(schema[key], records, name, owner)
    t = schema.get("type")
    if isinstance(t, list):
        return _alternatives([{"type": x} for x in t], records, name, owner)
    if t == "integer":
        return "std::int64_t"
    if t == "number":
        return "double"
    if t == "string":
        return "std::string"
    if t == "boolean":
        return "bool"
    if t == "null":
        raise Unsettled("null alone")
    if t == "array":
        items = schema.get("items")
        if isinstance(items, list):
            n = len(items)
            if schema.get("additionalItems") not in (None, False) or schema.get("minItems", n) != n \
                    or schema.get("maxItems", n) != n:
                raise Unsettled("variable tuple")
            parts = [cpp_type(i, records, name, owner) for i in items]
            if n == 2:
                return f"std::pair<{parts[0]}, {parts[1]}>"
            return "std::tuple<" + ", ".join(parts) + ">"
        if items is None:
            raise Unsettled("array of unknown")
        return f"std::vector<{cpp_type(items, records, name, owner)}>"
    if t == "object":
        if "properties" in schema:
            if owner is None:
                raise Unsettled("record")
            return _record(schema, records, name, owner)
        vals = []
        if isinstance(schema.get("additionalProperties"), dict):
            vals.append(schema["additionalProperties"])
        vals.extend((schema.get("patternProperties") or {}).values())
        if not vals:
            raise Unsettled("object")
        types = {cpp_type(v, records, _singular(name), owner) for v in vals}
        if len(types) != 1:
            raise Unsettled("object of mixed values")
        return f"std::vector<std::pair<std::string, {types.pop()}>>"
    raise Unsettled(f"type {t}")


# What every record declares for the decoder (adapt/record.hpp).
RECORD_RESERVED = frozenset({"fields", "record_name"})


def _record(schema, records, name, owner):
    if schema.get("patternProperties") or isinstance(schema.get("additionalProperties"), dict):
        raise Unsettled("record with open keys")
    if any(r.name == name for r in records):
        raise Unsettled("two records of one name")
    fields = []
    seen = set()
    for key, sub in schema["properties"].items():
        member = names.identifier(key)
        if member in RECORD_RESERVED:
            member += "_"
        if member in seen:
            raise Unsettled("record fields with one C++ name")
        seen.add(member)
        mark = len(records)
        try:
            t = cpp_type(sub, records, nested_name(key, sub), owner)
        except Unsettled:
            del records[mark:]
            t = GENERIC
        fields.append((member, key, t))
    if any(r.name == name for r in records):
        raise Unsettled("two records of one name")
    records.append(Record(name, fields))
    return f"{owner}::{name}"


def nested_name(key, schema):
    """The record type of property `key`: its PascalCase name, singular when
    the property is an array (of records)."""
    base = names.pascal(key)
    if isinstance(schema, dict) and schema.get("type") == "array":
        return _singular(base)
    return base


def _singular(name):
    """The values of a map-like object or an array are named in the singular:
    engines -> Engine, libraries -> Library."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def _alternatives(alts, records=None, name="Record", owner=None):
    nullable = any(a.get("type") == "null" for a in alts)
    rest = [a for a in alts if a.get("type") != "null"]
    if not rest:
        raise Unsettled("only null")
    consts = _consts(rest)
    if consts is not None and all(isinstance(c, int) and not isinstance(c, bool) for c in consts):
        inner = "bool" if set(consts) <= {0, 1} and len(set(consts)) == 2 else "std::int64_t"
    elif consts is not None and all(isinstance(c, str) for c in consts):
        inner = "valkey::Ok" if len(consts) == 1 else "std::string"
    else:
        types = []
        for a in rest:
            t = cpp_type(a, records, name, owner)
            if t not in types:
                types.append(t)
        # "+OK" or a bulk string: both read as text
        if set(types) == {"valkey::Ok", "std::string"}:
            types = ["std::string"]
        # integer consts mixed with an integer: still an integer
        if set(types) == {"bool", "std::int64_t"}:
            types = ["std::int64_t"]
        if len(types) != 1:
            raise Unsettled("alternatives of different types")
        inner = types[0]
    return f"std::optional<{inner}>" if nullable else inner


def reply_type(schema, owner=None):
    """(type, generic?, why-not, records): with `owner` (the command struct),
    object schemas become records nested in it."""
    records = []
    try:
        return cpp_type(schema, records, "Record", owner), False, None, records
    except Unsettled as e:
        return GENERIC, True, str(e), []
