"""ctest helper: regenerate from another spec set into a temp dir and compile
the result (g++ -fsyntax-only -Werror over every generated source plus one TU
that instantiates Commands<> methods), 2 jobs. Exit 77 (skip) when the specs
are not available.

  regen_compile.py ENV_VAR CXX RUNTIME_INCLUDE_DIR
"""
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile

from valkeygen.__main__ import main as valkeygen

SKIP = 77

SURFACE_TU = r'''
#include <string>
#include <valkey/commands.hpp>
#include <valkey/command_table.hpp>
struct Sink : valkey::Commands<Sink> {
  std::string out;
  template <valkey::Command C, class... Tail>
  int exec(const C& c, Tail&&...) { valkey::resp::Writer w{out}; encode(c, w); return 0; }
};
int main() {
  Sink s;
  s.set("k", "v", {.condition = valkey::cmd::Set::Nx{}});
  s.set_get("k", "v");
  s.get("k");
  s.mget({"a", "b"});
  s.hset("h", {{"f", "v"}});
  s.zadd("z", {{1.0, "m"}});
  s.xadd("s", valkey::cmd::Xadd::AutoId{}, {{"f", "v"}});
  s.zrange_withscores("z", 0, -1);
  return valkey::find_command("GET") == nullptr;
}
'''


def env_dir(var):
    d = os.environ.get(var)
    if not d:
        env = os.path.expanduser("~/.cache/valkey-cpp/env.sh")
        if os.path.exists(env):
            with open(env, encoding="utf-8") as f:
                for line in f:
                    if line.startswith(f"export {var}="):
                        d = line.split("=", 1)[1].strip().strip('"')
    return d if d and os.path.isdir(d) else None


def compile_one(cxx, includes, src):
    cmd = [cxx, "-std=c++20", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"] + \
          [f"-I{i}" for i in includes] + [src]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return src, r.returncode, r.stderr


def main(argv):
    # argv[4:]: more include folders (the build's, with valkey/export.hpp)
    var, cxx, runtime_include, more_includes = argv[1], argv[2], argv[3], argv[4:]
    specs = env_dir(var)
    if specs is None:
        print(f"SKIP: ${var} is not set or missing (spec set not installed by scripts/setup.sh;"
              " Valkey 8.0.1 specs are not obtainable from the archive)")
        return SKIP
    tmp = tempfile.mkdtemp(prefix="valkeygen-regen-")
    try:
        out = os.path.join(tmp, "generated")
        rc = valkeygen(["generate", "--specs", specs, "--out", out, "--label", var])
        if rc != 0:
            return rc
        srcs = sorted(os.path.join(out, "src", f) for f in os.listdir(os.path.join(out, "src"))
                      if f.endswith(".cpp"))
        tu = os.path.join(tmp, "surface.cpp")
        with open(tu, "w", encoding="utf-8") as f:
            f.write(SURFACE_TU)
        srcs.append(tu)
        includes = [runtime_include, os.path.join(out, "include")] + more_includes
        failed = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for src, code, err in pool.map(lambda s: compile_one(cxx, includes, s), srcs):
                status = "ok" if code == 0 else "FAILED"
                print(f"{status}: {os.path.relpath(src, tmp)}")
                if code != 0:
                    failed += 1
                    print(err[:4000])
        print(f"{len(srcs) - failed}/{len(srcs)} translation units compile ({specs})")
        return 1 if failed else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
