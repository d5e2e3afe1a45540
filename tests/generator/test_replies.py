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
        _, generic, why, _ = reply_type({"type": "object", "properties": {}})  # no owner: no records
        self.assertTrue(generic)
        self.assertEqual(why, "record")


class Records(unittest.TestCase):
    SHARDS = {"type": "array", "items": {"type": "object", "additionalProperties": False, "properties": {
        "slots": {"type": "array", "items": {"type": "integer"}},
        "nodes": {"type": "array", "items": {"type": "object", "properties": {
            "tls-port": {"type": "integer"},
            "health": {"oneOf": [{"const": "fail"}, {"const": "online"}]}}}},
        "extra": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}}}}

    def test_nested_records_named_by_their_property(self):
        ty, generic, _, records = reply_type(self.SHARDS, "ClusterShards")
        self.assertFalse(generic)
        self.assertEqual(ty, "std::vector<ClusterShards::Record>")
        # nested first, so each type is declared before the one that uses it
        self.assertEqual([r.name for r in records], ["Node", "Record"])
        self.assertEqual(records[0].fields, [("tls_port", "tls-port", "std::int64_t"),
                                             ("health", "health", "std::string")])
        # a property no rule settles is a valkey::Reply member, not a generic reply
        self.assertEqual(records[1].fields, [("slots", "slots", "std::vector<std::int64_t>"),
                                             ("nodes", "nodes", "std::vector<ClusterShards::Node>"),
                                             ("extra", "extra", GENERIC)])

    def test_map_values_are_singular_and_open_keys_are_generic(self):
        engines = {"type": "object", "properties": {"engines": {"type": "object", "patternProperties": {
            "^.*$": {"type": "object", "properties": {"libraries_count": {"type": "integer"}}}}}}}
        ty, _, _, records = reply_type(engines, "FunctionStats")
        self.assertEqual(ty, "FunctionStats::Record")
        self.assertEqual(records[0].name, "Engine")
        self.assertEqual(records[1].fields[0][2], "std::vector<std::pair<std::string, FunctionStats::Engine>>")
        mixed = {"type": "object", "properties": {"a": {"type": "integer"}},
                 "patternProperties": {"^db": {"type": "integer"}}}
        _, generic, why, records = reply_type(mixed, "MemoryStats")
        self.assertTrue(generic)
        self.assertEqual(why, "record with open keys")
        self.assertEqual(records, [])

    def test_record_members_do_not_hide_the_decoder_table(self):
        _, _, _, records = reply_type({"type": "object", "properties": {
            "fields": {"type": "integer"}, "record_name": {"type": "string"}}}, "Cmd")
        self.assertEqual([m for m, _, _ in records[0].fields], ["fields_", "record_name_"])

    def test_two_records_of_one_name_stay_generic(self):
        two = {"type": "array", "minItems": 2, "maxItems": 2, "items": [
            {"type": "object", "properties": {"a": {"type": "integer"}}},
            {"type": "object", "properties": {"b": {"type": "integer"}}}]}
        _, generic, why, _ = reply_type(two, "Cmd")
        self.assertTrue(generic)
        self.assertEqual(why, "two records of one name")


if __name__ == "__main__":
    unittest.main()
