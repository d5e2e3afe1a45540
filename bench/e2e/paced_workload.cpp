// Paced workload: one request on the sync valkey::Client every interval
// (1 ms by default) from one thread. Between requests the caller sleeps, so
// every request starts on a connection that has gone quiet: it measures the
// path through the Client's idle thread after a pause, which the
// back-to-back `sequential` workload never takes. Only the request itself is
// timed, not the sleep.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include <valkey/client.hpp>

#include "alloc_counter.hpp"
#include "common.hpp"

namespace e2e {

using valkey::bench::allocations;

int run_paced(const Options& o) {
  valkey::Client db{o.config()};
  KeyGen keys(o.keyspace, 5, o.cmd == Command::incr ? "counter:" : "key:");
  const std::string value = make_value(o.value_size);
  std::size_t sink = 0;
  auto one = [&](std::string_view key) {
    if (o.cmd == Command::get) {
      std::optional<std::string> v = db.get(key);
      sink += v ? v->size() : 0;
    } else if (o.cmd == Command::set) {
      db.set(key, value);
    } else {
      sink += static_cast<std::size_t>(db.incr(key));
    }
  };
  const auto interval = std::chrono::microseconds(o.interval_us);
  // warm-up paced as well: the first requests pay for connecting and paging in
  const std::uint64_t warmup = std::min<std::uint64_t>(o.warmup, 200);
  auto next = Clock::now();
  for (std::uint64_t i = 0; i < warmup; ++i) {
    one(keys.next());
    next += interval;
    std::this_thread::sleep_until(next);
  }

  Latencies lat(o.requests);
  Result r;
  r.workload = "paced_" + o.command;
  const auto limit = std::chrono::duration<double>(o.max_seconds);
  const std::uint64_t a0 = allocations();
  const auto t0 = Clock::now();
  next = t0;
  std::uint64_t done = 0, late = 0;
  for (; done < o.requests; ++done) {
    const auto before = Clock::now();
    one(keys.next());
    const auto after = Clock::now();
    lat.add(after - before);
    if (after - t0 > limit) {
      ++done;
      r.timed_out = true;
      break;
    }
    next += interval;
    if (next <= after) {  // the request overran its slot: start the next one now, no burst to catch up
      ++late;
      next = after;
    } else {
      std::this_thread::sleep_until(next);
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.requests = done;
  r.allocs_per_request = static_cast<double>(allocations() - a0) / static_cast<double>(done ? done : 1);
  r.p50_ms = lat.percentile_ms(50);
  r.p99_ms = lat.percentile_ms(99);
  r.note = "one request every " + std::to_string(o.interval_us) + " us from one thread; " + std::to_string(late) +
           " overran their slot";
  if (sink == 0 && o.cmd == Command::get) r.note += "; every key was missing (populate first)";
  print(r);
  return 0;
}

}  // namespace e2e
