// Workloads on the synchronous valkey::Client.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <valkey/client.hpp>
#include <valkey/pipeline.hpp>

#include "alloc_counter.hpp"
#include "common.hpp"

namespace e2e {

using valkey::bench::allocations;

namespace {

// The keys each command works on: INCR needs integers, so it gets its own.
KeyGen keys_for(const Options& o, std::uint64_t seed) {
  return KeyGen(o.keyspace, seed, o.cmd == Command::incr ? "counter:" : "key:");
}

// One request of the configured command; returns something to keep the
// result alive so nothing is optimised away.
struct OneRequest {
  valkey::Client& db;
  const Options& o;
  const std::string& value;
  std::size_t operator()(std::string_view key) const {
    if (o.cmd == Command::get) {
      std::optional<std::string> v = db.get(key);
      return v ? v->size() : 0;
    }
    if (o.cmd == Command::cached_get) {
      std::optional<std::string> v = db.cached().get(key);
      return v ? v->size() : 0;
    }
    if (o.cmd == Command::set) {
      db.set(key, value);
      return 1;
    }
    return static_cast<std::size_t>(db.incr(key));
  }
};

std::uint64_t check_every = 256;  // how often loops look at the clock bound

}  // namespace

int run_sequential(const Options& o) {
  valkey::Client db{o.config()};
  KeyGen keys = keys_for(o, 1);
  const std::string value = make_value(o.value_size);
  OneRequest one{db, o, value};
  std::size_t sink = 0;
  for (std::uint64_t i = 0; i < o.warmup; ++i) sink += one(keys.next());

  Latencies lat(o.requests);
  Result r;
  r.workload = "sequential_" + o.command;
  const auto limit = std::chrono::duration<double>(o.max_seconds);
  const std::uint64_t a0 = allocations();
  const auto t0 = Clock::now();
  auto before = t0;
  std::uint64_t done = 0;
  for (; done < o.requests; ++done) {
    sink += one(keys.next());
    const auto after = Clock::now();
    lat.add(after - before);
    before = after;
    if (done % check_every == 0 && after - t0 > limit) {
      r.timed_out = true;
      break;
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.requests = done;
  r.allocs_per_request = static_cast<double>(allocations() - a0) / static_cast<double>(done ? done : 1);
  r.p50_ms = lat.percentile_ms(50);
  r.p99_ms = lat.percentile_ms(99);
  if (sink == 0 && o.cmd == Command::get) r.note = "every key was missing (populate first)";
  print(r);
  return 0;
}

int run_threads(const Options& o) {
  valkey::Client db{o.config()};
  const std::string value = make_value(o.value_size);
  const auto limit = std::chrono::duration<double>(o.max_seconds);
  std::atomic<std::int64_t> left{static_cast<std::int64_t>(o.requests)};
  std::atomic<std::uint64_t> done{0};
  std::atomic<bool> timed_out{false};
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::vector<Latencies> lats;
  lats.reserve(o.threads);
  for (unsigned t = 0; t < o.threads; ++t) lats.emplace_back(o.requests / o.threads + 1024);

  Clock::time_point t0;
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < o.threads; ++t) {
    workers.emplace_back([&, t] {
      KeyGen keys = keys_for(o, 1000 + t);
      OneRequest one{db, o, value};
      for (std::uint64_t i = 0; i < o.warmup / o.threads; ++i) one(keys.next());
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      std::uint64_t mine = 0;
      auto before = Clock::now();
      while (left.fetch_sub(1, std::memory_order_relaxed) > 0) {
        one(keys.next());
        const auto after = Clock::now();
        lats[t].add(after - before);
        before = after;
        ++mine;
        if (mine % check_every == 0 && after - t0 > limit) {
          timed_out = true;
          left = 0;
        }
      }
      done.fetch_add(mine);
    });
  }
  while (ready.load() != o.threads) std::this_thread::yield();
  const std::uint64_t a0 = allocations();
  t0 = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& w : workers) w.join();
  Result r;
  r.workload = "threads_" + o.command;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.requests = done.load();
  r.allocs_per_request = static_cast<double>(allocations() - a0) / static_cast<double>(r.requests ? r.requests : 1);
  for (unsigned t = 1; t < o.threads; ++t) lats[0].merge(lats[t]);
  r.p50_ms = lats[0].percentile_ms(50);
  r.p99_ms = lats[0].percentile_ms(99);
  r.timed_out = timed_out.load();
  r.note = std::to_string(o.threads) + " threads, one Client";
  print(r);
  return 0;
}

int run_allocs(const Options& o) {
  valkey::Client db{o.config()};
  const std::string value = make_value(o.value_size);
  constexpr std::pair<const char*, Command> kCommands[] = {
      {"get", Command::get}, {"set", Command::set}, {"incr", Command::incr}};
  for (const auto& [cmd, parsed] : kCommands) {
    Options oc = o;
    oc.command = cmd;
    oc.cmd = parsed;  // what OneRequest sends
    KeyGen keys = keys_for(oc, 7);
    OneRequest one{db, oc, value};
    for (std::uint64_t i = 0; i < o.warmup; ++i) one(keys.next());
    const std::uint64_t a0 = allocations();
    const auto t0 = Clock::now();
    for (std::uint64_t i = 0; i < o.requests; ++i) one(keys.next());
    Result r;
    r.workload = std::string("allocs_") + cmd;
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.requests = o.requests;
    r.allocs_per_request = static_cast<double>(allocations() - a0) / static_cast<double>(o.requests ? o.requests : 1);
    print(r);
  }
  return 0;
}

int run_instructions(const Options& o) {
  valkey::Client db{o.config()};
  KeyGen keys(o.keyspace, 3);
  std::size_t sink = 0;
  const bool cached = o.cmd == Command::cached_get;
  if (cached) {
    // Every key once first: what follows is hits only.
    KeyGen fill(o.keyspace, 3);
    for (std::uint64_t i = 0; i < o.keyspace; ++i) (void)db.cached().get(fill.at(i));
  }
  for (std::uint64_t i = 0; i < o.requests; ++i) {
    std::optional<std::string> v = cached ? db.cached().get(keys.next()) : db.get(keys.next());
    sink += v ? v->size() : 0;
  }
  std::printf("{\"workload\":\"instructions\",\"requests\":%llu,\"bytes\":%zu}\n",
              static_cast<unsigned long long>(o.requests), sink);
  return 0;
}

int run_pipeline_sync(const Options& o) {
  valkey::Client db{o.config()};
  KeyGen keys = keys_for(o, 11);
  const std::string value = make_value(o.value_size);
  std::size_t sink = 0;
  auto batch = [&] {
    if (o.cmd == Command::incr) {
      valkey::Batch<valkey::Client, std::int64_t> b{db};
      for (unsigned i = 0; i < o.depth; ++i) b.add(valkey::cmd::Incr{.key = keys.next()});
      sink += b.exec().size();
    } else if (o.cmd == Command::get) {
      valkey::Batch<valkey::Client, std::optional<std::string>> b{db};
      for (unsigned i = 0; i < o.depth; ++i) b.add(valkey::cmd::Get{.key = keys.next()});
      sink += b.exec().size();
    } else {
      valkey::Batch<valkey::Client, bool> b{db};  // SET: true when it set the value
      for (unsigned i = 0; i < o.depth; ++i) b.add(valkey::cmd::Set{.key = keys.next(), .value = value});
      sink += b.exec().size();
    }
  };
  for (std::uint64_t i = 0; i < o.warmup / o.depth + 1; ++i) batch();
  const std::uint64_t batches = (o.requests + o.depth - 1) / o.depth;
  Latencies lat(batches);
  Result r;
  r.workload = "pipeline_sync_" + o.command;
  const auto limit = std::chrono::duration<double>(o.max_seconds);
  const std::uint64_t a0 = allocations();
  const auto t0 = Clock::now();
  auto before = t0;
  std::uint64_t n = 0;
  for (; n < batches; ++n) {
    batch();
    const auto after = Clock::now();
    lat.add(after - before);
    before = after;
    if (n % check_every == 0 && after - t0 > limit) {
      r.timed_out = true;
      break;
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.requests = n * o.depth;
  r.allocs_per_request = static_cast<double>(allocations() - a0) / static_cast<double>(r.requests ? r.requests : 1);
  r.p50_ms = lat.percentile_ms(50);
  r.p99_ms = lat.percentile_ms(99);
  r.note = "valkey::Batch on the sync Client; latency is per batch of " + std::to_string(o.depth);
  print(r);
  return 0;
}

}  // namespace e2e
