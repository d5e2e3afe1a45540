// Lifetimes of what a command struct views (docs/commands.md, "Lifetimes").
//
// A struct declared on its own refuses a temporary string, a temporary
// container and a braced list for its own string and list members (they would
// be gone before it is sent): checked here at the type level, and by real
// compiles of such declarations that must fail (tests/compile_fail). The forms
// that build the command inside the call (the generated methods, Options,
// nested types) still take temporaries and write the right bytes.
#include <catch2/catch_test_macros.hpp>

#include <map>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <valkey/arg.hpp>
#include <valkey/commands.hpp>
#include <valkey/owned.hpp>

#include "encode_support.hpp"

namespace cmd = valkey::cmd;
using valkey::test::encoded;

namespace {

// Whether `.key = k` (k of type K, with K's value category) may initialise the
// member of a declared struct; concepts, so a refused form is a false, not an
// error. Class templates over the struct keep the requirements dependent.
template <class C, class K>
concept key_from = requires(K&& k) { C{.key = static_cast<K&&>(k)}; };
template <class C, class L>
concept keys_from = requires(L&& l) { C{.keys = static_cast<L&&>(l)}; };
template <class C>
concept keys_from_braced_list = requires { C{.keys = {"a", "b"}}; };
template <class C>
concept keys_from_empty_braces = requires { C{.keys = {}}; };
template <class C>
concept data_from_braced_pairs = requires { C{.key = "h", .data = {{"f", "v"}}}; };
template <class C, class P>
concept pattern_from = requires(P&& p) { C{.pattern = static_cast<P&&>(p)}; };

}  // namespace

// The snippet, `cmd::Set s{.key = "k:" + std::to_string(n), ...}`, is
// a std::string prvalue: refused. A named string, a literal or a view is not.
static_assert(!key_from<cmd::Set, std::string>);
static_assert(!key_from<cmd::Set, std::string&&>);
static_assert(!key_from<cmd::Set, const std::string&&>);
static_assert(!key_from<cmd::Get, std::pmr::string>);
static_assert(key_from<cmd::Set, std::string&>);
static_assert(key_from<cmd::Set, const std::string&>);
static_assert(key_from<cmd::Set, const char*>);
static_assert(key_from<cmd::Set, const char (&)[4]>);
static_assert(key_from<cmd::Set, std::string_view>);
static_assert(key_from<cmd::Get, std::pmr::string&>);

// Lists: a braced list's array and a temporary container die with the
// declaration; a View prvalue may view either, so it is refused too. A named
// container or View, and an empty list, are taken.
static_assert(!keys_from_braced_list<cmd::Mget>);
static_assert(!keys_from<cmd::Mget, std::vector<std::string>>);
static_assert(!keys_from<cmd::Mget, std::vector<std::string_view>&&>);
static_assert(!keys_from<cmd::Mget, valkey::Strings>);
static_assert(!keys_from<cmd::Mget, std::span<const std::string>>);
static_assert(!data_from_braced_pairs<cmd::Hset>);
static_assert(keys_from<cmd::Mget, std::vector<std::string>&>);
static_assert(keys_from<cmd::Mget, const std::vector<std::string_view>&>);
static_assert(keys_from<cmd::Mget, valkey::Strings&>);
static_assert(keys_from<cmd::Mget, const std::string_view (&)[2]>);
static_assert(keys_from_empty_braces<cmd::Mget>);

// Optional string members: valkey::Optional<valkey::Arg>, refused alike.
static_assert(!pattern_from<cmd::Scan, std::string>);
static_assert(pattern_from<cmd::Scan, std::string&>);
// Options are built inside a call (db.scan(0, {.pattern = prefix + "*"})):
// plain views, temporaries taken.
static_assert(pattern_from<cmd::Scan::Options, std::string>);

// What the members are: views with nothing added.
static_assert(std::is_same_v<decltype(cmd::Set::key), valkey::Arg>);
static_assert(std::is_same_v<decltype(cmd::Mget::keys), valkey::ArgList<std::string_view>>);
static_assert(std::is_same_v<decltype(cmd::Scan::Options::pattern), valkey::Optional<std::string_view>>);
static_assert(std::is_trivially_copyable_v<valkey::Arg> && sizeof(valkey::Arg) == sizeof(std::string_view));
static_assert(std::is_trivially_copyable_v<cmd::Get> && sizeof(cmd::Get) == sizeof(std::string_view));
static_assert(std::is_trivially_copyable_v<cmd::Mget> && sizeof(cmd::Mget) == sizeof(valkey::Strings));
static_assert(std::is_aggregate_v<cmd::Set> && std::is_aggregate_v<cmd::Mget>);
static_assert(std::is_convertible_v<valkey::Arg, std::string_view>);

namespace {

struct Recorder : valkey::Commands<Recorder> {
  std::string wire;

  template <valkey::Command C, class... Tail>
  int exec(const C& c, Tail&&...) {
    wire = encoded(c);
    return 0;
  }
};

// Long enough to live on the heap: under ASan a view of a dead one is a
// heap-use-after-free, not a read of a still-intact inline buffer.
std::string heap_string(std::string_view prefix, int n) {
  return std::string(prefix) + "-long-enough-to-leave-the-small-string-buffer:" + std::to_string(n);
}

}  // namespace

TEST_CASE("lifetimes: the methods take temporaries, built and encoded inside the call", "[lifetimes]") {
  Recorder r;
  const int n = 7;
  const std::string key = heap_string("k", n);

  r.set(heap_string("k", n), "v");
  CHECK(r.wire == encoded(cmd::Set{.key = key, .value = "v"}));

  const std::vector<std::string> names{heap_string("a", 1), heap_string("b", 2)};
  r.mget(std::vector<std::string>{heap_string("a", 1), heap_string("b", 2)});
  CHECK(r.wire == encoded(cmd::Mget{.keys = names}));

  const std::string_view ab[] = {"a", "b"};
  r.mget({"a", "b"});
  CHECK(r.wire == encoded(cmd::Mget{.keys = ab}));

  // the single-element overloads view a one-element array of their own
  const std::string_view one[] = {key};
  r.del(heap_string("k", n));
  CHECK(r.wire == encoded(cmd::Del{.keys = one}));
  const std::pair<std::string_view, std::string_view> field[] = {{"f", key}};
  r.hset("h", "f", heap_string("k", n));
  CHECK(r.wire == encoded(cmd::Hset{.key = "h", .data = field}));

  // Options and nested types keep plain views: temporaries inside the call
  const std::string expected = heap_string("old", n);
  r.set(key, "v", {.condition = cmd::Set::IfEq{heap_string("old", n)}});
  CHECK(r.wire == encoded(cmd::Set{.key = key, .value = "v", .condition = cmd::Set::IfEq{expected}}));
  const std::string prefix = heap_string("user", n);
  r.scan(0, {.pattern = prefix + "*"});
  const std::string pattern = prefix + "*";
  CHECK(r.wire == encoded(cmd::Scan{.cursor = 0, .pattern = pattern}));
}

TEST_CASE("lifetimes: a declared struct views named strings and containers", "[lifetimes]") {
  const std::string key = heap_string("k", 1);
  const std::vector<std::string> keys{heap_string("a", 1), heap_string("b", 2)};
  const std::map<std::string, std::string> fields{{"f1", heap_string("v", 1)}, {"f2", "v2"}};
  const valkey::Strings view = keys;

  const cmd::Set set{.key = key, .value = "v"};
  const cmd::Mget from_vector{.keys = keys};
  const cmd::Mget from_view{.keys = view};
  const cmd::Hset from_map{.key = key, .data = fields};

  Recorder r;
  r.set(key, "v");
  CHECK(encoded(set) == r.wire);
  r.mget(keys);
  CHECK(encoded(from_vector) == r.wire);
  CHECK(encoded(from_view) == r.wire);
  r.hset(key, fields);
  CHECK(encoded(from_map) == r.wire);

  // Arg is a std::string_view: its members and comparisons are string_view's
  CHECK(set.key == key);
  CHECK(set.key.size() == key.size());
  CHECK(std::string(set.key) == key);
  std::vector<std::string> walked;
  auto add = [&](std::string_view k) { walked.emplace_back(k); };
  for_each_key(from_vector, add);
  CHECK(walked == keys);
}

TEST_CASE("lifetimes: owned() keeps a struct built from named strings after they are gone", "[lifetimes]") {
  std::vector<valkey::Owned<cmd::Set>> writes;
  for (int n = 0; n < 3; ++n) {
    const std::string key = heap_string("k", n);
    writes.push_back(valkey::owned(cmd::Set{.key = key, .value = "v"}));
  }  // each key is destroyed here
  for (int n = 0; n < 3; ++n) {
    const std::string key = heap_string("k", n);
    CHECK(writes[static_cast<std::size_t>(n)].bytes() == encoded(cmd::Set{.key = key, .value = "v"}));
  }
}
