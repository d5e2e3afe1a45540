// valkey::Observer on a real server: one start/end pair per request with its
// name, endpoint and database; error replies, timeouts, pipelines and
// transactions as they end; connection events around a CLIENT KILL; an
// observer that throws changes nothing but its failure count.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>

#include <valkey/valkey.hpp>
#include <valkey/observe/observer.hpp>

#include "client_test_util.hpp"
#include "observer_recorder.hpp"
#include "support/server_process.hpp"
#include "support/wait.hpp"

using namespace std::chrono_literals;
using valkey::RequestInfo;
using valkey::test::RecordingObserver;
using valkey::test::ServerProcess;

namespace {

valkey::Config observed(const ServerProcess& server, std::shared_ptr<RecordingObserver> obs, int db = 0) {
  auto cfg = valkey::Config::from_url(server.url() + "/" + std::to_string(db));
  cfg.observer = std::move(obs);
  return cfg;
}

}  // namespace

TEST_CASE("observer: one GET is one start and one end, with its name, endpoint and database", "[observer]") {
  ServerProcess server;
  auto obs = std::make_shared<RecordingObserver>();
  valkey::Client db{observed(server, obs, 3)};
  // The client's first connection (its handshake) is not a request.
  REQUIRE(obs->starts().empty());

  CHECK_FALSE(db.get("k").has_value());
  const auto starts = obs->starts();
  const auto ends = obs->ends();
  REQUIRE(starts.size() == 1);
  REQUIRE(ends.size() == 1);
  const auto& s = starts[0];
  CHECK(s.kind == RequestInfo::Kind::command);
  CHECK(s.name == "GET");
  REQUIRE(s.command != nullptr);
  CHECK(s.command->name == "GET");
  CHECK(s.command->is(valkey::CommandFlag::readonly));
  CHECK(s.batch_size == 1);
  CHECK(s.database == 3);
  CHECK(s.host == "127.0.0.1");
  CHECK(s.port == server.port());
  CHECK(s.args == std::vector<std::string>{"GET", "k"});
  CHECK(s.thread == std::this_thread::get_id());
  CHECK(ends[0].start == 0);
  CHECK_FALSE(ends[0].ec);
  CHECK(ends[0].prefix.empty());
  CHECK(ends[0].thread == std::this_thread::get_id());  // the sync client ends it before returning
}

TEST_CASE("observer: call() is named from the command table, its arguments readable", "[observer]") {
  ServerProcess server;
  auto obs = std::make_shared<RecordingObserver>();
  valkey::Client db{observed(server, obs)};
  db.call({"client", "setname", "observed"});
  db.call({"NOSUCHCOMMAND", "x"}, *std::make_unique<std::error_code>());
  const auto starts = obs->starts();
  REQUIRE(starts.size() == 2);
  CHECK(starts[0].name == "CLIENT SETNAME");
  REQUIRE(starts[0].command != nullptr);
  CHECK(starts[0].args == std::vector<std::string>{"client", "setname", "observed"});
  CHECK(starts[1].name == "NOSUCHCOMMAND");
  CHECK(starts[1].command == nullptr);
  const auto ends = obs->ends();
  REQUIRE(ends.size() == 2);
  CHECK(ends[1].ec == valkey::errc::server_error);
  CHECK(ends[1].prefix == "ERR");
}

TEST_CASE("observer: a WRONGTYPE reply ends the request with server_error and its prefix", "[observer]") {
  ServerProcess server;
  auto obs = std::make_shared<RecordingObserver>();
  valkey::Client db{observed(server, obs)};
  db.lpush("list", {"a"});
  std::error_code ec;
  db.get("list", ec);
  CHECK(ec == valkey::errc::server_error);
  const auto ends = obs->ends();
  REQUIRE(ends.size() == 2);
  CHECK(ends[1].start == 1);
  CHECK(ends[1].ec == valkey::errc::server_error);
  CHECK(ends[1].prefix == "WRONGTYPE");
}

TEST_CASE("observer: a paused server and request_timeout end the request with timeout", "[observer]") {
  ServerProcess server;
  auto obs = std::make_shared<RecordingObserver>();
  auto cfg = observed(server, obs);
  cfg.request_timeout = 200ms;
  cfg.health_check_interval = 0ms;  // the deadline, not the health check, ends it
  valkey::Client db{cfg};
  db.set("k", "v");
  server.pause();
  std::error_code ec;
  db.get("k", ec);
  server.resume();
  CHECK(ec == valkey::errc::timeout);
  const auto ends = obs->ends();
  REQUIRE(ends.size() == 2);
  CHECK(ends[1].ec == valkey::errc::timeout);
  CHECK(ends[1].prefix.empty());
}

TEST_CASE("observer: a pipeline of 3 is one request of batch size 3; a transaction is MULTI", "[observer]") {
  ServerProcess server;
  auto obs = std::make_shared<RecordingObserver>();
  valkey::Client db{observed(server, obs)};
  auto [ok, n, v] = valkey::pipeline(db).set("a", "1").incr("a").get("a").exec();
  (void)ok;
  CHECK(n == 2);
  auto [m, w] = valkey::transaction(db).incr("a").get("a").exec();
  CHECK(m == 3);
  (void)w;
  const auto starts = obs->starts();
  const auto ends = obs->ends();
  REQUIRE(starts.size() == 2);
  REQUIRE(ends.size() == 2);
  CHECK(starts[0].kind == RequestInfo::Kind::pipeline);
  CHECK(starts[0].name == "PIPELINE");
  CHECK(starts[0].batch_size == 3);
  CHECK(starts[0].command == nullptr);
  CHECK(starts[0].args == std::vector<std::string>{"SET", "a", "1", "INCR", "a", "GET", "a"});
  CHECK(starts[1].kind == RequestInfo::Kind::transaction);
  CHECK(starts[1].name == "MULTI");
  CHECK(starts[1].batch_size == 2);
  CHECK_FALSE(ends[0].ec);
  CHECK_FALSE(ends[1].ec);
}

TEST_CASE("observer: AsyncClient requests start on the caller's thread and end on the connection's executor",
          "[observer]") {
  ServerProcess server;
  auto obs = std::make_shared<RecordingObserver>();
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), observed(server, obs, 2)};
  int done = 0;
  c.set("k", "v", [&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    ++done;
  });
  valkey::pipeline(c).get("k").get("k").get("nope").exec([&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    ++done;
  });
  // The observer sees the request when it is submitted, before any I/O ran.
  CHECK(obs->starts().size() == 2);
  CHECK(obs->ends().empty());
  REQUIRE(valkey::test::run_until(ioc, [&] { return done == 2; }));
  const auto starts = obs->starts();
  const auto ends = obs->ends();
  REQUIRE(ends.size() == 2);
  CHECK(starts[0].name == "SET");
  CHECK(starts[0].database == 2);
  CHECK(starts[1].name == "PIPELINE");
  CHECK(starts[1].batch_size == 3);
  CHECK(ends[0].start == 0);
  CHECK(ends[1].start == 1);
}

TEST_CASE("observer: CLIENT KILL shows a disconnect, a reconnect attempt and a connect", "[observer]") {
  ServerProcess server;
  auto obs = std::make_shared<RecordingObserver>();
  auto cfg = observed(server, obs);
  cfg.reconnect.initial_delay = 10ms;
  valkey::Client db{cfg};
  const std::string where = "127.0.0.1:" + std::to_string(server.port());
  REQUIRE(obs->events() == std::vector<std::string>{"connect " + where});
  const std::int64_t id = db.call({"CLIENT", "ID"}).as_integer();
  server.command({"CLIENT", "KILL", "ID", std::to_string(id)});
  valkey::test::wait_until("a reconnection", 10s, [&](std::string& state) {
    state = obs->dump();
    return obs->count_events("connect ") >= 2;
  });
  INFO(obs->dump());
  const auto events = obs->events();
  REQUIRE(events.size() >= 4);
  CHECK(events[1].rfind("disconnect " + where + " ", 0) == 0);
  CHECK(events[2] == "reconnect " + where + " #1");
  CHECK(events.back() == "connect " + where);
  CHECK(db.incr("after") == 1);
}

namespace {

struct Throwing final : valkey::Observer {
  valkey::observe::Token on_request_start(const valkey::RequestInfo& r) override {
    if (r.name == "GET") throw std::runtime_error("start failed");
    return {};
  }
  void on_request_end(valkey::observe::Token, const valkey::RequestResult&) override {
    ++ends;
    throw std::runtime_error("end failed");
  }
  void on_connect(const valkey::ConnectionEvent&) override { throw std::logic_error("connect failed"); }
  int ends = 0;
};

}  // namespace

TEST_CASE("observer: an observer that throws changes nothing; the failures are counted, logged once",
          "[observer]") {
  ServerProcess server;
  auto obs = std::make_shared<Throwing>();
  std::vector<std::string> log;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.observer = obs;
  cfg.logger = [&](valkey::LogLevel, std::string_view line) {
    if (line.find("observer") != std::string_view::npos) log.emplace_back(line);
  };
  valkey::Client db{cfg};  // on_connect throws: counted
  CHECK(obs->failures() == 1);
  db.set("k", "v");  // on_request_end throws
  CHECK(db.get("k") == std::optional<std::string>{"v"});  // on_request_start throws: no end
  auto [a, b] = valkey::pipeline(db).incr("n").incr("n").exec();
  CHECK(b == a + 1);
  CHECK(obs->ends == 2);  // SET and the pipeline
  CHECK(obs->failures() == 4);
  REQUIRE(log.size() == 1);
  CHECK(log[0].find("on_connect threw (connect failed)") != std::string::npos);
}

TEST_CASE("observer: a Client shared by threads: every start has its one end, on the caller's thread",
          "[observer][threads]") {
  ServerProcess server;
  auto obs = std::make_shared<RecordingObserver>();
  auto cfg = observed(server, obs);
  cfg.max_connections = 2;
  valkey::Client db{cfg};
  constexpr int threads = 4, per_thread = 200;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) db.incr("n:" + std::to_string(t));
    });
  for (auto& th : pool) th.join();
  const auto starts = obs->starts();
  const auto ends = obs->ends();
  REQUIRE(starts.size() == threads * per_thread);
  REQUIRE(ends.size() == starts.size());
  std::vector<int> seen(starts.size(), 0);
  for (const auto& e : ends) {
    REQUIRE(e.start < seen.size());
    ++seen[e.start];
    CHECK_FALSE(e.ec);
    CHECK(e.thread == starts[e.start].thread);
  }
  for (int n : seen) REQUIRE(n == 1);
}
