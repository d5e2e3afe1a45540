"""drop / require / force of a reply override entry (no upstream files needed)."""
import unittest

from valkeygen.model import SpecError, apply_variant_transforms, clone, command_from_spec


def command(args):
    return command_from_spec("X", {"arity": -1, "group": "generic", "since": "1.0.0", "arguments": args},
                             "x.json")


OPERATION = {"name": "operation", "type": "oneof", "optional": True, "arguments": [
    {"name": "count", "type": "integer"},
    {"name": "reset", "type": "pure-token", "token": "RESET"}]}


class Transforms(unittest.TestCase):
    def test_a_choice_left_with_one_alternative_is_that_alternative(self):
        c = command([OPERATION])
        apply_variant_transforms(c, {"drop": ["operation.reset"]})
        self.assertEqual([(a.name, a.kind, a.optional, a.path) for a in c.args],
                         [("count", "integer", True, "count")])
        # a later path names what is left
        r = command([OPERATION])
        apply_variant_transforms(r, {"drop": ["operation.count"], "force": ["reset"]})
        self.assertEqual([(a.name, a.forced, a.optional) for a in r.args], [("reset", True, False)])

    def test_nested_choice_keeps_its_place_and_renames_the_paths_below(self):
        block = {"name": "outer", "type": "block", "arguments": [
            {"name": "first", "type": "string"},
            {"name": "pick", "type": "oneof", "arguments": [
                {"name": "one", "type": "block", "arguments": [{"name": "v", "type": "integer"}]},
                {"name": "two", "type": "pure-token", "token": "TWO"}]},
            {"name": "last", "type": "string"}]}
        c = command([block])
        apply_variant_transforms(c, {"drop": ["outer.pick.two"]})
        outer = c.find("outer")
        self.assertEqual([a.name for a in outer.children], ["first", "one", "last"])
        self.assertFalse(c.find("outer.one").optional)
        self.assertEqual(c.find("outer.one.v").path, "outer.one.v")

    def test_a_choice_of_several_stays_a_choice(self):
        three = clone(OPERATION)
        three["arguments"] = three["arguments"] + [{"name": "all", "type": "pure-token", "token": "ALL"}]
        c = command([three])
        apply_variant_transforms(c, {"drop": ["operation.reset"]})
        self.assertEqual(c.args[0].kind, "oneof")
        self.assertEqual([a.name for a in c.args[0].children], ["count", "all"])

    def test_a_missing_path_is_an_error(self):
        with self.assertRaises(SpecError):
            apply_variant_transforms(command([OPERATION]), {"drop": ["operation.nothing"]})


if __name__ == "__main__":
    unittest.main()
