"""The intermediate model: spec JSON + overlays -> validated Command/Arg trees.

Everything the templates need is decided here or in cpp.py; templates only
format. Order is stable: commands sorted by name, arguments in spec order.
"""
import copy
import re
from dataclasses import dataclass, field
from typing import Optional


SCALAR_KINDS = {"key", "string", "pattern", "integer", "double", "unix-time"}
KINDS = SCALAR_KINDS | {"pure-token", "oneof", "block"}
# C++ scalar types an overlay may choose instead of the spec's type.
SCALAR_OVERRIDES = {"double", "uint64", "score_bound", "lex_bound", "range_bound", "string", "integer"}
MAX_DEPTH = 5


class SpecError(Exception):
    """A spec or overlay the generator cannot turn into a sound C++ API."""


@dataclass
class Arg:
    """One argument of the spec tree (plus overlay and layout decisions)."""
    name: str
    kind: str
    path: str
    token: Optional[str] = None
    optional: bool = False
    multiple: bool = False
    multiple_token: bool = False
    key_spec_index: Optional[int] = None
    children: list = field(default_factory=list)
    scalar: Optional[str] = None        # overlay: C++ scalar choice
    count_of: Optional[str] = None      # sibling list whose size this argument is
    empty_is_absent: bool = False       # a key that may be "" (MIGRATE)
    forced: bool = False                # variant entry point: token always written
    cpp_name: Optional[str] = None      # overlay: nested type name
    member_name: Optional[str] = None   # overlay: member name
    example: object = None              # overlay: value for the example invocation
    routing: bool = False               # overlay: not a key, but picks the slot (shard channels)
    example_on: bool = False            # overlay: examples switch this optional argument on
    example_with: list = field(default_factory=list)     # overlay: paths switched on with this one
    example_without: list = field(default_factory=list)  # overlay: paths switched off with this one
    example_sets: dict = field(default_factory=dict)     # overlay: example values of others with this one
    since: Optional[str] = None
    # filled by cpp.layout
    member: Optional[str] = None
    repr: Optional[str] = None
    cpp_type: Optional[str] = None
    type_ref: Optional[str] = None
    alt_type: Optional[str] = None

    def child(self, name):
        for c in self.children:
            if c.name == name:
                return c
        return None

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass
class Command:
    name: str                 # "SET", "CLIENT KILL"
    file: str
    group: str
    since: str
    arity: int
    flags: list
    acl: list
    tips: list
    key_specs: list
    args: list
    reply_schema: object
    container: Optional[str] = None
    deprecated_since: Optional[str] = None
    doc_flags: list = field(default_factory=list)
    struct: str = ""
    method: Optional[str] = None
    surface_excluded: Optional[str] = None
    reply: str = "valkey::Reply"
    reply_generic: bool = True
    reply_source: str = "none"
    records: list = field(default_factory=list)  # replies.Record, nested ones first
    variant_of: Optional[str] = None   # struct name of the base command
    from_command_docs: bool = False

    @property
    def url(self):
        return "https://valkey.io/commands/" + self.name.lower().replace(" ", "-") + "/"

    def walk(self):
        for a in self.args:
            yield from a.walk()

    def find(self, path):
        parts = path.split(".")
        level = self.args
        found = None
        for p in parts:
            found = next((a for a in level if a.name == p), None)
            if found is None:
                raise SpecError(f"{self.name}: no argument at path '{path}' (stopped at '{p}')")
            level = found.children
        return found

    def parent_of(self, path):
        parts = path.split(".")
        if len(parts) == 1:
            return None
        return self.find(".".join(parts[:-1]))


def _arg_from_spec(cmd_name, raw, parent_path, depth):
    if depth > MAX_DEPTH:
        raise SpecError(f"{cmd_name}: arguments nested deeper than {MAX_DEPTH} at {parent_path}")
    kind = raw.get("type")
    if kind not in KINDS:
        raise SpecError(f"{cmd_name}: argument '{raw.get('name')}' has unknown type {kind!r}")
    name = raw["name"]
    path = f"{parent_path}.{name}" if parent_path else name
    a = Arg(
        name=name,
        kind=kind,
        path=path,
        token=raw.get("token"),
        optional=bool(raw.get("optional", False)),
        multiple=bool(raw.get("multiple", False)),
        multiple_token=bool(raw.get("multiple_token", False)),
        key_spec_index=raw.get("key_spec_index"),
        since=raw.get("since"),
    )
    if kind in ("oneof", "block"):
        kids = raw.get("arguments") or []
        if not kids:
            raise SpecError(f"{cmd_name}: {kind} '{path}' has no arguments")
        a.children = [_arg_from_spec(cmd_name, k, path, depth + 1) for k in kids]
    elif raw.get("arguments"):
        raise SpecError(f"{cmd_name}: scalar '{path}' has nested arguments")
    return a


def command_from_spec(key, body, filename):
    container = body.get("container")
    name = f"{container} {key}" if container else key
    args = [_arg_from_spec(name, r, "", 1) for r in body.get("arguments") or []]
    return Command(
        name=name.upper(),
        file=filename,
        group=body.get("group", "generic").replace("-", "_"),
        since=body.get("since", ""),
        arity=int(body.get("arity", 0)),
        flags=list(body.get("command_flags") or []),
        acl=list(body.get("acl_categories") or []),
        tips=list(body.get("command_tips") or []),
        key_specs=list(body.get("key_specs") or []),
        args=args,
        reply_schema=body.get("reply_schema"),
        container=container.upper() if container else None,
        deprecated_since=body.get("deprecated_since"),
        doc_flags=list(body.get("doc_flags") or []),
    )


# ---------------------------------------------------------------- overlays

def apply_overlay(cmd, entry):
    """One overlay entry: {command, path, set: {...}, why}."""
    if not entry.get("why"):
        raise SpecError(f"overlay for {entry.get('command')} {entry.get('path')}: missing 'why'")
    target = cmd.find(entry["path"])
    for k, v in entry.get("set", {}).items():
        if k == "type":
            if v not in KINDS:
                raise SpecError(f"overlay {cmd.name} {entry['path']}: unknown type {v}")
            target.kind = v
        elif k == "scalar":
            if v not in SCALAR_OVERRIDES:
                raise SpecError(f"overlay {cmd.name} {entry['path']}: unknown scalar {v}")
            target.scalar = v
        elif k in ("token", "optional", "multiple", "multiple_token", "count_of", "empty_is_absent",
                   "cpp_name", "member_name", "example", "key_spec_index", "routing",
                   "example_on", "example_with", "example_without", "example_sets"):
            setattr(target, k, v)
        elif k == "replace_with_key":
            # oneof(key | pure-token "") -> a key that may be empty
            key = next((c for c in target.children if c.kind == "key"), None)
            if key is None:
                raise SpecError(f"overlay {cmd.name} {entry['path']}: no key alternative")
            target.kind = "key"
            target.key_spec_index = key.key_spec_index
            target.children = []
            target.name = key.name
            target.path = target.path.rsplit(".", 1)[0] + "." + key.name if "." in target.path else key.name
            target.empty_is_absent = True
        else:
            raise SpecError(f"overlay {cmd.name} {entry['path']}: unknown field {k}")


def _remove(cmd, path):
    parts = path.split(".")
    parent = cmd.parent_of(path)
    level = parent.children if parent else cmd.args
    for i, a in enumerate(level):
        if a.name == parts[-1]:
            del level[i]
            if parent is not None and parent.kind == "oneof" and len(level) == 1:
                # a choice left with one alternative is that alternative (ACL
                # LOG without RESET: an optional COUNT, not a variant of one)
                _collapse(cmd, parent)
            return
    raise SpecError(f"{cmd.name}: cannot drop missing argument {path}")


def _collapse(cmd, choice):
    only = choice.children[0]
    only.optional = choice.optional
    holder = cmd.parent_of(choice.path) if "." in choice.path else None
    level = holder.children if holder else cmd.args
    level[level.index(choice)] = only
    old = only.path
    only.path = (choice.path.rsplit(".", 1)[0] + "." if "." in choice.path else "") + only.name
    for a in only.walk():
        if a is not only:
            a.path = only.path + a.path[len(old):]


def apply_variant_transforms(cmd, spec):
    """drop / require / force transforms of a reply override entry."""
    for p in spec.get("drop", []):
        _remove(cmd, p)
    for p in spec.get("require", []):
        cmd.find(p).optional = False
    for p in spec.get("force", []):
        a = cmd.find(p)
        if a.kind != "pure-token":
            raise SpecError(f"{cmd.name}: only pure tokens can be forced ({p})")
        a.forced = True
        a.optional = False


# ---------------------------------------------------------------- count args

def infer_counts(cmd):
    """numkeys-style arguments named by a keynum key spec become computed counts.

    A `keynum` key spec says: the integer at argv[begin + keynumidx] is the
    number of keys that follow. The matching argument is the integer sibling
    just before the repeated argument holding those keys.
    """
    keynum_specs = {i for i, ks in enumerate(cmd.key_specs) if "keynum" in ks.get("find_keys", {})}
    if not keynum_specs:
        # no key specs (COMMAND DOCS input, module commands): an integer named
        # numkeys right before a repeated argument is its count
        def by_name(level):
            for i, a in enumerate(level):
                if (a.multiple and i > 0 and level[i - 1].kind == "integer"
                        and level[i - 1].name == "numkeys" and level[i - 1].count_of is None):
                    level[i - 1].count_of = a.name
                by_name(a.children)
        if not cmd.key_specs:
            by_name(cmd.args)
        return

    def holds_spec(a, idx):
        return any(x.kind == "key" and x.key_spec_index == idx for x in a.walk())

    def scan(level):
        for i, a in enumerate(level):
            if a.multiple and i > 0 and level[i - 1].kind == "integer" and level[i - 1].count_of is None:
                if any(holds_spec(a, idx) for idx in keynum_specs):
                    level[i - 1].count_of = a.name
            scan(a.children)

    scan(cmd.args)
    counted = [a for a in cmd.walk() if a.count_of]
    if not counted:
        raise SpecError(f"{cmd.name}: keynum key spec but no count argument found")


def validate(cmd):
    """Structural checks that keep the generated C++ sound."""
    def check_level(level, parent):
        seen = set()
        for a in level:
            if a.name in seen:
                raise SpecError(f"{cmd.name}: duplicate argument name {a.path}")
            seen.add(a.name)
            if a.kind == "pure-token" and not a.token:
                raise SpecError(f"{cmd.name}: pure token {a.path} has no token (add an overlay)")
            if a.count_of:
                target = next((s for s in level if s.name == a.count_of), None)
                if target is None or not target.multiple:
                    raise SpecError(f"{cmd.name}: {a.path} counts '{a.count_of}', not a repeated sibling")
                if a.kind != "integer":
                    raise SpecError(f"{cmd.name}: count argument {a.path} is not an integer")
            if a.kind == "oneof" and parent is not None and parent.kind == "oneof" and not a.children:
                raise SpecError(f"{cmd.name}: empty oneof {a.path}")
            if a.kind == "key" and a.key_spec_index is not None and a.key_spec_index >= len(cmd.key_specs):
                raise SpecError(f"{cmd.name}: {a.path} refers to missing key spec {a.key_spec_index}")
            check_level(a.children, a)
        # an uncounted num* integer right before a list is a count we missed
        for i, a in enumerate(level[:-1]):
            if (a.kind == "integer" and a.count_of is None and a.name.startswith("num")
                    and level[i + 1].multiple):
                raise SpecError(f"{cmd.name}: {a.path} looks like a count of {level[i + 1].path}; "
                                "add a count_of overlay or mark it otherwise")
    check_level(cmd.args, None)


def clone(cmd):
    return copy.deepcopy(cmd)


def version_key(v):
    return tuple(int(x) for x in re.findall(r"\d+", v or "0"))


def min_argc(cmd):
    """The fewest argv entries (name words included) a call can have."""
    def arg(a):
        if a.optional:
            return 0
        tok = 1 if a.token else 0
        if a.kind == "oneof":
            return tok + min(arg(c) if not c.optional else 0 for c in a.children)
        if a.kind == "block":
            return tok + sum(arg(c) for c in a.children)
        if a.kind == "pure-token":
            return 1
        return tok + 1
    return len(cmd.name.split(" ")) + sum(arg(a) for a in cmd.args)


def fixed_argc(cmd):
    """The argv length (name words included) when every call has the same
    one (GET: 2, HSETNX: 4), else None. The encoder then writes the array
    header and the name as one constant instead of counting first."""
    def arg(a):
        if a.optional or a.multiple or a.multiple_token or a.count_of:
            return None
        tok = 1 if a.token else 0
        if a.kind == "pure-token":
            return 1
        if a.kind == "oneof":
            sizes = {arg(c) for c in a.children}
            return None if len(sizes) != 1 or None in sizes else tok + sizes.pop()
        if a.kind == "block":
            parts = [arg(c) for c in a.children]
            return None if None in parts else tok + sum(parts)
        return tok + 1
    parts = [arg(a) for a in cmd.args]
    return None if None in parts else len(cmd.name.split(" ")) + sum(parts)
