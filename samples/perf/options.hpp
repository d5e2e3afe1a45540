#pragma once
// Command-line options of valkey-cpp-perf and their parser. Parsing is pure
// (no I/O): a bad command line yields an error message, never an exit.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace perf {

// The workloads -t selects; each runs as its own phase, in the order given.
enum class Test { get, set, incr, mget };

std::string_view test_name(Test t) noexcept;

// Keys one MGET asks for (as valkey-benchmark's MSET test writes 10).
inline constexpr unsigned mget_keys = 10;

struct Options {
  std::string url;                       // -u; default $VALKEY_URL, else valkey://127.0.0.1:6379
  std::vector<Test> tests{Test::get, Test::set};  // -t
  unsigned concurrency = 50;             // -c: requesters
  unsigned threads = 1;                  // --threads: clients, each with its own I/O thread
  unsigned pipeline = 1;                 // -P: commands per pipeline
  std::uint64_t requests = 100000;       // -n: per test (ignored when seconds > 0)
  double seconds = 0;                    // --seconds: per test, instead of -n
  std::size_t value_size = 3;            // -d: SET value bytes
  std::uint64_t keyspace = 0;            // -r: random keys in [0, keyspace); 0: one fixed key
  std::string key_prefix = "key:";       // --key-prefix: the keys of get, set and mget (incr: counter:)
  unsigned slot_run = 1;                 // --slot-run: with --cluster, keys in a row that share a hash tag (0: untagged)
  unsigned retry = 0;                    // --retry N: Config::retry with N attempts (0: no policy)
  bool sync = false;                     // --sync: threads sharing a valkey::Client
  bool cluster = false;                  // --cluster: -u lists cluster seeds; ClusterClient / AsyncClusterClient
  bool verify = false;                   // --verify: per-requester INCR counters checked at the end
  bool json = false;                     // --json: last stdout line is one JSON object
  bool help = false;                     // -h / --help
};

struct ParseResult {
  Options options;
  std::string error;  // empty when the command line is valid
  bool ok() const noexcept { return error.empty(); }
};

// `args` excludes the program name. `default_url` is used when -u is absent
// (pass $VALKEY_URL or nullptr).
ParseResult parse_options(std::span<const std::string_view> args, const char* default_url);

// The usage text (for stderr on errors, stdout for --help).
std::string usage_text();

}  // namespace perf
