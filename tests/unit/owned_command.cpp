// valkey::owned(cmd): the bytes and keys it keeps are the command's, and stay
// valid after the strings the command was built from are destroyed (under
// ASan, a view into them would be a heap-use-after-free here).
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <type_traits>
#include <vector>

#include <valkey/cmd/all.hpp>
#include <valkey/owned.hpp>

#include "encode_support.hpp"

namespace cmd = valkey::cmd;
using valkey::test::encoded;

namespace {

template <class C>
std::vector<std::string> keys_of(const C& c) {
  std::vector<std::string> keys;
  auto add = [&](std::string_view k) { keys.emplace_back(k); };
  for_each_key(c, add);
  return keys;
}

// Long enough to live on the heap, not in std::string's inline buffer.
std::string long_name(int n) { return "a-key-long-enough-to-leave-the-small-string-buffer:" + std::to_string(n); }

}  // namespace

static_assert(valkey::Command<valkey::Owned<cmd::Set>>);
static_assert(std::is_same_v<valkey::Owned<cmd::Set>::reply_type, cmd::Set::reply_type>);
static_assert(valkey::Owned<cmd::Mset>::info.name == cmd::Mset::info.name);

TEST_CASE("owned: the bytes and keys are the command's own", "[owned]") {
  const std::string key = long_name(1);
  const cmd::Set set{.key = key, .value = "v", .condition = cmd::Set::Nx{}};
  const auto o = valkey::owned(set);
  CHECK(o.bytes() == encoded(set));
  CHECK(encoded(o) == encoded(set));
  CHECK(keys_of(o) == keys_of(set));
  CHECK(keys_of(o) == std::vector<std::string>{key});
}

TEST_CASE("owned: commands outlive the strings they were built from", "[owned]") {
  std::vector<valkey::Owned<cmd::Set>> writes;
  for (int n = 0; n < 20; ++n) {  // the vector grows: every Owned is moved at least once
    const std::string key = long_name(n), value = "value:" + std::to_string(n);
    writes.push_back(valkey::owned(cmd::Set{.key = key, .value = value}));
  }  // key and value are destroyed here
  for (int n = 0; n < 20; ++n) {
    const std::string key = long_name(n), value = "value:" + std::to_string(n);
    CHECK(writes[static_cast<std::size_t>(n)].bytes() == encoded(cmd::Set{.key = key, .value = value}));
    CHECK(keys_of(writes[static_cast<std::size_t>(n)]) == std::vector<std::string>{key});
  }
}

TEST_CASE("owned: MSET keeps its keys, not its values, in argv order", "[owned]") {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  const std::vector<std::string> names{long_name(1), long_name(2), "k3"};
  for (const auto& k : names) pairs.emplace_back(k, "value");
  const auto o = valkey::owned(cmd::Mset{.data = pairs});
  CHECK(keys_of(o) == names);
  const auto none = valkey::owned(cmd::Ping{});
  CHECK(keys_of(none).empty());
  CHECK(none.bytes() == "*1\r\n$4\r\nPING\r\n");
}
