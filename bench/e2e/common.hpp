#pragma once
// Shared pieces of the end-to-end workloads: options, valkey-benchmark style
// keys, latency recording and the one-line JSON result.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <valkey/config.hpp>

namespace e2e {

using Clock = std::chrono::steady_clock;

// The command a workload sends, decided once: the loops branch on this, not
// on a string compare per request.
enum class Command { get, set, incr, cached_get };

struct Options {
  std::string mode;                 // which workload (see main.cpp)
  std::string command = "get";      // get | set | incr | cached_get
  Command cmd = Command::get;       // `command`, parsed
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::uint64_t requests = 100000;  // measured requests (valkey-benchmark -n)
  std::uint64_t keyspace = 100000;  // valkey-benchmark -r
  std::size_t value_size = 3;       // valkey-benchmark -d
  unsigned coroutines = 256;
  unsigned depth = 16;              // pipeline depth (valkey-benchmark -P)
  unsigned threads = 4;
  std::uint64_t warmup = 2000;      // requests before measuring
  std::uint64_t interval_us = 1000; // paced: one request started every interval
  double max_seconds = 60;          // a run stops early (and says so) past this

  valkey::Config config() const;
};

// Parses --name value pairs after the mode; exits with a usage line on error.
Options parse_options(int argc, char** argv);

// Keys like valkey-benchmark's "key:__rand_int__" with -r: "key:" and 12
// zero-padded digits of a random number below the keyspace.
class KeyGen {
 public:
  explicit KeyGen(std::uint64_t keyspace, std::uint64_t seed = 0x9e3779b97f4a7c15ull, std::string_view prefix = "key:");
  std::string_view next() noexcept;          // valid until the next call
  std::string_view at(std::uint64_t i) noexcept;

 private:
  std::uint64_t keyspace_;
  std::uint64_t state_;
  std::size_t prefix_len_;
  char buf_[40];
};

// Per-request latencies in nanoseconds; storage reserved up front so the
// measured loop does not allocate.
class Latencies {
 public:
  explicit Latencies(std::size_t capacity) { ns_.reserve(capacity); }
  void add(Clock::duration d) {
    if (ns_.size() < ns_.capacity()) ns_.push_back(static_cast<std::uint64_t>(d.count()));
  }
  void merge(const Latencies& o) { ns_.insert(ns_.end(), o.ns_.begin(), o.ns_.end()); }
  // Percentile in milliseconds (p in [0, 100]).
  double percentile_ms(double p);
  std::size_t size() const noexcept { return ns_.size(); }

 private:
  std::vector<std::uint64_t> ns_;
  bool sorted_ = false;
};

struct Result {
  std::string workload;
  std::uint64_t requests = 0;      // completed in the measured window
  double seconds = 0;
  double p50_ms = 0, p99_ms = 0;
  double allocs_per_request = 0;   // heap allocations (all threads) / requests
  bool timed_out = false;
  std::string note;
};

// One JSON object on one line (stdout), what scripts/bench.sh reads.
void print(const Result& r);

// The value valkey-benchmark sends with -d N: N bytes of 'x'.
std::string make_value(std::size_t n);

// Workloads (each returns the process exit code).
int run_sequential(const Options& o);   // sync Client, one request at a time
int run_paced(const Options& o);        // sync Client, one request every interval_us
int run_threads(const Options& o);      // N threads sharing one sync Client
int run_populate(const Options& o);     // SET every key of the keyspace (pipelined)
int run_allocs(const Options& o);       // steady-state allocations per request
int run_instructions(const Options& o); // N sequential GETs, nothing else (for callgrind)
int run_pipeline_sync(const Options& o);// explicit pipelines on the sync Client
int run_async(const Options& o);        // coroutines on one AsyncClient
int run_async_instructions(const Options& o);  // the same, no latencies kept (for callgrind)
int run_pipeline(const Options& o);     // explicit pipelines on one AsyncClient

}  // namespace e2e
