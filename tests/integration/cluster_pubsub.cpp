// ClusterSubscriber against real clusters: shard channels in several slots
// on their owners; a slot moved with CLUSTER SETSLOT ... NODE (the server's
// unsolicited sunsubscribe) → subscribed again at the new owner, reported as
// `moved`; a killed primary → classic channels move at once, shard channels
// once its replica is promoted. SyncClusterSubscriber, the blocking form.
#include <catch2/catch_test_macros.hpp>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>

#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_subscriber.hpp>
#include <valkey/cluster/sync_cluster_subscriber.hpp>

#include "client_test_util.hpp"
#include "support/cluster.hpp"
#include "support/wait.hpp"

using namespace std::chrono_literals;
using valkey::test::Cluster;
using Event = valkey::ClusterSubscriptionEvent;

namespace {

Cluster& pubsub_cluster() {
  static Cluster cluster;
  return cluster;
}

// A channel "{tag<i>}:<name>" whose slot the node on `port` owns (or, with
// port 0, any), different from `avoid_slots`.
std::string channel_on(Cluster& c, int port, const std::string& name, std::vector<int>& used_slots) {
  for (int i = 0; i < 1000; ++i) {
    std::string ch = "{tag" + std::to_string(i) + "}:" + name;
    const int slot = Cluster::key_slot(ch);
    if (std::find(used_slots.begin(), used_slots.end(), slot) != used_slots.end()) continue;
    if (port != 0 && c.port_for_slot(slot) != port) continue;
    used_slots.push_back(slot);
    return ch;
  }
  FAIL("no channel found");
  return {};
}

// An AsyncClusterClient and a ClusterSubscriber on one io_context, driven by
// the test thread.
struct Run {
  asio::io_context ioc;
  std::optional<valkey::AsyncClusterClient> client;
  std::optional<valkey::ClusterSubscriber> sub;
  std::vector<valkey::Message> messages;
  std::vector<Event> events;

  explicit Run(valkey::ClusterConfig cfg) {
    client.emplace(ioc.get_executor(), std::move(cfg));
    sub.emplace(*client);
    sub->on_message([this](const valkey::Message& m) { messages.push_back(m); });
    sub->on_event([this](const Event& e) { events.push_back(e); });
  }
  ~Run() {
    sub->close();
    sub.reset();
    client.reset();
    ioc.restart();
    ioc.run_for(2s);
  }

  template <class Start>
  std::error_code call(Start start) {
    bool done = false;
    std::error_code out;
    start([&](std::error_code ec, valkey::Ok) {
      out = ec;
      done = true;
    });
    REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 15s));
    return out;
  }
  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds limit = 15s) {
    return valkey::test::run_until(ioc, pred, limit);
  }
  bool got(const std::string& channel, const std::string& payload) const {
    for (const auto& m : messages)
      if (m.channel == channel && m.payload == payload) return true;
    return false;
  }
  bool moved_to(const std::string& channel, const std::string& node) const {
    for (const auto& e : events)
      if (e.kind == Event::Kind::moved && e.channel == channel && e.node == node) return true;
    return false;
  }
  // SPUBLISH / PUBLISH through the cluster client.
  std::int64_t spublish(const std::string& channel, const std::string& payload) {
    bool done = false;
    std::int64_t n = -1;
    client->spublish(channel, payload, [&](std::error_code ec, std::int64_t r) {
      n = ec ? -1 : r;
      done = true;
    });
    REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 10s));
    return n;
  }
};

valkey::ClusterConfig config_of(const Cluster& c) {
  auto cfg = valkey::ClusterConfig::from_url(c.seed_url());
  cfg.node.connect_timeout = 500ms;
  cfg.node.request_timeout = 2s;
  return cfg;
}

}  // namespace

TEST_CASE("cluster pub/sub: shard channels in several slots are subscribed on each owner", "[cluster][cluster-pubsub]") {
  Cluster& cluster = pubsub_cluster();
  Run r(config_of(cluster));
  std::vector<int> slots;
  std::vector<std::string> channels;
  for (std::size_t p = 0; p < cluster.initial_primary_count(); ++p)
    channels.push_back(channel_on(cluster, cluster.node(p).port(), "room", slots));
  channels.push_back(channel_on(cluster, cluster.node(0).port(), "room2", slots));  // a second slot on node 0

  REQUIRE_FALSE(r.call([&](auto h) { r.sub->ssubscribe(channels, h); }));
  CHECK(r.sub->subscriptions() == channels.size());
  for (const auto& ch : channels) {
    const int port = cluster.port_for_slot(Cluster::key_slot(ch));
    CHECK(r.sub->node_of(ch) == "127.0.0.1:" + std::to_string(port));
    // The owner counts one subscriber on it.
    const auto numsub = cluster.node(cluster.node_on_port(port)).command({"PUBSUB", "SHARDNUMSUB", ch});
    CHECK(numsub.elements.at(1).integer == 1);
  }
  for (const auto& ch : channels) CHECK(r.spublish(ch, "hello " + ch) == 1);
  CHECK(r.wait([&] { return r.messages.size() == channels.size(); }));
  for (const auto& ch : channels) {
    CHECK(r.got(ch, "hello " + ch));
  }
  for (const auto& m : r.messages) CHECK(m.kind == valkey::Message::Kind::smessage);

  // Classic channels too, on one node; a message published on any node arrives.
  REQUIRE_FALSE(r.call([&](auto h) { r.sub->subscribe({"news"}, h); }));
  REQUIRE_FALSE(r.sub->classic_node().empty());
  for (std::size_t i = 0; i < cluster.initial_primary_count(); ++i)
    cluster.node(i).command({"PUBLISH", "news", "from " + std::to_string(i)});
  CHECK(r.wait([&] { return r.got("news", "from 0") && r.got("news", "from 1") && r.got("news", "from 2"); }));

  // Unsubscribed: nothing is left on the owners.
  REQUIRE_FALSE(r.call([&](auto h) { r.sub->sunsubscribe({}, h); }));
  CHECK(r.sub->subscriptions() == 1);
  for (const auto& ch : channels) {
    const int port = cluster.port_for_slot(Cluster::key_slot(ch));
    CHECK(cluster.node(cluster.node_on_port(port)).command({"PUBSUB", "SHARDNUMSUB", ch}).elements.at(1).integer == 0);
  }
  // No names: invalid_argument, nothing sent.
  CHECK(r.call([&](auto h) { r.sub->ssubscribe(std::vector<std::string>{}, h); }) == valkey::errc::invalid_argument);
}

TEST_CASE("cluster pub/sub: with read_from prefer_replica, shard channels are subscribed on a replica of their shard",
          "[cluster][cluster-pubsub]") {
  Cluster& cluster = pubsub_cluster();
  auto cfg = config_of(cluster);
  cfg.read_from = valkey::ReadFrom::prefer_replica;
  Run r(cfg);
  std::vector<int> slots;
  std::vector<std::string> channels;
  for (std::size_t p = 0; p < cluster.size(); ++p)
    if (cluster.role(p) == "master") channels.push_back(channel_on(cluster, cluster.node(p).port(), "replicated", slots));
  REQUIRE(channels.size() == cluster.initial_primary_count());

  REQUIRE_FALSE(r.call([&](auto h) { r.sub->ssubscribe(channels, h); }));
  for (const auto& ch : channels) {
    const int owner = cluster.port_for_slot(Cluster::key_slot(ch));
    const std::string node = r.sub->node_of(ch);
    INFO(ch << " on " << node << ", owner port " << owner);
    const std::size_t i = cluster.node_on_port(std::stoi(node.substr(node.rfind(':') + 1)));
    // A replica, and one of that slot's shard: ROLE names its primary's port.
    const auto role = cluster.node(i).command({"ROLE"});
    REQUIRE(role.elements.at(0).as_string() == "slave");
    CHECK(role.elements.at(2).integer == owner);
    CHECK(cluster.node(i).command({"PUBSUB", "SHARDNUMSUB", ch}).elements.at(1).integer == 1);
  }
  // Published on the primary, which forwards it to the shard's replicas over
  // the cluster bus. Pub/sub delivers at most once: a bus link that is being
  // re-established (a loaded machine) drops the message, so one not received
  // within a second is published again, up to the wait's limit.
  auto all_received = [&] {
    for (const auto& ch : channels)
      if (!r.got(ch, "via replica " + ch)) return false;
    return true;
  };
  const auto give_up = std::chrono::steady_clock::now() + 15s;
  while (!all_received() && std::chrono::steady_clock::now() < give_up) {
    for (const auto& ch : channels)
      if (!r.got(ch, "via replica " + ch)) CHECK(r.spublish(ch, "via replica " + ch) >= 0);
    r.wait(all_received, 1s);
  }
  for (const auto& ch : channels) CHECK(r.got(ch, "via replica " + ch));
  REQUIRE_FALSE(r.call([&](auto h) { r.sub->sunsubscribe({}, h); }));
}

TEST_CASE("cluster pub/sub: a shard channel whose slot moves is subscribed again at the new owner",
          "[cluster][cluster-pubsub]") {
  Cluster& cluster = pubsub_cluster();
  Run r(config_of(cluster));
  std::vector<int> slots;
  const std::string moving = channel_on(cluster, cluster.node(0).port(), "moving", slots);
  const std::string staying = channel_on(cluster, cluster.node(0).port(), "staying", slots);
  REQUIRE_FALSE(r.call([&](auto h) { r.sub->ssubscribe({moving, staying}, h); }));
  REQUIRE(r.sub->node_of(moving) == cluster.address(0));

  // The slot (no keys in it) goes to node 1; the old owner drops the slot's
  // shard channels and tells the subscriber (sunsubscribe).
  const int slot = Cluster::key_slot(moving);
  cluster.give_slot(slot, 1);
  const auto start = std::chrono::steady_clock::now();
  CHECK(r.wait([&] { return r.moved_to(moving, cluster.address(1)); }, 10s));
  const auto took = std::chrono::steady_clock::now() - start;
  INFO("resubscribed after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took < 3s);
  CHECK(r.sub->node_of(moving) == cluster.address(1));
  CHECK(r.sub->node_of(staying) == cluster.address(0));
  bool dropped_seen = false;
  for (const auto& e : r.events)
    dropped_seen |= e.kind == Event::Kind::unsubscribed && e.kind_name == "sunsubscribe" && e.channel == moving;
  CHECK(dropped_seen);

  CHECK(r.spublish(moving, "after the move") == 1);
  CHECK(r.spublish(staying, "still here") == 1);
  CHECK(r.wait([&] { return r.got(moving, "after the move") && r.got(staying, "still here"); }));
  CHECK(cluster.node(1).command({"PUBSUB", "SHARDNUMSUB", moving}).elements.at(1).integer == 1);

  // Back to node 0 (the fixture's layout for the other tests).
  cluster.give_slot(slot, 0);
  CHECK(r.wait([&] { return r.moved_to(moving, cluster.address(0)); }, 10s));
}

TEST_CASE("cluster pub/sub: SyncClusterSubscriber receives on the calling thread and follows a moved slot",
          "[cluster][cluster-pubsub]") {
  Cluster& cluster = pubsub_cluster();
  valkey::SyncClusterSubscriber sub{config_of(cluster)};
  std::vector<Event> events;
  sub.on_event([&](const Event& e) { events.push_back(e); });
  std::vector<int> slots;
  const std::string a = channel_on(cluster, cluster.node(0).port(), "sync-a", slots);
  const std::string b = channel_on(cluster, cluster.node(1).port(), "sync-b", slots);
  sub.ssubscribe(std::vector<std::string>{a, b});
  sub.subscribe(std::vector<std::string>{"sync-news"});
  CHECK(sub.subscriptions() == 3);
  CHECK(sub.node_of(a) == cluster.address(0));
  CHECK(sub.node_of(b) == cluster.address(1));

  // Published by other connections on the owners (and the classic channel
  // on any primary); nothing runs the subscriber's connections but
  // receive() on this thread.
  cluster.node(0).command({"SPUBLISH", a, "one"});
  cluster.node(1).command({"SPUBLISH", b, "two"});
  cluster.node(2).command({"PUBLISH", "sync-news", "three"});
  std::vector<valkey::Message> got;
  auto receive_until = [&](std::size_t n) {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (got.size() < n && std::chrono::steady_clock::now() < give_up)
      if (auto m = sub.receive(200ms)) got.push_back(std::move(*m));
    return got.size() >= n;
  };
  REQUIRE(receive_until(3));
  auto has = [&](const std::string& channel, const std::string& payload) {
    return std::any_of(got.begin(), got.end(), [&](const valkey::Message& m) {
      return m.channel == channel && m.payload == payload;
    });
  };
  CHECK(has(a, "one"));
  CHECK(has(b, "two"));
  CHECK(has("sync-news", "three"));
  CHECK_FALSE(sub.receive(0ms).has_value());  // nothing else was published

  // The slot of `a` goes to node 2: the subscriber follows it while
  // receive() runs, reports `moved`, and messages published there arrive.
  const int slot = Cluster::key_slot(a);
  cluster.give_slot(slot, 2);
  auto moved_to = [&](const std::string& node) {
    return std::any_of(events.begin(), events.end(),
                       [&](const Event& e) { return e.kind == Event::Kind::moved && e.channel == a && e.node == node; });
  };
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!moved_to(cluster.address(2)) && std::chrono::steady_clock::now() < give_up) sub.receive(100ms);
  CHECK(moved_to(cluster.address(2)));
  CHECK(sub.node_of(a) == cluster.address(2));
  cluster.node(2).command({"SPUBLISH", a, "after the move"});
  CHECK(receive_until(4));
  CHECK(has(a, "after the move"));

  // stop() from another thread ends consume().
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    sub.stop();
  });
  sub.consume([](const valkey::Message&) {});
  stopper.join();

  // Back to node 0 (the fixture's layout for the other tests), then closed.
  cluster.give_slot(slot, 0);
  sub.close();
  CHECK_THROWS_AS(sub.receive(10ms), valkey::Error);
  std::error_code ec;
  sub.subscribe(std::vector<std::string>{"late"}, ec);
  CHECK(ec == valkey::errc::connection_closed);
}

TEST_CASE("cluster pub/sub: a killed primary's classic and shard channels move to live nodes",
          "[cluster][cluster-pubsub][cluster-failover]") {
  valkey::test::ClusterOptions o;
  o.node.cluster_node_timeout_ms = 1000;
  Cluster cluster(o);
  Run r(config_of(cluster));
  REQUIRE_FALSE(r.call([&](auto h) { r.sub->subscribe({"news"}, h); }));
  const std::string classic = r.sub->classic_node();
  std::size_t victim = 0;
  while (cluster.address(victim) != classic) ++victim;
  std::vector<int> slots;
  const std::string ch = channel_on(cluster, cluster.node(victim).port(), "failover", slots);
  REQUIRE_FALSE(r.call([&](auto h) { r.sub->ssubscribe({ch}, h); }));
  REQUIRE(r.sub->node_of(ch) == classic);

  cluster.node(victim).kill(SIGKILL);
  // Classic channels work on any node: moved at once.
  CHECK(r.wait([&] { return !r.sub->classic_node().empty() && r.sub->classic_node() != classic && r.moved_to("news", r.sub->classic_node()); }, 5s));
  std::size_t other = 0;
  while (other == victim || cluster.role(other) != "master") ++other;
  cluster.node(other).command({"PUBLISH", "news", "still delivered"});
  CHECK(r.wait([&] { return r.got("news", "still delivered"); }, 5s));

  // The shard channel once the replica took over the slot.
  const int slot = Cluster::key_slot(ch);
  valkey::test::wait_until("the slot's new primary", 20s, [&](std::string&) {
    try {
      return cluster.port_for_slot(slot) != cluster.node(victim).port();
    } catch (...) {
      return false;
    }
  });
  const std::string promoted = "127.0.0.1:" + std::to_string(cluster.port_for_slot(slot));
  CHECK(r.wait([&] { return r.moved_to(ch, promoted); }, 10s));
  CHECK(r.sub->node_of(ch) == promoted);
  CHECK(r.spublish(ch, "after failover") == 1);
  CHECK(r.wait([&] { return r.got(ch, "after failover"); }, 5s));
}
