"""reply_schema -> RESP3 shape rules (no upstream files needed)."""
import unittest

from valkeygen.resp3 import Ambiguous, derive, parse, rows_for

STR = {"type": "string"}
NUM = {"type": "number"}
PAIR = {"type": "array", "minItems": 2, "maxItems": 2, "items": [STR, NUM]}


def code(schema, **kw):
    return derive(schema, **kw).code


class Rules(unittest.TestCase):
    def test_scalars(self):
        self.assertEqual(code(NUM), "d")
        self.assertEqual(code(STR), ".")
        self.assertEqual(code({"type": "integer"}), ".")
        self.assertEqual(code({"oneOf": [{"type": "null"}, NUM]}), "d")

    def test_maps_and_records(self):
        self.assertEqual(code({"type": "object", "additionalProperties": STR}), "M.")
        record = {"type": "object", "properties": {"a": STR, "b": NUM, "c": {"type": "object",
                                                                              "additionalProperties": STR}}}
        self.assertEqual(code(record), "R{b=d,c=M.}")
        self.assertEqual(code({"type": "object", "properties": {"a": STR}}), "M.")

    def test_pairs_tuples_arrays(self):
        self.assertEqual(code({"type": "array", "items": PAIR}), "P.d")
        self.assertEqual(code(PAIR), "T(.d)")
        self.assertEqual(code({"type": "array", "items": NUM}), "Ad")
        self.assertEqual(code({"type": "array", "items": STR}), ".")
        var = {"type": "array", "items": [STR], "additionalItems": {"oneOf": [STR, PAIR]}}
        self.assertEqual(code(var), "U(.|T(.d))")

    def test_sets_only_at_the_top_of_the_set_group(self):
        unique = {"type": "array", "uniqueItems": True, "items": STR}
        self.assertEqual(code(unique, top_of_set_group=True), "S.")
        self.assertEqual(code(unique), ".")

    def test_alternatives(self):
        # a double or an integer: the double rule cannot touch the integer
        self.assertEqual(code({"oneOf": [{"type": "integer"}, NUM, {"type": "null"}]}), "d")
        # members vs pairs: both flat arrays of strings in RESP2
        with self.assertRaises(Ambiguous):
            derive({"anyOf": [{"type": "array", "items": STR}, {"type": "array", "items": PAIR}]})
        # names vs [name, coords...]: the element rule cannot touch a name
        geo = {"anyOf": [{"type": "array", "items": STR},
                         {"type": "array", "items": {"type": "array", "items": [STR],
                                                     "additionalItems": PAIR}}]}
        self.assertEqual(code(geo), "AU(.|T(.d))")
        # two records: one record with both sets of keys
        r1 = {"type": "object", "properties": {"a": {"type": "integer"}}}
        r2 = {"type": "object", "properties": {"a": {"type": "array", "items": NUM}, "b": NUM}}
        self.assertEqual(code({"oneOf": [r1, r2]}), "R{a=Ad,b=d}")

    def test_grammar(self):
        for ok in [".", "d", "S.", "M.", "P.d", "T(.d)", "U(.|T(dd))", "R{a=d,b-c.d=AM.}", "AR{x=S.}"]:
            self.assertEqual(parse(ok), ok)
        for bad in ["", "P.", "T(.d", "U(.)", "R{a}", "X", "M.."]:
            with self.assertRaises(ValueError):
                parse(bad)

    def test_rows_and_overrides(self):
        entries = [("zrange.json", "ZRANGE", {"reply_schema": {"anyOf": [
                       {"type": "array", "items": STR}, {"type": "array", "items": PAIR}]}}),
                   ("get.json", "GET", {"reply_schema": STR}),
                   ("config-get.json", "GET", {"container": "CONFIG", "reply_schema": {
                       "type": "object", "additionalProperties": STR}})]
        with self.assertRaises(Ambiguous):
            rows_for(entries, [])
        overrides = [{"command": "ZRANGE", "when_token": "WITHSCORES", "shape": "P.d"},
                     {"command": "ZRANGE", "shape": "."},
                     {"command": "NOSUCH", "shape": "M."}]
        rows, missing = rows_for(entries, overrides)
        self.assertEqual(rows, [("CONFIG GET", "", 0, "M."), ("ZRANGE", "WITHSCORES", 0, "P.d")])
        self.assertEqual(missing, ["NOSUCH"])


if __name__ == "__main__":
    unittest.main()
