// Which commands the client-side cache may answer, from the generated metadata.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <string_view>

#include <valkey/cache/cacheable.hpp>
#include <valkey/cmd/all.hpp>
#include <valkey/command_table.hpp>

namespace {

// The predicate is usable at compile time, in requires clauses.
static_assert(valkey::CacheableCommand<valkey::cmd::Get>);
static_assert(valkey::CacheableCommand<valkey::cmd::Hgetall>);
static_assert(!valkey::CacheableCommand<valkey::cmd::Mget>);
static_assert(!valkey::CacheableCommand<valkey::cmd::Blpop>);
static_assert(!valkey::CacheableCommand<valkey::cmd::Srandmember>);
static_assert(!valkey::CacheableCommand<int>);

template <class C>
  requires valkey::CacheableCommand<C>
constexpr bool only_cacheable() { return true; }
static_assert(only_cacheable<valkey::cmd::Lrange>());

bool cacheable(std::string_view name) {
  const valkey::CommandInfo* info = valkey::find_command(name);
  INFO(name);
  REQUIRE(info != nullptr);
  return valkey::is_cacheable(*info);
}

}  // namespace

TEST_CASE("cacheable: single-key deterministic reads are cacheable", "[cache]") {
  for (std::string_view name : {"GET", "HGETALL", "HGET", "HMGET", "HLEN", "LRANGE", "LINDEX", "LLEN", "SMEMBERS",
                                "SISMEMBER", "SCARD", "ZRANGE", "ZSCORE", "ZCARD", "STRLEN", "GETRANGE", "TYPE",
                                "BITCOUNT", "XRANGE", "GEOPOS", "JSON.GET"}) {
    if (name == "JSON.GET" && valkey::find_command(name) == nullptr) continue;  // module command, maybe unknown
    CHECK(cacheable(name));
  }
}

TEST_CASE("cacheable: several keys, nondeterministic, blocking and keyless commands are not", "[cache]") {
  // several keys
  for (std::string_view name : {"MGET", "EXISTS", "SUNION", "SINTER", "ZUNION", "LCS"}) CHECK_FALSE(cacheable(name));
  // nondeterministic output: another answer without any write
  for (std::string_view name : {"RANDOMKEY", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER", "TTL", "PTTL", "SSCAN"})
    CHECK_FALSE(cacheable(name));
  // blocking, keyless, writes, keys found by keyword
  for (std::string_view name : {"BLPOP", "BZPOPMIN", "TIME", "PING", "DBSIZE", "SET", "GETEX", "GETDEL", "INCR",
                                "XREAD", "SORT", "SORT_RO"})
    CHECK_FALSE(cacheable(name));
  // container subcommands resolve too
  CHECK_FALSE(cacheable("OBJECT IDLETIME"));
  // time-relative or sampled replies the metadata does not mark
  for (std::string_view name : {"HTTL", "HPTTL", "MEMORY USAGE"}) CHECK_FALSE(cacheable(name));
}

TEST_CASE("cacheable: every cacheable command reads exactly one key at a fixed position", "[cache]") {
  int count = 0;
  for (const valkey::CommandInfo* info : valkey::all_commands()) {
    if (!valkey::is_cacheable(*info)) continue;
    ++count;
    INFO(std::string(info->name));
    CHECK(info->is(valkey::CommandFlag::readonly));
    CHECK_FALSE(info->is(valkey::CommandFlag::write));
    CHECK_FALSE(info->is(valkey::CommandFlag::blocking));
    CHECK_FALSE(info->nondeterministic_output);
    REQUIRE(info->key_specs.size() == 1);
    CHECK(info->key_specs[0].begin == valkey::KeySpec::Begin::index);
    CHECK(info->key_specs[0].lastkey == 0);
  }
  CHECK(count > 40);  // the string, hash, list, set, zset, stream, geo, bitmap reads
}
