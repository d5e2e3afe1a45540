#include "common.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace e2e {

valkey::Config Options::config() const {
  valkey::Config c;
  c.host = host;
  c.port = port;
  // cached_get: GETs through db.cached(); the whole keyspace fits.
  if (command == "cached_get") c.cache = valkey::CacheConfig{.max_bytes = std::size_t{1} << 30};
  return c;
}

namespace {
[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "e2e_bench: %s\nusage: e2e_bench MODE [--command get|set|incr|cached_get] [--host H] [--port P] [--requests N]\n"
               "  [--keyspace N] [--value-size N] [--coroutines N] [--depth N] [--threads N] [--warmup N]\n"
               "  [--max-seconds S] [--interval-us N]\n"
               "modes: sequential paced threads async pipeline pipeline-sync allocs instructions instructions-async populate\n",
               why);
  std::exit(2);
}

std::uint64_t number(const char* s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s, s + std::strlen(s), v);
  if (ec != std::errc{} || *p != '\0') usage("not a number");
  return v;
}
}  // namespace

Options parse_options(int argc, char** argv) {
  if (argc < 2) usage("no mode");
  Options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; i += 2) {
    std::string_view name = argv[i];
    if (i + 1 >= argc) usage("option without a value");
    const char* v = argv[i + 1];
    if (name == "--command") o.command = v;
    else if (name == "--host") o.host = v;
    else if (name == "--port") o.port = static_cast<std::uint16_t>(number(v));
    else if (name == "--requests") o.requests = number(v);
    else if (name == "--keyspace") o.keyspace = std::max<std::uint64_t>(1, number(v));
    else if (name == "--value-size") o.value_size = number(v);
    else if (name == "--coroutines") o.coroutines = static_cast<unsigned>(std::max<std::uint64_t>(1, number(v)));
    else if (name == "--depth") o.depth = static_cast<unsigned>(std::max<std::uint64_t>(1, number(v)));
    else if (name == "--threads") o.threads = static_cast<unsigned>(std::max<std::uint64_t>(1, number(v)));
    else if (name == "--warmup") o.warmup = number(v);
    else if (name == "--max-seconds") o.max_seconds = std::strtod(v, nullptr);
    else if (name == "--interval-us") o.interval_us = std::max<std::uint64_t>(1, number(v));
    else usage("unknown option");
  }
  if (o.command == "get") o.cmd = Command::get;
  else if (o.command == "set") o.cmd = Command::set;
  else if (o.command == "incr") o.cmd = Command::incr;
  else if (o.command == "cached_get") o.cmd = Command::cached_get;
  else usage("unknown command");
  return o;
}

KeyGen::KeyGen(std::uint64_t keyspace, std::uint64_t seed, std::string_view prefix)
    : keyspace_(keyspace), state_(seed | 1), prefix_len_(std::min<std::size_t>(prefix.size(), 24)) {
  std::memcpy(buf_, prefix.data(), prefix_len_);
}

std::string_view KeyGen::next() noexcept {
  // xorshift64*: cheap and good enough to spread keys over the keyspace
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return at((state_ * 0x2545F4914F6CDD1Dull >> 11) % keyspace_);
}

std::string_view KeyGen::at(std::uint64_t i) noexcept {
  // two digits per step: this runs once per request and counts in the
  // instructions-per-GET figure
  static constexpr char pairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  // Two 6-digit halves in 32-bit arithmetic (cheaper than 64-bit steps).
  char* d = buf_ + prefix_len_;
  auto six = [&](char* at, std::uint32_t v) {
    for (int k = 4; k >= 0; k -= 2) {
      const std::uint32_t r = v % 100;
      v /= 100;
      at[k] = pairs[2 * r];
      at[k + 1] = pairs[2 * r + 1];
    }
  };
  if (i < 1000000) std::memcpy(d, "000000", 6);  // keyspaces up to a million: the upper half is zeros
  else six(d, static_cast<std::uint32_t>((i / 1000000) % 1000000));
  six(d + 6, static_cast<std::uint32_t>(i % 1000000));
  return {buf_, prefix_len_ + 12};
}

double Latencies::percentile_ms(double p) {
  if (ns_.empty()) return 0;
  if (!sorted_) {
    std::sort(ns_.begin(), ns_.end());
    sorted_ = true;
  }
  auto idx = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(ns_.size())));
  idx = std::clamp<std::size_t>(idx, 1, ns_.size()) - 1;
  return static_cast<double>(ns_[idx]) / 1e6;
}

void print(const Result& r) {
  const double ops = r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0;
  std::printf(
      "{\"workload\":\"%s\",\"requests\":%llu,\"seconds\":%.4f,\"ops\":%.1f,\"p50_ms\":%.4f,\"p99_ms\":%.4f,"
      "\"allocs_per_request\":%.4f,\"timed_out\":%s,\"note\":\"%s\"}\n",
      r.workload.c_str(), static_cast<unsigned long long>(r.requests), r.seconds, ops, r.p50_ms, r.p99_ms,
      r.allocs_per_request, r.timed_out ? "true" : "false", r.note.c_str());
  std::fflush(stdout);
}

std::string make_value(std::size_t n) { return std::string(n, 'x'); }

}  // namespace e2e
