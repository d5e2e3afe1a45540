"""C++ layout of a command: members, nested types, encoder and key walker bodies.

Layout rules (docs/commands.md has the user-facing version):
* scalars: key/string/pattern -> std::string_view, integer/unix-time ->
  std::int64_t, double -> double; overlays may pick std::uint64_t or the
  bound types of <valkey/bounds.hpp>;
* optional scalar -> valkey::Optional<T> (<valkey/optional.hpp>: a
  std::optional for argument types that costs less to compile); repeated -> valkey::View<T> (empty =
  absent when optional); optional pure token -> bool; required pure tokens and
  count arguments have no member (written by the encoder);
* in the command struct itself (not in Options or nested types) a string is
  valkey::Arg and a list valkey::ArgList<T> (struct_type): the same views,
  but they refuse temporaries, which would be gone before the struct is sent;
  Options and nested types keep plain views, as they are built inside calls;
* oneof -> valkey::Choice (<valkey/choice.hpp>) of one small struct per
  alternative, an empty one for a plain token: one form for every choice, so
  a server version that adds an alternative adds a type and changes none;
* block -> nested struct, or std::pair when repeated and made of two plain
  scalars (so a std::map or StringPairs converts); a required, non-repeated
  block is flattened into its parent (its token is still written);
* nested types are hoisted to the command struct, named after the argument;
  an equal definition is shared, a different one gets its parent's name as prefix;
  a clash that remains is a SpecError (an overlay's cpp_name names one of them).
"""
import re

from . import names
from .model import SpecError, SCALAR_KINDS

# Pure tokens with a short name in <valkey/tokens.hpp> (valkey::nx, ...): an
# alternative of a choice that is one of these is that type, so the short name
# fits every choice that offers the token.
# Their short names, by alternative type: the token in lower case, the GEO
# units spelled out (valkey::m would be a poor name in a namespace), and
# XADD/XTRIM's `=` and `~` as the words their arguments are named after.
SHORT_TOKEN_NAMES = {"Nx": "valkey::nx", "Xx": "valkey::xx", "Gt": "valkey::gt", "Lt": "valkey::lt",
                     "KeepTtl": "valkey::keepttl", "Persist": "valkey::persist",
                     "Left": "valkey::left", "Right": "valkey::right", "Asc": "valkey::asc", "Desc": "valkey::desc",
                     "Sync": "valkey::sync", "Async": "valkey::async",
                     "M": "valkey::meters", "Km": "valkey::kilometers", "Ft": "valkey::feet", "Mi": "valkey::miles",
                     "MaxLen": "valkey::maxlen", "MinId": "valkey::minid",
                     "Equal": "valkey::exactly", "Approximately": "valkey::approximately",
                     "ByScore": "valkey::byscore", "ByLex": "valkey::bylex"}
SHARED_TOKENS = set(SHORT_TOKEN_NAMES)


def token_alternative(c, qualified):
    """How a caller writes a plain-token alternative `c`: its short name where
    there is one (valkey::nx), else its type braced, qualified (cmd::X::Asc{})
    or as the reference lists it beside its choice (Asc{})."""
    name = c.alt_type.rsplit("::", 1)[-1]
    return SHORT_TOKEN_NAMES.get(name, (c.alt_type if qualified else name) + "{}")

SCALAR_TYPES = {
    "key": "std::string_view",
    "string": "std::string_view",
    "pattern": "std::string_view",
    "integer": "std::int64_t",
    "unix-time": "std::int64_t",
    "double": "double",
}
OVERRIDE_TYPES = {
    "double": "double",
    "uint64": "std::uint64_t",
    "integer": "std::int64_t",
    "string": "std::string_view",
    "score_bound": "valkey::ScoreBound",
    "lex_bound": "valkey::LexBound",
    "range_bound": "valkey::RangeBound",
}


# Integers named after their unit take durations and time points too.
DURATION_TYPES = {
    "seconds": "valkey::Seconds",
    "milliseconds": "valkey::Milliseconds",
    "unix-time-seconds": "valkey::UnixSeconds",
    "unix-time-milliseconds": "valkey::UnixMilliseconds",
}


def scalar_type(a):
    if a.scalar:
        return OVERRIDE_TYPES[a.scalar]
    if a.kind in ("integer", "unix-time") and a.name in DURATION_TYPES:
        return DURATION_TYPES[a.name]
    return SCALAR_TYPES[a.kind]


def plain_scalar(a):
    return (a.kind in SCALAR_KINDS and not a.token and not a.optional and not a.multiple
            and not a.count_of)


def leading_token(a):
    """The token an alternative starts with: its own, or the token of a block's
    first argument when that is a required value (BYRADIUS radius)."""
    if a.token or a.kind != "block" or not a.children:
        return a.token
    first = a.children[0]
    if first.kind in SCALAR_KINDS and not first.optional and not first.multiple:
        return first.token
    return None


def token_ident(tok):
    return tok and tok.replace("-", "").replace("_", "").isalnum() and not tok[0].isdigit()


def struct_type(t):
    """The type of a member of the command struct itself, given its type as an
    Options member or method parameter: the string and list views become
    valkey::Arg / valkey::ArgList, which refuse temporaries (a struct is often
    declared and sent later, the temporaries dying in between), while the
    parameters and Options, built inside the call, take them."""
    if t == "std::string_view":
        return "valkey::Arg"
    if t == "valkey::Optional<std::string_view>":
        return "valkey::Optional<valkey::Arg>"
    if t.startswith("valkey::View<"):
        return "valkey::ArgList<" + t[len("valkey::View<"):]
    return t


def list_element(t):
    """T of a valkey::View<T> or valkey::ArgList<T> type, else None."""
    for prefix in ("valkey::View<", "valkey::ArgList<"):
        if t.startswith(prefix) and t.endswith(">"):
            return t[len(prefix):-1]
    return None


class Member:
    def __init__(self, name, type_, default, required, arg):
        self.name, self.type, self.default, self.required, self.arg = name, type_, default, required, arg

    @property
    def struct_type(self):
        return struct_type(self.type)

    def decl(self, scope=None):
        """As an Options member (plain views)."""
        t = self.type.replace(scope + "::", "") if scope else self.type
        return f"{t} {self.name}{self.default};"

    def struct_decl(self, scope=None):
        """As a member of the command struct (temporaries refused)."""
        t = self.struct_type.replace(scope + "::", "") if scope else self.struct_type
        return f"{t} {self.name}{self.default};"


class Scope:
    """The command struct: nested type definitions in dependency order."""

    def __init__(self, struct):
        self.struct = struct
        self.types = []      # (name, lines)
        self.by_name = {}

    def add(self, name, lines, prefix):
        """lines: the definition, its first line naming the type as {NAME}."""
        text = "\n".join(lines)
        if name in self.by_name:
            if self.by_name[name] == text:
                return name
            first = name
            name = prefix + name
            if name in self.by_name and self.by_name[name] != text:
                # A number (Store2) would name nothing a caller can guess, and
                # a later spec could move it to another type: refuse, and let
                # an overlay name one of the two.
                raise SpecError(f"{self.struct}: two different nested types named {first}"
                                + (f" (and {name})" if name != first else "")
                                + "; give one a cpp_name in commands/overlays.json")
            if name in self.by_name:
                return name
        if name == self.struct or name == "Options":
            name = name + "Arg"
        self.by_name[name] = text
        self.types.append((name, lines))
        return name

    def qualified(self, name):
        return f"{self.struct}::{name}"


def _member_name(a, used):
    base_name = re.sub(r"[-_]block$", "", a.name)
    n = a.member_name or (names.plural(base_name) if a.multiple else names.identifier(base_name))
    base, i = n, 2
    while n in used:
        n, i = f"{base}{i}", i + 1
    used.add(n)
    return n


def layout_level(args, scope, prefix, used):
    """Members for one level of arguments (flattening required blocks)."""
    members = []
    for a in args:
        if a.count_of or a.forced:
            a.repr = "none"
            continue
        if a.kind == "pure-token":
            if a.optional or a.multiple:
                a.member = _member_name(a, used)
                a.repr = "bool"
                members.append(Member(a.member, "bool", " = false", False, a))
            else:
                a.repr = "none"
            continue
        if a.kind == "block" and not a.optional and not a.multiple:
            a.repr = "flat"
            members.extend(layout_level(a.children, scope, prefix, used))
            continue
        a.member = _member_name(a, used)
        t = value_type(a, scope, prefix)
        a.type_ref = t
        if a.multiple:
            a.repr = "view"
            members.append(Member(a.member, f"valkey::View<{t}>", " = {}", not a.optional, a))
        elif a.optional and not a.empty_is_absent:
            a.repr = "optional"
            members.append(Member(a.member, f"valkey::Optional<{t}>", " = {}", False, a))
        else:
            a.repr = "value"
            members.append(Member(a.member, t, default_for(a, t), True, a))
    return members


def default_for(a, t):
    # every member has a default, so designated initializers may skip any
    if a.kind in SCALAR_KINDS:
        return " = 0" if t in ("std::int64_t", "std::uint64_t", "double") else " = {}"
    # a choice holds its first alternative, value-initialized
    if a.kind == "oneof":
        return " = {}"
    return ""


def value_type(a, scope, prefix):
    """The C++ type of one value of `a` (before optional/View wrapping)."""
    if a.kind in SCALAR_KINDS:
        return scalar_type(a)
    tname = a.cpp_name or names.type_name(a.name)
    if a.kind == "oneof":
        alts = []
        alt_used = set()
        for c in a.children:
            # named after the token that starts it, the word the user sees in
            # the command reference (FROMMEMBER -> FromMember; GEOSEARCH's block
            # `circle` starts with BYRADIUS -> ByRadius), else its spec name
            tok = leading_token(c)
            cname = c.cpp_name or (names.pascal(tok) if token_ident(tok) else names.type_name(c.name))
            while cname in alt_used:
                cname += "Alt"
            alt_used.add(cname)
            if c.kind == "block":
                inner = layout_level(c.children, scope, cname, set())
                c.repr = "alt_block"
            elif c.kind == "pure-token":
                inner = []
                c.repr = "alt_token"
                if cname in SHARED_TOKENS:
                    # valkey::nx and friends (<valkey/tokens.hpp>) are this
                    # alternative itself
                    n = scope.add(cname, [f"using {{NAME}} = valkey::token::{cname};"], prefix)
                    c.alt_type = scope.qualified(n)
                    alts.append(c.alt_type)
                    continue
            else:
                # a single member holding the alternative's value
                c_opt, c.optional = c.optional, False
                inner = layout_level([c], scope, cname, set())
                c.optional = c_opt
                c.alt_repr = c.repr
                c.repr = "alt_single"
            n = scope.add(cname, struct_lines(inner), prefix)
            c.alt_type = scope.qualified(n)
            alts.append(c.alt_type)
        lines = ["using {NAME} = valkey::Choice<" + ", ".join(alts) + ">;"]
        n = scope.add(tname, lines, prefix)
        a.alt_type = n
        return scope.qualified(n)
    if a.kind == "block":
        if a.multiple and len(a.children) == 2 and all(plain_scalar(c) for c in a.children):
            for c in a.children:
                c.repr = "pair_part"
            a.pair = True
            return f"std::pair<{scalar_type(a.children[0])}, {scalar_type(a.children[1])}>"
        a.pair = False
        inner = layout_level(a.children, scope, tname, set())
        n = scope.add(tname, struct_lines(inner), prefix)
        a.alt_type = n
        return scope.qualified(n)
    raise SpecError(f"no C++ type for {a.path} ({a.kind})")


def struct_lines(members):
    if not members:
        return ["struct {NAME} {};"]
    lines = ["struct {NAME} {"]
    for m in members:
        lines.append("  " + m.decl())
    lines.append("};")
    return lines


def type_decl_name(first_line):
    """The declared name in 'struct X {' or 'using X = ...'."""
    m = re.match(r"(?:struct|using) (\w+)", first_line)
    return m.group(1)


def render_types(scope):
    out = []
    for name, lines in scope.types:
        body = [lines[0].replace("{NAME}", name)] + lines[1:]
        # shorten references to sibling types: "Set::Ex" -> "Ex" inside Set
        body = [l.replace(scope.struct + "::", "") for l in body]
        out.append(body)
    return out


# ------------------------------------------------------------------ encoders

def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_scalar(a, expr):
    t = scalar_type(a)
    if t in ("valkey::ScoreBound", "valkey::LexBound", "valkey::RangeBound"):
        return f"write_bound(s, {expr});"
    if t in DURATION_TYPES.values():
        return f"s.arg({expr}.count);"
    return f"s.arg({expr});"


class Emitter:
    def __init__(self):
        self.lines = []

    def put(self, ind, text):
        # (*v).x reads better as v->x, &(*o) as &*o, f((*o)) as f(*o)
        # (repeated: (*(*o).a).b needs two passes to become o->a->b)
        while True:
            before = text
            text = re.sub(r"\(\*([A-Za-z_][\w.>-]*)\)\.", r"\1->", text)
            text = re.sub(r"&\(\*([A-Za-z_][\w.>-]*)\)", r"&*\1", text)
            text = re.sub(r"([(,] ?)\(\*([A-Za-z_][\w.>-]*)\)(?=[,)])", r"\1*\2", text)
            if text == before:
                break
        self.lines.append("  " * ind + text)


def put_guarded(em, ind, cond, body):
    """`if (cond)` around what `body(sub, ind)` emits: on the same line when
    that is one plain statement, else in braces."""
    sub = Emitter()
    body(sub, 0)
    if len(sub.lines) == 1 and not sub.lines[0].startswith("if ") and not sub.lines[0].endswith("{"):
        em.put(ind, f"if ({cond}) {sub.lines[0]}")
        return
    em.put(ind, f"if ({cond}) {{")
    em.lines.extend("  " * (ind + 1) + line for line in sub.lines)
    em.put(ind, "}")


def emit_level(args, owner, em, ind):
    for a in args:
        emit_arg(a, owner, em, ind, args)


def token(text):
    """Writes a token framed when compiled (encode_support.hpp's token<>);
    one with a space (none in the 9.1.2 specs) is written as a plain argument,
    since token<> would split it into words."""
    if " " in text:
        return f"s.arg({cstr(text)});"
    return f"token<{cstr(text)}>(s);"


def emit_token(a, em, ind):
    if a.token is not None:
        em.put(ind, token(a.token))


def emit_arg(a, owner, em, ind, siblings):
    if a.count_of:
        target = next(s for s in siblings if s.name == a.count_of)
        emit_token(a, em, ind)
        em.put(ind, f"s.arg(static_cast<std::uint64_t>({owner}.{target.member}.size()));")
        return
    if a.kind == "pure-token":
        if a.repr == "bool":
            em.put(ind, f"if ({owner}.{a.member}) {token(a.token)}")
        else:
            em.put(ind, token(a.token))
        return
    if a.repr == "flat":
        emit_token(a, em, ind)
        emit_level(a.children, owner, em, ind)
        return
    m = f"{owner}.{a.member}"
    if a.repr == "view":
        if a.token is not None and not a.multiple_token:
            em.put(ind, f"if (!{m}.empty()) {token(a.token)}" if a.optional
                   else token(a.token))
        em.put(ind, f"{m}.for_each([&](const auto& e) {{")
        if a.multiple_token and a.token is not None:
            em.put(ind + 1, token(a.token))
        emit_value(a, "e", em, ind + 1, with_token=False)
        em.put(ind, "});")
    elif a.repr == "optional":
        put_guarded(em, ind, m, lambda sub, i: emit_value(a, f"(*{m})", sub, i, with_token=True))
    else:
        emit_value(a, m, em, ind, with_token=True)


def token_choice(a):
    """A choice of plain one-word tokens (NX | XX, a GEO unit): written by
    encode_support.hpp's token_of<> from the alternative's index."""
    return all(c.repr == "alt_token" and " " not in c.token for c in a.children)


def token_choice_call(a, expr):
    tokens = ", ".join(cstr(c.token) for c in a.children)
    return f"token_of<{tokens}>({expr}, s);"


def emit_value(a, expr, em, ind, with_token):
    """Writes one value of `a` held in `expr` (already unwrapped)."""
    if with_token:
        emit_token(a, em, ind)
    if a.kind in SCALAR_KINDS:
        em.put(ind, write_scalar(a, expr))
    elif a.kind == "oneof":
        if token_choice(a):
            em.put(ind, token_choice_call(a, expr))
            return
        first = True
        for c in a.children:
            kw = "if" if first else "} else if"
            first = False
            if c.repr == "alt_token":
                em.put(ind, f"{kw} (valkey::holds_alternative<{c.alt_type}>({expr})) {{")
                em.put(ind + 1, token(c.token))
                continue
            var = alt_var(expr)
            em.put(ind, f"{kw} (const auto* {var} = valkey::get_if<{c.alt_type}>(&{expr})) {{")
            if c.repr == "alt_block":
                emit_token(c, em, ind + 1)
                emit_level(c.children, f"(*{var})", em, ind + 1)
            else:
                c.repr = c.alt_repr
                emit_arg(c, f"(*{var})", em, ind + 1, [c])
                c.repr = "alt_single"
        em.put(ind, "}")
    elif a.kind == "block":
        if getattr(a, "pair", False):
            x, y = a.children
            em.put(ind, write_scalar(x, f"{expr}.first"))
            em.put(ind, write_scalar(y, f"{expr}.second"))
        else:
            emit_level(a.children, expr, em, ind)


def alt_var(expr):
    """Name for the alternative pointer: v, then v2, v3 when nested."""
    n = len(re.findall(r"\bv\d*\b", expr))
    return "v" if n == 0 else f"v{n + 1}"


# ------------------------------------------------------------------ keys

def is_key(a):
    """Reported by for_each_key: keys, and shard channels (they pick the slot)."""
    return a.kind == "key" or a.routing


def has_keys(args):
    return any(is_key(x) for a in args for x in a.walk())


def keys_level(args, owner, em, ind):
    for a in args:
        keys_arg(a, owner, em, ind)


def keys_arg(a, owner, em, ind):
    if not has_keys([a]) or a.count_of:
        return
    if a.repr == "flat":
        keys_level(a.children, owner, em, ind)
        return
    m = f"{owner}.{a.member}"
    if a.repr == "view":
        em.put(ind, f"{m}.for_each([&](const auto& e) {{")
        keys_value(a, "e", em, ind + 1)
        em.put(ind, "});")
    elif a.repr == "optional":
        put_guarded(em, ind, m, lambda sub, i: keys_value(a, f"(*{m})", sub, i))
    else:
        keys_value(a, m, em, ind)


def keys_value(a, expr, em, ind):
    if is_key(a):
        if a.empty_is_absent:
            em.put(ind, f"if (!{expr}.empty()) cb({expr});")
        else:
            em.put(ind, f"cb({expr});")
    elif a.kind == "oneof":
        for c in a.children:
            if not has_keys([c]):
                continue
            var = alt_var(expr)
            em.put(ind, f"if (const auto* {var} = valkey::get_if<{c.alt_type}>(&{expr})) {{")
            if c.repr == "alt_block":
                keys_level(c.children, f"(*{var})", em, ind + 1)
            else:
                c.repr = c.alt_repr
                keys_arg(c, f"(*{var})", em, ind + 1)
                c.repr = "alt_single"
            em.put(ind, "}")
    elif a.kind == "block":
        if getattr(a, "pair", False):
            x, y = a.children
            if is_key(x):
                em.put(ind, f"cb({expr}.first);")
            if is_key(y):
                em.put(ind, f"cb({expr}.second);")
        else:
            keys_level(a.children, expr, em, ind)
