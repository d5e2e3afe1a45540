"""Example invocations per command struct, for the unit tests and the server
checks: a base example (the required arguments filled with plausible values)
plus variants that each switch on one optional argument or pick one
alternative of one choice, so every optional argument and every alternative
is written by at least one example.

For each example we emit the C++ designated initializer, the argv the encoder
must produce (built here from the spec order, independently of the encoder
bodies in cpp.py), the keys for_each_key must report and what the example
covers ("opt <path>", "alt <path>"). Values of different arguments within an
example are all different, so an encoder that swaps two arguments (of any
type) writes other bytes than the argv built here.
"""
from .cpp import DURATION_TYPES, cstr, list_element, scalar_type, token_alternative
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


class Selection:
    """Which optional arguments are switched on and which alternative each choice picks."""

    def __init__(self, on=(), alt=None, sets=None):
        self.on = set(on)
        self.alt = dict(alt or {})
        self.sets = dict(sets or {})  # path -> example value


class Ctx:
    def __init__(self, sel):
        self.sel = sel
        self.nkeys = 0
        self.used = set()   # argv text of every value written so far
        self.covers = []
        self.slots = []     # (argv index, argument path, C++ type) of every value
        self.views = []     # (member, element type, braced list) of every list filled

    def key(self):
        self.nkeys += 1
        return f"key:{self.nkeys}"

    def distinct(self, v):
        """v, or the next value of its kind that no other argument of this example uses."""
        while argv_scalar(v) in self.used:
            if isinstance(v, bool):
                break
            if isinstance(v, int):
                v = v + 1
            elif isinstance(v, float):
                v = v + 1.0
            elif v in ("-", "+"):
                v = "[b" if v == "-" else "[a"
            else:
                v = v + "2"
        self.used.add(argv_scalar(v))
        return v


def scalar_value(a, ctx):
    if a.path in ctx.sel.sets:
        v = ctx.sel.sets[a.path]
        ctx.used.add(argv_scalar(v))
        return v
    if a.example is not None:
        ctx.used.add(argv_scalar(a.example))
        return a.example
    if a.kind == "key":
        k = ctx.key()
        ctx.used.add(k)
        return k
    t = scalar_type(a)
    if t in DURATION_TYPES.values():
        t = "std::int64_t"  # written as a plain number
    v = None
    if a.name in BY_NAME:
        w = BY_NAME[a.name]
        if t in ("std::int64_t", "std::uint64_t") and isinstance(w, int):
            v = w
        elif t == "double" and isinstance(w, (int, float)):
            v = float(w)
        elif t == "std::string_view" and isinstance(w, str):
            v = w
    if v is None:
        if t == "std::int64_t":
            v = 1700000000 if a.kind == "unix-time" else 1
        elif t == "std::uint64_t":
            v = 0
        elif t in ("double", "valkey::ScoreBound"):
            v = 1.5
        elif t == "valkey::LexBound":
            v = "-" if a.name != "max" else "+"
        elif t == "valkey::RangeBound":
            v = 0
        else:
            v = a.name.replace("-", "_")
    return ctx.distinct(v)


def cpp_scalar(a, v):
    t = scalar_type(a)
    if t == "valkey::LexBound":
        return "valkey::LexBound::min()" if v == "-" else "valkey::LexBound::max()" if v == "+" else \
            f"valkey::LexBound::inclusive({cstr(v[1:])})"
    if t == "valkey::RangeBound":
        if isinstance(v, str):  # a lex bound (BYLEX)
            return "valkey::RangeBound{" + ("valkey::LexBound::min()" if v == "-" else "valkey::LexBound::max()"
                                            if v == "+" else f"valkey::LexBound::inclusive({cstr(v[1:])})") + "}"
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


def is_on(a, ctx):
    return not a.optional or a.path in ctx.sel.on


def fill_arg(a, ctx, out, siblings):
    if a.count_of:
        if a.token:
            out.argv.append(a.token)
        target = next(x for x in siblings if x.name == a.count_of)
        # lists that are written get one element, or their example list
        n = len(target.example) if isinstance(target.example, list) else 1
        out.argv.append(str(n) if is_on(target, ctx) else "0")
        return []
    if not is_on(a, ctx):
        return []
    if a.optional:
        ctx.covers.append("opt " + a.path)
    if a.kind == "pure-token":
        out.argv.append(a.token)
        return [(a.member, "true")] if a.repr == "bool" else []
    if a.repr == "flat":
        if a.token:
            out.argv.append(a.token)
        return fill_level(a.children, ctx, out)
    if a.repr == "view":
        if a.token:
            out.argv.append(a.token)
        if isinstance(a.example, list):
            value = "{" + ", ".join(listed_value(a, el, ctx, out) for el in a.example) + "}"
        else:
            value = "{" + one_value(a, ctx, out) + "}"
        ctx.views.append((a.member, a.type_ref, value))
        return [(a.member, value)]
    if a.token:
        out.argv.append(a.token)
    return [(a.member, one_value(a, ctx, out))]


def listed_value(a, el, ctx, out):
    """One element of an overlay's example list: a scalar or a pair."""
    parts = list(zip(a.children, el)) if getattr(a, "pair", False) else [(a, el)]
    exprs = []
    for c, v in parts:
        ctx.used.add(argv_scalar(v))
        ctx.slots.append((len(out.argv), c.path, scalar_type(c)))
        out.argv.append(argv_scalar(v))
        if c.kind == "key":
            out.keys.append(argv_scalar(v))
        exprs.append(cpp_scalar(c, v))
    return exprs[0] if len(exprs) == 1 else "{" + ", ".join(exprs) + "}"


def chosen(a, ctx):
    c = a.children[ctx.sel.alt.get(a.path, 0)]
    ctx.covers.append("alt " + c.path)
    return c


def one_value(a, ctx, out):
    """argv of one value of `a`; returns its C++ expression."""
    if a.kind in SCALAR_KINDS:
        v = scalar_value(a, ctx)
        ctx.slots.append((len(out.argv), a.path, scalar_type(a)))
        out.argv.append(argv_scalar(v))
        if (a.kind == "key" or a.routing) and not (a.empty_is_absent and v == ""):
            out.keys.append(argv_scalar(v))
        return cpp_scalar(a, v)
    if a.kind == "oneof":
        c = chosen(a, ctx)
        if c.repr == "alt_token":
            out.argv.append(c.token)
            # the short name where there is one (valkey::nx), as a user would write it
            return token_alternative(c, qualified=True)
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


# ------------------------------------------------------------ what to cover

def targets(args, need):
    """Every optional argument and every alternative below `args`, each with
    the selection that reaches it: [(target, Selection, [paths it needs])]."""
    res = []
    for a in args:
        if a.count_of or a.forced:
            continue
        on = set(need.on) | ({a.path} if a.optional else set())
        here = Selection(on, need.alt)
        if a.optional:
            res.append(("opt " + a.path, here, [a.path]))
        res.extend(targets_in(a, here))
    return res


def targets_in(a, sel):
    if a.kind == "block":
        return targets(a.children, sel)
    if a.kind != "oneof":
        return []
    res = []
    for i, c in enumerate(a.children):
        s = Selection(sel.on, {**sel.alt, a.path: i})
        if c.kind == "block" and all(x.optional for x in c.children if not x.count_of):
            # an alternative made of optional parts only is written with its first part
            s.on.add(next(x.path for x in c.children if not x.count_of))
        res.append(("alt " + c.path, s, [c.path]))
        if c.kind == "block":
            res.extend(targets(c.children, s))
        elif c.kind == "oneof":
            res.extend(targets_in(c, s))
    return res


def all_targets(cmd):
    return [t for t, _, _ in targets(cmd.args, Selection())]


def _by_path(cmd):
    return {a.path: a for a in cmd.walk()}


def apply_rules(cmd, sel, switched):
    """Overlay example rules: arguments the server needs with (example_on,
    example_with) or without (example_without) the ones switched on."""
    args = _by_path(cmd)
    on = set(sel.on) | {a.path for a in cmd.walk() if a.example_on}
    alt = dict(sel.alt)
    sets = {}
    for p in switched:
        a = args.get(p)
        if a is None:
            continue
        for w in a.example_with:
            if "=" in w:  # "choice=alternative": switch the choice on with that alternative
                choice, name = w.split("=")
                names = [x.name for x in args[choice].children] if choice in args else []
                if name in names:  # (another spec version may lack it)
                    on.add(choice)
                    alt[choice] = names.index(name)
            else:
                on.add(w)
        sets.update(a.example_sets)
    for p in switched:
        a = args.get(p)
        if a is not None:
            on -= set(a.example_without)
    return Selection(on, alt, sets)


def example_of(cmd, sel, variant):
    ctx, out = Ctx(sel), Out()
    out.argv.extend(cmd.name.split(" "))
    inits = fill_level(cmd.args, ctx, out)
    # designated initializers in declaration order (required members first)
    order = {m.name: i for i, m in enumerate(getattr(cmd, "members", []))}
    inits.sort(key=lambda mi: order.get(mi[0], 0))
    # A list member of the struct refuses a braced list (valkey::ArgList): each
    # list becomes a named array the struct views, declared before it. A list
    # inside an element of such an array (a nested type's plain View) would
    # die with the array's declaration, so it gets a named array too, first.
    types = {m.name: m.type for m in getattr(cmd, "members", [])}
    lists, struct_inits, taken = [], [], set()

    def hoist(member, element, value):
        for m, t, v in ctx.views:
            nested = f".{m} = {v}"
            if nested in value:
                value = value.replace(nested, f".{m} = " + hoist(m, t, v))
        name, i = LIST_PREFIX + member, 2
        while name in taken:
            name, i = f"{LIST_PREFIX}{member}_{i}", i + 1
        taken.add(name)
        lists.append(qualify(f"const {element} {name}[] = {value};", cmd))
        return name

    for m, e in inits:
        element = list_element(types.get(m, ""))
        struct_inits.append((m, e if element is None else hoist(m, element, e)))
    expr = f"cmd::{cmd.struct}{{" + ", ".join(f".{m} = {e}" for m, e in struct_inits) + "}"
    expr = qualify(expr, cmd)
    return {"command": cmd.name, "struct": cmd.struct, "variant": variant, "argv": out.argv,
            "inits": [(m, qualify(" " + e, cmd)[1:]) for m, e in inits],
            "keys": out.keys, "cpp": expr, "lists": lists, "covers": sorted(set(ctx.covers)), "slots": ctx.slots,
            "argv_cpp": ", ".join(cstr(x) for x in out.argv),
            "keys_cpp": ", ".join(cstr(x) for x in out.keys),
            "covers_cpp": ", ".join(cstr(x) for x in sorted(set(ctx.covers)))}


# Names of the arrays an example's list members view (apart from the example's
# own argv, keys and covers arrays).
LIST_PREFIX = "list_"


def qualify(expr, cmd):
    """Nested type names as written outside the struct: `Set::Nx` -> `cmd::Set::Nx`."""
    return expr.replace(f" {cmd.struct}::", f" cmd::{cmd.struct}::").replace(
        f"{{{cmd.struct}::", f"{{cmd::{cmd.struct}::").replace(
        f"<{cmd.struct}::", f"<cmd::{cmd.struct}::")


def examples_of(cmd):
    """The base example, then one variant per target it does not cover yet."""
    base = example_of(cmd, apply_rules(cmd, Selection(), []), "")
    res = [base]
    seen = {tuple(base["argv"])}
    covered = set(base["covers"])
    for target, sel, switched in targets(cmd.args, Selection()):
        if target in covered:
            continue
        x = example_of(cmd, apply_rules(cmd, sel, switched), target)
        if tuple(x["argv"]) in seen:
            continue
        seen.add(tuple(x["argv"]))
        covered |= set(x["covers"])
        res.append(x)
    return res


def build_examples(commands):
    res = []
    for c in commands:
        res.extend(examples_of(c))
    return res
