// The clients' cache plumbing without a server: replies recorded node by node
// come back byte for byte, writes evict their keys, invalidation pushes reach
// the store, the handshake turns tracking on, and a cached read's decoder
// stores only what it may.
#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <string>
#include <utility>

#include <valkey/cache/cacheable.hpp>
#include <valkey/cache/cached.hpp>
#include <valkey/cache/client_hooks.hpp>
#include <valkey/cache/read.hpp>
#include <valkey/client.hpp>
#include <valkey/config.hpp>
#include <valkey/resp/parser.hpp>

#include "cache_support.hpp"
#include "../../runtime/src/io/handshake.hpp"

using cache_test::bulk;
using cache_test::cached;
using cache_test::fill;
using cache_test::request;
using valkey::CacheConfig;
using valkey::CacheStore;

namespace {

struct Recorder final : valkey::resp::Visitor {
  std::string out;
  void on_node(const valkey::resp::Node& n) override { valkey::cache_detail::record_node(out, n); }
};

std::string rerecord(std::string_view wire) {
  Recorder r;
  valkey::resp::Parser p;
  std::error_code ec;
  const std::size_t used = p.consume(wire, r, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(used == wire.size());
  return r.out;
}

// Feeds a push message to the handler.
void push(valkey::cache_detail::InvalidationHandler& h, std::string_view wire) {
  valkey::resp::Parser p;
  std::error_code ec;
  p.consume(wire, h, ec);
  REQUIRE_FALSE(ec);
}

template <class H, class C>
concept can_exec = requires(H& h, const C& c) { h.exec(c); };

}  // namespace

TEST_CASE("cache hooks: a reply recorded from its nodes is the bytes the server sent", "[cache]") {
  for (std::string_view wire : {
           std::string_view("$5\r\nhello\r\n"),
           std::string_view("_\r\n"),
           std::string_view(":-42\r\n"),
           std::string_view("+OK\r\n"),
           std::string_view(",3.25\r\n"),
           std::string_view("#t\r\n"),
           std::string_view("(12345678901234567890\r\n"),
           std::string_view("=8\r\ntxt:abcd\r\n"),
           std::string_view("*3\r\n$1\r\na\r\n_\r\n*0\r\n"),
           std::string_view("%1\r\n$1\r\nf\r\n~2\r\n:1\r\n:2\r\n"),
           std::string_view("|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n"),
           std::string_view("$0\r\n\r\n"),
       }) {
    CHECK(rerecord(wire) == wire);
  }
}

TEST_CASE("cache hooks: writes evict their keys, reads do not, FLUSHALL flushes", "[cache]") {
  CacheStore store(CacheConfig{});
  for (auto k : {"a", "b", "c", "d"}) REQUIRE(fill(store, k, "v") == valkey::CacheInsert::stored);
  valkey::cache_detail::evict_written_in(store, request({"GET", "a"}) + request({"MGET", "a", "b"}));
  CHECK(store.stats().entries == 4);
  // A pipeline: SET a, then MSET b c (keys from the key specs), then a module command.
  valkey::cache_detail::evict_written_in(
      store, request({"SET", "a", "1"}) + request({"MSET", "b", "1", "c", "2"}) + request({"MODULE.CMD", "d"}));
  CHECK(cached(store, "a") == "<miss>");
  CHECK(cached(store, "b") == "<miss>");
  CHECK(cached(store, "c") == "<miss>");
  CHECK(cached(store, "d") == bulk("v"));
  CHECK(store.stats().write_evictions == 3);
  valkey::cache_detail::evict_written_in(store, request({"flushall"}));
  CHECK(store.stats().entries == 0);
  CHECK(store.stats().flushes == 1);
}

TEST_CASE("cache hooks: invalidation pushes drop keys; a null one flushes; other pushes are ignored", "[cache]") {
  CacheStore store(CacheConfig{});
  valkey::Config config;
  valkey::cache_detail::InvalidationHandler h(store, config);
  for (auto k : {"a", "b", "c"}) REQUIRE(fill(store, k, "v") == valkey::CacheInsert::stored);
  push(h, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\na\r\n");
  CHECK(store.stats().entries == 3);
  push(h, ">2\r\n$10\r\ninvalidate\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  CHECK(cached(store, "a") == "<miss>");
  CHECK(cached(store, "b") == "<miss>");
  CHECK(cached(store, "c") == bulk("v"));
  CHECK(store.stats().invalidations == 2);
  push(h, ">2\r\n$10\r\ninvalidate\r\n_\r\n");
  CHECK(store.stats().entries == 0);
  CHECK(store.stats().flushes == 1);
}

TEST_CASE("cache hooks: the handshake turns tracking on for a cache", "[cache]") {
  valkey::Config c;
  c.cache = CacheConfig{};
  auto last = [](const std::vector<valkey::io::HandshakeCommand>& plan) { return plan.back().args; };
  CHECK(last(valkey::io::plan_handshake(c, false, true)) ==
        std::vector<std::string>{"CLIENT", "TRACKING", "ON", "OPTIN"});
  CHECK(last(valkey::io::plan_handshake(c, false, false))[1] != "TRACKING");
  c.cache->mode = valkey::CacheMode::bcast;
  c.cache->prefixes = {"user:", "item:"};
  CHECK(last(valkey::io::plan_handshake(c, false, true)) ==
        std::vector<std::string>{"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "item:"});
  // A refusal fails the handshake with the server's words.
  const auto v = valkey::io::judge_handshake({{valkey::io::StepKind::tracking, true, "ERR nope"}});
  CHECK(v.ec == valkey::errc::handshake_failed);
  CHECK(v.message.find("CLIENT TRACKING refused") != std::string::npos);
}

TEST_CASE("cache hooks: Config::validate refuses a cache on RESP2 and a bad CacheConfig", "[cache]") {
  valkey::Config c;
  c.cache = CacheConfig{};
  std::string why;
  CHECK_FALSE(c.validate(why));
  c.protocol = valkey::Protocol::resp2;
  CHECK(c.validate(why) == valkey::errc::invalid_argument);
  CHECK(why.find("Config::cache needs protocol resp3") != std::string::npos);
  c.protocol = valkey::Protocol::resp3;
  c.cache->max_bytes = 0;
  CHECK(c.validate(why) == valkey::errc::invalid_argument);
  CHECK(why.find("max_bytes") != std::string::npos);
}

TEST_CASE("cache hooks: a cached read's decoder stores the read, not CLIENT CACHING's +OK or PTTL", "[cache]") {
  CacheStore store(CacheConfig{});
  const std::string req = request({"GET", "k"});
  auto run = [&](std::string_view wire, bool optin, bool pttl) {
    valkey::cache_detail::CachedRead<std::optional<std::string>> d;
    valkey::cache_detail::Insert ins;
    ins.store = &store;
    ins.ticket = store.begin_read("k");
    ins.request = req;
    d.arm(valkey::cache_detail::ReadFrame{optin, pttl, "k"}, std::move(ins));
    struct Feed final : valkey::resp::Visitor {
      valkey::cache_detail::CachedRead<std::optional<std::string>>& d;
      explicit Feed(valkey::cache_detail::CachedRead<std::optional<std::string>>& x) : d(x) {}
      void on_node(const valkey::resp::Node& n) override { d.on_node(n); }
      void on_message_end() override { d.on_reply_end(); }
    } feed{d};
    valkey::resp::Parser p;
    while (!wire.empty()) {
      std::error_code ec;
      const std::size_t used = p.consume(wire, feed, ec);
      REQUIRE_FALSE(ec);
      wire.remove_prefix(used);
    }
    std::optional<std::string> out;
    valkey::exec::Reason why;
    CHECK_FALSE(d.finish(out, why));
    return std::make_pair(out, d.last());
  };
  auto [v1, r1] = run("+OK\r\n$2\r\nv1\r\n:-1\r\n", true, true);
  CHECK(v1 == "v1");
  CHECK(r1 == valkey::CacheInsert::stored);
  CHECK(cached(store, "k") == bulk("v1"));
  // Tracking refused (CLIENT CACHING failed): returned, not stored.
  store.flush_all(valkey::FlushReason::user);
  auto [v2, r2] = run("-ERR tracking off\r\n$2\r\nv2\r\n", true, false);
  CHECK(v2 == "v2");
  CHECK(r2 == valkey::CacheInsert::untracked);
  CHECK(cached(store, "k") == "<miss>");
  // A key with 0 ms left is past its deadline at once.
  auto [v3, r3] = run("$2\r\nv3\r\n:0\r\n", false, true);
  CHECK(v3 == "v3");
  CHECK(r3 == valkey::CacheInsert::expired);
}

TEST_CASE("cache hooks: only cacheable commands (and MGET) compile on the cached surface", "[cache]") {
  STATIC_REQUIRE(valkey::cache_detail::CachedCommand<valkey::cmd::Get>);
  STATIC_REQUIRE(valkey::cache_detail::CachedCommand<valkey::cmd::Hgetall>);
  STATIC_REQUIRE(valkey::cache_detail::CachedCommand<valkey::cmd::Mget>);
  STATIC_REQUIRE_FALSE(valkey::cache_detail::CachedCommand<valkey::cmd::Set>);
  STATIC_REQUIRE_FALSE(valkey::cache_detail::CachedCommand<valkey::cmd::Incr>);
  STATIC_REQUIRE_FALSE(valkey::cache_detail::CachedCommand<valkey::cmd::Srandmember>);
  STATIC_REQUIRE_FALSE(valkey::cache_detail::CachedCommand<valkey::cmd::Blpop>);
  using Handle = valkey::Cached<valkey::Client>;
  STATIC_REQUIRE(can_exec<Handle, valkey::cmd::Get>);
  STATIC_REQUIRE(can_exec<Handle, valkey::cmd::Mget>);
  STATIC_REQUIRE_FALSE(can_exec<Handle, valkey::cmd::Set>);
  STATIC_REQUIRE_FALSE(can_exec<Handle, valkey::cmd::Incr>);
}

TEST_CASE("cache hooks: a stored bulk string is decoded without the parser, anything else is not", "[cache]") {
  using valkey::cache_detail::bulk_string;
  std::string_view out = "before";
  CHECK(bulk_string("$5\r\nhello\r\n", out));
  CHECK(out == "hello");
  CHECK(bulk_string("$0\r\n\r\n", out));
  CHECK(out.empty());
  CHECK(bulk_string("$11\r\nhas\r\ninside\r\n", out));  // binary-safe
  CHECK(out == "has\r\ninside");
  out = "kept";
  CHECK_FALSE(bulk_string("_\r\n", out));            // null: the parser decides
  CHECK_FALSE(bulk_string("*1\r\n$1\r\na\r\n", out));  // an aggregate
  CHECK_FALSE(bulk_string("$5\r\nhell\r\n", out));     // a length that does not add up
  CHECK_FALSE(bulk_string("$\r\nx\r\n", out));         // no length
  CHECK_FALSE(bulk_string("$-1\r\n", out));            // RESP2 nil
  CHECK(out == "kept");

  // Through a store, as a hit: std::optional<std::string> and std::string.
  valkey::CacheStore store{valkey::CacheConfig{.max_bytes = 1 << 20}};
  auto ticket = store.begin_read("k");
  REQUIRE(store.complete_read(std::move(ticket), "GET k", "$3\r\nabc\r\n") == valkey::CacheInsert::stored);
  std::optional<std::string> v;
  CHECK(valkey::cache_detail::lookup(store, "GET k", v));
  CHECK(v == std::optional<std::string>{"abc"});
  std::string s;
  CHECK(valkey::cache_detail::lookup(store, "GET k", s));
  CHECK(s == "abc");
  CHECK_FALSE(valkey::cache_detail::lookup(store, "GET other", s));
}
