// Replies no real server sends: a tiny scripted RESP server (an Asio acceptor
// in the test) sends malformed or over-limit replies, pushes, or drops the
// connection, to check that the client fails the right requests, reconnects,
// routes pushes and retries read-only commands by policy.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <functional>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/command_reader.hpp"

using namespace std::chrono_literals;
using asio::ip::tcp;

namespace {

constexpr std::string_view kClose = "<close>";

class FakeServer {
 public:
  // Returns the bytes to send for one command ("" sends nothing, kClose drops
  // the connection); `connection` counts from 1.
  using Respond = std::function<std::string(const std::vector<std::string>& args, int connection)>;

  explicit FakeServer(Respond respond)
      : respond_(std::move(respond)), acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~FakeServer() {
    ioc_.stop();
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  int connections() const { return connections_; }
  std::string url() const { return "valkey://127.0.0.1:" + std::to_string(port()); }

  // The handshake and health checks of a well-behaved server.
  static std::string standard(const std::vector<std::string>& a) {
    if (a[0] == "HELLO") return "%1\r\n$5\r\nproto\r\n:3\r\n";
    if (a[0] == "PING") return "+PONG\r\n";
    if (a[0] == "CLIENT" || a[0] == "SELECT" || a[0] == "AUTH") return "+OK\r\n";
    return "-ERR unknown command\r\n";
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket s = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::co_spawn(ioc_, session(std::move(s), ++connections_), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket s, int index) {
    std::string buf;
    char chunk[4096];
    try {
      for (;;) {
        std::size_t n = co_await s.async_read_some(asio::buffer(chunk), asio::use_awaitable);
        buf.append(chunk, n);
        std::vector<std::string> args;
        while (valkey::test::take_command(buf, args)) {
          std::string out = respond_(args, index);
          if (out == kClose) {
            s.close();
            co_return;
          }
          if (!out.empty()) co_await asio::async_write(s, asio::buffer(out), asio::use_awaitable);
        }
      }
    } catch (const std::exception&) {
    }
  }

  Respond respond_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> connections_{0};
};

valkey::Config fast_reconnect(const std::string& url) {
  auto c = valkey::Config::from_url(url);
  c.reconnect.initial_delay = 10ms;
  c.reconnect.max_delay = 50ms;
  return c;
}

}  // namespace

TEST_CASE("fake server: a malformed reply closes the connection, pending requests fail, client reconnects",
          "[fault][protocol]") {
  FakeServer server([](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "GET" && a[1] == "slow") return "";
    if (a[0] == "GET" && a[1] == "bad") return "?garbage\r\n";
    if (a[0] == "GET") return "$2\r\nok\r\n";
    return FakeServer::standard(a);
  });
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), fast_reconnect(server.url())};
  std::error_code slow_ec, bad_ec;
  int done = 0;
  c.get("slow", [&](std::error_code ec, std::optional<std::string>) { slow_ec = ec, ++done; });
  c.get("bad", [&](std::error_code ec, std::optional<std::string>) { bad_ec = ec, ++done; });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done == 2; }, 5s));
  // the garbage arrived in the place of the oldest reply
  CHECK(slow_ec == valkey::errc::protocol_error);
  CHECK(bad_ec == valkey::errc::connection_lost);

  std::optional<std::string> v;
  c.get("fine", [&](std::error_code ec, std::optional<std::string> r) {
    CHECK_FALSE(ec);
    v = r;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return v.has_value(); }, 5s));
  CHECK(*v == "ok");
  CHECK(server.connections() == 2);
}

TEST_CASE("fake server: an over-limit reply is a protocol error", "[fault][protocol]") {
  FakeServer server([](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "GET" && a[1] == "big") return "$100000\r\n" + std::string(100000, 'x') + "\r\n";
    if (a[0] == "GET") return "$2\r\nok\r\n";
    return FakeServer::standard(a);
  });
  auto cfg = fast_reconnect(server.url());
  cfg.limits.max_bulk_length = 1024;
  valkey::Client db{cfg};
  std::error_code ec;
  db.get("big", ec);
  CHECK(ec == valkey::errc::protocol_bulk_too_large);
  // reconnected
  CHECK(db.get("small") == std::optional<std::string>("ok"));
  CHECK(server.connections() == 2);
}

TEST_CASE("fake server: a reply nobody asked for is a protocol error", "[fault][protocol]") {
  std::atomic<bool> doubled{false};
  FakeServer server([&](const std::vector<std::string>& a, int conn) -> std::string {
    if (a[0] == "GET" && conn == 1) {
      doubled = true;
      return "$2\r\nok\r\n$5\r\nextra\r\n";
    }
    if (a[0] == "GET") return "$2\r\nok\r\n";
    return FakeServer::standard(a);
  });
  valkey::Client db{fast_reconnect(server.url())};
  CHECK(db.get("k") == std::optional<std::string>("ok"));
  // the extra reply killed connection 1; the next request goes over connection 2
  CHECK(db.get("k") == std::optional<std::string>("ok"));
  CHECK(doubled);
  CHECK(server.connections() == 2);
}

TEST_CASE("fake server: RESP3 pushes go to the push handler, replies stay matched", "[push]") {
  FakeServer server([](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "GET")
      return ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n$" + std::to_string(a[1].size()) + "\r\n" + a[1] + "\r\n";
    return FakeServer::standard(a);
  });
  struct Pushes final : valkey::resp::Visitor {
    std::vector<std::string> values;
    int messages = 0;
    void on_node(const valkey::resp::Node& n) override {
      if (n.depth == 1) values.emplace_back(n.value);
    }
    void on_message_end() override { ++messages; }
  } pushes;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  c.connection().set_push_handler(&pushes);
  std::vector<std::string> got;
  for (std::string key : {"a", "bb", "ccc"})
    c.get(key, [&](std::error_code ec, std::optional<std::string> v) {
      CHECK_FALSE(ec);
      got.push_back(v.value_or("<nil>"));
    });
  REQUIRE(valkey::test::run_until(ioc, [&] { return got.size() == 3; }, 5s));
  CHECK(got == std::vector<std::string>{"a", "bb", "ccc"});
  CHECK(pushes.messages == 3);
  CHECK(pushes.values.size() == 9);
  CHECK(pushes.values[2] == "hello");
}

TEST_CASE("fake server: read-only commands are retried once by policy, writes never", "[fault][retry]") {
  FakeServer server([](const std::vector<std::string>& a, int conn) -> std::string {
    if ((a[0] == "GET" || a[0] == "INCR") && a[1] == "flaky" && conn == 1) return std::string(kClose);
    if (a[0] == "GET") return "$2\r\nok\r\n";
    if (a[0] == "INCR") return ":1\r\n";
    return FakeServer::standard(a);
  });
  auto cfg = fast_reconnect(server.url());
  SECTION("retry on: GET succeeds over the new connection") {
    cfg.retry_readonly = true;
    valkey::Client db{cfg};
    CHECK(db.get("flaky") == std::optional<std::string>("ok"));
    CHECK(server.connections() == 2);
  }
  SECTION("retry on: INCR is not retried") {
    cfg.retry_readonly = true;
    valkey::Client db{cfg};
    std::error_code ec;
    db.incr("flaky", ec);
    CHECK(ec == valkey::errc::connection_lost);
  }
  SECTION("retry on: an async GET is resent from its own bytes") {
    cfg.retry_readonly = true;
    asio::io_context ioc;
    valkey::AsyncClient c{ioc.get_executor(), cfg};
    std::optional<std::string> got;
    std::error_code get_ec;
    int done = 0;
    {
      std::string key = "flaky";  // gone before the resend
      c.get(key, [&](std::error_code ec, std::optional<std::string> v) {
        get_ec = ec;
        got = std::move(v);
        ++done;
      });
    }
    REQUIRE(valkey::test::run_until(ioc, [&] { return done == 1; }, 5s));
    CHECK_FALSE(get_ec);
    CHECK(got == std::optional<std::string>("ok"));
    CHECK(server.connections() == 2);
  }
  SECTION("retry on: an async INCR is not retried") {
    cfg.retry_readonly = true;
    asio::io_context ioc;
    valkey::AsyncClient c{ioc.get_executor(), cfg};
    std::error_code incr_ec;
    bool done = false;
    c.incr("flaky", [&](std::error_code ec, std::int64_t) {
      incr_ec = ec;
      done = true;
    });
    REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 5s));
    CHECK(incr_ec == valkey::errc::connection_lost);
  }
  SECTION("retry off (default): GET fails with connection_lost") {
    valkey::Client db{cfg};
    std::error_code ec;
    db.get("flaky", ec);
    CHECK(ec == valkey::errc::connection_lost);
    CHECK(db.get("fine") == std::optional<std::string>("ok"));
  }
}

TEST_CASE("fake server: HELLO unknown -> RESP2 fallback", "[handshake]") {
  std::atomic<bool> saw_auth{false};
  FakeServer server([&](const std::vector<std::string>& a, int) -> std::string {
    if (a[0] == "HELLO") return "-ERR unknown command 'HELLO', with args beginning with: \r\n";
    if (a[0] == "AUTH") {
      saw_auth = a.size() == 2 && a[1] == "pw";
      return "+OK\r\n";
    }
    if (a[0] == "GET") return "$2\r\nok\r\n";
    return FakeServer::standard(a);
  });
  auto cfg = valkey::Config::from_url(server.url());
  cfg.password = "pw";
  valkey::Client db{cfg};
  CHECK(db.get("k") == std::optional<std::string>("ok"));
  CHECK(saw_auth);
}
