"""Model -> files. Returns {relative path: text}; the CLI writes or checks."""
import json
import os

import jinja2

from . import build as b
from . import cpp, docs, examples, names

TEMPLATES = os.path.join(os.path.dirname(__file__), "..", "templates")

STD_FOR = [
    ("std::optional", "optional"), ("std::variant", "variant"), ("std::vector", "vector"),
    ("std::pair", "utility"), ("std::tuple", "tuple"), ("std::string>", "string"),
    ("std::string,", "string"), ("std::string ", "string"),
]


def env():
    e = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True,
                           lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return e


def synopsis_arg(a):
    if a.kind == "pure-token":
        s = a.token
    elif a.kind == "oneof":
        s = "|".join(synopsis_arg(c) for c in a.children)
        s = (a.token + " " if a.token else "") + (s if a.optional else "<" + s + ">")
        if a.optional:
            return "[" + s + "]" + (" ..." if a.multiple else "")
        return s + (" ..." if a.multiple else "")
    elif a.kind == "block":
        s = " ".join(synopsis_arg(c) for c in a.children)
        if a.token:
            s = a.token + " " + s
    else:
        s = a.name
        if a.token:
            s = a.token + " " + s
    if a.multiple:
        s = s + " [" + (a.token + " " if a.multiple_token and a.token else "") + "...]"
    if a.optional:
        s = "[" + s + "]"
    return s


def flag_expr(flags):
    if not flags:
        return "valkey::CommandFlag::none"
    return " | ".join(f"valkey::CommandFlag::{f}" for f in flags)


def acl_expr(bits):
    return f"0x{bits:x}u"


def key_spec_line(ks):
    f = [f".begin = valkey::KeySpec::Begin::{ks['begin']}"]
    if ks["begin"] == "index":
        f.append(f".begin_index = {ks['begin_index']}")
    elif ks["begin"] == "keyword":
        f.append(f'.keyword = {cpp.cstr(ks["keyword"])}')
        f.append(f".keyword_startfrom = {ks['keyword_startfrom']}")
    f.append(f".find = valkey::KeySpec::Find::{ks['find']}")
    if ks["find"] == "range":
        f += [f".lastkey = {ks['lastkey']}", f".keystep = {ks['keystep']}", f".limit = {ks['limit']}"]
    elif ks["find"] == "keynum":
        f += [f".keynumidx = {ks['keynumidx']}", f".firstkey = {ks['firstkey']}",
              f".keynum_step = {ks['keynum_step']}"]
    for k in ("read", "write", "incomplete"):
        if ks[k]:
            f.append(f".{k} = true")
    return "{" + ", ".join(f) + "}"


def record_lines(cmd, r):
    """A reply record of the command (replies.Record): declared in the
    command's struct, defined after it.

    Defined inside, a record holding another one (std::optional<Inner>,
    std::pair<std::string, Inner>) would have clang instantiate those
    templates while the command's struct is incomplete, before Inner's member
    initializers are read: clang then decides for the whole translation unit
    that Inner cannot be default-constructed, and no decoder can build it.
    """
    lines = ["/// A record of the reply, one member per field of the reply schema",
             "/// (a field the server does not send keeps its default).",
             f"struct {cmd.struct}::{r.name} {{"]
    for member, key, t in r.fields:
        note = f"  // \"{key}\"" if key != member else ""
        lines.append(f"  {t} {member} = {{}};{note}")
    lines.append("")
    lines.append(f"  static constexpr std::string_view record_name = \"valkey::cmd::{cmd.struct}::{r.name}\";")
    lines.append("  template <class F>")
    lines.append("  static constexpr auto fields(F f) {")
    lines.append("    return f(")
    for i, (member, key, _) in enumerate(r.fields):
        end = ");" if i == len(r.fields) - 1 else ","
        lines.append(f"        valkey::adapt::field(\"{key}\", &{r.name}::{member}){end}")
    lines.append("  }")
    lines.append(f"  friend bool operator==(const {r.name}&, const {r.name}&) = default;")
    lines.append("};")
    return lines


def prepare(cmd):
    cmd.record_blocks = [record_lines(cmd, r) for r in cmd.records]
    cmd.flag_expr = flag_expr(cmd.info["flags"])
    cmd.acl_expr = acl_expr(cmd.info["acl_bits"])
    cmd.key_spec_lines = [key_spec_line(k) for k in cmd.info["key_specs"]]
    cmd.fn = names.snake(cmd.struct)
    cmd.uses_c = any("c." in l or "(c" in l for l in cmd.encode_lines)
    cmd.params = [f"{qualify(m.type, cmd)} {m.name}" for m in cmd.required]
    req = ", ".join(f".{m.name} = {m.name}" for m in cmd.required)
    cmd.init_required = "{" + req + "}"
    allm = [f".{m.name} = {m.name}" for m in cmd.required] + [f".{m.name} = options.{m.name}" for m in cmd.optional]
    cmd.init_all = "{" + ", ".join(allm) + "}"
    cmd.single = single_overload(cmd)
    if cmd.single:
        last = cmd.required[-1]
        parts = [f"static_cast<{t}>({n})" for n, t, _ in cmd.single]
        one = parts[0] if len(parts) == 1 else "{" + ", ".join(parts) + "}"
        # The struct's list member refuses a braced list (its array would die
        # with a declared struct), so the element goes into a named array that
        # lives until the call returns.
        if any(n == SINGLE_ARRAY for n, _, _ in cmd.single) or any(m.name == SINGLE_ARRAY for m in cmd.required):
            raise b.SpecError(f"{cmd.name}: an argument named {SINGLE_ARRAY} hides the single-element array")
        cmd.single_array = f"const {qualify(cpp.list_element(last.type), cmd)} {SINGLE_ARRAY}[] = {{{one}}};"
        lead = [f".{m.name} = {m.name}" for m in cmd.required[:-1]] + [f".{last.name} = {SINGLE_ARRAY}"]
        cmd.single_template = ", ".join(f"class {names.pascal(n)}" for n, _, _ in cmd.single)
        cmd.single_requires = " && ".join(
            f"detail::{c}<{names.pascal(n)}>" if c == "string_arg" else f"detail::{c}<{names.pascal(n)}, {t}>"
            for n, t, c in cmd.single)
        cmd.single_params = cmd.params[:-1] + [f"{names.pascal(n)}&& {n}" for n, _, _ in cmd.single]
        cmd.single_init = "{" + ", ".join(lead) + "}"
        cmd.single_init_all = "{" + ", ".join(lead + [f".{m.name} = options.{m.name}" for m in cmd.optional]) + "}"


# The named one-element array a single-element overload views.
SINGLE_ARRAY = "one"

# Element types a single-element overload takes one of: string parts become
# a deduced string argument, numbers a deduced arithmetic argument.
SINGLE_PARTS = {"std::string_view": "string_arg", "std::int64_t": "number_arg",
                "std::uint64_t": "number_arg", "double": "number_arg"}


def single_overload(cmd):
    """One element instead of a list, when the command's only repeated required
    argument is its last one (DEL key, HSET key field value, ZADD key score
    member): [(param name, C++ type it becomes, concept)], or None."""
    if not cmd.required or cmd.required[-1].arg.repr != "view":
        return None
    if any(m.arg.repr == "view" for m in cmd.required[:-1]):
        return None  # parallel lists (XREAD keys + ids)
    a = cmd.required[-1].arg
    if a.kind in cpp.SCALAR_KINDS:
        parts = [a]
    elif a.kind == "block" and getattr(a, "pair", False):
        parts = list(a.children)
    else:
        return None
    taken = {m.name for m in cmd.required[:-1]}
    out = []
    for p in parts:
        t = cpp.scalar_type(p)
        if t not in SINGLE_PARTS:
            return None
        name = names.identifier(p.name)
        if name in taken:
            return None
        taken.add(name)
        out.append((name, t, SINGLE_PARTS[t]))
    return out


def qualify(t, cmd):
    # member types name nested types as "Struct::Type"; in the surface they
    # need the namespace too
    return t.replace(cmd.struct + "::", f"cmd::{cmd.struct}::")


GENERIC_REPLY = "valkey::Reply"

# Hand-written reply types a reply override may name, and their headers.
RECORD_HEADERS = [("valkey::Role", "valkey/role.hpp"),
                  ("valkey::ClusterSlotRange", "valkey/cluster_slot_range.hpp"),
                  ("valkey::ServerCommandInfo", "valkey/server_command_info.hpp"),
                  ("valkey::MemoryStats", "valkey/memory_stats.hpp")]


def includes_for(commands):
    text = "\n".join([c.reply for c in commands] + [m.type for c in commands for m in c.members]
                     + [m.struct_type for c in commands for m in c.members]
                     + ["\n".join("\n".join(t) for t in c.types) for c in commands]
                     + [t for c in commands for r in c.records for _, _, t in r.fields])
    std = {"cstdint", "string_view"}
    for needle, header in STD_FOR:
        if needle in text:
            std.add(header)
    if "std::string" in text.replace("std::string_view", ""):
        std.add("string")
    valkey = ["valkey/command.hpp", "valkey/export.hpp"]
    if "valkey::ScoreBound" in text or "valkey::LexBound" in text or "valkey::RangeBound" in text:
        valkey.insert(0, "valkey/bounds.hpp")
    if any(d in text for d in cpp.DURATION_TYPES.values()):
        valkey.insert(0, "valkey/durations.hpp")
    if "valkey::Arg" in text:
        valkey.append("valkey/arg.hpp")
    if "valkey::Optional<" in text:
        valkey.append("valkey/optional.hpp")
    if "valkey::View" in text:
        valkey.append("valkey/view.hpp")
    if "valkey::Choice<" in text:
        valkey.append("valkey/choice.hpp")
    if "valkey::token::" in text:
        valkey.append("valkey/tokens.hpp")
    for needle, header in RECORD_HEADERS:
        if needle in text:
            valkey.append(header)
    if any(c.records for c in commands):
        valkey.append("valkey/adapt/record.hpp")
        if any(t == GENERIC_REPLY or GENERIC_REPLY + ">" in t or GENERIC_REPLY + "," in t
               for c in commands for r in c.records for _, _, t in r.fields):
            valkey.append("valkey/reply.hpp")  # a record member holds one: the type must be complete
    return sorted(std), valkey, "valkey::Reply" in text


def render_all(commands, stats, version):
    e = env()
    files = {}
    groups = {}
    for c in commands:
        prepare(c)
        groups.setdefault(c.group_file, []).append(c)
    ex = examples.build_examples(commands)
    docs.annotate(commands, ex, synopsis_arg)
    for g, cmds in sorted(groups.items()):
        std, vk, needs_reply = includes_for(cmds)
        files[f"include/valkey/cmd/{g}.hpp"] = e.get_template("group.hpp.j2").render(
            group=g, commands=cmds, std_includes=std, valkey_includes=vk, needs_reply=needs_reply,
            version=version)
        files[f"src/{g}.cpp"] = e.get_template("group.cpp.j2").render(group=g, commands=cmds)
    files["include/valkey/cmd/all.hpp"] = e.get_template("all.hpp.j2").render(groups=sorted(groups))
    surface = [c for c in commands if not c.surface_excluded]
    seen = {}
    for c in surface:
        if c.method in seen:
            raise b.SpecError(f"surface method {c.method} for both {seen[c.method]} and {c.name}")
        seen[c.method] = c.name
    files["include/valkey/commands.hpp"] = e.get_template("commands.hpp.j2").render(
        commands=sorted(surface, key=lambda c: c.method))
    files["include/valkey/bounds.hpp"] = e.get_template("bounds.hpp.j2").render()
    files["include/valkey/durations.hpp"] = e.get_template("durations.hpp.j2").render()
    files["src/encode_support.hpp"] = e.get_template("encode_support.hpp.j2").render()

    containers = []
    entries = []
    for name, (key, body) in sorted(stats["containers"].items()):
        cc = b.command_from_spec(key, body, "")
        cc.info = b._info(cc)
        cc.flag_expr = flag_expr(cc.info["flags"])
        cc.acl_expr = acl_expr(cc.info["acl_bits"])
        cc.var = "untyped_" + names.snake(name)
        containers.append(cc)
        entries.append((cc.name, cc.var))
    for c in commands:
        if not c.variant_of:
            entries.append((c.name, f"cmd::{c.struct}::info"))
    entries.sort()
    files["include/valkey/command_table.hpp"] = e.get_template("command_table.hpp.j2").render(
        acl=b.ACL_CATEGORIES)
    files["src/command_table.cpp"] = e.get_template("command_table.cpp.j2").render(
        containers=containers, entries=[v for _, v in entries])
    files["src/resp3_shapes.cpp"] = e.get_template("resp3_shapes.cpp.j2").render(rows=stats["resp3_rows"])
    files["examples/examples.hpp"] = e.get_template("examples.hpp.j2").render(examples=ex)
    files["examples/examples.json"] = json.dumps(
        [{k: x[k] for k in ("command", "struct", "variant", "argv", "keys", "covers", "cpp", "lists")} for x in ex],
        indent=1, sort_keys=True) + "\n"
    return files


def stats_of(commands, stats):
    typed = [c for c in commands if not c.reply_generic]
    generic = [c for c in commands if c.reply_generic]
    return {
        "spec_files": stats["spec_files"],
        "commands_generated": len([c for c in commands if not c.variant_of]),
        "typed_entry_points": len([c for c in commands if c.variant_of]),
        "structs": len(commands),
        "surface_methods": len([c for c in commands if not c.surface_excluded]),
        "typed_replies": len(typed),
        "generic_replies": len(generic),
        "generic_reply_commands": sorted(c.name + (f" ({c.struct})" if c.variant_of else "") for c in generic),
        "reply_overrides": len([c for c in commands if c.reply_source == "override"]),
        "excluded": dict(sorted(stats["excluded"].items())),
        "arity_notes": dict(sorted(stats.get("arity_notes", {}).items())),
        "struct_only": {c.name: c.surface_excluded for c in commands if c.surface_excluded and not c.variant_of},
        "resp3_shape_commands": len({r[0] for r in stats["resp3_rows"]}),
        "resp3_shape_rows": len(stats["resp3_rows"]),
    }
