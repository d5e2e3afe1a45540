"""Naming rules (docs/commands.md, "Naming rules"): word boundaries come from
the spec plus the fixed table in valkeygen/words.py; methods are the command
as sent."""
import unittest

from valkeygen import cpp, names
from valkeygen.model import SpecError
from valkeygen.words import SPLITS

from spec_source import model


class Words(unittest.TestCase):
    def test_table_splits_only_at_boundaries(self):
        for word, split in SPLITS.items():
            self.assertEqual(word, word.lower(), word)
            self.assertEqual(split.replace(" ", ""), word, f"{word} -> {split} changes the letters")
            self.assertGreater(len(split.split(" ")), 1, word)

    def test_identifiers(self):
        self.assertEqual(names.pascal("FROMMEMBER"), "FromMember")
        self.assertEqual(names.pascal("FROMLONLAT"), "FromLonLat")
        self.assertEqual(names.pascal("XGROUP CREATECONSUMER"), "XgroupCreateConsumer")
        self.assertEqual(names.pascal("ZREVRANGEBYSCORE"), "ZrevrangeByScore")
        self.assertEqual(names.pascal("zrange_withscores"), "ZrangeWithScores")
        self.assertEqual(names.identifier("nomkstream"), "no_mk_stream")
        self.assertEqual(names.plural("sourcekey"), "source_keys")
        # command names outside the table keep the server's spelling
        self.assertEqual(names.pascal("HGETALL"), "Hgetall")
        self.assertEqual(names.pascal("INCRBYFLOAT"), "Incrbyfloat")

    def test_methods_are_the_command_as_sent(self):
        self.assertEqual(names.method_name("ZREVRANGEBYSCORE"), "zrevrangebyscore")
        self.assertEqual(names.method_name("XGROUP CREATECONSUMER"), "xgroup_createconsumer")
        self.assertEqual(names.method_name("BITFIELD_RO"), "bitfield_ro")
        self.assertEqual(names.method_name("EXEC"), "exec_command")


class Generated(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cmds, cls.stats = model()

    def test_choice_alternatives_are_named_after_their_token(self):
        types = "\n".join(t[0] for t in self.cmds["Geosearch"].types)
        for name in ("FromMember", "FromLonLat", "ByRadius", "ByBox", "ByPolygon"):
            self.assertRegex(types, rf"\b{name}\b")

    def test_overlays_name_the_types_a_clash_would_number(self):
        # SHUTDOWN's block and GEORADIUS's STORE | STOREDIST choice took the
        # name of something inside them; commands/overlays.json names them
        shutdown = "\n".join(t[0] for t in self.cmds["Shutdown"].types)
        self.assertIn("struct Stop {", shutdown)
        self.assertIn("using AbortSelector = valkey::Choice<Stop, Abort>;", shutdown)
        for c in ("GeoradiusStore", "GeoradiusByMemberStore"):
            types = "\n".join(t[0] for t in self.cmds[c].types)
            self.assertIn("using Destination = valkey::Choice<Store, StoreDist>;", types)

    def test_every_split_is_used(self):
        # a table entry no spec word needs is a stale rule
        used = set()
        for c in self.cmds.values():
            for w in names.spec_words(c.name) + names.spec_words(c.method or ""):
                used.add(w.lower())
            for a in c.walk():
                for s in (a.name, a.token or ""):
                    used.update(w.lower() for w in names.spec_words(s))
        self.assertEqual(sorted(set(SPLITS) - used), [])


class Clashes(unittest.TestCase):
    def test_a_clash_takes_the_prefix_then_is_an_error(self):
        s = cpp.Scope("Cmd")
        self.assertEqual(s.add("Store", ["struct {NAME} {};"], "By"), "Store")
        self.assertEqual(s.add("Store", ["struct {NAME} {};"], "By"), "Store")  # equal: shared
        self.assertEqual(s.add("Store", ["struct {NAME} { int x; };"], "By"), "ByStore")
        with self.assertRaisesRegex(SpecError, "Cmd: two different nested types named Store"):
            s.add("Store", ["struct {NAME} { long y; };"], "")


if __name__ == "__main__":
    unittest.main()
