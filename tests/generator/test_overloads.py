"""Which methods get a single-element overload (docs/commands.md, "One
element instead of a list"): the command's only repeated required argument is
its last one, and its element is a string, a number or a pair of those."""
import unittest

from valkeygen import render

from spec_source import model


class SingleElement(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cmds, _ = model()
        cls.single = {}
        for c in cmds.values():
            if c.method and not c.surface_excluded:
                cls.single[c.method] = render.single_overload(c)

    def test_the_calls_users_write_first(self):
        expect = {
            "del": [("key", "std::string_view", "string_arg")],
            "exists": [("key", "std::string_view", "string_arg")],
            "unlink": [("key", "std::string_view", "string_arg")],
            "hdel": [("field", "std::string_view", "string_arg")],
            "sadd": [("member", "std::string_view", "string_arg")],
            "lpush": [("element", "std::string_view", "string_arg")],
            "hset": [("field", "std::string_view", "string_arg"), ("value", "std::string_view", "string_arg")],
            "zadd": [("score", "double", "number_arg"), ("member", "std::string_view", "string_arg")],
        }
        for method, parts in expect.items():
            self.assertEqual(self.single[method], parts, method)

    def test_not_where_the_list_is_not_last_or_not_alone(self):
        for method in ("xread", "xreadgroup",      # parallel key and id lists
                       "lmpop", "zmpop",           # the list is followed by a required choice
                       "set", "get", "geoadd"):    # no list / elements of three parts
            self.assertIsNone(self.single[method], method)


if __name__ == "__main__":
    unittest.main()
