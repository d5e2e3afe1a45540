// Config::retry and Client::with() against a scripted server that drops the
// connection after reading a command: what is sent again, what is not, and
// what the caller is told (docs/resilience.md).
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <thread>

#include <asio/io_context.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/scripted_server.hpp"

using namespace std::chrono_literals;
using valkey::test::ScriptedServer;

namespace {

valkey::Config config_for(const ScriptedServer& s) {
  auto c = valkey::Config::from_url(s.url());
  c.reconnect.initial_delay = 5ms;
  c.reconnect.max_delay = 20ms;
  c.health_check_interval = 0ms;
  c.max_connections = 1;
  return c;
}

valkey::policy::RetryPolicy quick_retry(int attempts = 3) {
  valkey::policy::RetryPolicy p;
  p.max_attempts = attempts;
  p.base = 5ms;
  p.max = 20ms;
  return p;
}

// Drops the first connection after reading the first GET/INCR on it; answers
// on later connections.
std::string drop_first(const std::vector<std::string>& a, int connection) {
  if (a[0] == "GET" || a[0] == "INCR") {
    if (connection == 1) return std::string(ScriptedServer::kClose);
    return a[0] == "GET" ? "$5\r\nvalue\r\n" : ":1\r\n";
  }
  return ScriptedServer::standard(a);
}

}  // namespace

TEST_CASE("retry: a GET whose connection drops after the write is sent again and succeeds", "[policy][retry]") {
  ScriptedServer server(drop_first);
  auto cfg = config_for(server);
  cfg.retry = quick_retry();
  valkey::Client db{cfg};
  CHECK(db.get("k") == std::optional<std::string>("value"));
  CHECK(server.seen("GET") == 2);
  CHECK(server.connections() == 2);
}

TEST_CASE("retry: an INCR whose connection drops after the write fails with unknown_outcome, sent once",
          "[policy][retry]") {
  ScriptedServer server(drop_first);
  auto cfg = config_for(server);
  cfg.retry = quick_retry();
  valkey::Client db{cfg};
  std::error_code ec;
  valkey::Diagnostics diag;
  db.incr("n", ec, diag);
  CHECK(ec == valkey::errc::unknown_outcome);
  CHECK(diag.outcome == valkey::policy::Outcome::sent_no_reply);
  CHECK(diag.message.find("INCR on ") == 0);
  CHECK(diag.message.find("connection lost") != std::string::npos);
  CHECK(server.seen("INCR") == 1);
  // the next connection answers
  CHECK(db.incr("n") == 1);
  CHECK(server.seen("INCR") == 2);
}

TEST_CASE("retry: without a policy nothing is resent; the outcome is in the Diagnostics", "[policy][retry]") {
  ScriptedServer server(drop_first);
  valkey::Client db{config_for(server)};
  std::error_code ec;
  valkey::Diagnostics diag;
  db.get("k", ec, diag);
  CHECK(ec == valkey::errc::connection_lost);
  CHECK(diag.outcome == valkey::policy::Outcome::sent_no_reply);
  CHECK(server.seen("GET") == 1);
  // a server error is an answer
  db.call({"NOSUCH"}, ec, diag);
  CHECK(ec == valkey::errc::server_error);
  CHECK(diag.outcome == valkey::policy::Outcome::server_error);
  db.get("k", ec, diag);
  CHECK_FALSE(ec);
  CHECK(diag.outcome == valkey::policy::Outcome::ok);
}

TEST_CASE("retry: per-call options retry on a client without a policy, and mark a call idempotent",
          "[policy][retry][with]") {
  ScriptedServer server([](const std::vector<std::string>& a, int connection) -> std::string {
    // The first two EVALs are dropped, later ones answered.
    static std::atomic<int> evals{0};
    if (a[0] == "EVAL") return ++evals <= 2 ? std::string(ScriptedServer::kClose) : ":7\r\n";
    return drop_first(a, connection);
  });
  valkey::Client db{config_for(server)};
  CHECK(db.with({.retry = quick_retry()}).get("k") == std::optional<std::string>("value"));
  CHECK(server.seen("GET") == 2);
  // EVAL is never idempotent by itself...
  std::error_code ec;
  db.with({.retry = quick_retry()}).call<std::int64_t>({"EVAL", "return 7", "0"}, ec);
  CHECK(ec == valkey::errc::unknown_outcome);
  CHECK(server.seen("EVAL") == 1);
  // ...unless the caller says so
  CHECK(db.with({.retry = quick_retry(), .idempotent = true}).call<std::int64_t>({"EVAL", "return 7", "0"}) == 7);
  CHECK(server.seen("EVAL") == 3);
}

TEST_CASE("retry: marking a blocking command idempotent is refused", "[policy][retry][with]") {
  ScriptedServer server(drop_first);
  valkey::Client db{config_for(server)};
  std::error_code ec;
  valkey::Diagnostics diag;
  db.with({.idempotent = true}).blpop({"list"}, 0.1, ec, diag);
  CHECK(ec == valkey::errc::invalid_argument);
  CHECK(diag.message.find("blocking command") != std::string::npos);
  CHECK(server.seen("BLPOP") == 0);
}

TEST_CASE("retry: a per-call timeout bounds a call on a client without request_timeout", "[policy][with]") {
  ScriptedServer server([](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "GET") return "";  // never answers
    return ScriptedServer::standard(a);
  });
  valkey::Client db{config_for(server)};
  std::error_code ec;
  valkey::Diagnostics diag;
  const auto start = std::chrono::steady_clock::now();
  db.with({.timeout = 50ms}).get("k", ec, diag);
  CHECK(ec == valkey::errc::timeout);
  CHECK(diag.outcome == valkey::policy::Outcome::sent_no_reply);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("retry: a request that fails unsent while disconnected is retried, even a write", "[policy][retry]") {
  // Connection 1 drops on DROPME; connections 2 and 3 drop at the handshake;
  // from connection 4 on everything is answered.
  ScriptedServer server([](const std::vector<std::string>& a, int connection) -> std::string {
    if (a[0] == "DROPME") return std::string(ScriptedServer::kClose);
    if (a[0] == "HELLO" && (connection == 2 || connection == 3)) return std::string(ScriptedServer::kClose);
    if (a[0] == "INCR") return ":1\r\n";
    return ScriptedServer::standard(a);
  });
  auto cfg = config_for(server);
  cfg.when_disconnected = valkey::DisconnectedPolicy::fail;  // fail at once: not_connected, never written
  cfg.retry = quick_retry(20);
  cfg.retry->max = 50ms;
  valkey::Client db{cfg};
  std::error_code ec;
  db.with({.retry = valkey::retry::none}).call({"DROPME"}, ec);
  CHECK(ec == valkey::errc::connection_lost);
  CHECK(db.incr("n") == 1);
  CHECK(server.seen("INCR") == 1);
  CHECK(server.connections() >= 4);
}

TEST_CASE("retry: LOADING is retried until the budget ends", "[policy][retry][budget]") {
  ScriptedServer server([](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "GET") return "-LOADING Valkey is loading the dataset in memory\r\n";
    return ScriptedServer::standard(a);
  });
  auto cfg = config_for(server);
  valkey::policy::RetryPolicy p;
  p.max_attempts = 100;
  p.base = 0ms;
  p.max = 0ms;
  p.budget.ratio = 0.0;
  p.budget.per_second = 5.0;  // over a 1 s window: 5 retries
  p.budget.window = 1s;
  cfg.retry = p;
  valkey::Client db{cfg};
  std::error_code ec;
  valkey::Diagnostics diag;
  db.get("k", ec, diag);
  CHECK(ec == valkey::errc::server_error);
  CHECK(diag.prefix() == "LOADING");
  CHECK(diag.outcome == valkey::policy::Outcome::server_error);
  CHECK(server.seen("GET") == 6);  // the first attempt and the budget's 5
  // the budget is the client's: the next call gets no retry
  db.get("k", ec);
  CHECK(server.seen("GET") == 7);
}

TEST_CASE("retry: async GET retried, INCR unknown_outcome", "[policy][retry][async]") {
  ScriptedServer server(drop_first);
  auto cfg = config_for(server);
  cfg.retry = quick_retry();
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), cfg};
  std::error_code get_ec, incr_ec;
  std::optional<std::string> got;
  valkey::Diagnostics diag;
  int done = 0;
  c.get("k", [&](std::error_code ec, std::optional<std::string> v) {
    get_ec = ec;
    got = std::move(v);
    ++done;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done == 1; }, 10s));
  CHECK_FALSE(get_ec);
  CHECK(got == std::optional<std::string>("value"));
  CHECK(server.seen("GET") == 2);

  // a fresh client: its first connection drops the INCR
  ScriptedServer server2(drop_first);
  auto cfg2 = config_for(server2);
  cfg2.retry = quick_retry();
  valkey::AsyncClient c2{ioc.get_executor(), cfg2};
  c2.incr("n", diag, [&](std::error_code ec, std::int64_t) {
    incr_ec = ec;
    ++done;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done == 2; }, 10s));
  CHECK(incr_ec == valkey::errc::unknown_outcome);
  CHECK(diag.outcome == valkey::policy::Outcome::sent_no_reply);
  CHECK(server2.seen("INCR") == 1);

  // per-call options on the async client
  ScriptedServer server3(drop_first);
  valkey::AsyncClient c3{ioc.get_executor(), config_for(server3)};
  std::optional<std::string> got3;
  c3.with({.retry = quick_retry()}).get("k", [&](std::error_code ec, std::optional<std::string> v) {
    CHECK_FALSE(ec);
    got3 = std::move(v);
    ++done;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done == 3; }, 10s));
  CHECK(got3 == std::optional<std::string>("value"));
  CHECK(server3.seen("GET") == 2);
}

TEST_CASE("retry: async LOADING retries end with the budget; a cancelled backoff completes once",
          "[policy][retry][async]") {
  ScriptedServer server([](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "GET") return "-LOADING Valkey is loading the dataset in memory\r\n";
    return ScriptedServer::standard(a);
  });
  auto cfg = config_for(server);
  valkey::policy::RetryPolicy p;
  p.max_attempts = 100;
  p.base = 0ms;
  p.max = 0ms;
  p.budget.ratio = 0.0;
  p.budget.per_second = 3.0;
  p.budget.window = 1s;
  cfg.retry = p;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), cfg};
  valkey::Diagnostics diag;
  std::error_code got;
  int done = 0;
  c.get("k", diag, [&](std::error_code ec, std::optional<std::string>) {
    got = ec;
    ++done;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done == 1; }, 10s));
  CHECK(got == valkey::errc::server_error);
  CHECK(diag.prefix() == "LOADING");
  CHECK(server.seen("GET") == 4);
}
