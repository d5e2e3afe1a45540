#pragma once
// valkey-cpp-perf from tests: where the built tool is (a test SKIPs when it
// is not built), and the JSON summary it prints last with --json.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "program_run.hpp"

namespace valkey::test {

inline std::filesystem::path perf_binary() {
  std::filesystem::path p = samples_dir() / "perf" / "valkey-cpp-perf";
  if (!std::filesystem::exists(p))
    SKIP("not built: " + p.string() + " (build valkey-cpp-perf, or set VALKEY_SAMPLES_DIR)");
  return p;
}

// The last non-empty line of a program's output parsed as JSON (the
// summary; progress lines come before it); discarded when it does not parse.
inline nlohmann::json last_json_line(const std::string& out) {
  const std::size_t end = out.find_last_not_of('\n');
  if (end == std::string::npos) return nullptr;
  std::size_t begin = out.rfind('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return nlohmann::json::parse(out.substr(begin, end + 1 - begin), nullptr, false);
}

}  // namespace valkey::test
