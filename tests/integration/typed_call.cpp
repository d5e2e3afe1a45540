// call<R>(args) and exec<R>(cmd): a reply decoded into the type the caller
// names, on both protocols, sync, async, in pipelines; a reply that does not
// fit R fails with a decode error and the connection stays in sync.
#include <catch2/catch_test_macros.hpp>

#include <future>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::test::ServerProcess;
using StringMap = std::map<std::string, std::string>;

// The cluster clients take the same forms (checked here without a cluster).
static_assert(std::is_same_v<decltype(std::declval<valkey::ClusterClient&>().call<std::int64_t>({"INCR", "k"})),
                             std::int64_t>);
static_assert(std::is_same_v<decltype(std::declval<valkey::ClusterClient&>().exec<StringMap>(
                                 valkey::cmd::Hgetall{.key = "h"})),
                             StringMap>);

TEST_CASE("typed call: call<R> and exec<R> decode into the named type on RESP3 and RESP2", "[typed-call]") {
  ServerProcess server;
  for (auto protocol : {valkey::Protocol::resp3, valkey::Protocol::resp2}) {
    DYNAMIC_SECTION((protocol == valkey::Protocol::resp3 ? "RESP3" : "RESP2")) {
      auto cfg = valkey::Config::from_url(server.url());
      cfg.protocol = protocol;
      valkey::Client db{cfg};
      db.del({"n", "h", "s"});

      std::int64_t n = db.call<std::int64_t>({"INCRBY", "n", "5"});
      CHECK(n == 5);
      db.hset("h", {{"a", "1"}, {"b", "2"}});
      StringMap m = db.call<StringMap>({"HGETALL", "h"});
      CHECK(m == StringMap{{"a", "1"}, {"b", "2"}});
      auto um = db.exec<std::unordered_map<std::string, std::string>>(valkey::cmd::Hgetall{.key = "h"});
      CHECK(um.size() == 2);
      CHECK(um.at("b") == "2");
      auto sm = db.exec<StringMap>(valkey::cmd::Hgetall{.key = "h"});
      CHECK(sm == m);
      db.sadd("s", {"x", "y", "x"});
      CHECK(db.call<std::set<std::string>>({"SMEMBERS", "s"}) == std::set<std::string>{"x", "y"});
      CHECK(db.call<std::optional<std::string>>({"GET", "missing"}) == std::nullopt);
      // The default stays valkey::Reply.
      valkey::Reply r = db.call({"GET", "n"});
      CHECK(r.as_string() == "5");
    }
  }
}

TEST_CASE("typed call: a reply that does not fit R is a decode error, and the connection goes on", "[typed-call]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  db.set("word", "abc");
  std::error_code ec;
  valkey::Diagnostics diag;
  std::int64_t n = db.call<std::int64_t>({"GET", "word"}, ec, diag);
  CHECK(ec);
  CHECK(ec != valkey::errc::server_error);
  CHECK(n == 0);
  CHECK_FALSE(diag.message.empty());
  CHECK(db.call<std::string>({"GET", "word"}) == "abc");
  // An error reply is still a server error, whatever R is.
  db.call<std::int64_t>({"INCR", "word"}, ec, diag);
  CHECK(ec == valkey::errc::server_error);
  CHECK(diag.prefix() == "ERR");
}

TEST_CASE("typed call: async clients and pipelines take the same forms", "[typed-call]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  auto incr = c.call<std::int64_t>({"INCR", "counter"}, asio::use_future);
  auto all = c.exec<StringMap>(valkey::cmd::Hgetall{.key = "nothing"}, asio::use_future);
  ioc.run_for(std::chrono::milliseconds(50));
  while (incr.wait_for(std::chrono::seconds(0)) != std::future_status::ready ||
         all.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    ioc.run_one_for(std::chrono::seconds(5));
  }
  CHECK(incr.get() == 1);
  CHECK(all.get().empty());
  c.close();
  ioc.run();

  valkey::Client db{server.url()};
  db.hset("h", {{"f", "v"}});
  auto [a, b, r] = db.pipeline().call<std::int64_t>({"INCR", "counter"}).exec<StringMap>(valkey::cmd::Hgetall{.key = "h"}).get("h2").exec();
  static_assert(std::is_same_v<decltype(a), std::int64_t>);
  static_assert(std::is_same_v<decltype(b), StringMap>);
  CHECK(a == 2);
  CHECK(b == StringMap{{"f", "v"}});
  CHECK_FALSE(r);
}
