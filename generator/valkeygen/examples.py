"""One example invocation per command: the required arguments filled with
plausible values. For each we emit the C++ designated initializer, the argv
the encoder must produce and the keys for_each_key must report, so C++ tests
(and the server checks: COMMAND GETKEYS, syntax acceptance) share one table.
"""
from .cpp import DURATION_TYPES, all_pure_tokens, cstr, scalar_type
from .model import SCALAR_KINDS

# plausible values by argument name (otherwise by type)
BY_NAME = {
    "id": "0-1", "ID": "0", "encoding": "u8", "start": "0", "end": "+", "stop": "-1",
    "min": "-", "max": "+", "group": "group:1", "groupname": "group:1", "consumer": "consumer:1",
    "pattern": "*", "channel": "channel:1", "shardchannel": "channel:1", "script": "return 1",
    "sha1": "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "function-code": "#!lua name=lib",
    "library-name": "lib", "function": "f", "parameter": "maxmemory", "username": "user:1",
    "password": "secret", "host": "127.0.0.1", "ip": "127.0.0.1", "port": 6379,
    "lon": 13.361389, "longitude": 13.361389, "lat": 38.115556, "latitude": 38.115556,
    "unit": "m", "node-id": "0000000000000000000000000000000000000000", "timeout": 0,
    "milliseconds": 100, "seconds": 10, "slot": 1, "index": 0, "db": 0, "count": 1,
}


class Ctx:
    def __init__(self):
        self.nkeys = 0

    def key(self):
        self.nkeys += 1
        return f"key:{self.nkeys}"


def scalar_value(a, ctx):
    if a.example is not None:
        return a.example
    if a.kind == "key":
        return ctx.key()
    t = scalar_type(a)
    if t in DURATION_TYPES.values():
        t = "std::int64_t"  # written as a plain number
    if a.name in BY_NAME:
        v = BY_NAME[a.name]
        if t in ("std::int64_t", "std::uint64_t") and isinstance(v, int):
            return v
        if t == "double" and isinstance(v, (int, float)):
            return float(v)
        if t == "std::string_view" and isinstance(v, str):
            return v
    if t in ("std::int64_t",):
        return 1700000000 if a.kind == "unix-time" else 1
    if t == "std::uint64_t":
        return 0
    if t == "double":
        return 1.5
    if t == "valkey::ScoreBound":
        return 1.5
    if t == "valkey::LexBound":
        return "-"
    if t == "valkey::RangeBound":
        return 0
    return a.name.replace("-", "_")


def cpp_scalar(a, v):
    t = scalar_type(a)
    if t == "valkey::LexBound":
        return "valkey::LexBound::min()" if v == "-" else "valkey::LexBound::max()" if v == "+" else \
            f"valkey::LexBound::inclusive({cstr(v[1:])})"
    if t == "valkey::RangeBound":
        return f"valkey::RangeBound{{std::int64_t{{{v}}}}}"
    if isinstance(v, str):
        return cstr(v)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def argv_scalar(v):
    if isinstance(v, float):
        r = repr(v)
        return r[:-2] if r.endswith(".0") else r
    return str(v)


class Out:
    def __init__(self):
        self.argv, self.keys = [], []


def fill_level(args, ctx, out):
    """Writes argv for a level and returns [(member, cpp expr)]."""
    inits = []
    for a in args:
        inits.extend(fill_arg(a, ctx, out, args))
    return inits


def fill_arg(a, ctx, out, siblings):
    if a.optional and not a.count_of:
        return []  # minimal example: optional arguments left out
    if a.count_of:
        if a.token:
            out.argv.append(a.token)
        target = next(x for x in siblings if x.name == a.count_of)
        # required lists get one element in the example, optional ones none
        out.argv.append("0" if target.optional else "1")
        return []
    if a.kind == "pure-token":
        out.argv.append(a.token)
        return []
    if a.repr == "flat":
        if a.token:
            out.argv.append(a.token)
        return fill_level(a.children, ctx, out)
    if a.repr == "view":
        if a.token:
            out.argv.append(a.token)
        expr = one_value(a, ctx, out)
        return [(a.member, "{" + expr + "}")]
    if a.token:
        out.argv.append(a.token)
    return [(a.member, one_value(a, ctx, out))]


def one_value(a, ctx, out):
    """argv of one value of `a`; returns its C++ expression."""
    if a.kind in SCALAR_KINDS:
        v = scalar_value(a, ctx)
        out.argv.append(argv_scalar(v))
        if a.kind == "key" or a.routing:
            out.keys.append(argv_scalar(v))
        return cpp_scalar(a, v)
    if a.kind == "oneof" and all_pure_tokens(a):
        c = a.children[0]
        out.argv.append(c.token)
        return f"{a.type_ref}::{c.enum_name}"
    if a.kind == "oneof":
        c = a.children[0]
        if c.repr == "alt_token":
            out.argv.append(c.token)
            return f"{c.alt_type}{{}}"
        if c.repr == "alt_block":
            if c.token:
                out.argv.append(c.token)
            inits = fill_level(c.children, ctx, out)
        else:
            c.repr, saved = c.alt_repr, c.repr
            was_opt, c.optional = c.optional, False
            inits = fill_arg(c, ctx, out, [c])
            c.repr, c.optional = saved, was_opt
        return f"{c.alt_type}{{" + ", ".join(f".{m} = {e}" for m, e in inits) + "}"
    if a.kind == "block":
        if getattr(a, "pair", False):
            x, y = a.children
            ex = one_value(x, ctx, out)
            ey = one_value(y, ctx, out)
            return f"{{{ex}, {ey}}}"
        inits = fill_level(a.children, ctx, out)
        return f"{a.type_ref}{{" + ", ".join(f".{m} = {e}" for m, e in inits) + "}"
    raise AssertionError(a.kind)


def build_examples(commands):
    res = []
    for c in commands:
        ctx, out = Ctx(), Out()
        out.argv.extend(c.name.split(" "))
        inits = fill_level(c.args, ctx, out)
        expr = f"cmd::{c.struct}{{" + ", ".join(f".{m} = {e}" for m, e in inits) + "}"
        expr = expr.replace(f" {c.struct}::", f" cmd::{c.struct}::").replace(f"{{{c.struct}::", f"{{cmd::{c.struct}::")
        res.append({"command": c.name, "struct": c.struct, "argv": out.argv, "keys": out.keys, "cpp": expr,
                    "argv_cpp": ", ".join(cstr(x) for x in out.argv),
                    "keys_cpp": ", ".join(cstr(x) for x in out.keys)})
    return res
