// Config::logger: connects, disconnects with their reason, reconnects and
// refused handshakes are logged; the password never is.
#include <catch2/catch_test_macros.hpp>

#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <valkey/valkey.hpp>

#include "support/server_process.hpp"
#include "support/wait.hpp"

using valkey::LogLevel;
using valkey::test::ServerOptions;
using valkey::test::ServerProcess;

namespace {

class CapturedLog {
 public:
  valkey::Logger logger() {
    return [this](LogLevel level, std::string_view text) {
      std::lock_guard lk(mu_);
      lines_.push_back(std::string(valkey::to_string(level)) + ": " + std::string(text));
    };
  }
  std::vector<std::string> lines() const {
    std::lock_guard lk(mu_);
    return lines_;
  }
  std::size_t count(std::string_view needle) const {
    std::size_t n = 0;
    for (const auto& l : lines())
      if (l.find(needle) != std::string::npos) ++n;
    return n;
  }
  std::string all() const {
    std::string out;
    for (const auto& l : lines()) out += l + "\n";
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace

TEST_CASE("logging: connect, CLIENT KILL, disconnect with its reason, reconnect", "[logging]") {
  ServerProcess server;
  CapturedLog log;
  valkey::Config cfg = valkey::Config::from_url(server.url());
  cfg.logger = log.logger();
  const std::string endpoint = cfg.endpoint();
  valkey::Client db{cfg};
  CHECK(log.count("info: connected to " + endpoint + " (RESP3)") == 1);
  const std::int64_t id = db.call({"CLIENT", "ID"}).as_integer();
  server.command({"CLIENT", "KILL", "ID", std::to_string(id)});
  valkey::test::wait_until("a reconnection", std::chrono::seconds(10), [&](std::string& state) {
    state = log.all();
    return log.count("connected to " + endpoint) >= 2;
  });
  INFO(log.all());
  CHECK(log.count("warn: connection to " + endpoint + " lost: ") == 1);
  CHECK(log.count("info: reconnecting to " + endpoint + " in ") >= 1);
  db.set("after", "1");
  CHECK(db.get("after") == std::optional<std::string>{"1"});
  // no command argument reaches the log
  CHECK(log.all().find("after") == std::string::npos);
}

TEST_CASE("logging: a password-protected server: the password never appears", "[logging]") {
  ServerOptions o;
  o.password = "hunter2-secret";
  ServerProcess server{o};
  CapturedLog log;
  valkey::Config good = valkey::Config::from_url(server.url());
  good.password = "hunter2-secret";
  good.logger = log.logger();
  {
    valkey::Client db{good};
    db.set("k", "v");
  }
  valkey::Config bad = good;
  bad.password = "wrong-secret-pw";
  bad.reconnect.enabled = false;
  CHECK_THROWS_AS(valkey::Client{bad}, valkey::Error);
  INFO(log.all());
  CHECK(log.count("connected to ") >= 1);
  CHECK(log.count("WRONGPASS") >= 1);  // the refusal is logged, in the server's words
  CHECK(log.all().find("hunter2-secret") == std::string::npos);
  CHECK(log.all().find("wrong-secret-pw") == std::string::npos);
}

TEST_CASE("logging: a RESP2 fallback is logged", "[logging]") {
  // Without HELLO the handshake falls back as against a server before 6.0.
  ServerOptions o;
  o.config = {"rename-command HELLO \"\""};
  ServerProcess server{o};
  CapturedLog log;
  valkey::Config cfg = valkey::Config::from_url(server.url());
  cfg.logger = log.logger();
  valkey::Client db{cfg};
  INFO(log.all());
  CHECK(log.count("falling back to RESP2") == 1);
  CHECK(log.count("(RESP2)") == 1);
}

TEST_CASE("logging: a handler that throws while a caller drives is logged once, the client goes on", "[logging]") {
  ServerProcess server;
  CapturedLog log;
  valkey::Config cfg = valkey::Config::from_url(server.url());
  cfg.logger = log.logger();
  valkey::Client db{cfg};

  // A custom request whose reply handling throws (a decoder out of memory).
  struct Throwing final : valkey::detail::SyncOpBase {
    using SyncOpBase::SyncOpBase;
    void on_node(const valkey::resp::Node&) override { throw std::runtime_error("decoder out of memory"); }
    void on_reply_end() override {}
  };
  Throwing op{{nullptr, [](const void*, valkey::resp::Writer& w) {
                 w.begin_command(1);
                 w.arg(std::string_view{"PING"});
               }}};
  db.run(op);
  CHECK(op.transport_error() == valkey::errc::connection_lost);
  INFO(log.all());
  CHECK(log.count("error: a handler threw while driving the connection to " + cfg.endpoint() +
                  ": decoder out of memory; the connection is reset and its requests fail with connection_lost") == 1);
  // The connection is reset, not the client: the next call reconnects.
  db.set("k", "v");
  CHECK(db.get("k") == std::optional<std::string>("v"));
}
