"""CLI: python3 -m valkeygen {generate,stats} (see docs/regenerating.md)."""
import argparse
import json
import os
import sys

from . import build as b
from . import render
from .model import SpecError


def default_specs():
    d = os.environ.get("VALKEY_SPECS_DIR")
    if d:
        return d
    env = os.path.expanduser("~/.cache/valkey-cpp/env.sh")
    if os.path.exists(env):
        with open(env, encoding="utf-8") as f:
            for line in f:
                if line.startswith("export VALKEY_SPECS_DIR="):
                    return line.split("=", 1)[1].strip().strip('"')
    return None


def default_label(root):
    try:
        lock = b.load_json(os.path.join(root, "commands", "spec-lock.json"))
        return lock["sources"][lock["generator_input"]]["version"]
    except (OSError, KeyError, ValueError):
        return "unknown"


def load(args):
    root = args.root or b.repo_root()
    if args.from_command_docs:
        entries = b.read_command_docs(args.from_command_docs, args.command_info)
    else:
        specs = args.specs or default_specs()
        if not specs or not os.path.isdir(specs):
            raise SpecError("no specs directory: pass --specs DIR or set VALKEY_SPECS_DIR")
        entries = b.read_specs(specs)
    commands, stats = b.build(entries, root)
    return root, commands, stats


def cmd_generate(args):
    root, commands, stats = load(args)
    label = args.label or default_label(root)
    files = render.render_all(commands, stats, label)
    out = args.out or os.path.join(root, "generated")
    if args.check:
        return check(files, out)
    write(files, out)
    print(f"valkeygen: wrote {len(files)} files to {out}")
    return 0


def existing(out):
    found = set()
    for dirpath, _, filenames in os.walk(out):
        for f in filenames:
            found.add(os.path.relpath(os.path.join(dirpath, f), out))
    return found


def check(files, out):
    differ = []
    for rel, text in sorted(files.items()):
        p = os.path.join(out, rel)
        try:
            with open(p, encoding="utf-8") as f:
                if f.read() != text:
                    differ.append(f"differs: {rel}")
        except OSError:
            differ.append(f"missing: {rel}")
    for rel in sorted(existing(out) - set(files)):
        differ.append(f"stale: {rel}")
    for d in differ:
        print(d)
    if differ:
        print(f"valkeygen --check: {len(differ)} file(s) out of date; run the regenerate target")
        return 1
    print(f"valkeygen --check: {len(files)} files up to date")
    return 0


def write(files, out):
    for rel in sorted(existing(out) - set(files)) if os.path.isdir(out) else []:
        os.remove(os.path.join(out, rel))  # files of commands that no longer exist
    for rel, text in sorted(files.items()):
        p = os.path.join(out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        try:
            with open(p, encoding="utf-8") as f:
                if f.read() == text:
                    continue  # unchanged: keep the timestamp, no rebuild
        except OSError:
            pass
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)


def cmd_stats(args):
    _, commands, stats = load(args)
    print(json.dumps(render.stats_of(commands, stats), indent=2, sort_keys=True))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="valkeygen", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("generate", "stats"):
        s = sub.add_parser(name)
        s.add_argument("--specs", help="directory of Valkey src/commands/*.json (default: $VALKEY_SPECS_DIR)")
        s.add_argument("--from-command-docs", metavar="FILE.json",
                       help="read COMMAND DOCS output (JSON) instead of spec files")
        s.add_argument("--command-info", metavar="FILE.json",
                       help="with --from-command-docs: COMMAND INFO output (JSON) for arity, flags, key specs, tips")
        s.add_argument("--root", help="repository root (default: this checkout)")
        if name == "generate":
            s.add_argument("--out", help="output directory (default: <root>/generated)")
            s.add_argument("--check", action="store_true",
                           help="write nothing; exit 1 and list files that differ")
            s.add_argument("--label", help="spec version named in file headers (default: spec-lock.json)")
    args = p.parse_args(argv)
    try:
        return cmd_generate(args) if args.cmd == "generate" else cmd_stats(args)
    except SpecError as e:
        print(f"valkeygen: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
