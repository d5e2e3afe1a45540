"""Specs + overlays -> list of laid-out commands, ready for the templates."""
import glob
import json
import os
import re

from . import cpp, names, replies, resp3
from .model import (SpecError, apply_overlay, apply_variant_transforms, clone, command_from_spec,
                    infer_counts, min_argc, fixed_argc, validate)

# Connection-state commands: structs, but no surface method (docs/design.md).
CONNECTION_STATE = {
    "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE",
    "PUNSUBSCRIBE", "SSUBSCRIBE", "SUNSUBSCRIBE", "HELLO", "AUTH", "SELECT", "RESET", "QUIT",
    "MONITOR", "SYNC", "PSYNC", "CLIENT REPLY",
}

FLAG_MAP = {
    "READONLY": "readonly", "WRITE": "write", "DENYOOM": "denyoom", "ADMIN": "admin",
    "PUBSUB": "pubsub", "NOSCRIPT": "noscript", "BLOCKING": "blocking", "LOADING": "loading",
    "STALE": "stale", "SKIP_MONITOR": "skip_monitor", "SKIP_SLOWLOG": "skip_slowlog",
    "SKIP_COMMANDLOG": "skip_slowlog", "FAST": "fast", "NO_AUTH": "no_auth",
    "MAY_REPLICATE": "may_replicate", "NO_MANDATORY_KEYS": "no_mandatory_keys",
    "NO_MULTI": "no_multi", "ALLOW_BUSY": "allow_busy", "SENTINEL": "sentinel",
    "ONLY_SENTINEL": "only_sentinel", "NO_ASYNC_LOADING": "no_async_loading",
    "TOUCHES_ARBITRARY_KEYS": "touches_arbitrary_keys", "PROTECTED": "protected_",
    "MODULE": "module",
}
# Flags CommandFlag has no bit for; they do not change how a client routes.
IGNORED_FLAGS = {"ALL_DBS", "ASKING"}

# The server's ACL category order (bit i of CommandInfo::acl_categories).
ACL_CATEGORIES = ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
                  "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
                  "blocking", "dangerous", "connection", "transaction", "scripting"]

GROUP_FILES = {"sorted_set": "sorted_set"}


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def repo_root():
    return os.environ.get("VALKEY_CPP_ROOT") or os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", ".."))


def read_specs(specs_dir):
    files = sorted(f for f in glob.glob(os.path.join(specs_dir, "*.json")))
    if not files:
        raise SpecError(f"no command spec files (*.json) in {specs_dir}")
    out = []
    for f in files:
        data = load_json(f)
        if not isinstance(data, dict) or len(data) != 1:
            raise SpecError(f"{f}: expected one top-level command object")
        (key, body), = data.items()
        out.append((os.path.basename(f), key, body))
    return out


# COMMAND INFO flags that are spec command_flags (others, like movablekeys, are derived)
INFO_FLAGS = {f.lower(): f for f in list(FLAG_MAP) + ["ALL_DBS", "ASKING"]}
INFO_FLAGS.update({"skip_slowlog": "SKIP_SLOWLOG", "no_auth": "NO_AUTH"})


def _info_key_spec(ks):
    """COMMAND INFO key spec -> the spec files' form."""
    bs, fk = ks.get("begin_search", {}), ks.get("find_keys", {})
    out = {"flags": [f.upper() for f in ks.get("flags", [])]}
    if bs.get("type") == "index":
        out["begin_search"] = {"index": {"pos": bs["spec"]["index"]}}
    elif bs.get("type") == "keyword":
        out["begin_search"] = {"keyword": {"keyword": bs["spec"]["keyword"], "startfrom": bs["spec"]["startfrom"]}}
    else:
        out["begin_search"] = {"unknown": None}
    spec = fk.get("spec", {})
    if fk.get("type") == "range":
        out["find_keys"] = {"range": {"lastkey": spec["lastkey"], "step": spec["keystep"], "limit": spec["limit"]}}
    elif fk.get("type") == "keynum":
        out["find_keys"] = {"keynum": {"keynumidx": spec["keynumidx"], "firstkey": spec["firstkey"],
                                       "step": spec["keystep"]}}
    else:
        out["find_keys"] = {"unknown": None}
    return out


def read_command_info(path):
    """`COMMAND INFO` as JSON (valkey-cli --json): name -> spec-style facts."""
    facts = {}

    def add(entry):
        name, arity, flags, _, _, _, acl, tips, key_specs, subs = entry[:10]
        facts[name.replace("|", " ").upper()] = {
            "arity": arity,
            "command_flags": [INFO_FLAGS[f] for f in flags if f in INFO_FLAGS],
            "acl_categories": [c.lstrip("@").upper() for c in acl],
            "command_tips": [t.upper() for t in tips],
            "key_specs": [_info_key_spec(k) for k in key_specs],
        }
        for sub in subs or []:
            add(sub)

    for entry in load_json(path):
        add(entry)
    return facts


def read_command_docs(path, info_path=None):
    """`COMMAND DOCS` as JSON (valkey-cli --json, or a dict name -> doc).

    COMMAND DOCS has arguments but no flags, key specs or reply schema: the
    commands come out with generic replies. With `info_path` (COMMAND INFO as
    JSON) arity, flags, ACL categories, tips and key specs are merged in.
    """
    info = read_command_info(info_path) if info_path else {}
    data = load_json(path)
    if isinstance(data, list):  # flat [name, doc, name, doc...]
        data = dict(zip(data[0::2], data[1::2]))
    out = []

    def convert_args(args):
        res = []
        for a in args or []:
            # key_spec_index only means something with COMMAND INFO's key specs
            keep = ("name", "type", "token", "since") + (("key_spec_index",) if info else ())
            b = {k: v for k, v in a.items() if k in keep}
            flags = a.get("flags") or []
            b["optional"] = "optional" in flags
            b["multiple"] = "multiple" in flags
            b["multiple_token"] = "multiple_token" in flags
            if "arguments" in a:
                b["arguments"] = convert_args(a["arguments"])
            res.append(b)
        return res

    def add(name, doc, container=None):
        body = {"group": doc.get("group", "module"), "since": doc.get("since", ""),
                "arity": -1, "arguments": convert_args(doc.get("arguments"))}
        if container:
            body["container"] = container
        full = (container + " " if container else "") + name.split("|")[-1].upper()
        body.update(info.get(full, {}))
        subs = doc.get("subcommands") or {}
        if subs:
            body.pop("arguments")
        out.append((name.lower() + ".docs", name.split("|")[-1].upper(), body))
        for sname, sdoc in sorted(subs.items()):
            add(sname, sdoc, name.upper())

    for name, doc in sorted(data.items()):
        add(name, doc)
    return out


def load_overlays(root):
    entries, overrides = [], []
    cdir = os.path.join(root, "commands")
    for f in sorted(glob.glob(os.path.join(cdir, "overlays*.json"))):
        entries.extend(load_json(f).get("arguments", []))
    for f in sorted(glob.glob(os.path.join(cdir, "reply_overrides*.json"))):
        overrides.extend(load_json(f).get("replies", []))
    for e in entries + overrides:
        if not e.get("why"):
            raise SpecError(f"overlay entry without 'why': {e}")
    return entries, overrides


def _info(cmd):
    flags = []
    for f in cmd.flags:
        if f in IGNORED_FLAGS:
            continue
        if f not in FLAG_MAP:
            raise SpecError(f"{cmd.name}: unknown command flag {f}")
        flags.append(FLAG_MAP[f])
    acl = {c.lower() for c in cmd.acl}
    fs = set(cmd.flags)
    # implicit categories, as the server adds them (src/commands/README.md)
    if "WRITE" in fs:
        acl.add("write")
    if "READONLY" in fs and "scripting" not in acl:
        acl.add("read")
    if "ADMIN" in fs:
        acl |= {"admin", "dangerous"}
    if "PUBSUB" in fs:
        acl.add("pubsub")
    if "FAST" in fs:
        acl.add("fast")
    if "BLOCKING" in fs:
        acl.add("blocking")
    if "fast" not in acl:
        acl.add("slow")
    bits = 0
    for c in acl:
        if c not in ACL_CATEGORIES:
            raise SpecError(f"{cmd.name}: unknown ACL category {c}")
        bits |= 1 << ACL_CATEGORIES.index(c)
    req, resp = "default_", "default_"
    nondet = False
    for t in cmd.tips:
        t = t.upper()
        if t.startswith("REQUEST_POLICY:"):
            req = t.split(":", 1)[1].lower()
        elif t.startswith("RESPONSE_POLICY:"):
            resp = t.split(":", 1)[1].lower()
        elif t == "NONDETERMINISTIC_OUTPUT":
            nondet = True
    if req not in ("all_nodes", "all_shards", "multi_shard", "special", "default_"):
        raise SpecError(f"{cmd.name}: unknown request policy {req}")
    if resp not in ("one_succeeded", "all_succeeded", "agg_logical_and", "agg_logical_or", "agg_min",
                    "agg_max", "agg_sum", "special", "default_"):
        raise SpecError(f"{cmd.name}: unknown response policy {resp}")
    specs = []
    for ks in cmd.key_specs:
        d = {}
        bs, fk = ks.get("begin_search", {}), ks.get("find_keys", {})
        if "index" in bs:
            d["begin"] = "index"
            d["begin_index"] = bs["index"]["pos"]
        elif "keyword" in bs:
            d["begin"] = "keyword"
            d["keyword"] = bs["keyword"]["keyword"]
            d["keyword_startfrom"] = bs["keyword"]["startfrom"]
        else:
            d["begin"] = "unknown"
        if "range" in fk:
            d["find"] = "range"
            d["lastkey"], d["keystep"], d["limit"] = fk["range"]["lastkey"], fk["range"]["step"], fk["range"]["limit"]
        elif "keynum" in fk:
            d["find"] = "keynum"
            d["keynumidx"], d["firstkey"], d["keynum_step"] = (fk["keynum"]["keynumidx"],
                                                               fk["keynum"]["firstkey"], fk["keynum"]["step"])
        else:
            d["find"] = "unknown"
        kf = set(ks.get("flags", []))
        d["read"] = bool(kf & {"RO", "RW", "ACCESS"})
        d["write"] = bool(kf & {"RW", "OW", "RM", "INSERT", "DELETE", "UPDATE"})
        d["incomplete"] = "INCOMPLETE" in kf
        specs.append(d)
    return {"flags": flags, "acl_bits": bits, "request_policy": req, "response_policy": resp,
            "nondeterministic": nondet, "key_specs": specs}


def _apply_reply(cmd, entry):
    if "alternative" in entry:
        # one of the schema's oneOf alternatives, typed by the rules (a
        # record when it is one): the form the entry's arguments select
        alts = (cmd.reply_schema or {}).get("oneOf") or []
        if not alts:
            # no reply schema (a surface read from COMMAND DOCS): generic
            cmd.reply, cmd.records = replies.GENERIC, []
        else:
            if entry["alternative"] >= len(alts):
                raise SpecError(f"{cmd.name}: reply override names alternative {entry['alternative']} of {len(alts)}")
            t, generic, why, records = replies.reply_type(alts[entry["alternative"]], cmd.struct)
            if generic:
                raise SpecError(f"{cmd.name}: reply alternative {entry['alternative']} is not settled ({why})")
            cmd.reply, cmd.records = t, records
    else:
        cmd.reply, cmd.records = entry["reply"], []
    cmd.reply_generic = cmd.reply == replies.GENERIC
    cmd.reply_source = "override"


def _name_records(cmd):
    """A record named like one of the argument types (declared beside it in
    the command struct) gets the suffix Record."""
    taken = {cpp.type_decl_name(t[0]) for t in cmd.types} | {"Options", cmd.struct}
    for r in cmd.records:
        if r.name in taken:
            old, new = f"{cmd.struct}::{r.name}", f"{cmd.struct}::{r.name}Record"
            pattern = re.compile(re.escape(old) + r"\b")
            r.name += "Record"
            cmd.reply = pattern.sub(new, cmd.reply)
            for q in cmd.records:
                q.fields = [(m, k, pattern.sub(new, t)) for m, k, t in q.fields]
        taken.add(r.name)


def build(spec_entries, root=None, overlays=None):
    """Returns (commands, stats)."""
    root = root or repo_root()
    arg_overlays, reply_overrides = overlays if overlays is not None else load_overlays(root)
    stats = {"spec_files": len(spec_entries), "excluded": {}}
    commands = {}
    containers = {}
    for filename, key, body in spec_entries:
        has_subs_file = body.get("arguments") is None and body.get("container") is None and any(
            b.get("container", "").upper() == key.upper() for _, _, b in spec_entries)
        if has_subs_file:
            containers[key.upper()] = (key, body)
            stats["excluded"][key.upper()] = "container command: its subcommands are generated"
            continue
        cmd = command_from_spec(key, body, filename)
        cmd.raw_key, cmd.raw_body = key, body
        commands[cmd.name] = cmd

    # argument overlays (skip entries for commands this spec version lacks)
    for e in arg_overlays:
        cmd = commands.get(e["command"].upper())
        if cmd is None:
            continue
        try:
            cmd.find(e["path"]) if "replace_with_key" not in e.get("set", {}) else None
        except SpecError:
            continue  # older/newer spec without that argument
        apply_overlay(cmd, e)

    out = []
    for name in sorted(commands):
        cmd = commands[name]
        infer_counts(cmd)
        validate(cmd)
        if cmd.arity and min_argc(cmd) < abs(cmd.arity) and not cmd.args:
            # internal/debug commands whose arguments the spec does not list
            stats["excluded"][name] = (f"the spec lists no arguments but the arity ({cmd.arity}) needs "
                                       "some: no typed struct; call() still finds its facts")
            containers[name] = (cmd.raw_key, cmd.raw_body)
            continue
        if cmd.arity and min_argc(cmd) < abs(cmd.arity):
            # e.g. CLIENT KILL: at least one of its optional filters; the
            # server rejects the short form, the struct cannot forbid it
            stats.setdefault("arity_notes", {})[name] = (
                f"shortest call the arguments allow: {min_argc(cmd)} words, arity {cmd.arity}")
        cmd.struct = names.pascal(name)
        cmd.info = _info(cmd)
        t, generic, why, records = replies.reply_type(cmd.reply_schema, cmd.struct)
        cmd.reply, cmd.reply_generic, cmd.records = t, generic, records
        cmd.reply_source = "schema" if not generic else ("none" if cmd.reply_schema is None else "unsettled")
        cmd.reply_why = why
        variants = []
        original = clone(cmd)
        for e in reply_overrides:
            if e["command"].upper() != name:
                continue
            if "entry" in e:
                v = clone(original)
                apply_variant_transforms(v, e)
                v.struct = names.pascal(e["entry"])
                v.method = e["entry"]
                v.variant_of = cmd.struct
                _apply_reply(v, e)
                variants.append(v)
            else:
                apply_variant_transforms(cmd, e)
                _apply_reply(cmd, e)
        cmd.method = names.method_name(name)
        if name in CONNECTION_STATE:
            cmd.surface_excluded = "connection state: owned by the transaction/pub-sub/config APIs"
        elif "ONLY_SENTINEL" in cmd.flags:
            cmd.surface_excluded = "sentinel only: not sent to data nodes"
        for c in [cmd] + variants:
            if c.surface_excluded is None and cmd.surface_excluded:
                c.surface_excluded = cmd.surface_excluded
            layout(c, cmd if c is not cmd else None)
            out.append(c)
    stats["containers"] = containers
    try:
        stats["resp3_rows"], _ = resp3.rows_for(spec_entries, resp3.load_overrides(root))
    except resp3.Ambiguous as e:
        raise SpecError(str(e)) from e
    return out, stats


def layout(cmd, base=None):
    scope = cpp.Scope(cmd.struct)
    members = cpp.layout_level(cmd.args, scope, "", set())
    for m in members:
        if m.name in names.RESERVED_MEMBERS:
            raise SpecError(f"{cmd.name}: member name {m.name} is reserved")
    required = [m for m in members if m.required]
    optional = [m for m in members if not m.required]
    cmd.members = required + optional
    cmd.required = required
    cmd.optional = optional
    cmd.types = cpp.render_types(scope)
    _name_records(cmd)
    if base is not None:
        # a typed entry point shares the nested types of its command, so
        # Geosearch::Box works for geosearch_detailed too
        base_types = {t[0]: t for t in base.types}
        shared = []
        for t in cmd.types:
            if t[0] in base_types and base_types[t[0]] == t:
                name = cpp.type_decl_name(t[0])
                shared.append([f"using {name} = {base.struct}::{name};"])
            else:
                shared.append(t)
        cmd.types = shared
    # The name ("CLIENT KILL" is two arguments) is written by encode() with
    # the array header (group.cpp.j2); these lines write what follows it.
    em = cpp.Emitter()
    cpp.emit_level(cmd.args, "c", em, 0)
    cmd.fixed_argc = fixed_argc(cmd)
    cmd.encode_lines = em.lines
    km = cpp.Emitter()
    cpp.keys_level(cmd.args, "c", km, 0)
    cmd.key_lines = km.lines
    cmd.group_file = cmd.group if cmd.group else "generic"
