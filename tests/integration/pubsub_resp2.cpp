// valkey::Subscriber on RESP2 (configured, or a server that refuses HELLO):
// the server's subscribed mode, where messages and confirmations are plain
// arrays interleaved with replies. Real servers (Valkey, Redis 7), plus a
// scripted fake server for what real servers never do on demand (a message
// split across reads, a malformed pub/sub array). Also the error paths shared
// with RESP3: a refused SUBSCRIBE, a subscribe without names.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <valkey/pubsub.hpp>
#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/command_reader.hpp"
#include "support/redis7.hpp"
#include "support/server_process.hpp"
#include "support/server_version.hpp"

using valkey::test::run_until;
using valkey::test::ServerOptions;
using valkey::test::ServerProcess;
using namespace std::chrono_literals;
using Kind = valkey::SubscriptionEvent::Kind;

namespace {

valkey::Config resp2_config(const std::string& url) {
  auto cfg = valkey::Config::from_url(url);
  cfg.protocol = valkey::Protocol::resp2;
  cfg.reconnect.initial_delay = 10ms;
  cfg.reconnect.max_delay = 50ms;
  return cfg;
}

// The subscriber connection's line in CLIENT LIST (the only pubsub client).
std::string pubsub_client_line(const ServerProcess& server) {
  return server.command({"CLIENT", "LIST", "TYPE", "pubsub"}).as_string();
}

// Subscribes on `sub` and runs `ioc` until the call completes; returns its error.
std::error_code change(asio::io_context& ioc, valkey::Subscriber& sub, const std::string& verb,
                       std::vector<std::string> names, valkey::Diagnostics* diag = nullptr) {
  bool done = false;
  std::error_code result;
  auto h = [&](std::error_code ec, valkey::Ok) {
    result = ec;
    done = true;
  };
  valkey::Diagnostics local;
  valkey::Diagnostics& d = diag ? *diag : local;
  if (verb == "subscribe") sub.subscribe(names, d, h);
  else if (verb == "psubscribe") sub.psubscribe(names, d, h);
  else if (verb == "ssubscribe") sub.ssubscribe(names, d, h);
  else if (verb == "unsubscribe") sub.unsubscribe(names, d, h);
  else if (verb == "punsubscribe") sub.punsubscribe(names, d, h);
  else if (verb == "sunsubscribe") sub.sunsubscribe(names, d, h);
  if (!run_until(ioc, [&] { return done; }, 10s)) return make_error_code(valkey::errc::timeout);
  return result;
}

struct Recorder {
  std::vector<valkey::Message> messages;
  std::vector<valkey::SubscriptionEvent> events;
  void attach(valkey::Subscriber& sub) {
    sub.on_message([this](const valkey::Message& m) { messages.push_back(m); });
    sub.on_event([this](const valkey::SubscriptionEvent& e) { events.push_back(e); });
  }
  bool has(Kind k) const {
    return std::any_of(events.begin(), events.end(), [&](const auto& e) { return e.kind == k; });
  }
};

// Channels, patterns, shard channels on RESP2; what the server and the
// subscriber see. Shared by the Valkey and the Redis 7 cases.
void subscribe_and_receive_resp2(const ServerProcess& server) {
  asio::io_context ioc;
  valkey::Subscriber sub{ioc.get_executor(), resp2_config(server.url())};
  valkey::Client publisher{server.url()};
  Recorder rec;
  rec.attach(sub);
  REQUIRE_FALSE(change(ioc, sub, "subscribe", {"news", "sport"}));
  REQUIRE_FALSE(change(ioc, sub, "psubscribe", {"weather.*"}));
  REQUIRE_FALSE(change(ioc, sub, "ssubscribe", {"orders"}));
  CHECK(sub.connection().protocol() == valkey::Protocol::resp2);
  CHECK(sub.subscriptions() == 4);
  // One confirmation per name, in order, with the server's counts.
  REQUIRE(rec.events.size() == 4);
  CHECK(rec.events[0].kind == Kind::subscribed);
  CHECK(rec.events[0].kind_name == "subscribe");
  CHECK(rec.events[0].channel == "news");
  CHECK(rec.events[0].count == 1);
  CHECK(rec.events[1].channel == "sport");
  CHECK(rec.events[1].count == 2);
  CHECK(rec.events[2].kind_name == "psubscribe");
  CHECK(rec.events[2].channel == "weather.*");
  CHECK(rec.events[2].count == 3);
  CHECK(rec.events[3].kind_name == "ssubscribe");
  CHECK(rec.events[3].channel == "orders");
  const std::string line = pubsub_client_line(server);
  INFO(line);
  CHECK(line.find("resp=2") != std::string::npos);
  CHECK(line.find("sub=2") != std::string::npos);
  CHECK(line.find("psub=1") != std::string::npos);
  CHECK(line.find("ssub=1") != std::string::npos);

  CHECK(publisher.publish("news", "hello") == 1);
  CHECK(publisher.publish("weather.rome", "sunny") == 1);
  CHECK(publisher.spublish("orders", "o-1") == 1);
  CHECK(publisher.publish("sport", "goal") == 1);
  REQUIRE(run_until(ioc, [&] { return rec.messages.size() == 4; }, 10s));
  CHECK(rec.messages[0].kind == valkey::Message::Kind::message);
  CHECK(rec.messages[0].channel == "news");
  CHECK(rec.messages[0].payload == "hello");
  CHECK(rec.messages[1].kind == valkey::Message::Kind::pmessage);
  CHECK(rec.messages[1].pattern == "weather.*");
  CHECK(rec.messages[1].channel == "weather.rome");
  CHECK(rec.messages[1].payload == "sunny");
  CHECK(rec.messages[2].kind == valkey::Message::Kind::smessage);
  CHECK(rec.messages[2].channel == "orders");
  CHECK(rec.messages[2].payload == "o-1");
  CHECK(rec.messages[3].payload == "goal");

  // A (un)subscribe while messages stream in: its PING's ["pong", ""] is the
  // reply that completes it, the interleaved messages still reach us.
  std::atomic<bool> stop{false};
  std::thread flood([&] {
    valkey::Client p{server.url()};
    for (int i = 0; !stop && i < 200000; ++i) p.publish("news", "flood");
  });
  int rounds = 0;
  for (; rounds < 20 || (rec.messages.size() < 200 && rounds < 5000); ++rounds) {
    REQUIRE_FALSE(change(ioc, sub, "subscribe", {"extra"}));
    REQUIRE_FALSE(change(ioc, sub, "unsubscribe", {"extra"}));
  }
  stop = true;
  flood.join();
  INFO("rounds: " << rounds);
  CHECK(rec.messages.size() >= 200);  // messages did arrive among the calls' replies
  CHECK(publisher.publish("sport", "last") == 1);
  REQUIRE(run_until(ioc, [&] { return !rec.messages.empty() && rec.messages.back().payload == "last"; }, 10s));
  CHECK(std::all_of(rec.messages.begin() + 4, rec.messages.end() - 1,
                    [](const valkey::Message& m) { return m.channel == "news" && m.payload == "flood"; }));
  CHECK(sub.connection().stats().connects == 1);  // never out of sync
  CHECK(sub.subscriptions() == 4);
  sub.close();
  ioc.run();
}

}  // namespace

TEST_CASE("pubsub RESP2: subscribe, psubscribe, ssubscribe; messages interleaved with replies", "[pubsub][resp2]") {
  ServerProcess server;
  subscribe_and_receive_resp2(server);
}

TEST_CASE("pubsub RESP2: Redis 7 in subscribed mode", "[pubsub][resp2][redis]") {
  valkey::test::Redis7 redis;
  INFO(redis.log());
  subscribe_and_receive_resp2(redis);
}

TEST_CASE("pubsub RESP2: a client configured for RESP2 gets a RESP2 subscriber", "[pubsub][resp2]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), resp2_config(server.url())};
  valkey::Subscriber sub{c};
  valkey::Client publisher{server.url()};
  bool subscribed = false;
  valkey::Message got;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    std::vector<std::string> channels{"ch"};
    co_await sub.subscribe(channels, asio::use_awaitable);
    subscribed = true;
    got = co_await sub.receive(asio::use_awaitable);  // the receive() queue, on RESP2
  }, asio::detached);
  REQUIRE(run_until(ioc, [&] { return subscribed; }, 10s));
  CHECK(sub.connection().protocol() == valkey::Protocol::resp2);
  CHECK(publisher.publish("ch", "via-queue") == 1);
  REQUIRE(run_until(ioc, [&] { return !got.payload.empty(); }, 10s));
  CHECK(got.channel == "ch");
  CHECK(got.payload == "via-queue");
  // the client's own RESP2 connection is untouched
  bool pinged = false;
  c.async_ping([&](std::error_code ec, valkey::Ok) { pinged = !ec; });
  REQUIRE(run_until(ioc, [&] { return pinged; }, 10s));
  sub.close();
  c.close();
  ioc.run();
}

TEST_CASE("pubsub RESP2: unsubscribe, punsubscribe, sunsubscribe; leaving subscribed mode and back", "[pubsub][resp2]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::Subscriber sub{ioc.get_executor(), resp2_config(server.url())};
  valkey::Client publisher{server.url()};
  Recorder rec;
  rec.attach(sub);
  REQUIRE_FALSE(change(ioc, sub, "subscribe", {"a", "b"}));
  REQUIRE_FALSE(change(ioc, sub, "psubscribe", {"p.*"}));
  REQUIRE_FALSE(change(ioc, sub, "ssubscribe", {"s"}));
  CHECK(publisher.publish("a", "1") == 1);
  REQUIRE(run_until(ioc, [&] { return rec.messages.size() == 1; }, 10s));

  rec.events.clear();
  REQUIRE_FALSE(change(ioc, sub, "unsubscribe", {"a"}));
  REQUIRE(rec.events.size() == 1);
  CHECK(rec.events[0].kind == Kind::unsubscribed);
  CHECK(rec.events[0].kind_name == "unsubscribe");
  CHECK(rec.events[0].channel == "a");
  CHECK(sub.subscriptions() == 3);
  CHECK(publisher.publish("a", "2") == 0);
  CHECK(publisher.publish("b", "3") == 1);

  REQUIRE_FALSE(change(ioc, sub, "punsubscribe", {}));  // no names: every pattern
  CHECK(rec.events.back().kind_name == "punsubscribe");
  CHECK(rec.events.back().channel == "p.*");
  CHECK(publisher.publish("p.x", "4") == 0);
  REQUIRE_FALSE(change(ioc, sub, "sunsubscribe", {"s"}));
  CHECK(rec.events.back().kind_name == "sunsubscribe");
  CHECK(publisher.spublish("s", "5") == 0);
  CHECK(sub.subscriptions() == 1);

  // The last one: the server leaves subscribed mode, the PING that completes
  // the call is answered +PONG instead of ["pong", ""].
  REQUIRE_FALSE(change(ioc, sub, "unsubscribe", {}));
  CHECK(rec.events.back().channel == "b");
  CHECK(rec.events.back().count == 0);
  CHECK(sub.subscriptions() == 0);
  CHECK(publisher.publish("b", "6") == 0);
  // Unsubscribing with nothing subscribed: one confirmation with a nil channel
  // (Valkey 8 refuses it outside subscribed mode with NOSUB instead: the call
  // fails with that text and the connection stays in sync).
  const auto before = rec.events.size();
  valkey::Diagnostics nosub;
  if (auto ec = change(ioc, sub, "unsubscribe", {}, &nosub)) {
    const auto& v = valkey::test::server_version();
    INFO(v.text);
    CHECK((v.valkey && v.major == 8));
    CHECK(ec == valkey::errc::server_error);
    CHECK(nosub.prefix() == "NOSUB");
  } else {
    REQUIRE(rec.events.size() == before + 1);
    CHECK(rec.events.back().channel.empty());
    CHECK(rec.events.back().count == 0);
  }
  // ... and back into subscribed mode.
  REQUIRE_FALSE(change(ioc, sub, "subscribe", {"c"}));
  CHECK(publisher.publish("c", "7") == 1);
  REQUIRE(run_until(ioc, [&] { return rec.messages.size() == 3; }, 10s));
  std::vector<std::string> payloads;
  for (auto& m : rec.messages) payloads.push_back(m.payload);
  CHECK(payloads == std::vector<std::string>{"1", "3", "7"});
  CHECK(sub.connection().stats().connects == 1);
  sub.close();
  ioc.run();
}

TEST_CASE("pubsub RESP2: CLIENT KILL -> disconnected, resubscribed on RESP2, messages flow again", "[pubsub][resp2]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::Subscriber sub{ioc.get_executor(), resp2_config(server.url())};
  valkey::Client publisher{server.url()};
  Recorder rec;
  rec.attach(sub);
  REQUIRE_FALSE(change(ioc, sub, "subscribe", {"ch", "ch2"}));
  REQUIRE_FALSE(change(ioc, sub, "psubscribe", {"p.*"}));
  REQUIRE_FALSE(change(ioc, sub, "ssubscribe", {"sh"}));
  CHECK(publisher.publish("ch", "before") == 1);
  REQUIRE(run_until(ioc, [&] { return rec.messages.size() == 1; }, 10s));

  rec.events.clear();
  CHECK(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}).integer == 1);
  REQUIRE(run_until(ioc, [&] { return rec.has(Kind::resubscribed); }, 10s));
  CHECK(rec.has(Kind::disconnected));
  CHECK_FALSE(rec.has(Kind::resubscribe_failed));
  auto it = std::find_if(rec.events.begin(), rec.events.end(), [](auto& e) { return e.kind == Kind::resubscribed; });
  CHECK(it->count == 4);
  // the confirmations of the restore came as RESP2 arrays, before it completed
  CHECK(std::count_if(rec.events.begin(), it, [](auto& e) { return e.kind == Kind::subscribed; }) == 4);
  CHECK(sub.connection().stats().connects == 2);
  CHECK(sub.connection().protocol() == valkey::Protocol::resp2);
  const std::string line = pubsub_client_line(server);
  INFO(line);
  CHECK(line.find("resp=2") != std::string::npos);
  CHECK(line.find("sub=2") != std::string::npos);
  CHECK(line.find("psub=1") != std::string::npos);
  CHECK(line.find("ssub=1") != std::string::npos);

  CHECK(publisher.publish("ch2", "after") == 1);
  CHECK(publisher.publish("p.x", "pattern-after") == 1);
  CHECK(publisher.spublish("sh", "shard-after") == 1);
  REQUIRE(run_until(ioc, [&] { return rec.messages.size() == 4; }, 10s));
  CHECK(rec.messages[1].payload == "after");
  CHECK(rec.messages[2].pattern == "p.*");
  CHECK(rec.messages[3].kind == valkey::Message::Kind::smessage);
  // and (un)subscribe calls keep working on the new connection
  REQUIRE_FALSE(change(ioc, sub, "unsubscribe", {"ch"}));
  CHECK(publisher.publish("ch", "gone") == 0);
  sub.close();
  ioc.run();
}

TEST_CASE("pubsub RESP2: the idle health check's PING is answered [\"pong\", \"\"] in subscribed mode",
          "[pubsub][resp2]") {
  ServerProcess server;
  asio::io_context ioc;
  auto cfg = resp2_config(server.url());
  cfg.health_check_interval = 50ms;
  valkey::Subscriber sub{ioc.get_executor(), cfg};
  valkey::Client publisher{server.url()};
  Recorder rec;
  rec.attach(sub);
  REQUIRE_FALSE(change(ioc, sub, "subscribe", {"hc"}));
  const auto pings = sub.connection().stats().pings;
  // idle: a PING every other interval or so, each answered and matched
  run_until(ioc, [] { return false; }, 600ms);
  CHECK(sub.connection().stats().pings >= pings + 3);
  CHECK(sub.connection().stats().connects == 1);
  CHECK_FALSE(rec.has(Kind::disconnected));
  CHECK(sub.connection().pending() == 0);
  CHECK(publisher.publish("hc", "still-here") == 1);
  REQUIRE(run_until(ioc, [&] { return rec.messages.size() == 1; }, 10s));
  CHECK(rec.messages[0].payload == "still-here");
  sub.close();
  ioc.run();
}

TEST_CASE("pubsub RESP2: a server that refuses HELLO -> the subscriber falls back to RESP2", "[pubsub][resp2]") {
  ServerOptions o;
  o.config = {"rename-command HELLO \"\""};
  ServerProcess server{o};
  asio::io_context ioc;
  // configured for RESP3 (the default): the handshake falls back
  auto cfg = valkey::Config::from_url(server.url());
  cfg.reconnect.initial_delay = 10ms;
  valkey::Subscriber sub{ioc.get_executor(), cfg};
  valkey::Client publisher{server.url()};
  Recorder rec;
  rec.attach(sub);
  REQUIRE_FALSE(change(ioc, sub, "subscribe", {"fb"}));
  REQUIRE_FALSE(change(ioc, sub, "psubscribe", {"fb.*"}));
  CHECK(sub.connection().protocol() == valkey::Protocol::resp2);
  CHECK(pubsub_client_line(server).find("resp=2") != std::string::npos);
  CHECK(publisher.publish("fb", "x") == 1);
  CHECK(publisher.publish("fb.y", "y") == 1);
  REQUIRE(run_until(ioc, [&] { return rec.messages.size() == 2; }, 10s));
  CHECK(rec.messages[0].payload == "x");
  CHECK(rec.messages[1].pattern == "fb.*");
  // and the restore after a reconnect, on the fallback protocol too
  CHECK(server.command({"CLIENT", "KILL", "TYPE", "pubsub"}).integer == 1);
  REQUIRE(run_until(ioc, [&] { return rec.has(Kind::resubscribed); }, 10s));
  CHECK(publisher.publish("fb", "z") == 1);
  REQUIRE(run_until(ioc, [&] { return rec.messages.size() == 3; }, 10s));
  sub.close();
  ioc.run();
}

// ---------------------------------------------------------------- errors

TEST_CASE("pubsub: a refused SUBSCRIBE fails with server_error; the connection stays in sync", "[pubsub][resp2]") {
  ServerOptions o;
  o.users = {{"limited", "pw", "~* &allowed* +@all"}};
  ServerProcess server{o};
  for (auto protocol : {valkey::Protocol::resp3, valkey::Protocol::resp2}) {
    DYNAMIC_SECTION((protocol == valkey::Protocol::resp3 ? "RESP3" : "RESP2")) {
      asio::io_context ioc;
      auto cfg = valkey::Config::from_url(server.url());
      cfg.user = "limited";
      cfg.password = "pw";
      cfg.protocol = protocol;
      valkey::Subscriber sub{ioc.get_executor(), cfg};
      valkey::Client publisher{server.url()};
      Recorder rec;
      rec.attach(sub);
      REQUIRE_FALSE(change(ioc, sub, "subscribe", {"allowed1"}));
      valkey::Diagnostics diag;
      CHECK(change(ioc, sub, "subscribe", {"allowed2", "forbidden"}, &diag) == valkey::errc::server_error);
      CHECK(diag.prefix() == "NOPERM");
      CHECK(change(ioc, sub, "psubscribe", {"forbidden.*"}, &diag) == valkey::errc::server_error);
      CHECK(diag.prefix() == "NOPERM");
      // nothing of the refused calls is kept for the next reconnect
      CHECK(sub.subscriptions() == 1);
      // the connection never went out of sync: no reconnect, calls and
      // messages keep working
      REQUIRE_FALSE(change(ioc, sub, "subscribe", {"allowed2"}, &diag));
      CHECK(diag.empty());
      CHECK(sub.subscriptions() == 2);
      CHECK(publisher.publish("allowed2", "ok") == 1);
      REQUIRE(run_until(ioc, [&] { return rec.messages.size() == 1; }, 10s));
      CHECK(rec.messages[0].payload == "ok");
      CHECK(sub.connection().stats().connects == 1);
      CHECK_FALSE(rec.has(Kind::disconnected));
      CHECK(sub.connection().protocol() == protocol);
      sub.close();
      ioc.run();
    }
  }
}

TEST_CASE("pubsub: subscribe with no names fails with invalid_argument, nothing is sent", "[pubsub][resp2]") {
  ServerProcess server;
  for (auto protocol : {valkey::Protocol::resp3, valkey::Protocol::resp2}) {
    DYNAMIC_SECTION((protocol == valkey::Protocol::resp3 ? "RESP3" : "RESP2")) {
      asio::io_context ioc;
      auto cfg = valkey::Config::from_url(server.url());
      cfg.protocol = protocol;
      valkey::Subscriber sub{ioc.get_executor(), cfg};
      REQUIRE_FALSE(change(ioc, sub, "subscribe", {"x"}));
      const auto written = sub.connection().stats().requests_written;
      // completes (posted, not inside the call) with a clear error
      for (const char* verb : {"subscribe", "psubscribe", "ssubscribe"}) {
        INFO(verb);
        CHECK(change(ioc, sub, verb, {}) == valkey::errc::invalid_argument);
      }
      CHECK(sub.connection().stats().requests_written == written);
      CHECK(sub.subscriptions() == 1);
      sub.close();
      // after close(): connection_closed, not a hang
      CHECK(change(ioc, sub, "subscribe", {"y"}) == valkey::errc::connection_closed);
      ioc.run();
    }
  }
}

// ------------------------------------------------------ scripted server

namespace {

using asio::ip::tcp;

// A RESP2-only server (HELLO is unknown) that answers SUBSCRIBE like a real
// one but writes everything one byte at a time, so arrays reach the client
// split across reads; LRANGE returns ["message", "a", "b"] — a reply that
// merely looks like a message. `malformed` makes PUBLISH send a 2-element
// "message" array, which no server sends.
class Resp2FakeServer {
 public:
  Resp2FakeServer() : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~Resp2FakeServer() {
    ioc_.stop();
    thread_.join();
  }
  std::string url() const { return "valkey://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  int connections() const { return connections_; }

 private:
  static std::string bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }

  std::string respond(const std::vector<std::string>& a, int& subscribed) {
    if (a[0] == "HELLO") return "-ERR unknown command 'HELLO'\r\n";
    if (a[0] == "PING") return subscribed ? "*2\r\n" + bulk("pong") + bulk("") : "+PONG\r\n";
    if (a[0] == "LRANGE") return "*3\r\n" + bulk("message") + bulk("a") + bulk("b");
    if (a[0] == "SUBSCRIBE") {
      std::string out;
      for (std::size_t i = 1; i < a.size(); ++i)
        out += "*3\r\n" + bulk("subscribe") + bulk(a[i]) + ":" + std::to_string(++subscribed) + "\r\n";
      // and a message right behind the confirmations, before PING's reply
      out += "*3\r\n" + bulk("message") + bulk(a[1]) + bulk("first");
      return out;
    }
    if (a[0] == "PUBLISH") {
      if (a[2] == "malformed") return ":1\r\n*2\r\n" + bulk("message") + bulk(a[1]);
      return ":1\r\n*3\r\n" + bulk("message") + bulk(a[1]) + bulk(a[2]);  // to itself, for the test
    }
    if (a[0] == "CLIENT") return "+OK\r\n";
    return "-ERR unknown command\r\n";
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket s = co_await acceptor_.async_accept(asio::use_awaitable);
      s.set_option(tcp::no_delay(true));
      ++connections_;
      asio::co_spawn(ioc_, session(std::move(s)), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket s) {
    std::string buf;
    char chunk[4096];
    int subscribed = 0;
    asio::steady_timer pause(ioc_);
    try {
      for (;;) {
        std::size_t n = co_await s.async_read_some(asio::buffer(chunk), asio::use_awaitable);
        buf.append(chunk, n);
        std::vector<std::string> args;
        while (valkey::test::take_command(buf, args)) {
          std::string out = respond(args, subscribed);
          for (char c : out) {  // one byte per write, with a breath in between
            co_await asio::async_write(s, asio::buffer(&c, 1), asio::use_awaitable);
            pause.expires_after(std::chrono::microseconds(200));
            co_await pause.async_wait(asio::use_awaitable);
          }
        }
      }
    } catch (const std::exception&) {
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> connections_{0};
};

// A raw request on the subscriber's connection.
struct RawRequest final : valkey::RequestBase {
  bool done = false;
  std::error_code ec;
  void on_node(const valkey::resp::Node&) override {}
  void on_reply_end() override {}
  void on_complete(std::error_code e) override {
    ec = e;
    done = true;
  }
};

}  // namespace

TEST_CASE("pubsub RESP2 (scripted server): arrays split across reads are routed by their first element",
          "[pubsub][resp2][push]") {
  Resp2FakeServer server;
  asio::io_context ioc;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.reconnect.initial_delay = 10ms;
  valkey::Subscriber sub{ioc.get_executor(), cfg};
  Recorder rec;
  rec.attach(sub);
  REQUIRE_FALSE(change(ioc, sub, "subscribe", {"c1", "c2"}));
  CHECK(sub.connection().protocol() == valkey::Protocol::resp2);
  REQUIRE(rec.events.size() == 2);
  CHECK(rec.events[1].channel == "c2");
  CHECK(rec.events[1].count == 2);
  REQUIRE(rec.messages.size() == 1);  // sent before the PING's reply: already here
  CHECK(rec.messages[0].channel == "c1");
  CHECK(rec.messages[0].payload == "first");
  CHECK(sub.connection().stats().reads > 20);  // it did come in pieces

  // A plain client on the same (RESP2) server: pub/sub mode is off, so an
  // array that looks like a message is the reply it is.
  valkey::AsyncClient c{ioc.get_executor(), cfg};
  bool got_reply = false;
  c.call({"LRANGE", "l", "0", "-1"}, [&](std::error_code ec, valkey::Reply r) {
    REQUIRE_FALSE(ec);
    REQUIRE(r.size() == 3);
    CHECK(r[0].as_string() == "message");
    got_reply = true;
  });
  REQUIRE(run_until(ioc, [&] { return got_reply; }, 10s));
  CHECK_FALSE(c.connection().pubsub_mode());
  c.close();

  // A pub/sub array no server sends (a 2-element "message") is not a
  // message: with no request waiting it is a protocol error, the connection
  // is dropped and restored, nothing hangs.
  RawRequest publish;
  REQUIRE_FALSE(sub.connection().submit_encoded(publish, "*3\r\n$7\r\nPUBLISH\r\n$2\r\nc1\r\n$9\r\nmalformed\r\n"));
  REQUIRE(run_until(ioc, [&] { return publish.done; }, 10s));
  CHECK_FALSE(publish.ec);  // its own reply (:1) came first
  REQUIRE(run_until(ioc, [&] { return rec.has(Kind::resubscribed); }, 10s));
  CHECK(rec.has(Kind::disconnected));
  CHECK(server.connections() >= 3);  // subscriber twice, the plain client once
  CHECK(rec.messages.size() == 2);   // the restore's SUBSCRIBE produced one more "first"
  sub.close();
  ioc.run();
}
