// valkey-cpp-perf: error kinds, keys, and the JSON summary's fields.
#include <catch2/catch_test_macros.hpp>

#if __has_include("perf/report.hpp")
#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <valkey/cluster/slot.hpp>
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

TEST_CASE("perf keys: valkey-benchmark --cluster's shape, spread over every slot", "[perf][perf-report]") {
  perf::KeyBuffer b;
  const perf::KeyTag tag = perf::tag_of(42);
  const std::string k(perf::format_key("key:", 42, b, &tag));
  // key:{ttt}:000000000042, the tag 3 alphanumerics.
  REQUIRE(k.size() == 22);
  CHECK(k.substr(0, 5) == "key:{");
  CHECK(k.substr(8) == "}:000000000042");
  for (char c : k.substr(5, 3)) CHECK(std::isalnum(static_cast<unsigned char>(c)));
  CHECK(perf::tag_of(42) == tag);  // the same number, the same tag
  CHECK(perf::format_key("counter:", 999'999'999'999, b, &tag).size() == 26);  // the longest fits
  // 100,000 keys (bench-cluster.sh's keyspace) spread as uniform draws
  // would: about 6 per slot, about 38 slots of 16,384 left empty, the
  // fullest near 18 (these tags: 62 and 19).
  std::vector<int> per_slot(valkey::cluster::slot_count);
  for (std::uint64_t n = 0; n < 100'000; ++n) {
    const perf::KeyTag t = perf::tag_of(n);
    ++per_slot[valkey::cluster::hash_slot(perf::format_key("key:", n, b, &t))];
  }
  CHECK(std::count(per_slot.begin(), per_slot.end(), 0) < 150);
  CHECK(*std::max_element(per_slot.begin(), per_slot.end()) <= 24);

  perf::KeyPicker fixed{"key:", 0, 1, 1};
  CHECK(fixed.pick(b) == "key:__rand_int__");
  // A tag per key: each key the one its number names.
  std::set<std::string> three;
  for (std::uint64_t n = 0; n < 3; ++n) {
    const perf::KeyTag t = perf::tag_of(n);
    three.emplace(perf::format_key("key:", n, b, &t));
  }
  perf::KeyPicker per_key{"key:", 3, 7, 1};
  std::set<std::string> picked;
  for (int i = 0; i < 50; ++i) picked.emplace(per_key.pick(b));
  CHECK(picked == three);
}

TEST_CASE("perf keys: --slot-run N keeps a tag for N keys in a row", "[perf][perf-report]") {
  perf::KeyBuffer b;
  perf::KeyPicker runs{"key:", 1'000'000, 11, 4};
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.emplace_back(runs.pick(b));
  std::set<std::string> tags, numbers;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string tag = keys[i].substr(4, 5);  // "{ttt}"
    if (i % 4 != 0) CHECK(tag == keys[i - 1].substr(4, 5));
    tags.insert(tag);
    numbers.insert(keys[i].substr(10));
  }
  CHECK(tags.size() >= 9);      // 10 runs, their tags drawn afresh
  CHECK(numbers.size() >= 39);  // the numbers still random
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
