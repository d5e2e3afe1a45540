// Workloads on valkey::AsyncClient: many coroutines sharing one connection
// (auto-pipelined), explicit pipelines, and the keyspace population.
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/async_client.hpp>
#include <valkey/pipeline.hpp>

#include "alloc_counter.hpp"
#include "common.hpp"

namespace e2e {

using valkey::bench::allocations;

namespace {

// What the coroutines of one run share.
struct Run {
  const Options& o;
  valkey::AsyncClient& c;
  std::string value;
  std::uint64_t left = 0;     // requests still to issue in this phase
  std::uint64_t done = 0;     // completed in the measured phase
  unsigned active = 0;        // coroutines still running
  bool measuring = false;
  Latencies lat;
  Clock::time_point t0, end;
  std::uint64_t a0 = 0, a1 = 0;
  bool timed_out = false;
  std::exception_ptr failure;
  std::function<void()> on_phase_done;

  Run(const Options& opt, valkey::AsyncClient& client, std::size_t capacity)
      : o(opt), c(client), value(make_value(opt.value_size)), lat(capacity) {}

  bool past_limit() const { return measuring && Clock::now() - t0 > std::chrono::duration<double>(o.max_seconds); }
  void worker_finished(std::exception_ptr e) {
    if (e && !failure) failure = e;
    if (--active == 0) on_phase_done();
  }
};

asio::awaitable<void> request_loop(Run& s, unsigned id) {
  KeyGen keys(s.o.keyspace, 100 + id, s.o.cmd == Command::incr ? "counter:" : "key:");
  std::size_t sink = 0;
  while (s.left > 0 && !s.failure) {
    --s.left;
    const std::string_view key = keys.next();
    const auto t = Clock::now();
    if (s.o.cmd == Command::get) {
      std::optional<std::string> v = co_await s.c.get(key, asio::use_awaitable);
      sink += v ? v->size() : 0;
    } else if (s.o.cmd == Command::set) {
      co_await s.c.set(key, std::string_view{s.value}, asio::use_awaitable);
    } else {
      sink += static_cast<std::size_t>(co_await s.c.incr(key, asio::use_awaitable));
    }
    if (s.measuring) {
      s.lat.add(Clock::now() - t);
      ++s.done;
      if ((s.done & 1023) == 0 && s.past_limit()) {
        s.timed_out = true;
        s.left = 0;
      }
    }
  }
  (void)sink;
}

asio::awaitable<void> pipeline_loop(Run& s) {
  KeyGen keys(s.o.keyspace, 17, s.o.cmd == Command::incr ? "counter:" : "key:");
  while (s.left > 0 && !s.failure) {
    s.left = s.left > s.o.depth ? s.left - s.o.depth : 0;
    const auto t = Clock::now();
    std::size_t n = 0;
    if (s.o.cmd == Command::incr) {
      valkey::Batch<valkey::AsyncClient, std::int64_t> b{s.c};
      for (unsigned i = 0; i < s.o.depth; ++i) b.add(valkey::cmd::Incr{.key = keys.next()});
      n = (co_await b.exec(asio::use_awaitable)).size();
    } else if (s.o.cmd == Command::get) {
      valkey::Batch<valkey::AsyncClient, std::optional<std::string>> b{s.c};
      for (unsigned i = 0; i < s.o.depth; ++i) b.add(valkey::cmd::Get{.key = keys.next()});
      n = (co_await b.exec(asio::use_awaitable)).size();
    } else {
      valkey::Batch<valkey::AsyncClient, bool> b{s.c};  // SET: true when it set the value
      for (unsigned i = 0; i < s.o.depth; ++i) b.add(valkey::cmd::Set{.key = keys.next(), .value = s.value});
      n = (co_await b.exec(asio::use_awaitable)).size();
    }
    if (s.measuring) {
      s.lat.add(Clock::now() - t);
      s.done += n;
      if (s.past_limit()) {
        s.timed_out = true;
        s.left = 0;
      }
    }
  }
}

// Runs `spawn_workers` twice (warm-up, then measured) and prints the result.
int drive(const Options& o, const std::string& workload, const std::string& note, std::size_t capacity,
          const std::function<void(Run&)>& spawn_workers) {
  asio::io_context ioc{1};
  valkey::AsyncClient c{ioc.get_executor(), o.config()};
  Run s{o, c, capacity};
  s.on_phase_done = [&] {
    if (!s.measuring && !s.failure) {
      s.measuring = true;
      s.left = o.requests;
      s.a0 = allocations();
      s.t0 = Clock::now();
      spawn_workers(s);
      return;
    }
    s.end = Clock::now();
    s.a1 = allocations();
    c.close();
  };
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        co_await c.async_ping(asio::use_awaitable);
        s.left = o.warmup;
        spawn_workers(s);
      },
      [&](std::exception_ptr e) {
        if (e) {
          s.failure = e;
          c.close();
        }
      });
  ioc.run();
  if (s.failure) std::rethrow_exception(s.failure);
  Result r;
  r.workload = workload;
  r.seconds = std::chrono::duration<double>(s.end - s.t0).count();
  r.requests = s.done;
  r.allocs_per_request = static_cast<double>(s.a1 - s.a0) / static_cast<double>(s.done ? s.done : 1);
  r.p50_ms = s.lat.percentile_ms(50);
  r.p99_ms = s.lat.percentile_ms(99);
  r.timed_out = s.timed_out;
  r.note = note;
  print(r);
  return 0;
}

// The coroutines of run_async(): each issues requests until the phase's
// count is used up.
void spawn_request_loops(Run& s) {
  s.active = s.o.coroutines;
  for (unsigned i = 0; i < s.o.coroutines; ++i)
    asio::co_spawn(s.c.get_executor(), request_loop(s, i), [&s](std::exception_ptr e) { s.worker_finished(e); });
}

}  // namespace

int run_async(const Options& o) {
  return drive(o, "async_" + o.command, std::to_string(o.coroutines) + " coroutines, one AsyncClient", o.requests,
               spawn_request_loops);
}

int run_async_instructions(const Options& o) {
  // No latency is kept (capacity 0), so no sort at the end grows with the
  // request count: two runs' difference is the request path alone.
  return drive(o, "instructions_async_" + o.command,
               std::to_string(o.coroutines) + " coroutines, one AsyncClient, no latencies kept", 0,
               spawn_request_loops);
}

int run_pipeline(const Options& o) {
  return drive(o, "pipeline_" + o.command,
               "valkey::Batch of " + std::to_string(o.depth) + " on one AsyncClient; latency is per batch",
               o.requests / o.depth + 1, [&](Run& s) {
                 s.active = 1;
                 asio::co_spawn(s.c.get_executor(), pipeline_loop(s),
                                [&s](std::exception_ptr e) { s.worker_finished(e); });
               });
}

int run_populate(const Options& o) {
  asio::io_context ioc{1};
  valkey::AsyncClient c{ioc.get_executor(), o.config()};
  const std::string value = make_value(o.value_size);
  KeyGen keys(o.keyspace, 1, "key:");
  std::uint64_t next = 0, done = 0;
  std::error_code failed;
  std::function<void()> pump = [&] {
    while (next < o.keyspace && next - done < 1024 && !failed) {
      std::string_view key = keys.at(next++);
      c.set(key, std::string_view{value}, [&](std::error_code ec, bool) {
        if (ec) failed = ec;
        if (++done == o.keyspace || failed) c.close();
        else pump();
      });
    }
  };
  asio::post(ioc, pump);
  ioc.run();
  if (failed) throw valkey::Error(failed);
  std::printf("{\"workload\":\"populate\",\"keys\":%llu}\n", static_cast<unsigned long long>(o.keyspace));
  return 0;
}

}  // namespace e2e
