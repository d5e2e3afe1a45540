#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <valkey/valkey.hpp>

#include "perf/outcome.hpp"
#include "perf/phase.hpp"
#include "perf/runner.hpp"
#include "perf/workload.hpp"

namespace perf {
namespace {

template <class Db>
void requester(Db& db, Workload w, unsigned pipeline, PhaseControl& control, Recorder& rec,
               CounterTally* tally) {
  OutcomeSink sink{rec, tally};
  std::error_code ec;
  valkey::Diagnostics diag;
  auto now = Clock::now();
  while (const unsigned n = control.claim(pipeline, now)) {
    const auto sent = now;
    if (pipeline == 1) {
      switch (w.test) {
        case Test::get: db.get(w.key(), ec, diag); break;
        case Test::set: db.set(w.key(), w.value, ec, diag); break;
        case Test::incr: db.incr(w.key(), ec, diag); break;
        case Test::mget: db.mget(w.mget(), ec, diag); break;
      }
      now = sink.single(sent, ec, diag);
    } else {
      valkey::Batch<Db> batch{db};
      w.add_to(batch, n);
      std::vector<valkey::Reply> replies = batch.exec(ec);
      now = sink.batch(sent, ec, replies, n);
    }
  }
}

// Db: valkey::Client, or valkey::ClusterClient (--cluster) made from a
// ClusterConfig.
template <class Db>
class SyncRunner final : public Runner {
 public:
  template <class DbConfig>
  SyncRunner(const Options& o, const DbConfig& config) : o_(o), value_(o.value_size, 'x') {
    // Each constructor connects (and throws valkey::Error when it cannot).
    for (unsigned i = 0; i < o.threads; ++i) clients_.push_back(std::make_unique<Db>(config));
    // A cluster client connects on first use: one PING each, so an
    // unreachable cluster stops the run here.
    if constexpr (std::is_same_v<Db, valkey::ClusterClient>)
      for (auto& c : clients_) c->ping();
  }

  PhaseResult run(Test test, std::span<CounterTally> tallies) override {
    std::vector<std::string> counters;
    for (std::size_t r = 0; r < tallies.size(); ++r) counters.push_back(verify_key(static_cast<unsigned>(r)));
    // A recorder per thread: threads never wait on each other to count.
    PhaseLanes lanes = make_lanes(o_.concurrency);
    PhaseControl control{o_.requests, o_.seconds, lanes.stall->start()};
    Countdown done{o_.concurrency};
    std::vector<std::thread> threads;
    threads.reserve(o_.concurrency);
    for (unsigned r = 0; r < o_.concurrency; ++r) {
      CounterTally* tally = tallies.empty() ? nullptr : &tallies[r];
      Workload w{test, o_, r, value_, tally ? std::string_view(counters[r]) : std::string_view{}};
      threads.emplace_back([&, w, r, tally] {
        requester(*clients_[r % clients_.size()], w, o_.pipeline, control, *lanes.recorders[r], tally);
        done.count_down();
      });
    }
    PhaseResult result = finish_phase(test, done, lanes);
    for (auto& t : threads) t.join();
    return result;
  }

 private:
  const Options& o_;
  std::string value_;
  std::vector<std::unique_ptr<Db>> clients_;
};

}  // namespace

std::unique_ptr<Runner> make_sync_runner(const Options& o, const valkey::Config& config) {
  return std::make_unique<SyncRunner<valkey::Client>>(o, config);
}

std::unique_ptr<Runner> make_sync_runner(const Options& o, const valkey::ClusterConfig& config) {
  return std::make_unique<SyncRunner<valkey::ClusterClient>>(o, config);
}

}  // namespace perf
