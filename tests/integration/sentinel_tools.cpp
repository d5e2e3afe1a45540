// samples/sentinel and the CLI with a valkey+sentinel:// URL, against the
// sentinel fixture. Skipped when the programs were not built.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <string>

#include "support/program_run.hpp"
#include "support/sentinel.hpp"

namespace fs = std::filesystem;
using valkey::test::shell_quote;

namespace {
fs::path program(const std::string& relative) {
  fs::path p = valkey::test::samples_dir() / relative;
  if (!fs::exists(p)) SKIP("not built: " + p.string() + " (build the samples, or set VALKEY_SAMPLES_DIR)");
  return p;
}
}  // namespace

TEST_CASE("sentinel tools: the sentinel sample and the CLI find the primary through the sentinels",
          "[sentinel][samples][slow]") {
  const fs::path sample = program("sentinel");
  const fs::path cli = program("cli/valkey-cpp-cli");
  valkey::test::ReplicatedSet set;
  valkey::test::Sentinels sentinels(set);
  const std::string url = "valkey+sentinel://" + sentinels.addresses() + "/mymaster";

  auto r = valkey::test::run_program("VALKEY_SENTINEL_URL=" + shell_quote(url) + " " + shell_quote(sample.string()), 60);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("primary at 127.0.0.1:" + std::to_string(set.primary().port())) != std::string::npos);
  CHECK(r.output.find("reads written to the primary") != std::string::npos);

  auto c = valkey::test::run_program(shell_quote(cli.string()) + " -u " + shell_quote(url) + " ROLE", 60);
  INFO(c.output);
  CHECK(c.status == 0);
  CHECK(c.output.find("master") != std::string::npos);
}

TEST_CASE("sentinel tools: valkey-cpp-perf runs and verifies INCRs through a sentinel URL", "[sentinel][samples][slow]") {
  const fs::path perf = program("perf/valkey-cpp-perf");
  valkey::test::ReplicatedSet set;
  valkey::test::Sentinels sentinels(set);
  const std::string url = "valkey+sentinel://" + sentinels.addresses() + "/mymaster";
  for (const char* mode : {"", " --sync"}) {
    auto r = valkey::test::run_program(shell_quote(perf.string()) + " -u " + shell_quote(url) +
                                           " -t incr -c 8 -n 2000 --verify --json" + mode,
                                       60);
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(r.output.find("\"ok\":true") != std::string::npos);
  }
  // The increments went to the primary.
  const std::string stats = set.primary().command({"INFO", "commandstats"}).as_string();
  CHECK(stats.find("cmdstat_incr:calls=") != std::string::npos);
}
