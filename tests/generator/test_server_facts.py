"""The generated facts agree with a running Valkey 9.1.2: ACL categories
(with the implicit ones), tips and key specs from the spec files equal what
COMMAND INFO reports, and --from-command-docs + --command-info reproduces
them. Starts its own server on a free loopback port; skips without one."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from spec_source import require_specs
from valkeygen import build


def env_path(var):
    v = os.environ.get(var)
    if not v:
        env = os.path.expanduser("~/.cache/valkey-cpp/env.sh")
        if os.path.exists(env):
            with open(env, encoding="utf-8") as f:
                for line in f:
                    if line.startswith(f"export {var}="):
                        v = line.split("=", 1)[1].strip().strip('"')
    return v if v and os.path.exists(v) else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Internal flags COMMAND INFO does not report.
UNREPORTED_FLAGS = {"sentinel", "may_replicate", "protected_", "touches_arbitrary_keys"}


class ServerFacts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.specs = require_specs(cls)
        server, cli = env_path("VALKEY_SERVER"), env_path("VALKEY_CLI")
        if not server or not cli:
            raise unittest.SkipTest("VALKEY_SERVER/VALKEY_CLI not available (run scripts/setup.sh)")
        cls.tmp = tempfile.mkdtemp(prefix="valkeygen-server-")
        port = free_port()
        cls.proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no", "--dir", cls.tmp],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                r = subprocess.run([cli, "-p", str(port), "PING"], capture_output=True, text=True)
                if r.stdout.strip() == "PONG":
                    break
                time.sleep(0.05)
            for what in ("DOCS", "INFO"):
                r = subprocess.run([cli, "-p", str(port), "--json", "COMMAND", what], capture_output=True,
                                   text=True, timeout=30, check=True)
                with open(os.path.join(cls.tmp, what.lower() + ".json"), "w", encoding="utf-8") as f:
                    f.write(r.stdout)
        finally:
            cls.proc.terminate()
            cls.proc.wait(timeout=10)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_spec_facts_match_command_info(self):
        from_specs, _ = build.build(build.read_specs(self.specs))
        live = build.read_command_info(os.path.join(self.tmp, "info.json"))
        compared = 0
        for c in from_specs:
            if c.variant_of or c.name not in live:
                continue
            ref = build.command_from_spec(c.name.split(" ")[-1], dict(live[c.name], container=c.container)
                                          if c.container else live[c.name], "")
            ref_info = build._info(ref)
            self.assertEqual(c.arity, live[c.name]["arity"], c.name)
            self.assertEqual(c.info["acl_bits"], ref_info["acl_bits"], c.name)
            self.assertEqual(c.info["key_specs"], ref_info["key_specs"], c.name)
            self.assertEqual((c.info["request_policy"], c.info["response_policy"], c.info["nondeterministic"]),
                             (ref_info["request_policy"], ref_info["response_policy"],
                              ref_info["nondeterministic"]), c.name)
            self.assertEqual(set(c.info["flags"]) - UNREPORTED_FLAGS, set(ref_info["flags"]), c.name)
            compared += 1
        self.assertGreater(compared, 370)

    def test_from_command_docs_and_info(self):
        cmds, stats = build.build(build.read_command_docs(os.path.join(self.tmp, "docs.json"),
                                                          os.path.join(self.tmp, "info.json")))
        by = {c.struct: c for c in cmds}
        self.assertGreater(len(by), 370)
        x = by["Xread"]
        self.assertEqual(x.info["key_specs"][0]["keyword"], "STREAMS")
        self.assertIn("blocking", x.info["flags"])
        self.assertEqual(by["Get"].reply, "valkey::Reply")  # no reply schema in COMMAND DOCS
        self.assertIn("CLIENT", stats["excluded"])


if __name__ == "__main__":
    unittest.main()
