"""The example invocations (generated/examples): every optional argument and
every alternative of every struct is written by some example, the overlay
rules hold (GEOSEARCH BYPOLYGON without a center), and values of different
arguments differ within an example, so any encoder that swaps two arguments
writes other bytes than the expected argv."""
import unittest
from itertools import combinations

from spec_source import model
from valkeygen import examples


class Examples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cmds, _ = model()
        cls.by_struct = {s: examples.examples_of(c) for s, c in cls.cmds.items()}

    def test_every_optional_argument_and_alternative_is_covered(self):
        missing, total = [], 0
        for s, c in self.cmds.items():
            covered = set().union(*(x["covers"] for x in self.by_struct[s]))
            for t in examples.all_targets(c):
                total += 1
                if t not in covered:
                    missing.append(f"{s} {t}")
        self.assertEqual(missing, [])
        self.assertGreater(total, 600)

    def test_variants_switch_one_thing_on_the_base(self):
        for s, xs in self.by_struct.items():
            self.assertEqual(xs[0]["variant"], "", s)
            argvs = [tuple(x["argv"]) for x in xs]
            self.assertEqual(len(argvs), len(set(argvs)), f"{s}: duplicate examples")
            for x in xs[1:]:
                self.assertIn(x["variant"], x["covers"], s)

    def test_geosearch_bypolygon_has_no_center(self):
        for s in ("Geosearch", "Geosearchstore", "GeosearchDetailed"):
            poly = [x for x in self.by_struct[s] if "alt by.polygon" in x["covers"]]
            self.assertTrue(poly, s)
            for x in poly:
                self.assertNotIn("FROMMEMBER", x["argv"])
                self.assertNotIn("FROMLONLAT", x["argv"])
            # BYRADIUS / BYBOX examples always have one
            for x in self.by_struct[s]:
                if "BYRADIUS" in x["argv"] or "BYBOX" in x["argv"]:
                    self.assertTrue("FROMMEMBER" in x["argv"] or "FROMLONLAT" in x["argv"], x["argv"])

    def test_pfdebug_example_uses_a_real_subcommand(self):
        self.assertEqual(self.by_struct["Pfdebug"][0]["argv"], ["PFDEBUG", "GETREG", "key:1"])

    def test_swapping_any_two_values_changes_the_argv(self):
        """Every pair of values written for different arguments differs, so an
        encoder writing one in the other's place fails the byte comparison."""
        pairs = same_type = 0
        clashes = []
        for s, xs in self.by_struct.items():
            for x in xs:
                for (i, p, t), (j, q, u) in combinations(x["slots"], 2):
                    if p == q:
                        continue
                    pairs += 1
                    same_type += t == u
                    if x["argv"][i] == x["argv"][j]:
                        clashes.append(f"{s} {x['variant']}: {p} and {q} both {x['argv'][i]!r}")
        self.assertEqual(clashes, [])
        self.assertGreater(same_type, 800)

    def test_a_swapped_argv_is_detected(self):
        """The comparison the C++ tests make, on a model-level swap: GETRANGE's
        start and end written in the wrong order give another argv."""
        x = self.by_struct["Getrange"][0]
        start = next(i for i, p, _ in x["slots"] if p == "start")
        end = next(i for i, p, _ in x["slots"] if p == "end")
        swapped = list(x["argv"])
        swapped[start], swapped[end] = swapped[end], swapped[start]
        self.assertNotEqual(swapped, x["argv"])


if __name__ == "__main__":
    unittest.main()
