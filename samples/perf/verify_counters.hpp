#pragma once
// The server side of --verify: the counters are deleted before the run and
// read back after it, over a connection of their own.
#include <span>
#include <string>

#include <valkey/valkey.hpp>

#include "perf/verify.hpp"

namespace perf {

// DEL of verify_key(0 .. n-1). Throws valkey::Error when it keeps failing.
void reset_counters(valkey::Client& db, std::size_t n);
void reset_counters(valkey::ClusterClient& db, std::size_t n);  // split by slot

// Fills each tally's server_total (a missing key is 0). Retries while the
// connection recovers; returns false with `why` when the counters could not
// be read.
bool read_counters(valkey::Client& db, std::span<CounterTally> tallies, std::string& why);
bool read_counters(valkey::ClusterClient& db, std::span<CounterTally> tallies, std::string& why);

}  // namespace perf
