#include "environment.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>

namespace valkey::test {

namespace {

std::string env_file_value(const std::string& name) {
  std::string cache;
  if (const char* c = std::getenv("VALKEY_CPP_CACHE"); c && *c) {
    cache = c;
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    cache = std::string(h) + "/.cache/valkey-cpp";
  } else {
    return {};
  }
  std::ifstream in(cache + "/env.sh");
  std::string line;
  const std::string prefix = "export " + name + "=";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::string v = line.substr(prefix.size());
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return {};
}

}  // namespace

std::string tool_path(const std::string& env_name) {
  if (const char* v = std::getenv(env_name.c_str()); v && *v) return v;
  return env_file_value(env_name);
}

std::string require_tool(const std::string& env_name) {
  std::string p = tool_path(env_name);
  if (p.empty())
    throw std::runtime_error(env_name + " is not set and ~/.cache/valkey-cpp/env.sh does not name it: run scripts/setup.sh (or export " +
                             env_name + "=/path/to/binary)");
  if (::access(p.c_str(), X_OK) != 0)
    throw std::runtime_error(env_name + "=" + p + " is not an executable file: run scripts/setup.sh");
  return p;
}

bool port_is_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Servers bind with SO_REUSEADDR, so a port in TIME_WAIT is usable for them
  // too; mirror that so such ports are not skipped needlessly.
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

int pick_free_port() {
  // Seeded per process, so concurrent test processes (ctest -j) start from
  // different places; the bind check and the server-side retry do the rest.
  static std::mutex m;
  static std::mt19937 rng(static_cast<unsigned>(::getpid()) ^
                          static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  // Never hand out the same port twice in one process: a server's port, TLS
  // port and cluster bus port are picked before any of them is bound.
  static std::set<int> handed_out;
  std::lock_guard lock(m);
  std::uniform_int_distribution<int> dist(16000, 32767);
  for (int i = 0; i < 1000; ++i) {
    int port = dist(rng);
    if (handed_out.count(port) || !port_is_free(port)) continue;
    handed_out.insert(port);
    return port;
  }
  throw std::runtime_error("no free loopback port found in 16000-32767");
}

}  // namespace valkey::test
