"""`///` reference comments of the generated structs and methods: facts only
(syntax line, since, ACL categories, flags, key specs, options, an example
call and the link to the command's page), never upstream prose."""
from . import build as b
from . import cpp


def syntax_line(cmd, synopsis_arg):
    return " ".join([cmd.name] + [synopsis_arg(a) for a in cmd.args])


def _begin(ks):
    bs = ks.get("begin_search", {})
    if "index" in bs:
        return f"argv[{bs['index']['pos']}]"
    if "keyword" in bs:
        kw = bs["keyword"]
        where = "from the end" if kw["startfrom"] < 0 else f"from argv[{kw['startfrom']}]"
        return f"after `{kw['keyword']}` (searched {where})"
    return "found by the command itself"


def _find(ks):
    fk = ks.get("find_keys", {})
    if "range" in fk:
        r = fk["range"]
        last, step, limit = r["lastkey"], r["step"], r["limit"]
        if last == 0:
            return "one key"
        if last > 0:
            return f"{last // max(step, 1) + 1} keys, step {step}"
        what = "to the last argument" if last == -1 else f"to argv[{last}] from the end"
        lim = f", limited to 1/{limit} of them" if limit > 1 else ""
        return f"keys {what}, step {step}{lim}"
    if "keynum" in fk:
        k = fk["keynum"]
        return (f"the count at +{k['keynumidx']}, keys from +{k['firstkey']}, step {k['step']}")
    return "found by the command itself"


def key_specs(cmd):
    """One line per key spec: where its keys are and the spec's flags."""
    out = []
    for ks in cmd.key_specs:
        flags = ", ".join(ks.get("flags", []))
        out.append(f"{_begin(ks)}, {_find(ks)}" + (f" ({flags})" if flags else ""))
    return out


def acl_names(bits):
    return [c for i, c in enumerate(b.ACL_CATEGORIES) if bits >> i & 1]


def alternative(c):
    """How a caller writes one alternative of a choice: valkey::nx, Asc{}, IfEq{...}."""
    if c.repr == "alt_token":
        return cpp.token_alternative(c, qualified=False)
    return c.alt_type.split("::")[-1] + "{...}"


def option_list(cmd):
    """`.member` per Options field, with the alternatives of a choice."""
    out = []
    for m in cmd.optional:
        a = m.arg
        alts = ""
        if a.kind == "oneof":
            kids = [c for c in a.children]
            if all(c.alt_type for c in kids):
                alts = " (" + ", ".join(f"`{alternative(c)}`" for c in kids) + ")"
        out.append(f"`.{m.name}`{alts}")
    return out


def example_call(cmd, example):
    """`db.<method>(<required>, {<options>})` from an example that sets options."""
    inits = dict(example["inits"])
    req = [inits[m.name] for m in cmd.required if m.name in inits]
    if len(req) != len(cmd.required):
        return None
    opts = [f".{m.name} = {inits[m.name]}" for m in cmd.optional if m.name in inits]
    if not opts:
        return None
    args = req + ["{" + ", ".join(opts) + "}"]
    text = f"db.{cmd.method}(" + ", ".join(args) + ")"
    return text.replace("cmd::", "valkey::cmd::")


def facts(cmd, synopsis_arg):
    """The fact lines shared by a struct and its method (without `/// `)."""
    lines = [f"Syntax: `{syntax_line(cmd, synopsis_arg)}`", ""]
    since = f"Since {cmd.since}" if cmd.since else "Since: not stated by the spec"
    if cmd.deprecated_since:
        since += f"; deprecated since {cmd.deprecated_since}"
    lines.append(f"- {since}")
    lines.append("- ACL categories: " + ", ".join(acl_names(cmd.info["acl_bits"])))
    lines.append("- Flags: " + (", ".join(cmd.flags) if cmd.flags else "none"))
    ks = key_specs(cmd)
    if not ks:
        lines.append("- Keys: none")
    elif len(ks) == 1:
        lines.append("- Keys: " + ks[0])
    else:
        lines.append("- Keys:")
        lines.extend(f"  {i + 1}. {k}" for i, k in enumerate(ks))
    if cmd.optional:
        lines.append("- Options: " + ", ".join(option_list(cmd)))
    lines.append(f"- Reference: {cmd.url}")
    return lines


def annotate(commands, examples, synopsis_arg):
    """Sets cmd.doc_struct / cmd.doc_method / cmd.doc_options (lists of lines)."""
    first_opt = {}
    for x in examples:
        if x["variant"].startswith("opt ") and x["struct"] not in first_opt:
            first_opt[x["struct"]] = x
    for c in commands:
        f = facts(c, synopsis_arg)
        entry = f" (typed entry point of {c.variant_of})" if c.variant_of else ""
        c.doc_struct = [f"`{c.name}`{entry}: the command's arguments as members.", ""] + f
        method = f"Sends `{c.name}` (cmd::{c.struct}){'' if not c.variant_of else ', typed entry point'}."
        c.doc_method = [method, ""] + f
        c.doc_options = []
        if c.optional:
            c.doc_options = [f"`{c.name}` with its optional arguments (cmd::{c.struct}::Options)."]
            ex = example_call(c, first_opt[c.struct]) if c.struct in first_opt and c.method else None
            if ex:
                c.doc_options += ["", f"Example: `{ex}`"]
