#pragma once
// The two ways of generating load. Both own their clients for the whole run
// and run one phase (one test) at a time.
//
//   async (default): --threads N io_contexts, each run by its own thread and
//     owning its own valkey::AsyncClient (one connection); the -c requesters
//     are coroutines spread round-robin over them.
//   --sync: --threads N valkey::Client objects (one connection each); the -c
//     requesters are threads, requester i calling client i % N.
//   --cluster: the same with valkey::AsyncClusterClient / valkey::ClusterClient
//     (each with its own connection per node).
#include <memory>
#include <span>

#include <valkey/cluster/cluster_config.hpp>
#include <valkey/config.hpp>

#include "perf/options.hpp"
#include "perf/report.hpp"
#include "perf/verify.hpp"

namespace perf {

class Runner {
 public:
  virtual ~Runner() = default;
  // Runs `test` to its end (-n or --seconds). With `tallies` (one per
  // requester), the INCR phase of --verify: requester i increments only
  // verify_key(i) and tallies into tallies[i].
  virtual PhaseResult run(Test test, std::span<CounterTally> tallies) = 0;
};

// Both connect before returning and throw valkey::Error when the server cannot
// be reached (the message names the reason, never a password).
std::unique_ptr<Runner> make_async_runner(const Options& o, const valkey::Config& config);
std::unique_ptr<Runner> make_sync_runner(const Options& o, const valkey::Config& config);
// --cluster: the same runners on valkey::AsyncClusterClient / valkey::ClusterClient.
std::unique_ptr<Runner> make_async_runner(const Options& o, const valkey::ClusterConfig& config);
std::unique_ptr<Runner> make_sync_runner(const Options& o, const valkey::ClusterConfig& config);

}  // namespace perf
