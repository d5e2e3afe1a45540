// The generated commands verified against a real valkey-server 9.1.2. For
// every example invocation of generated/examples/examples.hpp (a base
// example per struct plus a variant per optional argument and per
// alternative of a choice):
//   * the encoder's bytes equal the argv the generator built from the spec
//     order (values of different arguments differ, so swapped arguments fail);
//   * the keys COMMAND GETKEYS finds in those bytes equal for_each_key and the
//     spec's keys, in order;
//   * the server's argument parser accepts the bytes, and the server executes
//     the command (a run-time refusal is allowed only for listed reasons);
//   * the server's real reply decodes into the struct's reply_type through
//     adapt::ResponseVisitor, over RESP2 and over RESP3 (HELLO 3).
// Every command must be executed by at least one of its examples, or be in
// the exceptions table with its reason. Throwaway servers only (one per
// command group, a cluster-enabled one, a sentinel); the skip list and the
// accepted run-time errors are in spec_check_support.cpp, the figures in
// docs/verification.md.
#include <catch2/catch_test_macros.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "../../generated/examples/examples.hpp"
#include "support/swapped_encoders.hpp"
#include "spec_check_support.hpp"
#include "support/valkey_test.hpp"
#include "support/server_version.hpp"

#include <valkey/adapt/response.hpp>
#include <valkey/resp/parser.hpp>

namespace sc = valkey::spec_check;
using valkey::Reply;

namespace {

template <class T>
sc::DecodeOutcome decode_as(std::string_view message) {
  valkey::resp::Parser parser;
  valkey::adapt::ResponseVisitor<T> visitor;
  std::error_code ec;
  parser.consume(message, visitor, ec);
  if (ec) return {ec, {}};
  if (!visitor.complete()) return {make_error_code(valkey::errc::protocol_error), {}};
  return {visitor.error_code(), visitor.server_message()};
}

template <class C>
std::string wire_of(const C& cmd) {
  std::string out;
  valkey::resp::Writer w{out};
  encode(cmd, w);
  return out;
}

// The struct actually sent: blocking commands get a short timeout (an empty
// key would block forever with 0), and addresses point at our own throwaway
// servers instead of the examples' 127.0.0.1:6379 (which may be anyone's).
template <class C>
std::string adjust(C& run, const sc::Targets& t) {
  namespace cmd = valkey::cmd;
  std::string why;
  if constexpr (requires { run.timeout; }) {
    if (C::info.is(valkey::CommandFlag::blocking)) {
      if constexpr (std::is_same_v<decltype(run.timeout), double>) {
        run.timeout = 0.05;
        why = "timeout 0.05 s";
      } else if constexpr (std::is_constructible_v<decltype(run.timeout), std::int64_t>) {
        run.timeout = decltype(run.timeout)(10);  // WAIT, WAITAOF: milliseconds
        why = "timeout 10 ms";
      } else {
        why = "timeout NOT shortened (unknown type): the 3 s read timeout applies";
      }
    }
  }
  if constexpr (std::is_same_v<C, cmd::Migrate>) {
    run.port = t.aux_port;
    run.timeout = 1000;
    why = "port of a throwaway target server";
  }
  if constexpr (std::is_same_v<C, cmd::ClusterMeet>) {
    run.port = t.cluster_port;
    run.cluster_bus_port = t.cluster_bus_port;
    why = "the cluster server's own address";
  }
  if constexpr (std::is_same_v<C, cmd::Restore> || std::is_same_v<C, cmd::RestoreAsking>) {
    run.serialized_value = t.dump_payload;
    why = "a real DUMP payload";
  }
  if constexpr (std::is_same_v<C, cmd::FunctionRestore>) {
    run.serialized_value = t.function_payload;
    why = "a real FUNCTION DUMP payload";
  }
  if constexpr (std::is_same_v<C, cmd::ClusterCountFailureReports> || std::is_same_v<C, cmd::ClusterReplicas> ||
                std::is_same_v<C, cmd::ClusterSlaves>) {
    run.node_id = t.cluster_node_id;
    why = "the cluster server's own node id";
  }
  if constexpr (std::is_same_v<C, cmd::ClusterSetSlot>) {
    if (auto* node = valkey::get_if<cmd::ClusterSetSlot::Node>(&run.subcommand)) {
      node->node = t.cluster_node_id;
      why = "the cluster server's own node id";
    }
  }
  if constexpr (std::is_same_v<C, cmd::SentinelMonitor>) {
    run.port = t.aux_port;
    why = "port of a throwaway primary";
  }
  return why;
}

std::string resp_of(std::span<const std::string_view> argv) {
  std::string out;
  valkey::resp::Writer w{out};
  w.begin_command(argv.size());
  for (auto a : argv) w.arg(a);
  return out;
}

template <class C>
sc::Example example_of(const valkey::examples::Example& x, const C& cmd, const sc::Targets& targets) {
  using R = typename C::reply_type;
  sc::Example e;
  e.name = std::string(x.name);
  e.variant = std::string(x.variant);
  for (auto c : x.covers) e.covers.emplace_back(c);
  e.struct_label = sc::demangle(typeid(C).name());  // replaced by name (+ struct) in collect()
  e.group = std::string(C::info.group);
  e.reply_type = sc::demangle(typeid(R).name());
  e.typed = !std::is_same_v<R, valkey::Reply>;
  e.blocking = C::info.is(valkey::CommandFlag::blocking);
  e.argv.assign(x.argv.begin(), x.argv.end());
  e.expected_keys.assign(x.keys.begin(), x.keys.end());
  auto walk = [&](std::string_view k) { e.walked_keys.emplace_back(k); };
  for_each_key(cmd, walk);
  e.wire = wire_of(cmd);
  e.expected_wire = resp_of(x.argv);
  C run = cmd;  // the views still point at the example's (live) data
  e.adjusted = adjust(run, targets);
  e.run_wire = wire_of(run);
  e.decode = &decode_as<R>;
  return e;
}

void name_labels(std::vector<sc::Example>& out) {
  std::map<std::string, std::set<std::string>> structs;  // name -> struct types
  for (const auto& e : out) structs[e.name].insert(e.struct_label);
  for (auto& e : out) {
    std::string type = e.struct_label.substr(e.struct_label.rfind(':') + 1);
    e.struct_label = structs[e.name].size() > 1 ? e.name + " (" + type + ")" : e.name;
    e.label = e.variant.empty() ? e.struct_label : e.struct_label + " {" + e.variant + "}";
  }
}

std::vector<sc::Example> collect(const sc::Targets& targets) {
  std::vector<sc::Example> out;
  valkey::examples::for_each_example(
      [&](const valkey::examples::Example& x, const auto& cmd) { out.push_back(example_of(x, cmd, targets)); });
  name_labels(out);
  return out;
}

const sc::Figures& figures() {
  static const sc::Figures f = sc::run_all(&collect);
  return f;
}

}  // namespace

// One test case (ctest runs each test case in its own process; the run over
// all examples takes seconds and is shared by the sections).
TEST_CASE("spec: generated commands against valkey-server 9.1.2", "[spec]") {
  valkey::test::require_server(valkey::test::is_generated_from, "the generated commands are checked against the server their specs come from");
  const auto& f = figures();
  WARN(sc::summary(f));
  if (const char* path = std::getenv("VALKEY_SPEC_REPORT")) {
    std::ofstream(path) << sc::details(f);
  }
  CHECK(f.examples == valkey::examples::example_count);
  CHECK(f.variants > 500);
  CHECK(f.commands > 380);

  SECTION("the encoder's bytes equal the argv built from the spec order") {
    for (const auto& m : f.encoding_mismatches) FAIL_CHECK(m);
    CHECK(f.encoding_verified == f.examples);
  }
  SECTION("COMMAND GETKEYS on the encoded bytes equals for_each_key and the spec's keys") {
    for (const auto& m : f.key_mismatches) FAIL_CHECK(m);
    // Most examples with keys must really have been compared.
    CHECK(f.keys_verified + f.key_mismatches.size() >= f.keys_with_keys * 9 / 10);
    CHECK(f.keys_verified > 400);
  }
  SECTION("every example passes the server's argument parser") {
    for (const auto& m : f.syntax_failures) FAIL_CHECK(m);
    for (const auto& m : f.run_failures) FAIL_CHECK(m);
    CHECK(f.syntax_verified > 800);
  }
  SECTION("every optional argument and every alternative reached the server's parser") {
    for (const auto& [target, reached] : f.targets) {
      bool listed = sc::exceptions().count(target) > 0;
      if (reached == sc::Reached::refused && !listed) FAIL_CHECK(target << ": refused by the parser in every example");
      if (reached != sc::Reached::refused && listed) FAIL_CHECK(target << ": accepted now; remove it from sc::exceptions()");
    }
  }
  SECTION("every command is executed by an example, or is an exception with a reason") {
    for (const auto& [name, ran] : f.command_executed) {
      bool listed = sc::exceptions().count(name) > 0;
      if (!ran && !listed) FAIL_CHECK(name << ": no example executed and no reason in sc::exceptions()");
      bool content = f.command_with_content.count(name) && f.command_with_content.at(name);
      if (ran && !content && !listed) FAIL_CHECK(name << ": every reply was null or empty and no reason in sc::exceptions()");
      if (ran && content && listed) FAIL_CHECK(name << ": executed with a reply now; remove it from sc::exceptions()");
    }
  }
  SECTION("typed replies decode the server's real replies over RESP2 and RESP3") {
    for (const auto& m : f.decode_failures) FAIL_CHECK(m);
    CHECK(f.replies_typed_verified[0] > 700);
    CHECK(f.replies_typed_verified[1] > 700);
  }
}

// The checks above must be able to fail: a reply of the wrong shape is a
// decoding error, a refused invocation is a syntax error, an unknown error is
// not silently accepted.
TEST_CASE("spec: the checks detect a wrong reply type and a refused invocation", "[spec]") {
  valkey::test::ServerOptions o;
  o.unix_socket = false;
  valkey::test::ServerProcess server{o};
  sc::Connection c(server.port(), std::chrono::seconds(3));
  REQUIRE(!c.command({"SET", "k", "abc"}).is_error());

  c.send(sc::encode_argv({"GET", "k"}));
  std::string get = c.read_message();
  CHECK(!decode_as<std::string>(get).ec);
  auto as_int = decode_as<std::int64_t>(get);
  CHECK((as_int.ec == valkey::errc::invalid_number || as_int.ec == valkey::errc::unexpected_reply_type));
  CHECK(decode_as<std::vector<std::string>>(get).ec == valkey::errc::unexpected_reply_type);

  Reply refused = c.command({"SET", "k", "v", "NOSUCHOPTION"});
  REQUIRE(refused.is_error());
  CHECK(sc::classify_error(refused.error_message()).kind == sc::ErrorKind::syntax);
  Reply arity = c.command({"GET"});
  REQUIRE(arity.is_error());
  CHECK(sc::classify_error(arity.error_message()).kind == sc::ErrorKind::syntax);
  Reply wrongtype = c.command({"LPUSH", "k", "x"});
  REQUIRE(wrongtype.is_error());
  CHECK(sc::classify_error(wrongtype.error_message()).kind == sc::ErrorKind::acceptable);
  CHECK(sc::classify_error("ERR something nobody listed").kind == sc::ErrorKind::unlisted);
}

// An encoder with two arguments of the same type written in the wrong order
// (the generated encoder's body, swapped by hand) fails the same verification
// the examples go through: the bytes differ from the spec-order argv, and for
// two keys COMMAND GETKEYS on those bytes reports them in the wrong order.
// The server's reply depends on the order too.
namespace {

using valkey::test::wire_with;
using valkey::test::write_getrange_swapped;
using valkey::test::write_lmove_swapped;

}  // namespace

TEST_CASE("spec: an encoder that swaps two same-typed arguments fails the verification", "[spec]") {
  namespace cmd = valkey::cmd;
  valkey::test::ServerOptions o;
  o.unix_socket = false;
  valkey::test::ServerProcess server{o};
  sc::Connection c(server.port(), std::chrono::seconds(3));
  int checked = 0;
  valkey::examples::for_each_example([&](const valkey::examples::Example& x, const auto& example) {
    using C = std::remove_cvref_t<decltype(example)>;
    if constexpr (std::is_same_v<C, cmd::Getrange> || std::is_same_v<C, cmd::Lmove>) {
      if (!x.variant.empty()) return;
      sc::Example good = example_of(x, example, sc::Targets{});
      good.label = good.name;
      sc::OfflineVerdict ok = sc::verify_encoding_and_keys(c, good);
      CHECK(ok.encoding_failure.empty());
      CHECK(ok.key_failures.empty());

      sc::Example bad = good;
      if constexpr (std::is_same_v<C, cmd::Getrange>) {
        bad.wire = wire_with(example, [](const auto& v, auto& s) { write_getrange_swapped(v, s); });
        REQUIRE(!c.command({"SET", "key:1", "abcdef"}).is_error());
      } else {
        bad.wire = wire_with(example, [](const auto& v, auto& s) { write_lmove_swapped(v, s); });
        REQUIRE(!c.command({"RPUSH", "key:1", "a", "b"}).is_error());
      }
      sc::OfflineVerdict v = sc::verify_encoding_and_keys(c, bad);
      INFO("swapped " << good.name << ": " << sc::escape(bad.wire));
      CHECK(!v.encoding_failure.empty());
      if constexpr (std::is_same_v<C, cmd::Lmove>) CHECK(!v.key_failures.empty());

      // the server answers the swapped bytes differently
      c.send(good.wire);
      std::string right = c.read_message();
      c.command({"FLUSHALL"});
      if constexpr (std::is_same_v<C, cmd::Getrange>) c.command({"SET", "key:1", "abcdef"});
      else c.command({"RPUSH", "key:1", "a", "b"});
      c.send(bad.wire);
      std::string wrong = c.read_message();
      CHECK(right != wrong);
      c.command({"FLUSHALL"});
      ++checked;
    }
  });
  CHECK(checked == 2);
}
