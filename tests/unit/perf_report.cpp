// valkey-cpp-perf: error kinds, keys, and the JSON summary's fields.
#include <catch2/catch_test_macros.hpp>

#if __has_include("perf/report.hpp")
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include <valkey/error.hpp>

#include "perf/error_kind.hpp"
#include "perf/keys.hpp"
#include "perf/report.hpp"

using valkey::errc;

TEST_CASE("perf errors: kinds are errc names, server errors carry the prefix", "[perf][perf-report]") {
  CHECK(perf::error_kind(errc::timeout) == "timeout");
  CHECK(perf::error_kind(errc::connection_lost) == "connection_lost");
  CHECK(perf::error_kind(errc::not_connected) == "not_connected");
  CHECK(perf::error_kind(errc::server_error, "WRONGTYPE") == "server_error:WRONGTYPE");
  CHECK(perf::error_kind(errc::server_error) == "server_error");
  CHECK(perf::error_kind(std::make_error_code(std::errc::connection_refused)).rfind("generic:", 0) == 0);
  // every errc value has a name (valkey::name_of, which the kinds use)
  for (int e = static_cast<int>(errc::protocol_error); e <= static_cast<int>(errc::circuit_open); ++e)
    CHECK_FALSE(valkey::name_of(static_cast<errc>(e)).empty());
  CHECK(valkey::name_of(static_cast<errc>(0)).empty());
  CHECK(perf::error_kind(errc::sentinel_unreachable) == "sentinel_unreachable");

  std::string reused;
  perf::error_kind(errc::server_error, "LOADING", reused);
  CHECK(reused == "server_error:LOADING");
  perf::error_kind(errc::timeout, "ignored", reused);
  CHECK(reused == "timeout");
}

TEST_CASE("perf keys: valkey-benchmark's names", "[perf][perf-report]") {
  perf::KeyBuffer b;
  CHECK(perf::format_key("key:", 42, b) == "key:000000000042");
  CHECK(perf::format_key("counter:", 999'999'999'999, b) == "counter:999999999999");
  perf::KeyPicker fixed{"key:", 0, 1};
  CHECK(fixed.pick(b) == "key:__rand_int__");
  perf::KeyPicker fixed_counter{"counter:", 0, 1};
  CHECK(fixed_counter.pick(b) == "counter:__rand_int__");
  perf::KeyPicker random{"key:", 3, 7};
  for (int i = 0; i < 50; ++i) {
    std::string k(random.pick(b));
    CHECK((k == "key:000000000000" || k == "key:000000000001" || k == "key:000000000002"));
  }
}

TEST_CASE("perf report: the JSON object has every documented field", "[perf][perf-report]") {
  perf::RunResult run;
  perf::PhaseResult p;
  p.test = perf::Test::incr;
  p.ops = 1000;
  p.seconds = 2;
  p.latency.record(100'000, 1000);  // 100 us
  p.errors["connection_lost"] = 3;
  p.errors["server_error:LOADING"] = 1;
  p.max_stall_ms = 310.5;
  run.phases.push_back(std::move(p));
  perf::VerifyVerdict v;
  v.acked = 1000;
  v.unknown = 3;
  v.server_total = 1002;
  v.counters = 4;
  v.ok = true;
  run.verify = v;
  perf::Options o;
  o.concurrency = 4;

  const std::string line = perf::to_json(run, o);
  CHECK(line.find('\n') == std::string::npos);
  auto j = nlohmann::json::parse(line);
  CHECK(j["ops"] == 1000);
  CHECK(j["ops_per_sec"] == 500.0);
  CHECK(j["p50_us"].get<double>() >= 100.0);
  CHECK(j["p50_us"].get<double>() <= 100.0 * (1 + 1.0 / 64));
  CHECK(j.contains("p99_us"));
  CHECK(j.contains("p999_us"));
  CHECK(j["errors"]["connection_lost"] == 3);
  CHECK(j["errors"]["server_error:LOADING"] == 1);
  CHECK(j["max_stall_ms"] == 310.5);
  CHECK(j["verify"]["acked"] == 1000);
  CHECK(j["verify"]["unknown"] == 3);
  CHECK(j["verify"]["server_total"] == 1002);
  CHECK(j["verify"]["ok"] == true);
  CHECK(j["tests"][0]["test"] == "incr");
  CHECK(j["config"]["concurrency"] == 4);

  perf::RunResult plain;
  plain.phases.emplace_back();
  auto k = nlohmann::json::parse(perf::to_json(plain, o));
  CHECK_FALSE(k.contains("verify"));  // only when asked
  CHECK(k["errors"].is_object());
  CHECK(k["errors"].empty());
}

TEST_CASE("perf report: the text summary names the verdict", "[perf][perf-report]") {
  perf::RunResult run;
  run.phases.emplace_back();
  run.phases[0].errors["timeout"] = 2;
  perf::VerifyVerdict v;
  v.counters = 2;
  v.inconsistent = 1;
  run.verify = v;
  const std::string text = perf::to_text(run, perf::Options{});
  CHECK(text.find("====== GET ======") != std::string::npos);
  CHECK(text.find("timeout 2") != std::string::npos);
  CHECK(text.find("FAILED (1 inconsistent)") != std::string::npos);
}
#else
TEST_CASE("perf report: valkey-cpp-perf not configured", "[perf][perf-report]") {
  SKIP("samples/perf is not part of this build (VALKEY_BUILD_SAMPLES=OFF)");
}
#endif
