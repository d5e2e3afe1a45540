// A measurement, not a check (hidden: run by scripts/bench-failover.sh, never
// by ctest): kill -9 of the primary under a writing valkey::Client, N times
// on one sentinel fixture, and the time from the sentinels' switch to the
// client's first successful write after the kill.
//
// The switch is the moment a separate observer (plain connections
// subscribed to +switch-master on every sentinel, not the client's) receives
// the first announcement of it; the figure from the last sentinel's
// announcement is reported too. After each failover the killed node is restarted as a replica
// of the new primary, and the next round waits until every sentinel sees
// the set healthy again.
//
// Environment: VALKEY_BENCH_FAILOVERS (default 10).
// Prints one line "bench-failover: {json}" to stdout.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <valkey/valkey.hpp>

#include "support/resp_client.hpp"
#include "support/sentinel.hpp"
#include "support/sentinel_events.hpp"
#include "support/wait.hpp"

using valkey::test::ReplicatedSet;
using valkey::test::Sentinels;
using valkey::test::SentinelEvents;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t ns_of(Clock::time_point t) { return t.time_since_epoch().count(); }
double ms_between(std::int64_t from_ns, std::int64_t to_ns) { return static_cast<double>(to_ns - from_ns) / 1e6; }

// A field of one SENTINEL REPLICAS entry (a flat name, value... array).
std::string field(const valkey::test::RespValue& entry, const std::string& name) {
  for (std::size_t i = 0; i + 1 < entry.elements.size(); i += 2)
    if (entry.elements[i].str == name) return entry.elements[i + 1].str;
  return {};
}

valkey::test::ServerProcess& node_on(ReplicatedSet& set, int port) {
  for (std::size_t i = 0; i < set.size(); ++i)
    if (set.node(i).port() == port) return set.node(i);
  throw std::runtime_error("no node on port " + std::to_string(port));
}

// Waits until every sentinel names the same primary and lists every other
// node as a replica that is up and linked to it; returns the primary's port.
int wait_healthy(ReplicatedSet& set, Sentinels& sentinels) {
  int port = 0;
  set.wait_synced(60s);
  valkey::test::wait_until("the sentinels to agree on a primary and see every replica up", 60s,
                           [&](std::string& state) {
    port = sentinels.master_port(0);
    for (std::size_t i = 0; i < sentinels.size(); ++i) {
      if (sentinels.master_port(i) != port) {
        state = "sentinel " + std::to_string(i) + " names " + std::to_string(sentinels.master_port(i)) +
                ", sentinel 0 " + std::to_string(port);
        return false;
      }
      auto replicas = sentinels.sentinel(i).command({"SENTINEL", "REPLICAS", "mymaster"});
      std::size_t up = 0;
      for (const auto& r : replicas.elements)
        if (field(r, "flags") == "slave" && field(r, "master-link-status") == "ok" &&
            field(r, "master-port") == std::to_string(port))
          ++up;
      if (up + 1 != set.size()) {
        state = "sentinel " + std::to_string(i) + " names " + std::to_string(port) + " and sees " +
                std::to_string(up) + " replicas up of";
        for (const auto& r : replicas.elements)
          state += " [" + field(r, "port") + " " + field(r, "flags") + " link " + field(r, "master-link-status") +
                   " to " + field(r, "master-port") + "]";
        return false;
      }
    }
    return true;
  }, 100ms);
  return port;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

TEST_CASE("bench: time from +switch-master to the first successful write, over kill -9 failovers",
          "[.][bench-failover]") {
  int failovers = 10;
  if (const char* n = std::getenv("VALKEY_BENCH_FAILOVERS")) failovers = std::max(1, std::atoi(n));
  ReplicatedSet set;
  Sentinels sentinels(set);
  // The observer listens on every sentinel: the switch is the first
  // announcement (the sentinel that ran the failover; the others learn it
  // from its hello messages, up to 2 s later).
  std::vector<std::unique_ptr<SentinelEvents>> observers;
  for (std::size_t i = 0; i < sentinels.size(); ++i)
    observers.push_back(std::make_unique<SentinelEvents>(sentinels.sentinel(i).port(),
                                                         std::vector<std::string>{"+switch-master"}));
  valkey::Client db{"valkey+sentinel://" + sentinels.addresses() + "/mymaster"};

  // One writer: INCR back to back, a 1 ms pause after a failure. The first
  // write after a kill is the first INCR begun after it that succeeds.
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> kill_ns{0}, first_ok_ns{0}, failed{0}, last_value{0};
  std::thread writer([&] {
    while (!stop.load()) {
      std::error_code ec;
      const std::int64_t start = ns_of(Clock::now());
      const std::int64_t v = db.incr("bench:failover", ec);
      const std::int64_t now = ns_of(Clock::now());
      if (ec) {
        ++failed;
        std::this_thread::sleep_for(1ms);
        continue;
      }
      last_value = v;
      const std::int64_t k = kill_ns.load();
      std::int64_t none = 0;
      // Begun after the kill: a reply the killed node sent before dying (read
      // afterwards) is not a write after the failover.
      if (k != 0 && start > k) first_ok_ns.compare_exchange_strong(none, now);
    }
  });

  std::vector<double> switch_to_write, last_switch_to_write, kill_to_switch, kill_to_write;
  nlohmann::json rounds = nlohmann::json::array();
  try {
    for (int round = 0; round < failovers; ++round) {
      const int port = wait_healthy(set, sentinels);
      valkey::test::ServerProcess& victim = node_on(set, port);
      // The client writes there (its counter on the victim is at least the
      // last value it was told).
      valkey::test::wait_until("the client to write on the primary", 30s, [&](std::string& state) {
        const std::int64_t told = last_value.load();
        const auto r = victim.command({"GET", "bench:failover"});
        const std::int64_t held = r.is_null() ? 0 : std::stoll(r.as_string());
        state = "told " + std::to_string(told) + ", the primary holds " + std::to_string(held);
        return told > 0 && held >= told;
      }, 10ms);
      // No kill time while the last round's first write is cleared (the
      // writer records a first write only after a kill time it sees).
      kill_ns = 0;
      std::this_thread::sleep_for(20ms);
      first_ok_ns = 0;
      failed = 0;
      victim.kill(SIGKILL);  // returns once the process is gone
      const auto killed = Clock::now();
      kill_ns = ns_of(killed);
      std::optional<SentinelEvents::Event> sw, last;
      for (auto& o : observers) {
        auto e = o->wait_for("+switch-master", 60s, killed);
        REQUIRE(e);
        if (!sw || e->at < sw->at) sw = e;
        if (!last || e->at > last->at) last = e;
      }
      valkey::test::wait_until("the first write after the kill", 30s, [&](std::string& state) {
        state = std::to_string(failed.load()) + " failed writes";
        return first_ok_ns.load() != 0;
      }, 1ms);
      const double s2w = ms_between(ns_of(sw->at), first_ok_ns.load());
      const double last2w = ms_between(ns_of(last->at), first_ok_ns.load());
      last_switch_to_write.push_back(last2w);
      const double k2s = ms_between(ns_of(killed), ns_of(sw->at));
      const double k2w = ms_between(ns_of(killed), first_ok_ns.load());
      switch_to_write.push_back(s2w);
      kill_to_switch.push_back(k2s);
      kill_to_write.push_back(k2w);
      rounds.push_back({{"switch_to_write_ms", s2w}, {"last_switch_to_write_ms", last2w}, {"kill_to_switch_ms", k2s},
                        {"failed_writes", failed.load()}});
      std::fprintf(stderr,
                   "failover %d: first switch -> first write %.1f ms, last sentinel's switch -> first write %.1f ms "
                   "(kill -> switch %.0f ms, %lld writes failed)\n",
                   round + 1, s2w, last2w, k2s, static_cast<long long>(failed.load()));
      // Back as a replica of the new primary (the one the event named), as
      // an operator would bring it, once every sentinel names that primary.
      const std::string& payload = sw->payload;  // "<name> <old-ip> <old-port> <new-ip> <new-port>"
      const std::string now_primary = payload.substr(payload.rfind(' ') + 1);
      sentinels.wait_master(std::stoi(now_primary), 30s);
      victim.restart();
      victim.command({"REPLICAOF", "127.0.0.1", now_primary});
    }
  } catch (...) {
    stop = true;
    writer.join();
    throw;
  }
  stop = true;
  writer.join();

  nlohmann::json j = {
      {"failovers", failovers},
      {"switch_to_first_write_ms", {{"p50", percentile(switch_to_write, 0.5)},
                                    {"max", *std::max_element(switch_to_write.begin(), switch_to_write.end())},
                                    {"min", *std::min_element(switch_to_write.begin(), switch_to_write.end())}}},
      {"last_switch_to_first_write_ms",
       {{"p50", percentile(last_switch_to_write, 0.5)},
        {"max", *std::max_element(last_switch_to_write.begin(), last_switch_to_write.end())}}},
      {"kill_to_switch_ms", {{"p50", percentile(kill_to_switch, 0.5)},
                             {"max", *std::max_element(kill_to_switch.begin(), kill_to_switch.end())}}},
      {"kill_to_first_write_ms", {{"p50", percentile(kill_to_write, 0.5)},
                                  {"max", *std::max_element(kill_to_write.begin(), kill_to_write.end())}}},
      {"rounds", rounds}};
  std::printf("bench-failover: %s\n", j.dump().c_str());
  std::fflush(stdout);
  SUCCEED();
}
