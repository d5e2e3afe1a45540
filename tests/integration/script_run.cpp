// valkey::Script (EVALSHA, NOSCRIPT -> load -> retry) and functions through
// the generated surface, against a real server.
#include <catch2/catch_test_macros.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/script.hpp>
#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::test::ServerProcess;

TEST_CASE("script: local SHA1 matches the server's", "[script]") {
  ServerProcess server;
  valkey::Script s{"return 1"};
  CHECK(s.sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  CHECK(server.command({"SCRIPT", "LOAD", "return 1"}).as_string() == s.sha1());
  CHECK(valkey::sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST_CASE("script: sync run loads on NOSCRIPT and retries once", "[script]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  const valkey::Script incr_by{"return redis.call('INCRBY', KEYS[1], ARGV[1])"};
  CHECK(server.command({"SCRIPT", "EXISTS", incr_by.sha1()}).elements.at(0).integer == 0);
  CHECK(incr_by.run<std::int64_t>(db, {"counter"}, {"5"}) == 5);
  CHECK(server.command({"SCRIPT", "EXISTS", incr_by.sha1()}).elements.at(0).integer == 1);
  CHECK(incr_by.run<std::int64_t>(db, {"counter"}, {"2"}) == 7);
  server.command({"SCRIPT", "FLUSH"});
  CHECK(incr_by.run<std::int64_t>(db, {"counter"}, {"1"}) == 8);  // reloaded transparently
  valkey::Reply r = incr_by.run(db, {"counter"}, {"1"});
  CHECK(r.as_integer() == 9);

  // a script error is reported, not retried forever
  const valkey::Script bad{"return redis.call('NOSUCH')"};
  std::error_code ec;
  valkey::Diagnostics diag;
  bad.run<valkey::Reply>(db, {}, {}, ec, diag);
  CHECK(ec == valkey::errc::server_error);
  CHECK_FALSE(diag.empty());
  const valkey::Script syntax{"this is not lua"};
  CHECK_THROWS_AS(syntax.run(db), valkey::ServerError);
}

TEST_CASE("script: async run with NOSCRIPT retry", "[script]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  const valkey::Script echo{"return {KEYS[1], ARGV[1]}"};
  std::vector<std::string> got;
  std::error_code bad_ec;
  valkey::Diagnostics diag;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    std::vector<std::string> keys{"k"}, args{"a"};
    got = co_await echo.async_run<std::vector<std::string>>(c, keys, args, asio::use_awaitable);
    const valkey::Script bad{"error('boom')"};
    auto [ec, r] = co_await bad.async_run<valkey::Reply>(c, keys, args, diag,
                                                         asio::experimental::as_tuple(asio::use_awaitable));
    bad_ec = ec;
    c.close();
  }, asio::detached);
  ioc.run();
  CHECK(got == std::vector<std::string>{"k", "a"});
  CHECK(bad_ec == valkey::errc::server_error);
  CHECK(diag.server_message.find("boom") != std::string::npos);
}

TEST_CASE("script: FUNCTION LOAD and FCALL / FCALL_RO through the generated surface", "[script]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  std::string lib =
      "#!lua name=mylib\n"
      "redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)\n"
      "redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) "
      "end, flags={'no-writes'}}\n";
  CHECK(db.function_load(lib) == "mylib");
  valkey::Reply n = db.fcall("bump", {.keys = {"ctr"}, .args = {"3"}});
  CHECK(n.as_integer() == 3);
  valkey::Reply v = db.fcall_ro("peek", {.keys = {"ctr"}});
  CHECK(v.as_string() == "3");
  CHECK_THROWS_AS(db.fcall("nosuchfunction"), valkey::ServerError);
}
