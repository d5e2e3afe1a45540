#!/usr/bin/env python3
"""Doxygen input filter for the Markdown guides (FILTER_PATTERNS in docs/Doxyfile.in).

The guides link to their own sections the way GitHub renders them:
`[Lifetimes](#lifetimes)`, where `lifetimes` is the slug GitHub derives from
the heading `### Lifetimes`. Doxygen 1.9 derives no such ids, so it reports
each of those links as an unresolved reference. This filter gives every
section heading (level 2 and below, outside code fences) an explicit id,
`{#<page>-<slug>}`, and points the page's own `#slug` links at it. The page
prefix keeps ids unique across pages (many guides have a "Measured" section).
The files themselves are not changed; Doxygen reads this filter's output.

Usage (by Doxygen): doxygen_markdown_filter.py <file.md>
"""
import re
import sys
from pathlib import Path

HEADING = re.compile(r"^(#{2,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
LOCAL_LINK = re.compile(r"\]\(#([^)\s]+)\)")


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"`([^`]*)`", r"\1", text)          # inline code keeps its text
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def page_prefix(path: Path) -> str:
    # File names under docs/ are unique, so the stem alone names the page.
    return re.sub(r"[^A-Za-z0-9_]", "_", path.stem).lower()


def main() -> int:
    path = Path(sys.argv[1])
    lines = path.read_text(encoding="utf-8").splitlines()
    prefix = page_prefix(path)

    # Which lines are text: a fence line and everything between fences is code.
    text = []
    in_fence = False
    for line in lines:
        fence = bool(FENCE.match(line))
        if fence:
            in_fence = not in_fence
        text.append(not fence and not in_fence)

    # The slug of every section heading, numbered on repeats as GitHub does.
    ids = {}
    seen = {}
    for i, line in enumerate(lines):
        m = HEADING.match(line) if text[i] else None
        if not m or "{#" in line:
            continue
        slug = github_slug(m.group(2))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        ids[i] = slug if n == 0 else f"{slug}-{n}"
    known = set(ids.values())

    def relink(m: re.Match) -> str:
        slug = m.group(1)
        return f"]({'#' + prefix + '-' + slug if slug in known else '#' + slug})"

    out = []
    for i, line in enumerate(lines):
        if not text[i]:
            out.append(line)
            continue
        if i in ids:
            line = f"{line.rstrip()} {{#{prefix}-{ids[i]}}}"
        out.append(LOCAL_LINK.sub(relink, line))
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
