#include "server_version.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstdio>
#include <stdexcept>

#include "environment.hpp"
#include "program_run.hpp"

namespace valkey::test {
namespace {

// "Valkey server v=8.0.1 sha=..." or "Redis server v=7.0.15 sha=...".
ServerVersion parse(const std::string& line) {
  ServerVersion v;
  v.valkey = line.rfind("Valkey", 0) == 0;
  const std::size_t at = line.find(" v=");
  if (at == std::string::npos || std::sscanf(line.c_str() + at + 3, "%d.%d.%d", &v.major, &v.minor, &v.patch) < 2)
    throw std::runtime_error("unreadable server version line: " + line);
  const std::size_t end = line.find(' ', at + 3);
  v.text = std::string(v.valkey ? "valkey " : "redis ") + line.substr(at + 3, end - (at + 3));
  return v;
}

}  // namespace

const ServerVersion& server_version() {
  static const ServerVersion v = [] {
    const ProgramRun r = run_program(shell_quote(require_tool("VALKEY_SERVER")) + " --version", 10);
    if (r.status != 0) throw std::runtime_error("valkey-server --version failed: " + r.output);
    return parse(r.output);
  }();
  return v;
}

bool is_generated_from(const ServerVersion& v) {
  return v.valkey && v.text == std::string("valkey ") + kGeneratedFromValkey;
}

bool has_client_setinfo(const ServerVersion& v) { return v.valkey || v.at_least(7, 2); }

void require_server(bool (*ok)(const ServerVersion&), const std::string& why) {
  const ServerVersion& v = server_version();
  if (!ok(v)) SKIP(why + " (this server: " + v.text + ")");
}

}  // namespace valkey::test
