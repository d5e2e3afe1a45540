#pragma once
// Running the built programs (samples, valkey-cpp-cli, valkey-cpp-perf) from
// tests: where they are, shell quoting, and a bounded run that captures
// stdout and stderr.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace valkey::test {

// $VALKEY_SAMPLES_DIR, else <build>/samples next to the test's <build>/tests.
inline std::filesystem::path samples_dir() {
  if (const char* d = std::getenv("VALKEY_SAMPLES_DIR")) return d;
  return std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "samples";
}

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct ProgramRun {
  int status = -1;     // the exit status; -1 when it did not exit normally
  std::string output;  // stdout and stderr
};

// Runs "[VAR=value...] program args" through env(1), ended by timeout(1)
// after `seconds`.
inline ProgramRun run_program(const std::string& command, int seconds) {
  ProgramRun r;
  const std::string line = "timeout " + std::to_string(seconds) + " env " + command + " 2>&1";
  FILE* p = ::popen(line.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace valkey::test
