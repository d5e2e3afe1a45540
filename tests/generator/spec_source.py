"""Where the tests find the upstream specs: $VALKEY_SPECS_DIR, else
~/.cache/valkey-cpp/env.sh (written by scripts/setup.sh). Tests that need
them skip when neither exists; upstream files are never committed."""
import os
import unittest

from valkeygen import build
from valkeygen.__main__ import default_specs


def specs_dir():
    d = default_specs()
    return d if d and os.path.isdir(d) else None


def require_specs(test):
    d = specs_dir()
    if d is None:
        raise unittest.SkipTest("Valkey command specs not found (set VALKEY_SPECS_DIR or run scripts/setup.sh)")
    return d


_cache = {}


def model():
    """(commands by struct name, stats) built from the pinned specs + overlays."""
    d = require_specs(None)
    if d not in _cache:
        cmds, stats = build.build(build.read_specs(d))
        _cache[d] = ({c.struct: c for c in cmds}, stats)
    return _cache[d]
