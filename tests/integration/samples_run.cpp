// Runs every built sample and the CLI against fixture servers. The binaries
// are found in $VALKEY_SAMPLES_DIR, else in <build>/samples next to this
// test's <build>/tests; when they were not built the tests skip.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "support/program_run.hpp"
#include "support/server_process.hpp"
#include "support/server_version.hpp"

using valkey::test::ServerProcess;
namespace fs = std::filesystem;

namespace {

using valkey::test::samples_dir;
using valkey::test::shell_quote;
using Run = valkey::test::ProgramRun;

// Runs "[VAR=value...] program args" (bounded), stdout+stderr.
Run run(const std::string& command) { return valkey::test::run_program(command, 60); }

fs::path binary(const std::string& relative) {
  fs::path p = samples_dir() / relative;
  if (!fs::exists(p)) SKIP("not built: " + p.string() + " (build the samples, or set VALKEY_SAMPLES_DIR)");
  return p;
}

}  // namespace

TEST_CASE("samples: each sample runs against a fixture server", "[samples]") {
  ServerProcess server;
  for (const char* name : {"quickstart", "strings", "hashes", "lists", "sets", "sorted_sets", "bitmaps", "hyperloglog",
                           "coroutines", "pipeline", "transaction", "pubsub", "scripting", "streams", "geo",
                           "caching", "resilience"}) {
    DYNAMIC_SECTION(name) {
      fs::path exe = binary(name);
      Run r = run("VALKEY_URL=" + shell_quote(server.url()) + " " + shell_quote(exe.string()));
      INFO(r.output);
      CHECK(r.status == 0);
      CHECK_FALSE(r.output.empty());
    }
  }
}

TEST_CASE("samples: Valkey 9 features (hash-field TTL, BYPOLYGON)", "[samples]") {
  valkey::test::require_server(valkey::test::valkey_at_least<9, 0>, "HEXPIRE, HSETEX and BYPOLYGON are new in Valkey 9.0");
  ServerProcess server;
  for (const char* name : {"hash_field_ttl", "geo_polygon"}) {
    DYNAMIC_SECTION(name) {
      fs::path exe = binary(name);
      Run r = run("VALKEY_URL=" + shell_quote(server.url()) + " " + shell_quote(exe.string()));
      INFO(r.output);
      CHECK(r.status == 0);
      CHECK_FALSE(r.output.empty());
    }
  }
}

TEST_CASE("samples: tls against the fixture's TLS port", "[samples][tls]") {
  valkey::test::ServerOptions o;
  o.tls = true;
  ServerProcess server{o};
  fs::path exe = binary("tls");
  const auto* files = server.tls_files();
  REQUIRE(files != nullptr);
  std::string env = "VALKEY_URL=" + shell_quote(server.tls_url()) + " VALKEY_TLS_CA_FILE=" + shell_quote(files->ca_cert) +
                    " VALKEY_TLS_CERT_FILE=" + shell_quote(files->client_cert) +
                    " VALKEY_TLS_KEY_FILE=" + shell_quote(files->client_key) + " ";
  Run ok = run(env + shell_quote(exe.string()));
  INFO(ok.output);
  CHECK(ok.status == 0);
  CHECK(ok.output.find("over TLS: encrypted") != std::string::npos);
  // the wrong CA must fail verification
  Run bad = run("VALKEY_URL=" + shell_quote(server.tls_url()) + " VALKEY_TLS_CA_FILE=" + shell_quote(files->other_ca_cert) +
                " VALKEY_TLS_CERT_FILE=" + shell_quote(files->client_cert) + " VALKEY_TLS_KEY_FILE=" +
                shell_quote(files->client_key) + " " + shell_quote(exe.string()));
  INFO(bad.output);
  CHECK(bad.status != 0);
}

TEST_CASE("cli: text output, JSON output and exit codes", "[samples][cli]") {
  ServerProcess server;
  fs::path exe = binary("cli/valkey-cpp-cli");
  std::string cli = shell_quote(exe.string()) + " -u " + shell_quote(server.url()) + " ";

  Run set = run(cli + "SET greeting hello");
  CHECK(set.status == 0);
  CHECK(set.output == "OK\n");
  Run get = run(cli + "GET greeting");
  CHECK(get.output == "\"hello\"\n");
  CHECK(run(cli + "INCR n").output == "(integer) 1\n");
  CHECK(run(cli + "GET missing").output == "(nil)\n");
  CHECK(server.command({"GET", "greeting"}).as_string() == "hello");

  server.command({"HSET", "h", "f1", "v1", "f2", "v2"});
  Run map3 = run(cli + "HGETALL h");
  CHECK(map3.output.find("1# \"f1\" => \"v1\"") != std::string::npos);
  // RESP2 prints what RESP3 prints: call() hands out the RESP3 shape
  const std::string cli2 = shell_quote(exe.string()) + " --resp2 -u " + shell_quote(server.url()) + " ";
  Run map2 = run(cli2 + "HGETALL h");
  CHECK(map2.output == map3.output);
  server.command({"ZADD", "z", "1", "a", "2.5", "b"});
  server.command({"SADD", "s", "x", "y"});
  for (const char* command : {"HGETALL h", "ZRANGE z 0 -1 WITHSCORES", "ZSCORE z b", "SMEMBERS s", "CONFIG GET maxmemory"}) {
    INFO(command);
    Run j3 = run(cli + "--json " + command);
    Run j2 = run(cli2 + "--json " + command);
    CHECK(j3.status == 0);
    CHECK(j2.output == j3.output);
  }

  Run json = run(cli + "--json HGETALL h");
  REQUIRE(json.status == 0);
  auto j = nlohmann::json::parse(json.output);
  CHECK(j["f1"] == "v1");
  CHECK(j["f2"] == "v2");
  auto jn = nlohmann::json::parse(run(cli + "--json INCR n").output);
  CHECK(jn == 2);

  // an error reply: exit 1, text and JSON
  server.command({"LPUSH", "list", "x"});
  Run err = run(cli + "GET list");
  CHECK(err.status == 1);
  CHECK(err.output.rfind("(error) WRONGTYPE", 0) == 0);
  Run jerr = run(cli + "--json GET list");
  CHECK(jerr.status == 1);
  CHECK(nlohmann::json::parse(jerr.output)["error"].get<std::string>().rfind("WRONGTYPE", 0) == 0);
  CHECK(run(cli + "NOSUCHCOMMAND").status == 1);

  // usage and connection errors
  CHECK(run(shell_quote(exe.string())).status == 2);
  CHECK(run(shell_quote(exe.string()) + " --bogus PING").status == 2);
  Run refused = run(shell_quote(exe.string()) + " -u valkey://127.0.0.1:1 PING");
  CHECK(refused.status == 3);
  // VALKEY_URL is the default server
  CHECK(run("VALKEY_URL=" + shell_quote(server.url()) + " " + shell_quote(exe.string()) + " PING").output == "PONG\n");
}
