// samples/observability.cpp (built with VALKEY_CPP_WITH_OTEL=ON) against a
// fixture server: its spans and metrics reach the ostream exporters.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <string>

#include "support/program_run.hpp"
#include "support/server_process.hpp"

TEST_CASE("samples: observability prints the client's spans and metrics", "[samples][observer]") {
  valkey::test::ServerProcess server;
  const std::filesystem::path exe = valkey::test::samples_dir() / "observability";
  if (!std::filesystem::exists(exe)) SKIP("not built: " + exe.string() + " (configure with VALKEY_CPP_WITH_OTEL=ON)");
  const auto r = valkey::test::run_program(
      "VALKEY_URL=" + valkey::test::shell_quote(server.url()) + " " + valkey::test::shell_quote(exe.string()), 60);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("greeting=hello") != std::string::npos);
  CHECK(r.output.find("handle-request") != std::string::npos);
  CHECK(r.output.find("SET sample:greeting ?") != std::string::npos);  // sanitized query text
  CHECK(r.output.find("db.client.operation.duration") != std::string::npos);
}
