#include "perf/report.hpp"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace perf {

namespace {

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

std::uint64_t error_total(const ErrorCounts& e) {
  std::uint64_t n = 0;
  for (const auto& [kind, count] : e) n += count;
  return n;
}

nlohmann::ordered_json phase_json(const PhaseResult& p) {
  nlohmann::ordered_json j;
  j["ops"] = p.ops;
  j["seconds"] = p.seconds;
  j["ops_per_sec"] = p.ops_per_sec();
  j["p50_us"] = us(p.latency.percentile(0.50));
  j["p99_us"] = us(p.latency.percentile(0.99));
  j["p999_us"] = us(p.latency.percentile(0.999));
  j["max_us"] = us(p.latency.max());
  nlohmann::ordered_json errors = nlohmann::ordered_json::object();
  for (const auto& [kind, n] : p.errors) errors[kind] = n;
  j["errors"] = std::move(errors);
  j["max_stall_ms"] = p.max_stall_ms;
  return j;
}

std::string format(const char* fmt, auto... args) {
  char buf[256];
  int n = std::snprintf(buf, sizeof buf, fmt, args...);
  return std::string(buf, static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof buf) - 1)));
}

std::string latency_text(std::uint64_t ns) {
  if (ns >= 10'000'000) return format("%.1f ms", static_cast<double>(ns) / 1e6);
  if (ns >= 1'000'000) return format("%.3f ms", static_cast<double>(ns) / 1e6);
  return format("%.1f us", us(ns));
}

}  // namespace

PhaseResult totals(const RunResult& run) {
  PhaseResult t;
  for (const PhaseResult& p : run.phases) {
    t.ops += p.ops;
    t.seconds += p.seconds;
    t.latency.merge(p.latency);
    add_errors(t.errors, p.errors);
    t.max_stall_ms = std::max(t.max_stall_ms, p.max_stall_ms);
  }
  return t;
}

std::string to_json(const RunResult& run, const Options& o) {
  nlohmann::ordered_json j = phase_json(totals(run));
  nlohmann::ordered_json tests = nlohmann::ordered_json::array();
  for (const PhaseResult& p : run.phases) {
    nlohmann::ordered_json t;
    t["test"] = std::string(test_name(p.test));
    t.update(phase_json(p));
    tests.push_back(std::move(t));
  }
  j["tests"] = std::move(tests);
  j["config"] = {{"mode", o.sync ? "sync" : "async"}, {"concurrency", o.concurrency}, {"threads", o.threads},
                 {"pipeline", o.pipeline}, {"value_size", o.value_size}, {"keyspace", o.keyspace}};
  if (o.cluster) j["config"]["cluster"] = true;
  if (run.verify) {
    const VerifyVerdict& v = *run.verify;
    j["verify"] = {{"acked", v.acked}, {"unknown", v.unknown}, {"server_total", v.server_total},
                   {"counters", v.counters}, {"inconsistent", v.inconsistent}, {"ok", v.ok}};
  }
  return j.dump();
}

std::string to_text(const RunResult& run, const Options& o) {
  std::string out;
  for (const PhaseResult& p : run.phases) {
    std::string name(test_name(p.test));
    std::transform(name.begin(), name.end(), name.begin(), [](char c) { return static_cast<char>(c - 'a' + 'A'); });
    out += "====== " + name + " ======\n";
    out += format("  %llu commands in %.2f s, %u requesters (%s) on %u client%s, pipeline %u\n",
                  static_cast<unsigned long long>(p.ops + error_total(p.errors)), p.seconds, o.concurrency,
                  o.sync ? "threads" : "coroutines", o.threads, o.threads == 1 ? "" : "s", o.pipeline);
    out += format("  %.2f ops/s\n", p.ops_per_sec());
    out += "  latency p50 " + latency_text(p.latency.percentile(0.5)) + ", p99 " +
           latency_text(p.latency.percentile(0.99)) + ", p99.9 " + latency_text(p.latency.percentile(0.999)) +
           ", max " + latency_text(p.latency.max()) + "\n";
    out += "  errors:";
    if (p.errors.empty()) out += " none";
    for (const auto& [kind, n] : p.errors) out += format(" %s %llu", kind.c_str(), static_cast<unsigned long long>(n));
    out += format("\n  longest stall: %.1f ms\n", p.max_stall_ms);
  }
  if (run.verify) {
    const VerifyVerdict& v = *run.verify;
    out += format("verify: acked %llu, unknown %llu, server_total %lld over %zu counters: %s\n",
                  static_cast<unsigned long long>(v.acked), static_cast<unsigned long long>(v.unknown),
                  static_cast<long long>(v.server_total), v.counters,
                  v.ok ? "ok" : (format("FAILED (%zu inconsistent)", v.inconsistent)).c_str());
  }
  return out;
}

std::string progress_line(Test test, unsigned second, double ops_per_sec, std::uint64_t errors, std::uint64_t p50_ns) {
  return format("%s %3us: %.0f ops/s, %llu errors, p50 ", std::string(test_name(test)).c_str(), second, ops_per_sec,
                static_cast<unsigned long long>(errors)) +
         latency_text(p50_ns);
}

}  // namespace perf
