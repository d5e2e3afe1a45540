"""reply_schema -> C++ type rules (no upstream files needed)."""
import unittest

from valkeygen.replies import GENERIC, reply_type


def t(schema):
    return reply_type(schema)[0]


class Rules(unittest.TestCase):
    def test_scalars(self):
        self.assertEqual(t({"const": "OK"}), "valkey::Ok")
        self.assertEqual(t({"type": "integer"}), "std::int64_t")
        self.assertEqual(t({"type": "number"}), "double")
        self.assertEqual(t({"type": "string"}), "std::string")

    def test_zero_one_is_bool(self):
        self.assertEqual(t({"oneOf": [{"const": 0}, {"const": 1}]}), "bool")
        self.assertEqual(t({"oneOf": [{"const": -2}, {"const": 0}, {"const": 1}]}), "std::int64_t")

    def test_null_or_x(self):
        self.assertEqual(t({"oneOf": [{"type": "null"}, {"type": "string"}]}), "std::optional<std::string>")
        self.assertEqual(t({"anyOf": [{"type": "null"}, {"const": "OK"}, {"type": "string"}]}),
                         "std::optional<std::string>")

    def test_arrays_and_tuples(self):
        self.assertEqual(t({"type": "array", "items": {"type": "string"}}), "std::vector<std::string>")
        pair = {"type": "array", "minItems": 2, "maxItems": 2, "items": [{"type": "string"}, {"type": "number"}]}
        self.assertEqual(t(pair), "std::pair<std::string, double>")
        triple = {"type": "array", "minItems": 3, "maxItems": 3,
                  "items": [{"type": "string"}, {"type": "integer"}, {"type": "number"}]}
        self.assertEqual(t(triple), "std::tuple<std::string, std::int64_t, double>")

    def test_maps(self):
        self.assertEqual(t({"type": "object", "additionalProperties": {"type": "string"}}),
                         "std::vector<std::pair<std::string, std::string>>")

    def test_unsettled_is_generic(self):
        self.assertEqual(t(None), GENERIC)
        self.assertEqual(t({"type": "object", "properties": {"a": {"type": "string"}}}), GENERIC)
        self.assertEqual(t({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}), GENERIC)
        self.assertEqual(t({"type": "array"}), GENERIC)
        _, generic, why = reply_type({"type": "object", "properties": {}})
        self.assertTrue(generic)
        self.assertEqual(why, "record")


if __name__ == "__main__":
    unittest.main()
