"""Tests of scripts/doc_snippets.py: how Markdown blocks become C++ units."""
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import unittest

SCRIPT = pathlib.Path(os.environ.get(
    "VALKEY_CPP_ROOT", pathlib.Path(__file__).resolve().parents[2])) / "scripts" / "doc_snippets.py"


def run(root, *args):
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root), *args],
                          capture_output=True, text=True)


class DocSnippets(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = pathlib.Path(self.tmp.name)
        (self.root / "docs" / "guides").mkdir(parents=True)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, rel, text):
        (self.root / rel).write_text(textwrap.dedent(text))

    def units(self, n=1):
        out = self.root / "out"
        r = run(self.root, "--out", str(out), "--units", str(n))
        self.assertEqual(r.returncode, 0, r.stderr)
        return [(out / f"snippets_{i}.cpp").read_text() for i in range(n)]

    def test_body_block_becomes_a_function_with_line_mapping(self):
        self.write("README.md", """\
            # t
            ```cpp
            #include <set>
            db.get("k");
            ```
            """)
        (unit,) = self.units()
        self.assertIn("#include <set>", unit.split("namespace snippet_README_3")[0])
        self.assertIn("void run([[maybe_unused]] valkey::Client& db", unit)
        body = unit.split('#line 3 "README.md"\n')[1]
        self.assertTrue(body.startswith('\ndb.get("k");\n'), body[:40])

    def test_co_await_makes_a_coroutine(self):
        self.write("docs/a.md", """\
            ```cpp
            co_await c.get("k", asio::use_awaitable);
            ```
            """)
        (unit,) = self.units()
        self.assertIn("asio::awaitable<void> run(", unit)
        self.assertIn("co_return;", unit)

    def test_markers(self):
        self.write("docs/guides/b.md", """\
            <!-- snippet: skip not C++ of this library -->
            ```cpp
            redisCommand(c, "GET k");
            ```
            <!-- snippet: toplevel -->
            ```cpp
            int helper() { return 1; }
            ```
            <!-- snippet: given std::string key = "k"; -->
            ```c++
            db.get(key);
            ```
            """)
        (unit,) = self.units()
        self.assertNotIn("redisCommand", unit)
        top = unit.split("namespace snippet_docs_guides_b_7 {\n")[1]
        self.assertTrue(top.startswith('#line 7 "docs/guides/b.md"\nint helper()'), top[:60])
        given = unit.split("namespace snippet_docs_guides_b_11 {\n")[1]
        self.assertLess(given.index('std::string key = "k";'), given.index("db.get(key);"))
        listing = run(self.root, "--list").stdout.splitlines()
        self.assertEqual(listing, ["docs/guides/b.md:3: skip (not C++ of this library)",
                                   "docs/guides/b.md:7: toplevel", "docs/guides/b.md:11: body"])

    def test_otel_blocks_get_a_unit_of_their_own(self):
        self.write("docs/o.md", """\
            <!-- snippet: otel -->
            <!-- snippet: given valkey::Config cfg; -->
            ```cpp
            cfg.observer = valkey::otel::make_observer();
            ```
            ```cpp
            db.get("plain");
            ```
            """)
        (unit,) = self.units()
        self.assertNotIn("make_observer", unit)
        self.assertNotIn("valkey/otel/observer.hpp", unit)
        otel = (self.root / "out" / "snippets_otel.cpp").read_text()
        self.assertIn("#include <valkey/otel/observer.hpp>", otel)
        self.assertIn('#line 4 "docs/o.md"\ncfg.observer = valkey::otel::make_observer();', otel)
        self.assertNotIn('db.get("plain")', otel)
        self.assertEqual(run(self.root, "--list").stdout.splitlines(),
                         ["docs/o.md:4: body (otel)", "docs/o.md:7: body"])

    def test_a_program_is_toplevel_without_a_marker(self):
        self.write("docs/e.md", """\
            ```cpp
            int main() {
              valkey::Client db{"valkey://127.0.0.1"};
            }
            ```
            """)
        (unit,) = self.units()
        self.assertEqual(run(self.root, "--list").stdout.strip(), "docs/e.md:2: toplevel")
        block = unit.split("namespace snippet_docs_e_2 {\n")[1]
        self.assertTrue(block.startswith('#pragma GCC diagnostic push\n#pragma GCC diagnostic ignored "-Wreturn-type"\n'
                                         '#line 2 "docs/e.md"\nint main() {'), block[:120])

    def test_bad_markers_are_refused(self):
        for text, why in [("<!-- snippet: skip -->\n```cpp\nx;\n```\n", "needs a reason"),
                          ("<!-- snippet: toplevel -->\ntext\n```cpp\nx;\n```\n", "right before"),
                          ("```cpp\nx;\n", "unterminated")]:
            self.write("docs/c.md", text)
            r = run(self.root, "--list")
            self.assertNotEqual(r.returncode, 0, text)
            self.assertIn(why, r.stderr)

    def test_units_split_and_unchanged_files_are_not_rewritten(self):
        self.write("docs/d.md", "".join(f"```cpp\ndb.get(\"k{i}\");\n```\n" for i in range(6)))
        first, second = self.units(2)
        self.assertIn('"k0"', first)
        self.assertIn('"k5"', second)
        path = self.root / "out" / "snippets_0.cpp"
        before = path.stat().st_mtime_ns
        os.utime(path, ns=(before - 10**9, before - 10**9))
        self.units(2)
        self.assertEqual(path.stat().st_mtime_ns, before - 10**9)


if __name__ == "__main__":
    unittest.main()
