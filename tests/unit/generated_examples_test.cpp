// Every generated command struct, filled by its example invocations
// (generated/examples/examples.hpp: a base example plus one variant per
// optional argument and per alternative), must encode to the argv the
// generator built from the spec order and report the keys the spec expects,
// in order. The argv is built by the generator's example code, not by the
// encoder it generates, and the values of different arguments differ, so an
// encoder that writes two arguments in the wrong order fails here (the last
// test case shows it with deliberately swapped encoders).
#include <catch2/catch_test_macros.hpp>

#include <cstddef>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../../generated/examples/examples.hpp"
#include "../support/swapped_encoders.hpp"
#include <valkey/cluster/route.hpp>
#include <valkey/command_table.hpp>

namespace {

std::string resp_of(std::span<const std::string_view> argv) {
  std::string out;
  valkey::resp::Writer w{out};
  w.begin_command(argv.size());
  for (auto a : argv) w.arg(a);
  return out;
}

// The check every example goes through: the encoder's bytes against the
// expected argv. Empty when they agree.
std::string encoding_mismatch(std::string_view wire, std::span<const std::string_view> argv) {
  std::string want = resp_of(argv);
  if (wire == want) return {};
  return "encoder wrote " + std::string(wire) + " but the spec order gives " + want;
}

template <class C>
std::string wire_of(const C& cmd) {
  std::string wire;
  valkey::resp::Writer w{wire};
  encode(cmd, w);
  return wire;
}

}  // namespace

TEST_CASE("generated: every example encodes to its expected argv", "[generated][examples]") {
  namespace vc = valkey::cluster;
  std::size_t count = 0, variants = 0, presolved = 0;
  std::set<std::string> covered;
  valkey::examples::for_each_example([&](const valkey::examples::Example& e, const auto& cmd) {
    ++count;
    if (!e.variant.empty()) ++variants;
    INFO("command " << e.name << (e.variant.empty() ? "" : " variant ") << e.variant);
    CHECK(encoding_mismatch(wire_of(cmd), e.argv).empty());

    std::vector<std::string> seen;
    auto collect = [&](std::string_view k) { seen.emplace_back(k); };
    for_each_key(cmd, collect);
    CHECK(seen == std::vector<std::string>(e.keys.begin(), e.keys.end()));

    // the info of a typed struct is the one the run-time table finds
    using C = std::remove_cvref_t<decltype(cmd)>;

    // The cluster clients route a typed command with its keys at fixed
    // positions by the slot its struct names (cluster/run.hpp): the slot the
    // key specs find in its arguments.
    const vc::Route routed = vc::route(C::info, e.argv);
    if (const int fixed = vc::fixed_key_slot(cmd); fixed >= 0) {
      ++presolved;
      CHECK(routed.kind == vc::RouteKind::slot);
      CHECK(routed.slot == fixed);
    } else if (vc::fixed_key_positions(C::info) && seen.size() == C::info.key_specs.size()) {
      CHECK(routed.kind != vc::RouteKind::slot);  // keys in several slots
    }
    const valkey::CommandInfo* found = valkey::find_command(C::info.name);
    REQUIRE(found != nullptr);
    CHECK(found->name == C::info.name);
    CHECK(found->arity == C::info.arity);
    for (auto c : e.covers) covered.insert(std::string(C::info.name) + " " + std::string(c));
  });
  CHECK(count == valkey::examples::example_count);
  CHECK(count > 900);
  CHECK(variants > 500);
  // optional arguments and alternatives switched on by some variant (an
  // entry point's forced or required ones, GEORADIUS' WITH* and STORE, are in
  // its base example and count for nothing here): 588 with the 9.1.2 specs
  CHECK(covered.size() > 580);
  CHECK(presolved > 250);
}

// The swapped-argument demonstration: the generated encoder's body with two
// arguments of the same type written in the wrong order, run through the same
// check as above against the same examples. Both are caught because the
// example gives the two arguments different values.
namespace {

using valkey::test::wire_with;
using valkey::test::write_getrange_swapped;
using valkey::test::write_lmove_swapped;

}  // namespace

TEST_CASE("generated: an encoder that swaps two same-typed arguments fails the example check",
          "[generated][examples]") {
  namespace cmd = valkey::cmd;
  int checked = 0;
  valkey::examples::for_each_example([&](const valkey::examples::Example& e, const auto& c) {
    using C = std::remove_cvref_t<decltype(c)>;
    if constexpr (std::is_same_v<C, cmd::Getrange>) {
      CHECK(encoding_mismatch(wire_of(c), e.argv).empty());  // the generated encoder passes
      std::string swapped = wire_with(c, [](const auto& x, auto& s) { write_getrange_swapped(x, s); });
      CHECK_FALSE(encoding_mismatch(swapped, e.argv).empty());  // the swapped one does not
      ++checked;
    }
    if constexpr (std::is_same_v<C, cmd::Lmove>) {
      CHECK(encoding_mismatch(wire_of(c), e.argv).empty());
      std::string swapped = wire_with(c, [](const auto& x, auto& s) { write_lmove_swapped(x, s); });
      CHECK_FALSE(encoding_mismatch(swapped, e.argv).empty());
      ++checked;
    }
  });
  CHECK(checked >= 2);
}
