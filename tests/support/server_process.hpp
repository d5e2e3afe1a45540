#pragma once
// A real valkey-server (or redis-server, or sentinel) for one test: its own
// temp dir, free loopback ports, no persistence, always stopped.
//
//   valkey::test::ServerProcess server;                 // started, answers PING
//   valkey::Client db{server.url()};                    // "valkey://127.0.0.1:PORT"
//   server.kill(); server.restart();                    // fault tests
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "resp_client.hpp"
#include "temp_dir.hpp"
#include "tls_files.hpp"

namespace valkey::test {

enum class ServerKind {
  valkey,    // VALKEY_SERVER
  redis,     // REDIS_SERVER (Redis 7, compatibility tests)
  sentinel,  // VALKEY_SERVER --sentinel
};

struct AclUser {
  std::string name;
  std::string password;
  std::string rules = "~* &* +@all";  // appended after "on >password"
};

struct ServerOptions {
  ServerKind kind = ServerKind::valkey;
  std::string password;                    // requirepass (default user)
  std::vector<AclUser> users;              // extra ACL users
  std::vector<std::string> config;         // extra config lines, e.g. "maxmemory 10mb"
  bool unix_socket = true;                 // unixsocket <dir>/s.sock
  bool tls = false;                        // also listen with TLS on tls_port()
  std::string tls_auth_clients = "no";     // no | optional | yes
  bool tls_replication = false;            // tls-replication / tls-cluster yes
  std::shared_ptr<const TlsFiles> tls_files;  // shared CA (cluster); generated when null
  bool cluster = false;                    // cluster-enabled yes, own bus port
  int cluster_node_timeout_ms = 2000;
  std::string binary;                      // overrides the env lookup
  std::chrono::milliseconds start_timeout = std::chrono::seconds(15);
};

class ServerProcess {
 public:
  // Starts the server and waits until it answers PING; throws (with the
  // server's log) when it cannot.
  explicit ServerProcess(ServerOptions options = {});
  ~ServerProcess();  // stop(): SIGTERM, SIGKILL after 5 s, reaped
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  int tls_port() const { return tls_port_; }        // 0 without TLS
  int cluster_bus_port() const { return bus_port_; }  // 0 without cluster
  std::string url() const;       // valkey://127.0.0.1:PORT (no credentials)
  std::string tls_url() const;   // valkeys://127.0.0.1:TLS_PORT
  std::string unix_socket_path() const;  // empty when disabled
  const std::string& password() const { return options_.password; }
  const ServerOptions& options() const { return options_; }
  const TlsFiles* tls_files() const { return tls_files_.get(); }
  std::shared_ptr<const TlsFiles> shared_tls_files() const { return tls_files_; }
  const std::string& dir() const { return dir_.path(); }
  pid_t pid() const { return pid_; }  // 0 when not running
  bool running() const { return pid_ > 0; }
  bool paused() const { return paused_; }

  // The server's log file plus anything it printed to stdout/stderr (config
  // errors land there). Put it in failure messages.
  std::string log() const;

  // A command over a fresh plain connection, authenticated with password().
  RespValue command(const std::vector<std::string>& args) const;
  // One integer field of INFO <section> ("clients", "blocked_clients");
  // throws std::runtime_error when the field is missing.
  std::int64_t info_int(const std::string& section, const std::string& field) const;

  void stop();                      // graceful, then forced; idempotent
  void kill(int signal = 9);        // send the signal; for fatal ones wait until it exits
  void restart();                   // stop if running, start again on the same ports
  void pause();                     // SIGSTOP: the peer stays connected but silent
  void resume();                    // SIGCONT

 private:
  void write_config() const;
  bool spawn_and_wait(std::string& failure);  // false + reason when it did not come up
  bool reap(std::chrono::milliseconds wait);  // true once the child is gone

  ServerOptions options_;
  TempDir dir_;
  std::shared_ptr<const TlsFiles> tls_files_;
  std::string binary_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  int tls_port_ = 0;
  int bus_port_ = 0;
  pid_t pid_ = 0;
  bool paused_ = false;
};

}  // namespace valkey::test
