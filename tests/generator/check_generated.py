"""ctest helper: generated/ must be exactly what the generator writes from
the pinned specs (valkeygen generate --check). Exit 77 (skip) without specs."""
import sys

from regen_compile import SKIP, env_dir
from valkeygen.__main__ import main

if __name__ == "__main__":
    specs = env_dir("VALKEY_SPECS_DIR")
    if specs is None:
        print("SKIP: $VALKEY_SPECS_DIR is not set or missing (run scripts/setup.sh)")
        sys.exit(SKIP)
    sys.exit(main(["generate", "--specs", specs, "--check"]))
