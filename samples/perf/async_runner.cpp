#include <chrono>
#include <cstdio>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <valkey/valkey.hpp>

#include "perf/outcome.hpp"
#include "perf/phase.hpp"
#include "perf/runner.hpp"
#include "perf/workload.hpp"

namespace perf {
namespace {

// One I/O thread with its own client (valkey::AsyncClient, or
// valkey::AsyncClusterClient with --cluster).
template <class Db>
struct Lane {
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::optional<Db> client;
  std::thread thread;
};

// g++ 12 takes Asio's coroutine frame allocator (its operator new/delete
// pair) for a mismatched one: a false -Wmismatched-new-delete.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
template <class Db>
asio::awaitable<void> requester(Db& c, Workload w, unsigned pipeline, PhaseControl& control,
                                Recorder& rec, CounterTally* tally) {
  OutcomeSink sink{rec, tally};
  std::error_code ec;
  valkey::Diagnostics diag;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  auto now = Clock::now();
  while (const unsigned n = control.claim(pipeline, now)) {
    const auto sent = now;
    ec.clear();
    if (pipeline == 1) {
      switch (w.test) {
        case Test::get: co_await c.get(w.key(), diag, token); break;
        case Test::set: co_await c.set(w.key(), w.value, diag, token); break;
        case Test::incr: co_await c.incr(w.key(), diag, token); break;
        case Test::mget: co_await c.mget(w.mget(), diag, token); break;
      }
      now = sink.single(sent, ec, diag);
    } else {
      valkey::Batch<Db> batch{c};
      w.add_to(batch, n);
      std::vector<valkey::Reply> replies = co_await batch.exec(token);
      now = sink.batch(sent, ec, replies, n);
    }
  }
}
#pragma GCC diagnostic pop

void report_stopped(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "valkey-cpp-perf: a requester stopped: %s\n", ex.what());
  } catch (...) {
    std::fprintf(stderr, "valkey-cpp-perf: a requester stopped\n");
  }
}

std::string endpoint_of(const valkey::Config& c) { return c.endpoint(); }
std::string endpoint_of(const valkey::ClusterConfig& c) {
  std::string out;
  for (const auto& s : c.seeds) out += (out.empty() ? "" : ",") + s.host + ":" + std::to_string(s.port);
  return "the cluster seeds " + out;
}

template <class Db>
class AsyncRunner final : public Runner {
 public:
  template <class DbConfig>
  AsyncRunner(const Options& o, const DbConfig& config) : o_(o), value_(o.value_size, 'x') {
    lanes_.reserve(o.threads);
    for (unsigned i = 0; i < o.threads; ++i) {
      auto& lane = *lanes_.emplace_back(std::make_unique<Lane<Db>>());
      lane.client.emplace(lane.ioc.get_executor(), config);
      lane.thread = std::thread([&lane] { lane.ioc.run(); });
    }
    // Every client answers a PING before the run starts.
    for (auto& lane : lanes_) {
      auto ping = asio::co_spawn(
          lane->ioc,
          [&c = *lane->client]() -> asio::awaitable<std::error_code> {
            std::error_code ec;
            if constexpr (std::is_same_v<Db, valkey::AsyncClusterClient>)
              co_await c.ping(asio::redirect_error(asio::use_awaitable, ec));  // any primary; waits for the topology
            else
              co_await c.async_ping(asio::redirect_error(asio::use_awaitable, ec));
            co_return ec;
          },
          asio::use_future);
      if (std::error_code ec = ping.get()) {
        shutdown();
        throw valkey::Error(ec, "cannot reach " + endpoint_of(config));
      }
    }
  }

  ~AsyncRunner() override { shutdown(); }

  PhaseResult run(Test test, std::span<CounterTally> tallies) override {
    std::vector<std::string> counters;
    for (std::size_t r = 0; r < tallies.size(); ++r) counters.push_back(verify_key(static_cast<unsigned>(r)));
    PhaseLanes lanes = make_lanes(lanes_.size());
    PhaseControl control{o_.requests, o_.seconds, lanes.stall->start()};
    Countdown done{o_.concurrency};
    // Requesters are spawned from inside their lane's thread: a client is
    // only ever touched from its own executor.
    for (std::size_t l = 0; l < lanes_.size(); ++l) {
      asio::post(lanes_[l]->ioc, [&, l] {
        const auto step = static_cast<unsigned>(lanes_.size());
        for (auto r = static_cast<unsigned>(l); r < o_.concurrency; r += step) {
          CounterTally* tally = tallies.empty() ? nullptr : &tallies[r];
          Workload w{test, o_, r, value_, tally ? std::string_view(counters[r]) : std::string_view{}};
          asio::co_spawn(lanes_[l]->ioc,
                         requester(*lanes_[l]->client, w, o_.pipeline, control, *lanes.recorders[l], tally),
                         [&done](std::exception_ptr e) {
                           if (e) report_stopped(e);
                           done.count_down();
                         });
        }
      });
    }
    return finish_phase(test, done, lanes);
  }

 private:
  void shutdown() {
    for (auto& lane : lanes_) {
      if (!lane->thread.joinable()) continue;
      // close() on the lane's own thread; then nothing keeps run() going.
      asio::post(lane->ioc, [&lane] {
        if (lane->client) lane->client->close();
        lane->work.reset();
      });
      lane->thread.join();
      lane->client.reset();
    }
  }

  const Options& o_;
  std::string value_;
  std::vector<std::unique_ptr<Lane<Db>>> lanes_;
};

}  // namespace

std::unique_ptr<Runner> make_async_runner(const Options& o, const valkey::Config& config) {
  return std::make_unique<AsyncRunner<valkey::AsyncClient>>(o, config);
}

std::unique_ptr<Runner> make_async_runner(const Options& o, const valkey::ClusterConfig& config) {
  return std::make_unique<AsyncRunner<valkey::AsyncClusterClient>>(o, config);
}

}  // namespace perf
