// The resilience policies against a real server: a frozen server opens the
// circuit breaker, kill -9 and restart under concurrent async load keeps the
// counts honest (acked <= server total <= acked + unknown), and a thousand
// GETs in flight across a restart are retried only as far as the budget
// allows.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/server_process.hpp"

using namespace std::chrono_literals;
using valkey::test::eventually;
using valkey::test::IoThread;
using valkey::test::ServerProcess;

namespace {

struct CircuitLog final : valkey::Observer {
  std::mutex mu;
  std::vector<valkey::CircuitEvent::State> states;
  std::atomic<int> retries{0};
  void on_circuit(const valkey::CircuitEvent& e) override {
    std::lock_guard lk(mu);
    states.push_back(e.state);
  }
  void on_retry(const valkey::RetryEvent&) override { ++retries; }
  std::vector<valkey::CircuitEvent::State> seen() {
    std::lock_guard lk(mu);
    return states;
  }
};


std::int64_t commandstat_calls(const ServerProcess& server, const std::string& command) {
  const std::string stats = server.command({"INFO", "commandstats"}).as_string();
  const std::string key = "cmdstat_" + command + ":calls=";
  const auto at = stats.find(key);
  if (at == std::string::npos) return 0;
  return std::stoll(stats.substr(at + key.size()));
}

}  // namespace

TEST_CASE("breaker: a frozen server opens the circuit, calls fail fast with circuit_open, SIGCONT closes it",
          "[policy][breaker]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.request_timeout = 100ms;
  cfg.max_connections = 1;
  cfg.circuit_breaker = valkey::policy::CircuitBreakerConfig{.consecutive_failures = 3, .cool_down = 300ms};
  auto log = std::make_shared<CircuitLog>();
  cfg.observer = log;
  struct Lines {
    std::mutex mu;
    std::vector<std::string> all;
  };
  auto lines = std::make_shared<Lines>();  // the client's idle thread logs too
  cfg.logger = [lines](valkey::LogLevel, std::string_view line) {
    std::lock_guard lk(lines->mu);
    lines->all.emplace_back(line);
  };
  valkey::Client db{cfg};
  db.set("k", "v");
  server.pause();
  std::error_code ec;
  for (int i = 0; i < 3; ++i) {
    db.get("k", ec);
    CHECK(ec == valkey::errc::timeout);
  }
  // 1,000 calls that would each wait 100 ms for their timeout take far less
  // than one such wait per ten of them
  valkey::Diagnostics diag;
  const auto start = std::chrono::steady_clock::now();
  int open = 0;
  for (int i = 0; i < 1000; ++i) {
    db.get("k", ec, diag);
    open += ec == valkey::errc::circuit_open;
  }
  const auto took = std::chrono::steady_clock::now() - start;
  // The figure for the notes (issue 10 asks under 100 µs per call); the
  // assertion is only that no call waited for its timeout.
  WARN("1,000 calls with the circuit open: "
       << std::chrono::duration_cast<std::chrono::nanoseconds>(took).count() / 1000 / 1000.0 << " us per call");
  CHECK(open == 1000);
  CHECK(took < 5s);
  CHECK(diag.outcome == valkey::policy::Outcome::not_sent);
  CHECK(diag.message.find("circuit open") != std::string::npos);
  server.resume();
  // after the cool-down a probe goes through and closes the circuit
  CHECK(eventually(
      [&] {
        auto v = db.get("k", ec);
        return !ec && v == std::optional<std::string>("v");
      },
      5s));
  using S = valkey::CircuitEvent::State;
  const auto states = log->seen();
  REQUIRE(states.size() >= 3);
  CHECK(states.front() == S::open);
  CHECK(states.back() == S::closed);
  // Every transition is also a log line, the one admit() makes (open ->
  // half_open) included.
  std::lock_guard lk(lines->mu);
  for (const char* state : {": open", ": half_open", ": closed"}) {
    INFO(state);
    CHECK(std::any_of(lines->all.begin(), lines->all.end(), [&](const std::string& l) {
      return l.find("circuit breaker for 127.0.0.1:") != std::string::npos && l.ends_with(state);
    }));
  }
  CHECK(commandstat_calls(server, "get") <= 3 + 3);  // the timed-out ones and the probes, not the 1,000
}

TEST_CASE("retry: kill -9 and restart under 256 async INCR loops: acked <= total <= acked + unknown",
          "[policy][retry][kill][threads]") {
  valkey::test::ServerOptions opts;
  opts.config = {"appendonly yes", "appendfsync always"};  // an acknowledged INCR survives kill -9
  ServerProcess server(opts);
  auto cfg = valkey::Config::from_url(server.url());
  cfg.reconnect.initial_delay = 10ms;
  cfg.reconnect.max_delay = 100ms;
  cfg.request_timeout = 2s;
  valkey::policy::RetryPolicy p;
  p.max_attempts = 5;
  p.base = 20ms;
  p.max = 200ms;
  cfg.retry = p;
  IoThread io;
  valkey::AsyncClient c{io.ioc.get_executor(), cfg};
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> acked{0}, unknown{0}, failed{0};
  std::atomic<int> running{0};
  constexpr int kWorkers = 256;
  struct Worker {
    valkey::AsyncClient& c;
    std::atomic<bool>& stop;
    std::atomic<std::int64_t>& acked;
    std::atomic<std::int64_t>& unknown;
    std::atomic<std::int64_t>& failed;
    std::atomic<int>& running;
    void next() {
      if (stop) {
        --running;
        return;
      }
      c.incr("counter", [this](std::error_code ec, std::int64_t) {
        if (!ec) ++acked;
        else if (ec == valkey::errc::unknown_outcome) ++unknown;
        else ++failed;
        next();
      });
    }
  };
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < kWorkers; ++i)
    workers.push_back(std::make_unique<Worker>(Worker{c, stop, acked, unknown, failed, running}));
  running = kWorkers;
  asio::post(io.ioc, [&] {
    for (auto& w : workers) w->next();
  });
  REQUIRE(eventually([&] { return acked > 500; }, 10s));
  server.kill(9);
  server.restart();
  const std::int64_t before = acked;
  CHECK(eventually([&] { return acked > before + 500; }, 10s));
  stop = true;
  REQUIRE(eventually([&] { return running == 0; }, 10s));
  const std::int64_t total = std::stoll(server.command({"GET", "counter"}).as_string());
  INFO("acked " << acked << " unknown " << unknown << " failed " << failed << " server " << total);
  CHECK(acked <= total);
  CHECK(total <= acked + unknown);
}

TEST_CASE("retry: 1,000 GETs in flight across a restart retry no more than the budget allows",
          "[policy][retry][budget][threads]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.reconnect.initial_delay = 10ms;
  cfg.reconnect.max_delay = 100ms;
  cfg.retry = valkey::policy::RetryPolicy{};  // the defaults: 10 % of requests plus 10 per second over 10 s
  auto log = std::make_shared<CircuitLog>();
  cfg.observer = log;
  IoThread io;
  valkey::AsyncClient c{io.ioc.get_executor(), cfg};
  {
    std::promise<std::error_code> ready;
    asio::post(io.ioc, [&] {  // an AsyncClient is used on its executor
      c.async_ping([&](std::error_code ec, valkey::Ok) { ready.set_value(ec); });
    });
    REQUIRE_FALSE(ready.get_future().get());
  }
  server.pause();  // every GET is written and waits for its reply
  constexpr int kGets = 1000;
  std::atomic<int> done{0}, ok{0};
  asio::post(io.ioc, [&] {
    for (int i = 0; i < kGets; ++i)
      c.get("k", [&](std::error_code ec, std::optional<std::string>) {
        ok += !ec;
        ++done;
      });
  });
  std::this_thread::sleep_for(200ms);
  server.kill(9);
  server.restart();
  REQUIRE(eventually([&] { return done == kGets; }, 15s));
  // the budget: 10/s over 10 s, plus 10 % of the 1,001 first attempts
  const std::int64_t gets = commandstat_calls(server, "get");
  INFO("retries " << log->retries << ", GETs on the restarted server " << gets << ", ok " << ok);
  CHECK(log->retries <= 100 + 101);
  CHECK(gets <= 100 + 101);
  CHECK(gets == ok);
  CHECK(ok > 0);
}
