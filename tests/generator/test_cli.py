"""The valkeygen CLI: deterministic output, --check, stats, and model
validation errors (synthetic specs: no upstream files needed for those)."""
import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest

from spec_source import require_specs
from valkeygen import build, render
from valkeygen.__main__ import main
from valkeygen.model import SpecError


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def spec(name, **body):
    body.setdefault("group", "string")
    body.setdefault("since", "1.0.0")
    body.setdefault("arity", -2)
    return (name.lower() + ".json", name, body)


class Validation(unittest.TestCase):
    """Specs the generator must refuse with a clear message."""

    def build(self, *entries):
        return build.build(list(entries), overlays=([], []))

    def test_pure_token_without_token(self):
        with self.assertRaisesRegex(SpecError, "pure token .* has no token"):
            self.build(spec("X", arguments=[{"name": "t", "type": "pure-token"}]))

    def test_duplicate_names(self):
        with self.assertRaisesRegex(SpecError, "duplicate argument"):
            self.build(spec("X", arguments=[{"name": "a", "type": "string"}, {"name": "a", "type": "string"}]))

    def test_unknown_type(self):
        with self.assertRaisesRegex(SpecError, "unknown type"):
            self.build(spec("X", arguments=[{"name": "a", "type": "float"}]))

    def test_too_deep(self):
        arg = {"name": "leaf", "type": "string"}
        for i in range(6):
            arg = {"name": f"b{i}", "type": "block", "arguments": [arg]}
        with self.assertRaisesRegex(SpecError, "nested deeper"):
            self.build(spec("X", arguments=[arg]))

    def test_uncounted_num_argument(self):
        with self.assertRaisesRegex(SpecError, "looks like a count"):
            self.build(spec("X", arguments=[{"name": "numthings", "type": "integer"},
                                            {"name": "thing", "type": "string", "multiple": True}]))

    def test_overlay_needs_why(self):
        with self.assertRaisesRegex(SpecError, "missing 'why'"):
            build.build([spec("X", arguments=[{"name": "a", "type": "integer"}])],
                        overlays=([{"command": "X", "path": "a", "set": {"scalar": "double"}}], []))

    def test_overlay_path_must_exist(self):
        with self.assertRaisesRegex(SpecError, "no argument at path"):
            c = build.build([spec("X", arguments=[{"name": "a", "type": "integer"}])], overlays=([], []))[0][0]
            c.find("a.b")

    def test_five_levels_are_fine(self):
        arg = {"name": "leaf", "type": "integer", "token": "T"}
        for i in range(4):
            arg = {"name": f"b{i}", "type": "block", "optional": True, "arguments": [arg]}
        cmds, _ = self.build(spec("X", arguments=[arg]))
        self.assertEqual(len(cmds[0].types), 4)

    def test_synthetic_layout(self):
        cmds, stats = self.build(
            spec("CONTAINER"),
            spec("SUB", container="CONTAINER", arguments=[
                {"name": "key", "type": "key", "key_spec_index": 0},
                {"name": "numkeys", "type": "integer"},
                {"name": "more", "type": "key", "multiple": True, "key_spec_index": 0},
                {"name": "mode", "type": "oneof", "optional": True, "arguments": [
                    {"name": "a", "type": "pure-token", "token": "A"},
                    {"name": "b", "type": "pure-token", "token": "B"}]}],
                 key_specs=[{"flags": ["RO"], "begin_search": {"index": {"pos": 2}},
                             "find_keys": {"keynum": {"keynumidx": 1, "firstkey": 2, "step": 1}}}],
                 reply_schema={"type": "integer"}))
        c = cmds[0]
        self.assertEqual((c.name, c.struct, c.method), ("CONTAINER SUB", "ContainerSub", "container_sub"))
        self.assertEqual([m.name for m in c.members], ["key", "mores", "mode"])
        self.assertEqual(c.reply, "std::int64_t")
        self.assertIn("CONTAINER", stats["excluded"])
        self.assertIn("s.arg(static_cast<std::uint64_t>(c.mores.size()));", c.encode_lines)


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.specs = require_specs(cls)
        cls.tmp = tempfile.mkdtemp(prefix="valkeygen-test-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_generate_is_deterministic_and_check_finds_drift(self):
        out = os.path.join(self.tmp, "gen")
        rc, _, err = run(["generate", "--specs", self.specs, "--out", out])
        self.assertEqual(rc, 0, err)
        rc, text, _ = run(["generate", "--specs", self.specs, "--out", out, "--check"])
        self.assertEqual(rc, 0, text)
        # a second run in memory gives byte-identical files
        entries = build.read_specs(self.specs)
        a = render.render_all(*build.build(entries), "x")
        b = render.render_all(*build.build(entries), "x")
        self.assertEqual(a, b)
        # drift: an edited file and a stale file are both reported
        with open(os.path.join(out, "src", "string.cpp"), "a", encoding="utf-8") as f:
            f.write("// edited\n")
        with open(os.path.join(out, "src", "old.cpp"), "w", encoding="utf-8") as f:
            f.write("\n")
        rc, text, _ = run(["generate", "--specs", self.specs, "--out", out, "--check"])
        self.assertEqual(rc, 1)
        self.assertIn("differs: src/string.cpp", text)
        self.assertIn("stale: src/old.cpp", text)
        # regenerating repairs it
        self.assertEqual(run(["generate", "--specs", self.specs, "--out", out])[0], 0)
        self.assertFalse(os.path.exists(os.path.join(out, "src", "old.cpp")))
        self.assertEqual(run(["generate", "--specs", self.specs, "--out", out, "--check"])[0], 0)

    def test_no_upstream_prose_in_output(self):
        out = os.path.join(self.tmp, "prose")
        run(["generate", "--specs", self.specs, "--out", out])
        text = ""
        for d, _, files in os.walk(out):
            for f in files:
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    text += fh.read()
        # summaries and complexity texts of a few commands must not leak
        for e in build.read_specs(self.specs):
            body = e[2]
            for field in ("summary", "complexity"):
                if len(body.get(field, "")) > 25:
                    self.assertNotIn(body[field], text, f"{e[0]} {field}")

    def test_stats(self):
        rc, text, _ = run(["stats", "--specs", self.specs])
        self.assertEqual(rc, 0)
        s = json.loads(text)
        self.assertEqual(s["spec_files"], len(build.read_specs(self.specs)))
        self.assertEqual(s["typed_replies"] + s["generic_replies"], s["structs"])
        self.assertGreater(s["commands_generated"], 380)
        for name, why in s["excluded"].items():
            self.assertTrue(why, name)

    def test_missing_specs_dir_is_a_clear_error(self):
        rc, _, err = run(["generate", "--specs", os.path.join(self.tmp, "nope"), "--out", self.tmp])
        self.assertEqual(rc, 2)
        self.assertIn("no specs directory", err)


class CommandDocs(unittest.TestCase):
    """--from-command-docs: COMMAND DOCS JSON (valkey-cli --json) as input."""

    def test_module_command_from_docs(self):
        docs = {
            "json.set": {"group": "module", "since": "1.0.0", "arguments": [
                {"name": "key", "type": "key", "display_text": "key", "key_spec_index": 0},
                {"name": "path", "type": "string", "display_text": "path"},
                {"name": "value", "type": "string", "display_text": "value"},
                {"name": "condition", "type": "oneof", "flags": ["optional"], "arguments": [
                    {"name": "nx", "type": "pure-token", "token": "NX"},
                    {"name": "xx", "type": "pure-token", "token": "XX"}]}]},
            "mod.admin": {"group": "module", "since": "1.0.0", "subcommands": {
                "mod.admin|reload": {"group": "module", "since": "1.0.0", "arguments": [
                    {"name": "name", "type": "string", "flags": ["optional", "multiple"]}]}}},
        }
        tmp = tempfile.mkdtemp(prefix="valkeygen-docs-")
        try:
            path = os.path.join(tmp, "docs.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(docs, f)
            cmds, stats = build.build(build.read_command_docs(path), overlays=([], []))
            by = {c.struct: c for c in cmds}
            self.assertEqual(sorted(by), ["JsonSet", "ModAdminReload"])
            j = by["JsonSet"]
            self.assertEqual(j.name, "JSON.SET")
            self.assertEqual(j.method, "json_set")
            self.assertEqual(j.reply, "valkey::Reply")
            self.assertEqual([m.name for m in j.members], ["key", "path", "value", "condition"])
            self.assertEqual(j.key_lines, ["cb(c.key);"])
            self.assertEqual(by["ModAdminReload"].name, "MOD.ADMIN RELOAD")
            self.assertIn("MOD.ADMIN", stats["excluded"])
            rc, text, err = run(["generate", "--from-command-docs", path, "--out", os.path.join(tmp, "out")])
            self.assertEqual(rc, 0, err)
            self.assertTrue(os.path.exists(os.path.join(tmp, "out", "include", "valkey", "cmd", "module.hpp")))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
