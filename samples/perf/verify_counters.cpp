#include "perf/verify_counters.hpp"

#include <charconv>
#include <chrono>
#include <thread>
#include <vector>

#include "perf/workload.hpp"

namespace perf {

namespace {

std::vector<std::string> counter_keys(std::size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) keys.push_back(verify_key(static_cast<unsigned>(i)));
  return keys;
}

// A run that just killed or paused the server may need a moment: a few tries.
constexpr int attempts = 20;
constexpr auto pause_between = std::chrono::milliseconds(250);

template <class Db>
void reset_counters_on(Db& db, std::size_t n) {
  const auto keys = counter_keys(n);
  std::error_code ec;
  for (int i = 0; i < attempts; ++i) {
    db.del(keys, ec);
    if (!ec) return;
    std::this_thread::sleep_for(pause_between);
  }
  throw valkey::Error(ec, "deleting the --verify counters");
}

template <class Db>
bool read_counters_on(Db& db, std::span<CounterTally> tallies, std::string& why) {
  const auto keys = counter_keys(tallies.size());
  std::error_code ec;
  valkey::Diagnostics diag;
  for (int i = 0; i < attempts; ++i) {
    std::vector<std::optional<std::string>> values = db.mget(keys, ec, diag);
    if (!ec && values.size() == tallies.size()) {
      for (std::size_t k = 0; k < values.size(); ++k) {
        std::int64_t n = 0;
        if (values[k]) {
          const std::string& s = *values[k];
          auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), n);
          if (err != std::errc{} || end != s.data() + s.size()) {
            why = keys[k] + " holds '" + s + "', not a counter";
            return false;
          }
        }
        tallies[k].server_total = n;
      }
      return true;
    }
    std::this_thread::sleep_for(pause_between);
  }
  why = "reading the counters failed: " + (diag.empty() ? ec.message() : diag.server_message);
  return false;
}

}  // namespace

void reset_counters(valkey::Client& db, std::size_t n) { reset_counters_on(db, n); }
void reset_counters(valkey::ClusterClient& db, std::size_t n) { reset_counters_on(db, n); }
bool read_counters(valkey::Client& db, std::span<CounterTally> tallies, std::string& why) {
  return read_counters_on(db, tallies, why);
}
bool read_counters(valkey::ClusterClient& db, std::span<CounterTally> tallies, std::string& why) {
  return read_counters_on(db, tallies, why);
}

}  // namespace perf
