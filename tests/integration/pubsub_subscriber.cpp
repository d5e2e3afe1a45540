// valkey::Subscriber against a real server: channels, patterns, shard
// channels, the receive() queue and callbacks, resubscription after a kill.
#include <catch2/catch_test_macros.hpp>

#include <chrono>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/pubsub.hpp>
#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::test::ServerProcess;
using namespace std::chrono_literals;

namespace {
// Runs `ioc` until `done()` or the deadline.
template <class F>
bool run_until(asio::io_context& ioc, F done, std::chrono::milliseconds limit = 5000ms) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < until) ioc.run_for(5ms);
  return done();
}
}  // namespace

TEST_CASE("pubsub: subscribe, psubscribe, ssubscribe; receive what another client publishes", "[pubsub]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  valkey::Client publisher{server.url()};
  valkey::Subscriber sub{c};
  std::vector<valkey::Message> got;
  std::vector<valkey::SubscriptionEvent> events;
  sub.on_event([&](const valkey::SubscriptionEvent& e) { events.push_back(e); });
  bool subscribed = false;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    std::vector<std::string> channels{"news", "sport"}, patterns{"weather.*"}, shards{"orders"};
    co_await sub.subscribe(channels, asio::use_awaitable);
    co_await sub.psubscribe(patterns, asio::use_awaitable);
    co_await sub.ssubscribe(shards, asio::use_awaitable);
    subscribed = true;
    for (int i = 0; i < 4; ++i) got.push_back(co_await sub.receive(asio::use_awaitable));
  }, asio::detached);
  REQUIRE(run_until(ioc, [&] { return subscribed; }));
  CHECK(sub.subscriptions() == 4);
  CHECK(sub.connection().protocol() == valkey::Protocol::resp3);  // the default, followed
  CHECK(events.size() == 4);  // one confirmation per name
  CHECK(publisher.publish("news", "hello") == 1);
  CHECK(publisher.publish("weather.rome", "sunny") == 1);
  CHECK(publisher.spublish("orders", "o-1") == 1);
  CHECK(publisher.publish("sport", "goal") == 1);
  REQUIRE(run_until(ioc, [&] { return got.size() == 4; }));
  CHECK(got[0].kind == valkey::Message::Kind::message);
  CHECK(got[0].channel == "news");
  CHECK(got[0].payload == "hello");
  CHECK(got[1].kind == valkey::Message::Kind::pmessage);
  CHECK(got[1].pattern == "weather.*");
  CHECK(got[1].channel == "weather.rome");
  CHECK(got[1].payload == "sunny");
  CHECK(got[2].kind == valkey::Message::Kind::smessage);
  CHECK(got[2].channel == "orders");
  CHECK(got[3].payload == "goal");
  // the client's own connection is untouched: commands keep flowing
  bool pinged = false;
  c.async_ping([&](std::error_code ec, valkey::Ok) { pinged = !ec; });
  REQUIRE(run_until(ioc, [&] { return pinged; }));
  sub.close();
  c.close();
  ioc.run();
}

TEST_CASE("pubsub: CLIENT KILL -> disconnected, resubscribed, messages flow again", "[pubsub]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};  // RESP3; the RESP2 case: pubsub_resp2.cpp
  valkey::Client publisher{server.url()};
  valkey::Subscriber sub{c};
  std::vector<valkey::Message> got;
  std::vector<valkey::SubscriptionEvent::Kind> events;
  sub.on_message([&](const valkey::Message& m) { got.push_back(m); });
  sub.on_event([&](const valkey::SubscriptionEvent& e) { events.push_back(e.kind); });
  bool subscribed = false;
  std::vector<std::string> channels{"ch"}, patterns{"p.*"};
  sub.subscribe(channels, [&](std::error_code ec, valkey::Ok) {
    REQUIRE_FALSE(ec);
    sub.psubscribe(patterns, [&](std::error_code ec2, valkey::Ok) { subscribed = !ec2; });
  });
  REQUIRE(run_until(ioc, [&] { return subscribed; }));
  CHECK(publisher.publish("ch", "before") == 1);
  REQUIRE(run_until(ioc, [&] { return got.size() == 1; }));

  auto killed = server.command({"CLIENT", "KILL", "TYPE", "pubsub"});
  CHECK(killed.integer == 1);
  auto has = [&](valkey::SubscriptionEvent::Kind k) {
    return std::find(events.begin(), events.end(), k) != events.end();
  };
  REQUIRE(run_until(ioc, [&] { return has(valkey::SubscriptionEvent::Kind::resubscribed); }));
  CHECK(has(valkey::SubscriptionEvent::Kind::disconnected));
  CHECK(sub.connection().stats().connects == 2);
  CHECK(sub.connection().protocol() == valkey::Protocol::resp3);
  CHECK(publisher.publish("ch", "after") == 1);
  CHECK(publisher.publish("p.x", "pattern-after") == 1);
  REQUIRE(run_until(ioc, [&] { return got.size() == 3; }));
  CHECK(got[1].payload == "after");
  CHECK(got[2].pattern == "p.*");
  sub.close();
  c.close();
  ioc.run();
}

TEST_CASE("pubsub: unsubscribe stops delivery; close fails a pending receive", "[pubsub]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  valkey::Client publisher{server.url()};
  valkey::Subscriber sub{c};
  std::vector<std::string> channels{"a", "b"}, only_a{"a"};
  bool step = false;
  sub.subscribe(channels, [&](std::error_code ec, valkey::Ok) { step = !ec; });
  REQUIRE(run_until(ioc, [&] { return step; }));
  CHECK(publisher.publish("a", "1") == 1);
  step = false;
  sub.unsubscribe(only_a, [&](std::error_code ec, valkey::Ok) { step = !ec; });
  REQUIRE(run_until(ioc, [&] { return step; }));
  CHECK(sub.subscriptions() == 1);
  CHECK(publisher.publish("a", "2") == 0);
  CHECK(publisher.publish("b", "3") == 1);
  std::vector<std::string> payloads;
  std::error_code last;
  bool closed = false;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    for (;;) {
      auto [ec, m] = co_await sub.receive(asio::experimental::as_tuple(asio::use_awaitable));
      if (ec) {
        last = ec;
        closed = true;
        co_return;
      }
      payloads.push_back(m.payload);
    }
  }, asio::detached);
  REQUIRE(run_until(ioc, [&] { return payloads.size() == 2; }));
  CHECK(payloads == std::vector<std::string>{"1", "3"});
  sub.close();
  REQUIRE(run_until(ioc, [&] { return closed; }));
  CHECK(last);
  c.close();
  ioc.run();
}
