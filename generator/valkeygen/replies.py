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
  alternatives of one C++ type      -> that type
  anything else (or no schema)      -> valkey::Reply (generic)
"""

GENERIC = "valkey::Reply"


class Unsettled(Exception):
    pass


def _consts(alts):
    vals = []
    for a in alts:
        if "const" not in a:
            return None
        vals.append(a["const"])
    return vals


def cpp_type(schema):
    """The C++ type for a schema, or raise Unsettled."""
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
            return _alternatives(schema[key])
    t = schema.get("type")
    if isinstance(t, list):
        return _alternatives([{"type": x} for x in t])
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
            parts = [cpp_type(i) for i in items]
            if n == 2:
                return f"std::pair<{parts[0]}, {parts[1]}>"
            return "std::tuple<" + ", ".join(parts) + ">"
        if items is None:
            raise Unsettled("array of unknown")
        return f"std::vector<{cpp_type(items)}>"
    if t == "object":
        if "properties" in schema:
            raise Unsettled("record")
        vals = []
        if isinstance(schema.get("additionalProperties"), dict):
            vals.append(schema["additionalProperties"])
        vals.extend((schema.get("patternProperties") or {}).values())
        if not vals:
            raise Unsettled("object")
        types = {cpp_type(v) for v in vals}
        if len(types) != 1:
            raise Unsettled("object of mixed values")
        return f"std::vector<std::pair<std::string, {types.pop()}>>"
    raise Unsettled(f"type {t}")


def _alternatives(alts):
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
            t = cpp_type(a)
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


def reply_type(schema):
    """(type, generic?, why-not)"""
    try:
        return cpp_type(schema), False, None
    except Unsettled as e:
        return GENERIC, True, str(e)
