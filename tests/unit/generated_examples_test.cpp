// Every generated command struct, filled by its example invocation
// (generated/examples/examples.hpp), must encode to the argv the generator's
// model computed and report the keys the model expects, in order.
#include <catch2/catch_test_macros.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../../generated/examples/examples.hpp"
#include <valkey/command_table.hpp>

namespace {

std::string resp_of(std::span<const std::string_view> argv) {
  std::string out;
  valkey::resp::Writer w{out};
  w.begin_command(argv.size());
  for (auto a : argv) w.arg(a);
  return out;
}

}  // namespace

TEST_CASE("generated: every example encodes to its expected argv", "[generated][examples]") {
  std::size_t count = 0;
  valkey::examples::for_each_example([&](std::string_view name, const auto& cmd,
                                         std::span<const std::string_view> argv,
                                         std::span<const std::string_view> keys) {
    ++count;
    INFO("command " << name);
    std::string wire;
    valkey::resp::Writer w{wire};
    encode(cmd, w);
    CHECK(wire == resp_of(argv));

    std::vector<std::string> seen;
    auto collect = [&](std::string_view k) { seen.emplace_back(k); };
    for_each_key(cmd, collect);
    CHECK(seen == std::vector<std::string>(keys.begin(), keys.end()));

    // the info of a typed struct is the one the run-time table finds
    using C = std::remove_cvref_t<decltype(cmd)>;
    const valkey::CommandInfo* found = valkey::find_command(C::info.name);
    REQUIRE(found != nullptr);
    CHECK(found->name == C::info.name);
    CHECK(found->arity == C::info.arity);
  });
  CHECK(count > 400);
}
