#!/usr/bin/env python3
"""Extracts the ```cpp blocks of README.md and docs/**/*.md into a few C++
translation units, so that every snippet of the documentation is compiled
(tests/snippets/CMakeLists.txt builds them against the library).

Each snippet becomes a function in a namespace of its own; #include lines are
hoisted to the top of the unit. An HTML comment on the line(s) right before a
block changes how it is wrapped (the rules are in docs/guides/README.md,
"How snippets are checked"):

    <!-- snippet: skip REASON -->      not compiled (a fragment, pseudo-code)
    <!-- snippet: toplevel -->         namespace-scope code (functions, types);
                                       a block with `int main(` is one already
    <!-- snippet: given DECLARATIONS --> declarations the block assumes
    <!-- snippet: otel -->             compiled in snippets_otel.cpp, with the
                                       OpenTelemetry adapter and SDK (built
                                       only where the adapter is)

Usage:
    doc_snippets.py --root REPO --out DIR [--units N]   write DIR/snippets_<i>.cpp
    doc_snippets.py --root REPO --list                    one line per block
Only files whose content changed are rewritten (no needless rebuilds).
"""
import argparse
import pathlib
import re
import sys

MARKER = re.compile(r"^\s*<!--\s*snippet:\s*(skip|toplevel|given|otel)\b(.*?)-->\s*$")
FENCE_OPEN = re.compile(r"^(\s*)```+\s*(c\+\+|cpp)\s*$")
FENCE_CLOSE = re.compile(r"^\s*```+\s*$")
INCLUDE = re.compile(r"^\s*#\s*include\s*[<\"].*[>\"]\s*$")
CORO = re.compile(r"\bco_(await|return|yield)\b")
MAIN = re.compile(r"^\s*int\s+main\s*\(")

# Every unit starts with these: the umbrella header and the Asio pieces the
# async snippets use, so a snippet shows only the includes a reader needs.
PRELUDE_INCLUDES = [
    "#include <chrono>",
    "#include <cstdint>",
    "#include <future>",
    "#include <map>",
    "#include <optional>",
    "#include <string>",
    "#include <string_view>",
    "#include <system_error>",
    "#include <vector>",
    "#include <asio/awaitable.hpp>",
    "#include <asio/co_spawn.hpp>",
    "#include <asio/detached.hpp>",
    "#include <asio/io_context.hpp>",
    "#include <asio/use_awaitable.hpp>",
    "#include <asio/use_future.hpp>",
    "#include <valkey/valkey.hpp>",
]
# The unit of the blocks marked `otel` adds the adapter's header.
OTEL_INCLUDES = ["#include <valkey/otel/observer.hpp>"]
OTEL_UNIT = "snippets_otel.cpp"


class Snippet:
    def __init__(self, path, line, code, mode, given, reason, otel=False):
        self.path = path      # relative to the repository root
        self.line = line      # 1-based line of the first code line
        self.code = code      # list of lines
        self.mode = mode      # "body", "toplevel" or "skip"
        self.given = given    # list of declarations
        self.reason = reason  # why skipped
        self.otel = otel      # compiled in the OpenTelemetry unit

    @property
    def name(self):
        stem = re.sub(r"[^A-Za-z0-9]+", "_", self.path.rsplit(".", 1)[0]).strip("_")
        return f"snippet_{stem}_{self.line}"


def extract(root, rel):
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    out = []
    markers = []
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if m:
            markers.append((m.group(1), m.group(2).strip()))
            i += 1
            continue
        if FENCE_OPEN.match(lines[i]):
            start = i + 1
            j = start
            while j < len(lines) and not FENCE_CLOSE.match(lines[j]):
                j += 1
            if j == len(lines):
                sys.exit(f"{rel}:{i + 1}: unterminated ```cpp block")
            mode, given, reason, otel = "body", [], "", False
            for kind, arg in markers:
                if kind == "skip":
                    if not arg:
                        sys.exit(f"{rel}:{i}: `snippet: skip` needs a reason")
                    mode, reason = "skip", arg
                elif kind == "toplevel":
                    mode = "toplevel" if mode != "skip" else mode
                elif kind == "given":
                    given.append(arg)
                elif kind == "otel":
                    otel = True
            code = lines[start:j]
            if mode == "body" and any(MAIN.match(l) for l in code):
                mode = "toplevel"  # a whole program needs no marker
            out.append(Snippet(rel, start + 1, code, mode, given, reason, otel))
            markers = []
            i = j + 1
            continue
        if lines[i].strip():
            if markers:
                sys.exit(f"{rel}:{i}: a snippet marker must come right before a ```cpp block")
        i += 1
    if markers:
        sys.exit(f"{rel}: a snippet marker at the end of the file has no block")
    return out


def documents(root):
    docs = [pathlib.Path("README.md")] if (root / "README.md").exists() else []
    docs += sorted(p.relative_to(root) for p in (root / "docs").rglob("*.md"))
    return [str(p) for p in docs]


def render_unit(snippets, unit_name, prelude=()):
    includes = list(PRELUDE_INCLUDES) + list(prelude)
    for s in snippets:
        for line in s.code:
            if INCLUDE.match(line) and line.strip() not in includes:
                includes.append(line.strip())
    out = ["// Generated by scripts/doc_snippets.py from the documentation's ```cpp blocks.",
           "// Compiled only, never run. Edit the Markdown, not this file."]
    out += includes
    out.append("using namespace std::chrono_literals;  // 30s, 250ms... as snippets write them")
    out.append("")

    def here():
        return len(out) + 2  # the line after the #line directive itself

    for s in snippets:
        # Hoisted includes leave a blank line, so #line numbers stay right.
        body = ["" if INCLUDE.match(l) else l for l in s.code]
        out.append(f"// {s.path}:{s.line}")
        out.append(f"namespace {s.name} {{")
        if s.mode == "toplevel":
            # Inside a namespace, main() is an ordinary function: let it end
            # without a return, as the real one may.
            has_main = any(MAIN.match(l) for l in body)
            if has_main:
                out.append("#pragma GCC diagnostic push")
                out.append('#pragma GCC diagnostic ignored "-Wreturn-type"')
            out.append(f'#line {s.line} "{s.path}"')
            out += body
            out.append(f'#line {here()} "{unit_name}"')
            if has_main:
                out.append("#pragma GCC diagnostic pop")
        else:
            coro = any(CORO.search(l) for l in body)
            ret = "asio::awaitable<void>" if coro else "void"
            out.append(f"[[maybe_unused]] {ret} run([[maybe_unused]] valkey::Client& db, "
                       f"[[maybe_unused]] valkey::AsyncClient& c) {{")
            for g in s.given:
                out.append(f"  {g}")
            out.append("  {")
            out.append(f'#line {s.line} "{s.path}"')
            out += body
            out.append(f'#line {here()} "{unit_name}"')
            out.append("  }")
            if coro:
                out.append("  co_return;")
            out.append("}")
        out.append(f"}}  // namespace {s.name}")
        out.append("")
    return "\n".join(out) + "\n"


def write_if_changed(path, text):
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.write_text(text, encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=pathlib.Path, required=True, help="the repository root")
    ap.add_argument("--out", type=pathlib.Path, help="where to write snippets_<i>.cpp")
    ap.add_argument("--units", type=int, default=2, help="how many translation units (default 2)")
    ap.add_argument("--list", action="store_true", help="list the blocks and how each is compiled")
    args = ap.parse_args()

    snippets = [s for rel in documents(args.root) for s in extract(args.root, rel)]
    if args.list:
        for s in snippets:
            extra = f" ({s.reason})" if s.mode == "skip" else " (otel)" if s.otel else ""
            print(f"{s.path}:{s.line}: {s.mode}{extra}")
        return
    if not args.out:
        ap.error("--out or --list is required")
    compiled = [s for s in snippets if s.mode != "skip" and not s.otel]
    n = max(1, args.units)
    # Consecutive snippets stay together (a document's blocks share a unit),
    # split into n runs of about equal numbers of lines.
    total = sum(len(s.code) for s in compiled) or 1
    units = [[] for _ in range(n)]
    done = 0
    for s in compiled:
        k = min(n - 1, done * n // total)
        units[k].append(s)
        done += len(s.code)
    args.out.mkdir(parents=True, exist_ok=True)
    for k, unit in enumerate(units):
        name = f"snippets_{k}.cpp"
        write_if_changed(args.out / name, render_unit(unit, name))
    otel = [s for s in snippets if s.mode != "skip" and s.otel]
    write_if_changed(args.out / OTEL_UNIT, render_unit(otel, OTEL_UNIT, OTEL_INCLUDES))


if __name__ == "__main__":
    main()
