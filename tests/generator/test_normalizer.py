"""The normalized model of the hard commands: argument trees, overlays,
computed counts, member layout and the encoder/key-walker plans."""
import unittest

from spec_source import model


def members(cmd):
    return [(m.name, m.type, m.required) for m in cmd.members]


class HardSpecs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cmds, cls.stats = model()

    def cmd(self, struct):
        self.assertIn(struct, self.cmds)
        return self.cmds[struct]

    def test_set(self):
        c = self.cmd("Set")
        self.assertEqual(members(c), [
            ("key", "std::string_view", True), ("value", "std::string_view", True),
            ("condition", "valkey::Optional<Set::Condition>", False),
            ("expiration", "valkey::Optional<Set::Expiration>", False)])  # GET: its own entry point
        self.assertEqual(c.reply, "bool")  # commands/reply_overrides.json: written or not
        g = self.cmd("SetGet")
        self.assertNotIn("get", [m.name for m in g.members])  # GET always written
        self.assertEqual(g.reply, "std::optional<std::string>")
        types = {t[0] for t in c.types}
        self.assertIn("using Expiration = valkey::Choice<Ex, Px, Exat, Pxat, KeepTtl>;", types)
        self.assertIn("using Condition = valkey::Choice<Nx, Xx, IfEq>;", types)
        self.assertEqual(c.key_lines, ["cb(c.key);"])
        self.assertEqual(c.info["flags"], ["write", "denyoom"])

    def test_every_choice_has_one_form(self):
        # the same form as a choice with a valued alternative, so a server
        # that adds one adds a type instead of changing the choice's kind
        c = self.cmd("Expire")
        types = [t[0] for t in c.types]
        self.assertIn("using Gt = valkey::token::Gt;", types)  # valkey::gt is the alternative
        self.assertIn("using Condition = valkey::Choice<Nx, Xx, Gt, Lt>;", types)
        self.assertFalse(any(t.startswith("enum class") for t in types))
        m = self.cmd("Lmove")
        self.assertIn("using Left = valkey::token::Left;", [t[0] for t in m.types])  # valkey::left
        self.assertIn("using WhereFrom = valkey::Choice<Left, Right>;", [t[0] for t in m.types])
        self.assertIn(("where_from", "Lmove::WhereFrom", True), members(m))
        # a choice of plain tokens is written from its index, the tokens in
        # the order of the alternatives; one with a valued alternative keeps
        # a branch per alternative
        self.assertIn('token_of<"LEFT", "RIGHT">(c.where_from, s);', m.encode_lines)
        self.assertIn('if (c.unit) token_of<"m", "km", "ft", "mi">(*c.unit, s);',
                      self.cmd("Geodist").encode_lines)
        s = self.cmd("Set")
        self.assertIn("using Condition = valkey::Choice<Nx, Xx, IfEq>;", [t[0] for t in s.types])
        self.assertIn("  if (valkey::holds_alternative<Set::Nx>(*c.condition)) {", s.encode_lines)
        # XADD and XTRIM trim with the same types, ZRANGE and ZRANGESTORE
        # range with the same ones
        for struct in ("Xadd", "Xtrim"):
            types = [t[0] for t in self.cmd(struct).types]
            self.assertIn("using MaxLen = valkey::token::MaxLen;", types)
            self.assertIn("using Approximately = valkey::token::Approximately;", types)
        self.assertIn("using ByScore = valkey::token::ByScore;", [t[0] for t in self.cmd("Zrangestore").types])
        # a token with no short name is an empty struct of the command's own
        i = self.cmd("Linsert")
        self.assertIn("struct Before {};", [t[0] for t in i.types])
        self.assertIn("using Where = valkey::Choice<Before, After>;", [t[0] for t in i.types])
        self.assertIn(("by", "Geosearch::By", True), members(self.cmd("Geosearch")))
        # a required choice defaults to its first alternative, valued or not
        unit = next(x for x in self.cmd("Georadius").members if x.name == "unit")
        self.assertEqual(unit.default, " = {}")
        by = next(x for x in self.cmd("Geosearch").members if x.name == "by")
        self.assertEqual(by.default, " = {}")
        # the reference lists each alternative as a caller writes it
        from valkeygen import docs
        self.assertIn("`.unit` (`valkey::meters`, `valkey::kilometers`, `valkey::feet`, `valkey::miles`)",
                      docs.option_list(self.cmd("Geodist")))
        self.assertIn("`.condition` (`valkey::nx`, `valkey::xx`, `IfEq{...}`)", docs.option_list(self.cmd("Set")))

    def test_optional_members_read_as_written_by_hand(self):
        # one statement under an optional goes on the if's line; a held
        # value is read through * and ->, never as (*c.x) or (*c.x).y
        self.assertIn("if (c.username) s.arg(*c.username);", self.cmd("Auth").encode_lines)
        bitcount = self.cmd("Bitcount").encode_lines
        self.assertIn("  s.arg(c.range->start);", bitcount)
        self.assertIn('    if (c.range->end_unit->unit) token_of<"BYTE", "BIT">(*c.range->end_unit->unit, s);',
                      bitcount)
        # a token and its value keep their braces
        failover = self.cmd("Failover").encode_lines
        self.assertIn("if (c.milliseconds) {", failover)
        self.assertIn("  s.arg(c.milliseconds->count);", failover)
        for name, c in self.cmds.items():
            for line in c.encode_lines + c.key_lines:
                self.assertNotIn("((*", line, name)
                self.assertNotRegex(line, r"\(\*[\w.>-]+\)\.", name)

    def test_zadd(self):
        c = self.cmd("Zadd")
        data = next(m for m in c.members if m.name == "data")
        self.assertEqual(data.type, "valkey::View<std::pair<double, std::string_view>>")
        self.assertTrue(data.required)
        self.assertNotIn("increment", [m.name for m in c.members])  # INCR has its own entry point
        self.assertEqual(c.reply, "std::int64_t")
        incr = self.cmd("ZaddIncr")
        self.assertEqual(incr.reply, "std::optional<double>")
        self.assertIn('token<"INCR">(s);', incr.encode_lines)
        self.assertEqual(incr.method, "zadd_incr")

    def test_zrange(self):
        c = self.cmd("Zrange")
        self.assertEqual([m.type for m in c.required][1:], ["valkey::RangeBound", "valkey::RangeBound"])
        self.assertEqual(c.reply, "std::vector<std::string>")
        w = self.cmd("ZrangeWithScores")
        self.assertEqual(w.reply, "std::vector<std::pair<std::string, double>>")
        self.assertEqual(w.variant_of, "Zrange")
        self.assertNotIn("withscores", [m.name for m in w.members])
        self.assertEqual(self.cmd("Zcount").required[1].type, "valkey::ScoreBound")
        self.assertEqual(self.cmd("ZrangeByLex").required[1].type, "valkey::LexBound")

    def test_records(self):
        # object schemas: records nested in the command's struct, nested ones first
        shards = self.cmd("ClusterShards")
        self.assertEqual(shards.reply, "std::vector<ClusterShards::Record>")
        self.assertEqual([r.name for r in shards.records], ["Node", "Record"])
        node = dict((k, (m, t)) for m, k, t in shards.records[0].fields)
        self.assertEqual(node["tls-port"], ("tls_port", "std::int64_t"))
        self.assertEqual(node["health"], ("health", "std::string"))
        # XINFO STREAM: one oneOf alternative per entry point (reply override "alternative")
        summary, full = self.cmd("XinfoStream"), self.cmd("XinfoStreamFull")
        self.assertEqual(summary.reply, "XinfoStream::Record")
        self.assertNotIn("full", [m.name for m in summary.members])
        self.assertEqual(full.reply, "XinfoStreamFull::Record")
        self.assertEqual([r.name for r in full.records], ["Consumer", "Group", "Record"])
        self.assertEqual(dict((k, t) for _, k, t in full.records[-1].fields)["groups"],
                         "std::vector<XinfoStreamFull::Group>")
        # a map's values are named in the singular; a property no rule settles is a Reply member
        stats = self.cmd("FunctionStats")
        self.assertEqual(dict((k, t) for _, k, t in stats.records[-1].fields)["running_script"],
                         "std::optional<FunctionStats::RunningScript>")
        # ROLE: a hand-written record, by the override table
        self.assertEqual(self.cmd("Role").reply, "valkey::Role")
        self.assertEqual(self.cmd("Role").records, [])
        # records with open keys (MEMORY STATS' db.<n>) stay generic by the
        # rules; the override table maps them to a hand-written record
        from valkeygen import replies
        stats = self.cmd("MemoryStats")
        self.assertEqual(replies.reply_type(stats.reply_schema, "MemoryStats")[:3],
                         ("valkey::Reply", True, "record with open keys"))
        self.assertEqual(stats.reply, "valkey::MemoryStats")
        self.assertEqual(self.cmd("ClusterSlots").reply, "std::vector<valkey::ClusterSlotRange>")
        self.assertEqual(self.cmd("CommandInfo").reply, "std::vector<std::optional<valkey::ServerCommandInfo>>")
        # ACL LOG: the entries' record (alternative 0), RESET in its own entry
        # point; dropping RESET leaves a choice of one, which becomes COUNT itself
        log, reset = self.cmd("AclLog"), self.cmd("AclLogReset")
        self.assertEqual(log.reply, "std::vector<AclLog::Record>")
        self.assertEqual([(m.name, m.type) for m in log.members], [("count", "valkey::Optional<std::int64_t>")])
        self.assertEqual(log.find("count").path, "count")
        self.assertEqual(reset.reply, "valkey::Ok")
        self.assertEqual(reset.members, [])

    def test_geosearch_bypolygon(self):
        c = self.cmd("Geosearch")
        poly = c.find("by.polygon")
        count, vertices = poly.children
        self.assertEqual(count.count_of, "vertices")
        self.assertEqual(vertices.member, "vertices")
        self.assertEqual(vertices.type_ref, "std::pair<double, double>")
        self.assertIn("valkey::get_if<Geosearch::ByPolygon>", "\n".join(c.encode_lines))
        lines = [l.strip() for l in c.encode_lines]
        i = lines.index('token<"BYPOLYGON">(s);')
        self.assertEqual(lines[i + 1], "s.arg(static_cast<std::uint64_t>(v->vertices.size()));")
        self.assertIn("struct ByPolygon {", "\n".join(t[0] for t in c.types))
        d = self.cmd("GeosearchDetailed")
        self.assertIn("using ByBox = Geosearch::ByBox;", [t[0] for t in d.types])

    def test_client_kill(self):
        c = self.cmd("ClientKill")
        # the old form is the client_kill_addr entry point; the choice left
        # with the filters is the filters, a required block flattened into
        # the struct: every filter an optional member
        f = c.find("new-format")
        self.assertEqual(f.kind, "block")  # overlay: combinable filters
        self.assertFalse(f.multiple)
        ids = f.child("client-id")
        self.assertEqual((ids.repr, ids.member), ("view", "client_ids"))
        self.assertEqual(c.reply, "std::int64_t")
        self.assertEqual(c.required, [])
        self.assertIn("client_ids", [m.name for m in c.optional])
        addr = self.cmd("ClientKillAddr")
        self.assertEqual(addr.reply, "valkey::Ok")
        self.assertEqual([m.name for m in addr.members], ["addr"])
        self.assertEqual(c.method, "client_kill")
        self.assertEqual(c.name, "CLIENT KILL")
        # the name's two words are written by encode() with the header
        self.assertNotIn('token<"CLIENT">(s);', c.encode_lines)
        self.assertIsNone(c.fixed_argc)  # filters: any number of arguments
        self.assertEqual(self.cmd("Get").fixed_argc, 2)
        self.assertEqual(self.cmd("Hsetnx").fixed_argc, 4)
        self.assertIsNone(self.cmd("Set").fixed_argc)  # optional arguments

    def test_xadd(self):
        c = self.cmd("Xadd")
        self.assertEqual([m.name for m in c.required], ["key", "id_selector", "data"])
        self.assertEqual([m.name for m in c.optional], ["trim"])  # NOMKSTREAM: xadd_nomkstream
        self.assertEqual(c.reply, "std::string")
        n = self.cmd("XaddNoMkStream")
        self.assertNotIn("no_mk_stream", [m.name for m in n.members])  # NOMKSTREAM always written
        self.assertEqual(n.reply, "std::optional<std::string>")
        trim = c.find("trim")
        self.assertEqual(trim.child("operator").member, "operator_")  # C++ keyword
        self.assertEqual(c.find("id-selector").children[0].alt_type, "Xadd::AutoId")

    def test_xread(self):
        for name in ("Xread", "Xreadgroup"):
            c = self.cmd(name)
            keys = c.find("streams.key")
            ids = c.find("streams.ID")
            self.assertEqual((keys.member, ids.member), ("keys", "ids"))
            self.assertEqual(c.find("streams").repr, "flat")
            self.assertEqual(c.key_lines, ["c.keys.for_each([&](const auto& e) {", "  cb(e);", "});"])
            self.assertTrue(c.reply.startswith("std::optional<std::vector<std::pair<std::string, "))

    def test_bitfield_nesting(self):
        c = self.cmd("Bitfield")
        op = c.find("operation")
        self.assertEqual(op.repr, "view")
        self.assertEqual(op.type_ref, "Bitfield::Operation")
        write = op.child("write")
        self.assertEqual(write.repr, "alt_block")
        wo = write.child("write-operation")
        self.assertEqual([ch.alt_type for ch in wo.children], ["Bitfield::Set", "Bitfield::Incrby"])
        body = "\n".join(c.encode_lines)
        self.assertIn("valkey::get_if<Bitfield::Incrby>(&v->write_operation)", body)

    def test_sort(self):
        c = self.cmd("Sort")
        get = c.find("get-pattern")
        self.assertTrue(get.multiple_token)
        self.assertEqual(get.member, "get_patterns")
        self.assertEqual(c.find("sorting").member, "alpha")
        self.assertNotIn("destination", [m.name for m in c.members])
        st = self.cmd("SortStore")
        self.assertIn("destination", [m.name for m in st.required])
        self.assertEqual(st.reply, "std::int64_t")

    def test_migrate(self):
        c = self.cmd("Migrate")
        key = c.find("key")
        self.assertTrue(key.empty_is_absent)
        self.assertEqual([m.name for m in c.required], ["host", "port", "key", "destination_db", "timeout"])
        self.assertIn("if (!c.key.empty()) cb(c.key);", c.key_lines)

    def test_hsetex(self):
        c = self.cmd("Hsetex")
        n = c.find("fields.numfields")
        self.assertEqual(n.count_of, "data")
        self.assertIsNone(n.key_spec_index)
        self.assertEqual([m.name for m in c.required], ["key", "data"])
        self.assertEqual(c.reply, "bool")

    def test_cluster_setslot(self):
        c = self.cmd("ClusterSetSlot")
        self.assertEqual([m.name for m in c.required], ["slot", "subcommand"])
        sub = c.find("subcommand")
        self.assertEqual([ch.alt_type for ch in sub.children],
                         ["ClusterSetSlot::Importing", "ClusterSetSlot::Migrating", "ClusterSetSlot::Node",
                          "ClusterSetSlot::Stable"])
        self.assertEqual(c.reply, "valkey::Ok")

    def test_keynum_counts(self):
        for name in ("Eval", "Fcall", "Zunionstore", "Lmpop", "Sintercard", "Msetex"):
            c = self.cmd(name)
            counted = [a for a in c.walk() if a.count_of]
            self.assertEqual(len(counted), 1, name)
            self.assertNotIn("numkeys", [m.name for m in c.members], name)

    def test_scan_and_weights(self):
        self.assertEqual(self.cmd("Scan").required[0].type, "std::uint64_t")
        self.assertEqual(self.cmd("Zunionstore").find("weight").member, "weights")
        self.assertEqual(self.cmd("Zunionstore").optional[0].type, "valkey::View<double>")
        self.assertEqual(self.cmd("Zincrby").required[1].type, "double")

    def test_surface_exclusions(self):
        for name in ("Multi", "Exec", "Watch", "Subscribe", "Hello", "Auth", "Select", "Reset"):
            self.assertIsNotNone(self.cmd(name).surface_excluded, name)
        self.assertIsNone(self.cmd("Get").surface_excluded)

    def test_examples_respect_arity(self):
        from valkeygen import examples
        every = examples.build_examples(list(self.cmds.values()))
        exs = {x["struct"]: x for x in every if not x["variant"]}  # the base examples
        self.assertEqual(set(exs), set(self.cmds))
        notes = self.stats.get("arity_notes", {})
        for x in every:
            c = self.cmds[x["struct"]]
            n = len(x["argv"])
            if c.name in notes:
                continue
            if c.arity > 0:
                self.assertEqual(n, c.arity, f"{c.name}: {x['argv']}")
            else:
                self.assertGreaterEqual(n, -c.arity, f"{c.name}: {x['argv']}")
        self.assertEqual(exs["Zadd"]["argv"], ["ZADD", "key:1", "1.5", "member"])
        self.assertEqual(exs["Eval"]["argv"], ["EVAL", "return 1", "0"])
        self.assertEqual(exs["Xread"]["keys"], ["key:1"])

    def test_every_overlay_and_override_applies(self):
        # a stale entry (renamed or removed argument) would be skipped silently
        from valkeygen import build
        from valkeygen.model import apply_variant_transforms, clone, command_from_spec
        from spec_source import require_specs
        raw = {}
        for f, key, body in build.read_specs(require_specs(self)):
            c = command_from_spec(key, body, f)
            raw[c.name] = c
        args, replies = build.load_overlays(build.repo_root())
        for e in args:
            self.assertIn(e["command"], raw, e)
            raw[e["command"]].find(e["path"])  # raises when missing
        for e in replies:
            self.assertIn(e["command"], raw, e)
            # in order, as the generator applies them (a drop may collapse a
            # choice, so a later path names what is left): raises when missing
            apply_variant_transforms(clone(raw[e["command"]]), e)

    def test_containers_excluded_with_reason(self):
        self.assertIn("CLIENT", self.stats["excluded"])
        self.assertIn("container", self.stats["excluded"]["CLIENT"])


if __name__ == "__main__":
    unittest.main()
