// The sync Client's connections: threads that call at the same time get
// connections of their own (up to Config::max_connections), one thread keeps
// to one, and a caller blocked on the socket (Connection::read_directly) still
// sees deadlines, health checks and close() from another thread.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using namespace std::chrono_literals;
using valkey::test::ServerProcess;

namespace {

// Connections the server lists under `name`.
std::size_t connections_named(const ServerProcess& server, const std::string& name) {
  std::istringstream list(server.command({"CLIENT", "LIST"}).as_string());
  std::size_t n = 0;
  for (std::string line; std::getline(list, line);)
    if (line.find(" name=" + name + " ") != std::string::npos) ++n;
  return n;
}

// Four threads each SET while the server holds writes back, so that they are
// inside the client at the same time; returns how many SETs went wrong.
int four_writers_at_once(ServerProcess& server, valkey::Client& db) {
  server.command({"CLIENT", "PAUSE", "300", "WRITE"});
  std::atomic<int> wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string key = "lane:" + std::to_string(t);
        db.set(key, std::to_string(i));
        if (db.get(key) != std::optional<std::string>(std::to_string(i))) ++wrong;
      }
    });
  }
  for (auto& th : pool) th.join();
  return wrong;
}

}  // namespace

TEST_CASE("client connections: threads calling at once get connections of their own", "[client][threads]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.client_name = "lanes";
  valkey::Client db{cfg};
  CHECK(db.connections() == 1);
  CHECK(four_writers_at_once(server, db) == 0);
  const std::size_t n = db.connections();
  CHECK(n >= 2);
  CHECK(n <= 4);
  // Every connection made its handshake from the Config (the name is set).
  CHECK(connections_named(server, "lanes") == n);
  CHECK(db.stats().connects == n);
}

TEST_CASE("client connections: max_connections = 1 keeps every thread on one connection", "[client][threads]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.client_name = "single";
  cfg.max_connections = 1;
  valkey::Client db{cfg};
  CHECK(four_writers_at_once(server, db) == 0);
  CHECK(db.connections() == 1);
  CHECK(connections_named(server, "single") == 1);
}

TEST_CASE("client connections: one thread's calls stay on one connection", "[client]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  for (int i = 0; i < 200; ++i) db.incr("seq");
  CHECK(db.get("seq") == std::optional<std::string>("200"));
  CHECK(db.connections() == 1);
}

TEST_CASE("client connections: max_connections out of range is refused", "[client]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.max_connections = 0;
  try {
    valkey::Client db{cfg};
    FAIL("a Client without connections was built");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::invalid_argument);
    CHECK(std::string(e.what()).find("max_connections") != std::string::npos);
  }
}

TEST_CASE("client connections: a caller waiting on the socket sees the health check", "[client][health]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.health_check_interval = 200ms;
  cfg.connect_timeout = 300ms;
  cfg.reconnect.initial_delay = 20ms;
  cfg.reconnect.max_delay = 100ms;
  valkey::Client db{cfg};
  db.incr("n");
  server.pause();
  std::error_code ec;
  db.incr("n", ec);
  server.resume();
  CHECK(ec == valkey::errc::health_check_failed);
  CHECK(db.incr("n") >= 2);  // reconnected
}

TEST_CASE("client connections: close() from another thread ends a call waiting on the socket", "[client][threads]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.health_check_interval = 0ms;  // nothing but close() may end the call
  valkey::Client db{cfg};
  server.pause();
  std::error_code ec;
  std::atomic<bool> returned{false};
  std::thread caller([&] {
    db.incr("n", ec);
    returned = true;
  });
  // The caller is blocked on a silent server; close() must wake it.
  while (db.stats().requests_written < 2) std::this_thread::sleep_for(1ms);
  db.close();
  caller.join();
  server.resume();
  CHECK(returned);
  CHECK(ec == valkey::errc::connection_closed);
}
