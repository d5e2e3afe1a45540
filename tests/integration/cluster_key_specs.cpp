// The cluster router's key handling against a real valkey-server 9.1.2:
//   * the key-spec interpreter (valkey/cluster/key_specs.hpp) equals COMMAND
//     GETKEYS for every generated example invocation, and for hand-built
//     invocations with several keys or optional keys (the examples fill
//     required arguments only);
//   * the facts ServerCommands reads from COMMAND equal the generated table;
//   * hash_slot() equals CLUSTER KEYSLOT.
#include <catch2/catch_test_macros.hpp>

#include <map>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../../generated/examples/examples.hpp"
#include "spec_check_support.hpp"
#include "support/valkey_test.hpp"
#include "support/server_version.hpp"

#include <valkey/cluster/key_specs.hpp>
#include <valkey/cluster/slot.hpp>
#include <valkey/cluster/server_commands.hpp>
#include <valkey/command_table.hpp>

namespace sc = valkey::spec_check;
namespace vc = valkey::cluster;

namespace {

struct Invocation {
  std::string label;
  std::vector<std::string> argv;
};

// Invocations (by label; an example's label is its command name, a
// variant's its command name and the variant in parentheses) whose
// interpreted keys differ from COMMAND GETKEYS, and why. The interpreter
// reports each of them as not complete, so a router does not trust its keys;
// an entry that stops differing fails the test so it is removed.
const std::map<std::string, std::string>& exceptions() {
  static const std::map<std::string, std::string> known = {
      {"SORT",
       "SORT's second and third key specs (BY/GET patterns, STORE destination) have no begin/find description in "
       "the command specs, so every SORT is incomplete, even when GETKEYS names the same single key; with STORE "
       "the destination is missing"},
      {"SORT BY/GET/STORE", "as SORT: the STORE destination is not found (GETKEYS names it)"},
      {"SORT_RO", "as SORT: the BY/GET pattern spec has no description, so every SORT_RO is incomplete"},
      {"SORT_RO BY/GET", "as SORT_RO"},
      {"MIGRATE (opt keys)", "as MIGRATE empty key + KEYS: the example's KEYS form"},
      {"MIGRATE empty key + KEYS",
       "the KEYS spec is marked incomplete (a password after AUTH could read KEYS); the specs also name the empty "
       "key argument, which the server's own key code drops"},
  };
  return known;
}

std::string text(const std::vector<std::string>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + (v[i].empty() ? "\"\"" : sc::escape(v[i], 60));
  return s + "]";
}

struct Tally {
  int compared = 0, with_keys = 0, keyless = 0, both_invalid = 0, equal_with_keys = 0;
  std::vector<std::string> mismatches, exceptions_seen;
  std::set<std::string> exception_labels;
  std::map<std::string, std::vector<std::string>> not_compared;  // reason -> labels
};

void check(sc::Connection& conn, const Invocation& inv, Tally& t) {
  std::vector<std::string_view> argv(inv.argv.begin(), inv.argv.end());
  vc::KeyPositions ours = vc::key_positions(argv);
  std::vector<std::string> mine(ours.keys.begin(), ours.keys.end());

  std::vector<std::string> getkeys{"COMMAND", "GETKEYS"};
  getkeys.insert(getkeys.end(), inv.argv.begin(), inv.argv.end());
  valkey::Reply r = conn.command(getkeys);
  std::vector<std::string> theirs;
  bool server_none = false;
  if (r.is_error()) {
    std::string msg(r.error_message());
    if (msg.find("Invalid arguments specified") != std::string::npos) {
      // The server's specs do not fit these arguments either (PFMERGE
      // without source keys): the interpreter must say invalid.
      ++t.compared;
      ++t.both_invalid;
      if (ours.walk.status != vc::KeysStatus::invalid)
        t.mismatches.push_back(inv.label + ": COMMAND GETKEYS finds the arguments invalid, the interpreter says " +
                               std::string(vc::to_string(ours.walk.status)) + " " + text(mine));
      return;
    }
    if (msg.find("The command has no key arguments") == std::string::npos) {
      t.not_compared["COMMAND GETKEYS: " + msg].push_back(inv.label);
      return;
    }
    server_none = true;
  } else {
    for (const auto& k : r) theirs.emplace_back(k.as_string());
  }
  ++t.compared;
  if (server_none || theirs.empty()) ++t.keyless;
  else ++t.with_keys;

  const bool same = mine == theirs && ours.walk.status == vc::KeysStatus::complete;
  // An example variant ("SORT (opt limit)") is listed by its own label, or
  // under its command's name when every form of the command differs.
  auto known = exceptions().find(inv.label);
  if (known == exceptions().end()) known = exceptions().find(inv.label.substr(0, inv.label.find(" (")));
  if (known != exceptions().end()) {
    if (same) {
      t.mismatches.push_back(inv.label + ": listed as an exception but now equal to COMMAND GETKEYS " + text(theirs) +
                             "; remove it from exceptions()");
    } else if (ours.walk.status == vc::KeysStatus::complete) {
      t.mismatches.push_back(inv.label + ": an exception must not claim complete keys, got " + text(mine));
    } else {
      t.exception_labels.insert(inv.label);
      t.exceptions_seen.push_back(inv.label + ": interpreter " + std::string(vc::to_string(ours.walk.status)) + " " +
                                  text(mine) + ", GETKEYS " + text(theirs) + " (" + known->second + ")");
    }
    return;
  }
  if (same && !mine.empty()) ++t.equal_with_keys;
  if (!same) {
    t.mismatches.push_back(inv.label + ": interpreter " + std::string(vc::to_string(ours.walk.status)) + " " +
                           text(mine) + " but COMMAND GETKEYS " + (server_none ? "has no key arguments" : text(theirs)) +
                           " for argv " + text(inv.argv));
  }
}

std::vector<Invocation> examples() {
  std::vector<Invocation> out;
  valkey::examples::for_each_example([&](const valkey::examples::Example& e, const auto&) {
    std::string name(e.name);
    if (!e.variant.empty()) name += " (" + std::string(e.variant) + ")";
    out.push_back({std::move(name), std::vector<std::string>(e.argv.begin(), e.argv.end())});
  });
  return out;
}

// Several keys, optional keys and keyword searches the examples do not reach.
std::vector<Invocation> hand_built() {
  return {
      {"MGET 3", {"MGET", "a", "b", "c"}},
      {"MSET 2 pairs", {"MSET", "a", "1", "b", "2"}},
      {"MSETEX 2 pairs + XX EX", {"MSETEX", "2", "a", "1", "b", "2", "XX", "EX", "10"}},
      {"DEL repeated", {"DEL", "a", "b", "a"}},
      {"EVAL numkeys 2", {"EVAL", "return 1", "2", "a", "b", "x"}},
      {"EVAL numkeys 0", {"EVAL", "return 1", "0", "x"}},
      {"FCALL_RO numkeys 1", {"FCALL_RO", "f", "1", "a"}},
      {"ZUNIONSTORE dest + 2", {"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}},
      {"ZINTERCARD numkeys 2", {"ZINTERCARD", "2", "a", "b", "LIMIT", "3"}},
      {"SINTERCARD numkeys 3", {"SINTERCARD", "3", "a", "b", "c"}},
      {"LMPOP numkeys 2", {"LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2"}},
      {"BLMPOP numkeys 2", {"BLMPOP", "0", "2", "a", "b", "LEFT"}},
      {"ZMPOP numkeys 2", {"ZMPOP", "2", "a", "b", "MIN"}},
      {"BZMPOP numkeys 1", {"BZMPOP", "1", "1", "a", "MAX", "COUNT", "3"}},
      {"XREAD 2 streams", {"XREAD", "COUNT", "5", "STREAMS", "a", "b", "0", "0"}},
      {"XREAD BLOCK 3 streams", {"XREAD", "BLOCK", "10", "STREAMS", "a", "b", "c", "0", "0", "0"}},
      {"XREADGROUP 2 streams", {"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "a", "b", ">", ">"}},
      {"XREADGROUP key named STREAMS", {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "STREAMS", "0"}},
      {"GEORADIUS STORE", {"GEORADIUS", "a", "1", "2", "3", "m", "STORE", "d"}},
      {"GEORADIUS STOREDIST", {"GEORADIUS", "a", "1", "2", "3", "m", "COUNT", "2", "STOREDIST", "d"}},
      {"GEORADIUSBYMEMBER STORE", {"GEORADIUSBYMEMBER", "a", "m1", "3", "km", "STORE", "d"}},
      {"GEOSEARCHSTORE", {"GEOSEARCHSTORE", "d", "a", "FROMMEMBER", "m", "BYRADIUS", "1", "km"}},
      {"SORT BY/GET/STORE", {"SORT", "a", "BY", "w_*", "GET", "o_*", "STORE", "d"}},
      {"SORT_RO BY/GET", {"SORT_RO", "a", "BY", "w_*", "GET", "#"}},
      {"MIGRATE one key", {"MIGRATE", "127.0.0.1", "1", "k", "0", "1000"}},
      {"MIGRATE empty key + KEYS", {"MIGRATE", "127.0.0.1", "1", "", "0", "1000", "COPY", "KEYS", "a", "b"}},
      {"OBJECT ENCODING", {"OBJECT", "ENCODING", "a"}},
      {"MEMORY USAGE SAMPLES", {"MEMORY", "USAGE", "a", "SAMPLES", "0"}},
      {"BITOP dest + 2", {"BITOP", "AND", "d", "a", "b"}},
      {"BLPOP 2 keys", {"BLPOP", "a", "b", "0"}},
      {"LMOVE", {"LMOVE", "a", "b", "LEFT", "RIGHT"}},
      {"SET GET EX", {"set", "a", "v", "get", "ex", "10"}},
      {"WATCH 2", {"WATCH", "a", "b"}},
      {"PFCOUNT 2", {"PFCOUNT", "a", "b"}},
      {"SPUBLISH", {"SPUBLISH", "ch", "m"}},
      {"PING", {"PING"}},
  };
}

}  // namespace

TEST_CASE("cluster: the key-spec interpreter equals COMMAND GETKEYS on every example", "[spec][cluster]") {
  valkey::test::require_server(valkey::test::is_generated_from, "the examples are those of the server the specs come from");
  valkey::test::ServerOptions o;
  o.unix_socket = false;
  valkey::test::ServerProcess server{o};
  sc::Connection conn(server.port(), std::chrono::seconds(3));

  Tally ex, hb;
  const auto all = examples();
  for (const auto& inv : all) check(conn, inv, ex);
  for (const auto& inv : hand_built()) check(conn, inv, hb);

  std::string report = "key-spec interpreter vs COMMAND GETKEYS: " + std::to_string(ex.compared) + "/" +
                       std::to_string(all.size()) + " examples compared (" + std::to_string(ex.with_keys) +
                       " with keys, " + std::to_string(ex.equal_with_keys) + " of them equal, " + std::to_string(ex.keyless) + " without, " + std::to_string(ex.both_invalid) +
                       " found invalid by both), " + std::to_string(hb.compared) + " hand-built invocations (" +
                       std::to_string(hb.with_keys) + " with keys, " + std::to_string(hb.equal_with_keys) +
                       " of them equal); " +
                       std::to_string(ex.exceptions_seen.size() + hb.exceptions_seen.size()) +
                       " listed exceptions, " + std::to_string(ex.mismatches.size() + hb.mismatches.size()) +
                       " mismatches";
  for (const auto& e : ex.exceptions_seen) report += "\n  exception: " + e;
  for (const auto& e : hb.exceptions_seen) report += "\n  exception: " + e;
  for (const Tally* t : {&ex, &hb}) {
    for (const auto& [why, labels] : t->not_compared) {
      report += "\n  not compared (" + why + "): " + std::to_string(labels.size());
      for (std::size_t i = 0; i < labels.size() && i < 4; ++i) report += (i ? ", " : " (") + labels[i];
      report += labels.size() > 4 ? ", ...)" : ")";
    }
  }
  WARN(report);

  for (const auto& m : ex.mismatches) FAIL_CHECK(m);
  for (const auto& m : hb.mismatches) FAIL_CHECK(m);
  CHECK(ex.compared > 400);
  CHECK(ex.with_keys > 200);
  CHECK(hb.not_compared.empty());
  // Only the sentinel-only commands, which a plain server does not know, stay uncompared.
  for (const auto& [why, labels] : ex.not_compared)
    for (const auto& l : labels) CHECK(l.rfind("SENTINEL", 0) == 0);
  // Every listed exception was met.
  std::set<std::string> seen = ex.exception_labels;
  seen.insert(hb.exception_labels.begin(), hb.exception_labels.end());
  for (const auto& [label, why] : exceptions()) {
    INFO(label);
    CHECK(seen.count(label) == 1);
  }
}

namespace {

bool same_spec(const valkey::KeySpec& a, const valkey::KeySpec& b) {
  return a.begin == b.begin && a.begin_index == b.begin_index && a.keyword == b.keyword &&
         a.keyword_startfrom == b.keyword_startfrom && a.find == b.find && a.lastkey == b.lastkey &&
         a.keystep == b.keystep && a.limit == b.limit && a.keynumidx == b.keynumidx && a.firstkey == b.firstkey &&
         a.keynum_step == b.keynum_step && a.read == b.read && a.write == b.write && a.incomplete == b.incomplete;
}

}  // namespace

// The facts a router reads for module commands (ServerCommands, from the
// server's COMMAND reply) agree with the generated table on every built-in
// command: the two sources route alike.
TEST_CASE("cluster: COMMAND read at run time equals the generated table", "[spec][cluster]") {
  valkey::test::require_server(valkey::test::is_generated_from, "the generated table is that of the server the specs come from");
  valkey::test::ServerOptions o;
  o.unix_socket = false;
  valkey::test::ServerProcess server{o};
  for (int proto : {2, 3}) {
    INFO("RESP" << proto);
    sc::Connection conn(server.port(), std::chrono::seconds(3));
    if (proto == 3) REQUIRE_FALSE(conn.command({"HELLO", "3"}).is_error());
    vc::ServerCommands table;
    std::vector<std::string> errors;
    const std::size_t added = table.add(conn.command({"COMMAND"}), &errors);
    for (const auto& e : errors) FAIL_CHECK(e);
    CHECK(added > 380);
    int compared = 0;
    std::vector<std::string> absent;
    for (const valkey::CommandInfo* gen : valkey::all_commands()) {
      const valkey::CommandInfo* got = table.find(gen->name);
      if (!got) {
        absent.emplace_back(gen->name);
        continue;
      }
      INFO(gen->name);
      ++compared;
      CHECK(got->arity == gen->arity);
      CHECK(got->request_policy == gen->request_policy);
      CHECK(got->response_policy == gen->response_policy);
      CHECK(got->is(valkey::CommandFlag::readonly) == gen->is(valkey::CommandFlag::readonly));
      CHECK(got->is(valkey::CommandFlag::write) == gen->is(valkey::CommandFlag::write));
      REQUIRE(got->key_specs.size() == gen->key_specs.size());
      for (std::size_t i = 0; i < got->key_specs.size(); ++i) CHECK(same_spec(got->key_specs[i], gen->key_specs[i]));
    }
    std::string list;
    for (const auto& a : absent) list += (list.empty() ? "" : ", ") + a;
    WARN("RESP" << proto << ": " << compared << " commands of the generated table compared with COMMAND; "
                << absent.size() << " not on a plain server: " << list);
    CHECK(compared > 380);
    // Only sentinel-only commands may be missing from a plain server.
    for (const auto& a : absent) {
      INFO(a);
      CHECK(a.rfind("SENTINEL", 0) == 0);
    }
  }
}

// The slot a key routes to is the slot the server computes (CLUSTER KEYSLOT
// on a cluster-enabled node): hash-tag edge cases, binary bytes, and random
// keys full of braces.
TEST_CASE("cluster: hash_slot equals CLUSTER KEYSLOT", "[spec][cluster]") {
  valkey::test::ServerOptions o;
  o.unix_socket = false;
  o.cluster = true;
  valkey::test::ServerProcess server{o};
  sc::Connection conn(server.port(), std::chrono::seconds(3));
  std::vector<std::string> keys{"123456789", "{}", "{{a}}", "a{}{b}", "{a}b", "{a}c", "a{b", "", "}{", "{a",
                                "foo{bar}{zap}", "foo{{bar}}zap", "foo{}{bar}", std::string("\xff\x00{\x01}", 5)};
  std::mt19937 rng(20261202);
  const std::string alphabet("{}ab\x00\xff:", 7);
  for (int i = 0; i < 2000; ++i) {
    std::string k;
    const std::size_t len = rng() % 12;
    for (std::size_t j = 0; j < len; ++j) k += alphabet[rng() % alphabet.size()];
    keys.push_back(std::move(k));
  }
  int compared = 0;
  for (const auto& k : keys) {
    valkey::Reply r = conn.command({"CLUSTER", "KEYSLOT", k});
    INFO(sc::escape(k));
    REQUIRE(r.is_integer());
    CHECK(r.as_integer() == vc::hash_slot(k));
    ++compared;
  }
  WARN("hash_slot compared with CLUSTER KEYSLOT for " << compared << " keys");
}
