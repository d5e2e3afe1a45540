// Runs the valkey-cpp-perf binary against fixture servers: a short run's JSON
// summary, usage errors, and --verify through a connection kill and a pause.
// The binary is found in $VALKEY_SAMPLES_DIR/perf, else in
// <build>/samples/perf next to this test's <build>/tests; the tests skip when
// it was not built.
#include <catch2/catch_test_macros.hpp>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/perf_tool.hpp"
#include "support/program_run.hpp"
#include "support/server_process.hpp"

using valkey::test::ServerProcess;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using valkey::test::perf_binary;

using valkey::test::shell_quote;
using Run = valkey::test::ProgramRun;

// Runs the tool with `args` (bounded); stdout+stderr.
Run run_perf(const std::string& args) {
  return valkey::test::run_program(shell_quote(perf_binary().string()) + " " + args, 30);
}

using valkey::test::last_json_line;

std::uint64_t error_total(const nlohmann::json& j) {
  std::uint64_t n = 0;
  for (const auto& [kind, count] : j["errors"].items()) n += count.get<std::uint64_t>();
  return n;
}

}  // namespace

TEST_CASE("perf tool: a short run prints a JSON summary with every field", "[samples][perf]") {
  perf_binary();
  ServerProcess server;
  const std::string url = shell_quote(server.url());

  Run all = run_perf("-u " + url + " -t get,set,incr,mget -c 4 -n 2000 -r 100 --json");
  INFO(all.output);
  REQUIRE(all.status == 0);
  auto j = last_json_line(all.output);
  REQUIRE(j.is_object());
  for (const char* key : {"ops", "ops_per_sec", "p50_us", "p99_us", "p999_us", "errors", "max_stall_ms", "tests"})
    CHECK(j.contains(key));
  CHECK(j["ops"] == 8000);  // 4 tests x -n 2000, no errors on a healthy server
  CHECK(j["ops_per_sec"].get<double>() > 0);
  CHECK(j["p50_us"].get<double>() > 0);
  CHECK(j["p999_us"].get<double>() >= j["p50_us"].get<double>());
  CHECK(j["errors"].empty());
  CHECK_FALSE(j.contains("verify"));
  REQUIRE(j["tests"].size() == 4);
  CHECK(j["tests"][3]["test"] == "mget");
  // The SETs reached the server under valkey-benchmark's key names.
  CHECK(server.command({"DBSIZE"}).integer > 0);
  CHECK(server.command({"EXISTS", "key:000000000000", "key:000000000099"}).integer >= 1);

  // Sync threads with pipelines: every INCR of the one fixed counter counted.
  Run sync = run_perf("-u " + url + " --sync -c 3 --threads 2 -P 7 -t incr -n 500 --json");
  INFO(sync.output);
  REQUIRE(sync.status == 0);
  auto s = last_json_line(sync.output);
  REQUIRE(s.is_object());
  CHECK(s["ops"] == 500);
  CHECK(s["config"]["mode"] == "sync");
  CHECK(server.command({"GET", "counter:__rand_int__"}).as_string() == "500");

  // Error replies are counted by the server's prefix; the run still ends with 0.
  server.command({"LPUSH", "key:__rand_int__", "x"});
  Run wrongtype = run_perf("-u " + url + " -t get -c 2 -n 50 --json");
  INFO(wrongtype.output);
  CHECK(wrongtype.status == 0);
  auto w = last_json_line(wrongtype.output);
  REQUIRE(w.is_object());
  CHECK(w["ops"] == 0);
  CHECK(w["errors"]["server_error:WRONGTYPE"] == 50);

  // Without --json: the human summary.
  Run text = run_perf("-u " + url + " -t set -c 2 -n 100");
  INFO(text.output);
  CHECK(text.status == 0);
  CHECK(text.output.find("====== SET ======") != std::string::npos);
  CHECK(text.output.find("ops/s") != std::string::npos);
}

TEST_CASE("perf tool: usage errors exit 2, an unreachable server 3", "[samples][perf]") {
  perf_binary();
  for (const char* args : {"-x", "-n 10 --seconds 1", "--verify -t get", "-c 0", "-t nosuch", "extra"}) {
    DYNAMIC_SECTION(args) {
      Run r = run_perf(args);
      INFO(r.output);
      CHECK(r.status == 2);
      CHECK(r.output.find("usage: valkey-cpp-perf") != std::string::npos);
    }
  }
  Run help = run_perf("--help");
  CHECK(help.status == 0);
  CHECK(help.output.find("--verify") != std::string::npos);
  Run refused = run_perf("-u valkey://127.0.0.1:1 -n 10");
  INFO(refused.output);
  CHECK(refused.status == 3);
  CHECK(refused.output.find("127.0.0.1:1") != std::string::npos);
}

TEST_CASE("perf tool: --verify holds through CLIENT KILL and CLIENT PAUSE", "[samples][perf]") {
  perf_binary();
  for (const char* mode : {"", "--sync --threads 2 -P 4"}) {
    DYNAMIC_SECTION("mode: " << (*mode ? mode : "async")) {
      ServerProcess server;
      // A short request timeout makes requests that wait out the pause fail
      // (timeout, outcome unknown) instead of just waiting.
      const std::string url = server.url() + "?request_timeout=100ms";
      auto running = std::async(std::launch::async, [&] {
        return run_perf("-u " + shell_quote(url) + " -t incr --verify -c 8 --seconds 3 --json " + mode);
      });

      // Wait until the tool is connected (the INFO connection counts itself):
      // its --verify connection plus at least one load connection.
      const auto give_up = std::chrono::steady_clock::now() + 10s;
      while (server.info_int("clients", "connected_clients") < 3 && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(20ms);
      std::this_thread::sleep_for(400ms);
      // From a control connection of its own (CLIENT KILL skips the caller).
      auto killed = server.command({"CLIENT", "KILL", "TYPE", "normal"});
      std::this_thread::sleep_for(500ms);  // reconnected and loaded again
      auto paused = server.command({"CLIENT", "PAUSE", "300"});

      Run r = running.get();
      INFO(r.output);
      CHECK(killed.integer >= 2);
      CHECK(paused.as_string() == "OK");
      REQUIRE(r.status == 0);
      auto j = last_json_line(r.output);
      REQUIRE(j.is_object());
      REQUIRE(j.contains("verify"));
      CHECK(j["verify"]["ok"] == true);
      CHECK(j["verify"]["counters"] == 8);
      CHECK(j["verify"]["acked"].get<std::uint64_t>() > 0);
      CHECK(j["verify"]["acked"] == j["ops"]);
      CHECK(j["verify"]["server_total"].get<std::int64_t>() >= j["verify"]["acked"].get<std::int64_t>());
      CHECK(error_total(j) > 0);
      CHECK(j["verify"]["unknown"].get<std::uint64_t>() > 0);
      CHECK(j["max_stall_ms"].get<double>() > 0);
    }
  }
}

TEST_CASE("perf tool: --retry --verify with 256 coroutines holds through kill -9 and a restart",
          "[samples][perf][retry]") {
  perf_binary();
  valkey::test::ServerOptions opts;
  opts.config = {"appendonly yes", "appendfsync always"};  // an acknowledged INCR survives kill -9
  ServerProcess server(opts);
  const std::string url = server.url() + "?request_timeout=2s";
  auto running = std::async(std::launch::async, [&] {
    return run_perf("-u " + shell_quote(url) + " -t incr --verify --retry 5 -c 256 --seconds 4 --json");
  });
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (server.info_int("clients", "connected_clients") < 3 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(1s);
  server.kill(9);
  server.restart();

  Run r = running.get();
  INFO(r.output);
  REQUIRE(r.status == 0);
  auto j = last_json_line(r.output);
  REQUIRE(j.is_object());
  REQUIRE(j.contains("verify"));
  // Every acknowledged INCR is on the restarted server once; what went
  // beyond it is bounded by the written INCRs that got no reply (the retry
  // policy never resends those: they count as unknown_outcome).
  CHECK(j["verify"]["ok"] == true);
  CHECK(j["verify"]["counters"] == 256);
  CHECK(j["verify"]["acked"].get<std::uint64_t>() > 0);
  CHECK(j["verify"]["server_total"].get<std::int64_t>() >= j["verify"]["acked"].get<std::int64_t>());
}
