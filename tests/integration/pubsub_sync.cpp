// valkey::SyncSubscriber against a real server: blocking receive with a
// timeout, consume until stop (from the callback, from another thread, and
// before it starts), a refused SUBSCRIBE, a kill and the resubscription,
// close.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::test::ServerOptions;
using valkey::test::ServerProcess;
using namespace std::chrono_literals;

TEST_CASE("sync pubsub: receive what another client publishes, nullopt when nothing comes", "[pubsub][sync-subscriber]") {
  ServerProcess server;
  valkey::Client publisher{server.url()};
  valkey::SyncSubscriber sub{publisher};  // same server and settings, its own connection
  sub.subscribe({"news"});
  sub.psubscribe({"alerts.*"});
  CHECK(sub.subscriptions() == 2);

  CHECK(publisher.publish("news", "one") == 1);
  CHECK(publisher.publish("alerts.disk", "full") == 1);
  auto a = sub.receive(5s);
  REQUIRE(a);
  CHECK(a->kind == valkey::Message::Kind::message);
  CHECK(a->channel == "news");
  CHECK(a->payload == "one");
  auto b = sub.receive(5s);
  REQUIRE(b);
  CHECK(b->kind == valkey::Message::Kind::pmessage);
  CHECK(b->pattern == "alerts.*");
  CHECK(b->channel == "alerts.disk");
  CHECK(b->payload == "full");

  CHECK_FALSE(sub.receive(50ms));  // nothing published
  CHECK_FALSE(sub.receive(0ms));

  sub.unsubscribe({"news"});
  CHECK(publisher.publish("news", "unheard") == 0);
  sub.punsubscribe();
  CHECK(sub.subscriptions() == 0);
}

TEST_CASE("sync pubsub: consume until stop, from the callback and from another thread", "[pubsub][sync-subscriber][threads]") {
  ServerProcess server;
  valkey::Client publisher{server.url()};
  valkey::SyncSubscriber sub{server.url()};
  sub.subscribe({"jobs"});
  for (int i = 0; i < 5; ++i) publisher.publish("jobs", std::to_string(i));

  std::vector<std::string> got;
  sub.consume([&](const valkey::Message& m) {
    got.push_back(m.payload);
    if (got.size() == 3) sub.stop();
  });
  CHECK(got == std::vector<std::string>{"0", "1", "2"});
  // What was not consumed is still queued, in order.
  auto next = sub.receive(5s);
  REQUIRE(next);
  CHECK(next->payload == "3");

  std::atomic<int> seen{0};
  std::thread stopper([&] {
    // Waits for the consumer to see one message, so the stop lands in a
    // consume() that is running.
    for (int i = 0; i < 500 && seen.load() == 0; ++i) std::this_thread::sleep_for(10ms);
    sub.stop();
  });
  sub.consume([&](const valkey::Message&) { seen.fetch_add(1); });
  stopper.join();
  CHECK(seen.load() >= 1);  // "4" was still queued

  // A stop before the consume starts is not lost.
  sub.stop();
  bool called = false;
  sub.consume([&](const valkey::Message&) { called = true; });
  CHECK_FALSE(called);
}

TEST_CASE("sync pubsub: a refused SUBSCRIBE throws server_error and the connection stays usable", "[pubsub][sync-subscriber]") {
  ServerOptions o;
  o.users = {{"limited", "pw", "~* &allowed* +@all"}};
  ServerProcess server{o};
  auto cfg = valkey::Config::from_url(server.url());
  cfg.user = "limited";
  cfg.password = "pw";
  valkey::SyncSubscriber sub{cfg};
  try {
    sub.subscribe({"allowed1", "forbidden"});
    FAIL("subscribed");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::server_error);
    CHECK(std::string(e.what()).find("NOPERM") != std::string::npos);
  }
  std::error_code ec;
  valkey::Diagnostics diag;
  sub.subscribe({"forbidden2"}, ec, &diag);
  CHECK(ec == valkey::errc::server_error);
  CHECK(diag.prefix() == "NOPERM");
  sub.subscribe({"allowed2"}, ec);
  CHECK_FALSE(ec);
  valkey::Client publisher{server.url()};
  CHECK(publisher.publish("allowed2", "hi") == 1);
  auto m = sub.receive(5s);
  REQUIRE(m);
  CHECK(m->payload == "hi");
}

TEST_CASE("sync pubsub: after the connection is killed it subscribes again and keeps receiving", "[pubsub][sync-subscriber]") {
  ServerProcess server;
  auto cfg = valkey::Config::from_url(server.url());
  cfg.reconnect.initial_delay = 10ms;
  valkey::SyncSubscriber sub{cfg};
  std::vector<valkey::SubscriptionEvent::Kind> events;
  sub.on_event([&](const valkey::SubscriptionEvent& e) { events.push_back(e.kind); });
  sub.subscribe({"ch"});
  valkey::Client publisher{server.url()};
  REQUIRE(publisher.call({"CLIENT", "KILL", "TYPE", "pubsub"}).as_integer() == 1);

  // Drive the subscriber until it is back: each receive runs its connection.
  auto resubscribed = [&] {
    for (auto k : events)
      if (k == valkey::SubscriptionEvent::Kind::resubscribed) return true;
    return false;
  };
  for (int i = 0; i < 100 && !resubscribed(); ++i) (void)sub.receive(50ms);
  REQUIRE(resubscribed());
  CHECK(publisher.publish("ch", "after") == 1);
  auto m = sub.receive(5s);
  REQUIRE(m);
  CHECK(m->payload == "after");
}

TEST_CASE("sync pubsub: calls after close fail with connection_closed", "[pubsub][sync-subscriber]") {
  ServerProcess server;
  valkey::SyncSubscriber sub{server.url()};
  sub.subscribe({"x"});
  sub.close();
  std::error_code ec;
  sub.subscribe({"y"}, ec);
  CHECK(ec == valkey::errc::connection_closed);
  try {
    (void)sub.receive(10ms);
    FAIL("received");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::connection_closed);
  }
}
