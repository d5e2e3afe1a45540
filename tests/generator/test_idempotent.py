"""commands/idempotent.json and the C++ table compiled from it
(runtime/src/policy/idempotent_table.cpp) agree, and the renderer refuses
entries without a reason or with malformed conditions."""
import copy
import json
import os
import unittest

import idempotent_table


class IdempotentTable(unittest.TestCase):
    def setUp(self):
        with open(idempotent_table.JSON_PATH, encoding="utf-8") as f:
            self.doc = json.load(f)

    def test_checked_in_table_is_in_sync(self):
        with open(idempotent_table.CPP_PATH, encoding="utf-8") as f:
            checked_in = f.read()
        self.assertEqual(
            checked_in, idempotent_table.render(self.doc),
            "runtime/src/policy/idempotent_table.cpp is stale: run python3 generator/idempotent_table.py")
        self.assertEqual(idempotent_table.main(["--check"]), 0)

    def test_every_entry_is_rendered_with_its_reason(self):
        text = idempotent_table.render(self.doc)
        for e in self.doc["commands"]:
            self.assertIn(json.dumps(e["command"]), text)
            self.assertIn(json.dumps(e["why"]), text)

    def test_never_list_excludes_the_issue_s_commands(self):
        listed = {e["command"] for e in self.doc["commands"]}
        for name in ("INCR", "INCRBY", "DECR", "LPUSH", "RPUSH", "APPEND", "XADD", "EVAL", "EVALSHA",
                     "FCALL", "EXEC", "BLPOP", "EXPIRE", "PEXPIRE"):
            self.assertNotIn(name, listed)

    def refused(self, mutate, message):
        doc = copy.deepcopy(self.doc)
        mutate(doc)
        with self.assertRaisesRegex(idempotent_table.TableError, message):
            idempotent_table.render(doc)

    def test_bad_entries_are_refused_with_the_command_named(self):
        def no_reason(d):
            d["commands"][0]["why"] = " "
        self.refused(no_reason, "why")

        def twice(d):
            d["commands"].append(copy.deepcopy(d["commands"][0]))
        self.refused(twice, "listed twice")

        def lower(d):
            d["commands"].append({"command": "get", "why": "x"})
        self.refused(lower, "upper-case")

        def tokens_without_position(d):
            d["commands"].append({"command": "FOO", "unless_any": ["NX"], "why": "x"})
        self.refused(tokens_without_position, "FOO: argument conditions need options_from")

        def unknown_field(d):
            d["commands"].append({"command": "FOO", "why": "x", "unless": ["NX"]})
        self.refused(unknown_field, "FOO: unknown fields")

        def both(d):
            d["never"].append({"command": "DEL", "why": "x"})
        self.refused(both, "DEL is both")


if __name__ == "__main__":
    unittest.main()
