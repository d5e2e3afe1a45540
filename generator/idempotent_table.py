"""Renders commands/idempotent.json as the C++ table the runtime compiles in
(runtime/src/policy/idempotent_table.cpp). The table is checked in, so a build
needs no Python; tests/generator/test_idempotent.py fails when it is out of
sync with the JSON.

    python3 generator/idempotent_table.py           # rewrite the table
    python3 generator/idempotent_table.py --check   # exit 1 when out of sync
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JSON_PATH = os.path.join(ROOT, "commands", "idempotent.json")
CPP_PATH = os.path.join(ROOT, "runtime", "src", "policy", "idempotent_table.cpp")

ENTRY_KEYS = {"command", "why", "options_from", "unless_any", "only_with"}


class TableError(ValueError):
    pass


def validate(doc):
    """Checks the JSON's shape; returns the entries sorted by command name."""
    if not isinstance(doc, dict) or not isinstance(doc.get("commands"), list):
        raise TableError("idempotent.json: 'commands' must be a list")
    seen = set()
    for e in doc["commands"]:
        name = e.get("command") if isinstance(e, dict) else None
        if not isinstance(name, str) or not name or name != name.upper():
            raise TableError(f"idempotent.json: entry {e!r}: 'command' must be an upper-case name")
        extra = set(e) - ENTRY_KEYS
        if extra:
            raise TableError(f"idempotent.json: {name}: unknown fields {sorted(extra)}")
        if not isinstance(e.get("why"), str) or not e["why"].strip():
            raise TableError(f"idempotent.json: {name}: 'why' must give the reason")
        if name in seen:
            raise TableError(f"idempotent.json: {name} listed twice")
        seen.add(name)
        tokens = e.get("unless_any", []) + e.get("only_with", [])
        if tokens and not (isinstance(e.get("options_from"), int) and e["options_from"] >= 1):
            raise TableError(f"idempotent.json: {name}: argument conditions need options_from >= 1")
        if "options_from" in e and not tokens:
            raise TableError(f"idempotent.json: {name}: options_from without unless_any or only_with")
        for t in tokens:
            if not isinstance(t, str) or not t or t != t.upper():
                raise TableError(f"idempotent.json: {name}: token {t!r} must be upper-case")
    for e in doc.get("never", []):
        if e.get("command") in seen:
            raise TableError(f"idempotent.json: {e['command']} is both idempotent and never")
        if not isinstance(e.get("why"), str) or not e["why"].strip():
            raise TableError(f"idempotent.json: never {e.get('command')!r}: 'why' must give the reason")
    return sorted(doc["commands"], key=lambda e: e["command"])


def cpp_string(s):
    return json.dumps(s, ensure_ascii=True)  # a JSON string is a valid C++ literal for this text


def ident(name):
    return name.lower().replace(" ", "_").replace("-", "_")


def render(doc):
    entries = validate(doc)
    out = [
        "// Generated from commands/idempotent.json by generator/idempotent_table.py; do not edit.",
        "#include <string_view>",
        "",
        "#include <valkey/policy/idempotency.hpp>",
        "",
        "namespace valkey::policy {",
        "",
        "namespace {",
    ]
    for e in entries:
        for field in ("unless_any", "only_with"):
            if e.get(field):
                items = ", ".join(cpp_string(t) for t in e[field])
                out.append(f"constexpr std::string_view {ident(e['command'])}_{field}[] = {{{items}}};")
    out += ["", "// Sorted by command name (binary search).", "constexpr IdempotentRule rules[] = {"]
    for e in entries:
        base = ident(e["command"])
        unless = f"{base}_unless_any" if e.get("unless_any") else "{}"
        only = f"{base}_only_with" if e.get("only_with") else "{}"
        out.append(f"    {{{cpp_string(e['command'])}, {e.get('options_from', 0)}, {unless}, {only},")
        out.append(f"     {cpp_string(e['why'])}}},")
    out += [
        "};",
        "}  // namespace",
        "",
        "std::span<const IdempotentRule> idempotent_rules() noexcept { return rules; }",
        "",
        "}  // namespace valkey::policy",
        "",
    ]
    return "\n".join(out)


def main(argv):
    with open(JSON_PATH, encoding="utf-8") as f:
        text = render(json.load(f))
    if "--check" in argv:
        with open(CPP_PATH, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{CPP_PATH} is out of sync with {JSON_PATH}; run generator/idempotent_table.py")
                return 1
        return 0
    with open(CPP_PATH, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
