// valkey-cpp-cli --cluster and valkey-cpp-perf --cluster against the 3+3
// cluster fixture: commands routed, split and aggregated, per-node replies
// printed per node (text and JSON), the perf workloads and --verify through
// the cluster clients, also while a primary is killed. Skipped when the
// programs were not built.
#include <catch2/catch_test_macros.hpp>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/cluster.hpp"
#include "support/perf_tool.hpp"
#include "support/program_run.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using valkey::test::Cluster;
using valkey::test::shell_quote;
using Run = valkey::test::ProgramRun;

namespace {

fs::path program(const std::string& relative) {
  fs::path p = valkey::test::samples_dir() / relative;
  if (!fs::exists(p)) SKIP("not built: " + p.string() + " (build the samples, or set VALKEY_SAMPLES_DIR)");
  return p;
}

Cluster& tools_cluster() {
  static Cluster cluster;  // started on first use, stopped at exit
  return cluster;
}

using valkey::test::last_json_line;

}  // namespace

TEST_CASE("cli --cluster: routed, split and summed commands; per-node replies by host:port", "[cluster][samples][cli]") {
  const fs::path exe = program("cli/valkey-cpp-cli");
  Cluster& cluster = tools_cluster();
  const std::string cli = shell_quote(exe.string()) + " --cluster -u " + shell_quote(cluster.seed_url()) + " ";
  auto run = [](const std::string& line) { return valkey::test::run_program(line, 30); };

  // Keys in three slots owned by different primaries: each lands on its owner.
  Run set = run(cli + "MSET cli:a 1 cli:b 2 cli:c 3");
  INFO(set.output);
  CHECK(set.status == 0);
  CHECK(set.output == "OK\n");
  for (const char* key : {"cli:a", "cli:b", "cli:c"}) {
    const int port = cluster.port_for_slot(Cluster::key_slot(key));
    for (std::size_t i = 0; i < cluster.size(); ++i)
      if (cluster.node(i).port() == port) CHECK(cluster.node(i).command({"GET", key}).str.size() == 1);
  }
  Run get = run(cli + "GET cli:b");
  CHECK(get.output == "\"2\"\n");
  Run mget = run(cli + "MGET cli:c cli:a cli:none cli:b");
  CHECK(mget.output == "1) \"3\"\n2) \"1\"\n3) (nil)\n4) \"2\"\n");
  Run jm = run(cli + "--json MGET cli:a cli:b");
  REQUIRE(jm.status == 0);
  CHECK(nlohmann::json::parse(jm.output) == nlohmann::json::array({"1", "2"}));
  // EXISTS is split and summed.
  CHECK(run(cli + "EXISTS cli:a cli:b cli:c cli:none").output == "(integer) 3\n");

  // DBSIZE: every primary, summed (response_policy agg_sum) into one number.
  Run dbsize = run(cli + "DBSIZE");
  INFO(dbsize.output);
  CHECK(dbsize.status == 0);
  CHECK(dbsize.output.rfind("(integer) ", 0) == 0);

  // INFO (response_policy special): one reply per primary under its address.
  Run info = run(cli + "INFO server");
  INFO(info.output);
  REQUIRE(info.status == 0);
  std::size_t headings = 0;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.role(i) != "master") continue;
    const std::string heading = cluster.address(i) + ":\n";
    CHECK(info.output.find(heading) != std::string::npos);
    headings += info.output.find(heading) != std::string::npos;
  }
  CHECK(headings == 3);
  CHECK(info.output.find("redis_version") != std::string::npos);  // Valkey reports it too

  Run jinfo = run(cli + "--json INFO server");
  REQUIRE(jinfo.status == 0);
  auto j = nlohmann::json::parse(jinfo.output);
  REQUIRE(j.is_object());
  CHECK(j.size() == 3);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (cluster.role(i) != "master") continue;
    const std::string node = cluster.address(i);
    REQUIRE(j.contains(node));
    CHECK(j[node].get<std::string>().find("tcp_port:" + std::to_string(cluster.node(i).port())) != std::string::npos);
  }

  // An error reply: exit 1. A cross-slot command: refused before sending,
  // exit 3, the message naming the keys.
  cluster.node(0).command({"DEL", "cli:a"});
  REQUIRE(run(cli + "LPUSH cli:list x").status == 0);
  Run wrong = run(cli + "GET cli:list");
  CHECK(wrong.status == 1);
  CHECK(wrong.output.rfind("(error) WRONGTYPE", 0) == 0);
  Run cross = run(cli + "RENAME cli:b cli:c");
  INFO(cross.output);
  CHECK(cross.status == 3);
  CHECK(cross.output.find("different slots") != std::string::npos);
  // A HGETALL map (RESP3) is the command's answer, not a per-node one.
  REQUIRE(run(cli + "HSET cli:h f v").status == 0);
  CHECK(run(cli + "HGETALL cli:h").output == "1# \"f\" => \"v\"\n");
  // No seed reachable: exit 3.
  Run refused = run(shell_quote(exe.string()) + " --cluster -u valkey://127.0.0.1:1 PING");
  CHECK(refused.status == 3);
}

TEST_CASE("perf --cluster: workloads and --verify through the cluster clients", "[cluster][samples][perf]") {
  const fs::path exe = program("perf/valkey-cpp-perf");
  Cluster& cluster = tools_cluster();
  const std::string perf = shell_quote(exe.string()) + " --cluster -u " + shell_quote(cluster.seed_url()) + " ";
  auto run = [](const std::string& line) { return valkey::test::run_program(line, 60); };

  for (const char* mode : {"", "--sync --threads 2 -P 4 "}) {
    DYNAMIC_SECTION("mode: " << (*mode ? mode : "async")) {
      Run all = run(perf + mode + "-t get,set,incr -c 6 -n 3000 -r 1000 --json");
      INFO(all.output);
      REQUIRE(all.status == 0);
      auto j = last_json_line(all.output);
      REQUIRE(j.is_object());
      CHECK(j["ops"] == 9000);
      CHECK(j["errors"].empty());
      CHECK(j["config"]["cluster"] == true);

      Run verify = run(perf + mode + "-t incr --verify -c 8 -n 4000 --json");
      INFO(verify.output);
      CHECK(verify.status == 0);
      auto v = last_json_line(verify.output);
      REQUIRE(v.is_object());
      CHECK(v["verify"]["ok"] == true);
      CHECK(v["verify"]["server_total"] == 4000);
    }
  }
  // MGET of 10 random keys: split by slot, one answer in key order.
  Run mget = run(perf + "-t mget -c 4 -n 1000 -r 1000 --json");
  INFO(mget.output);
  CHECK(mget.status == 0);
  CHECK(last_json_line(mget.output)["ops"] == 1000);
  // The SETs with -r reached every primary.
  for (std::size_t i = 0; i < cluster.initial_primary_count(); ++i)
    CHECK(cluster.node(i).command({"DBSIZE"}).integer > 0);

  // Usage: several hosts without --cluster, a sentinel URL with it.
  Run no_flag = run(shell_quote(exe.string()) + " -u " + shell_quote(cluster.seed_url()) + " -n 10");
  CHECK(no_flag.status == 2);
  CHECK(no_flag.output.find("--cluster") != std::string::npos);
  CHECK(run(shell_quote(exe.string()) + " --cluster -u valkey+sentinel://127.0.0.1:1/m -n 10").status == 2);
  Run refused = run(shell_quote(exe.string()) + " --cluster -u valkey://127.0.0.1:1 -n 10");
  INFO(refused.output);
  CHECK(refused.status == 3);
}

TEST_CASE("perf --cluster --verify: no increment lost or doubled while a primary is killed",
          "[cluster][cluster-failover][samples][perf]") {
  const fs::path exe = program("perf/valkey-cpp-perf");
  valkey::test::ClusterOptions o;
  o.node.cluster_node_timeout_ms = 1000;
  Cluster cluster(o);
  // Requests for the dead primary's slots are retried (never written) until
  // the replica is promoted; a request written before the kill fails unknown.
  const std::string url = cluster.seed_url() + "?request_timeout=2s&connect_timeout=500ms";
  auto running = std::async(std::launch::async, [&] {
    return valkey::test::run_program(
        shell_quote(exe.string()) + " --cluster -u " + shell_quote(url) + " -t incr --verify -c 16 --seconds 6 --json",
        60);
  });
  std::this_thread::sleep_for(1500ms);
  cluster.node(0).kill(SIGKILL);
  Run r = running.get();
  INFO(r.output);
  CHECK(r.status == 0);
  auto j = last_json_line(r.output);
  REQUIRE(j.is_object());
  CHECK(j["verify"]["ok"] == true);
  CHECK(j["verify"]["inconsistent"] == 0);
  CHECK(j["ops"].get<std::uint64_t>() > 1000);
}
