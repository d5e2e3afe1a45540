#include "server_process.hpp"

#include <signal.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "environment.hpp"

extern char** environ;

namespace valkey::test {
namespace {

using namespace std::chrono_literals;

bool is_bind_failure(const std::string& log) {
  return log.find("Address already in use") != std::string::npos;
}

const char* kind_name(ServerKind k) {
  switch (k) {
    case ServerKind::valkey: return "valkey-server";
    case ServerKind::redis: return "redis-server";
    case ServerKind::sentinel: return "valkey sentinel";
  }
  return "server";
}

}  // namespace

ServerProcess::ServerProcess(ServerOptions options)
    : options_(std::move(options)),
      dir_(options_.kind == ServerKind::sentinel ? "sen" : options_.cluster ? "node" : "srv") {
  if (!options_.binary.empty()) {
    binary_ = options_.binary;
  } else {
    binary_ = require_tool(options_.kind == ServerKind::redis ? "REDIS_SERVER" : "VALKEY_SERVER");
  }
  if (options_.tls) {
    tls_files_ = options_.tls_files ? options_.tls_files
                                    : std::make_shared<const TlsFiles>(generate_tls_files(dir_.path()));
  }
  std::string failure;
  for (int attempt = 0; attempt < 10; ++attempt) {
    port_ = pick_free_port();
    tls_port_ = options_.tls ? pick_free_port() : 0;
    bus_port_ = options_.cluster ? pick_free_port() : 0;
    write_config();
    if (spawn_and_wait(failure)) return;
    if (!is_bind_failure(failure)) break;
    // Another process took one of the ports between the check and the bind.
    dir_.write("server.log", "");
    dir_.write("stdout.log", "");
  }
  throw std::runtime_error(std::string(kind_name(options_.kind)) + " did not start: " + failure);
}

ServerProcess::~ServerProcess() {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; stop() only throws if the kernel refuses.
  }
}

std::string ServerProcess::url() const { return "valkey://" + host_ + ":" + std::to_string(port_); }

std::string ServerProcess::tls_url() const {
  return tls_port_ ? "valkeys://" + host_ + ":" + std::to_string(tls_port_) : std::string{};
}

std::string ServerProcess::unix_socket_path() const {
  return options_.unix_socket && options_.kind != ServerKind::sentinel ? dir_.file("s.sock") : std::string{};
}

std::string ServerProcess::log() const {
  std::string out = dir_.read("server.log");
  std::string early = dir_.read("stdout.log");
  if (!early.empty()) out += "\n--- stdout/stderr ---\n" + early;
  return out;
}

RespValue ServerProcess::command(const std::vector<std::string>& args) const {
  return send_command(port_, args, options_.password);
}

std::int64_t ServerProcess::info_int(const std::string& section, const std::string& field) const {
  const std::string info = command({"INFO", section}).as_string();
  const std::string needle = field + ":";
  for (std::size_t at = info.find(needle); at != std::string::npos; at = info.find(needle, at + 1)) {
    if (at == 0 || info[at - 1] == '\n') return std::stoll(info.substr(at + needle.size()));
  }
  throw std::runtime_error("INFO " + section + " has no field " + field);
}

void ServerProcess::write_config() const {
  std::ostringstream c;
  c << "# written by valkey::test::ServerProcess\n"
    << "bind 127.0.0.1\n"
    << "port " << port_ << "\n"
    << "dir " << dir_.path() << "\n"
    << "logfile " << dir_.file("server.log") << "\n"
    << "daemonize no\n";
  if (options_.kind != ServerKind::sentinel) {
    c << "save \"\"\n"
      << "appendonly no\n"
      << "enable-debug-command yes\n"     // DEBUG SLEEP and friends in fault tests
      << "repl-diskless-sync-delay 0\n"   // replicas sync at once, not after 5 s
      << "shutdown-on-sigterm nosave now\n";  // no wait for lagging replicas on stop()
    if (options_.unix_socket) c << "unixsocket " << dir_.file("s.sock") << "\nunixsocketperm 700\n";
  }
  if (!options_.password.empty()) c << "requirepass " << options_.password << "\n";
  for (const auto& u : options_.users) c << "user " << u.name << " on >" << u.password << " " << u.rules << "\n";
  if (options_.tls) {
    c << "tls-port " << tls_port_ << "\n"
      << "tls-cert-file " << tls_files_->server_cert << "\n"
      << "tls-key-file " << tls_files_->server_key << "\n"
      << "tls-ca-cert-file " << tls_files_->ca_cert << "\n"
      << "tls-auth-clients " << options_.tls_auth_clients << "\n";
    if (options_.tls_replication) c << "tls-replication yes\n" << (options_.cluster ? "tls-cluster yes\n" : "");
  }
  if (options_.cluster) {
    c << "cluster-enabled yes\n"
      << "cluster-config-file nodes.conf\n"
      << "cluster-port " << bus_port_ << "\n"
      << "cluster-node-timeout " << options_.cluster_node_timeout_ms << "\n";
  }
  for (const auto& line : options_.config) c << line << "\n";
  dir_.write("server.conf", c.str());
}

bool ServerProcess::spawn_and_wait(std::string& failure) {
  // Everything the child needs is prepared before fork: between fork and exec
  // only async-signal-safe calls are allowed (the test process may have threads).
  std::string conf = dir_.file("server.conf");
  std::vector<std::string> args{binary_, conf};
  if (options_.kind == ServerKind::sentinel) args.push_back("--sentinel");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string workdir = dir_.path();
  int out = ::open(dir_.file("stdout.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) throw std::runtime_error("cannot open " + dir_.file("stdout.log") + ": " + std::strerror(errno));
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Die with the test process, even when it aborts or is SIGKILLed: no
    // server outlives its test. (The signal fires when the forking *thread*
    // exits, so fixtures must not be created on short-lived threads.)
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) ::sigaction(s, &dfl, nullptr);
    ::dup2(out, 1);
    ::dup2(out, 2);
    // Do not inherit the test's sockets: a client socket copied into the
    // server would keep connections open after the test closes them.
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    }
    if (::chdir(workdir.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  ::close(out);
  pid_ = pid;
  paused_ = false;

  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  const std::string want_pid = std::to_string(pid_);
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = 0;
      std::ostringstream why;
      if (WIFEXITED(status)) why << "exited with status " << WEXITSTATUS(status);
      else if (WIFSIGNALED(status)) why << "killed by signal " << WTERMSIG(status);
      failure = why.str() + " (" + binary_ + ")\n" + log();
      return false;
    }
    try {
      // INFO, not just PING: the process_id proves that the answer comes from
      // our child and not from a server that took the port first.
      auto reply = send_command(port_, {"INFO", "server"}, options_.password, 2s);
      if (!reply.is_error() && info_field(reply.as_string(), "process_id") == want_pid) return true;
      last = reply.is_error() ? reply.str : "process_id " + info_field(reply.as_string(), "process_id");
    } catch (const std::exception& e) {
      last = e.what();
    }
    std::this_thread::sleep_for(20ms);
  }
  failure = "no answer on port " + std::to_string(port_) + " within " +
            std::to_string(options_.start_timeout.count()) + " ms (last: " + last + ")\n" + log();
  kill(SIGKILL);
  return false;
}

bool ServerProcess::reap(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (pid_ == 0) return true;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = 0;
      paused_ = false;
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
}

void ServerProcess::stop() {
  if (pid_ == 0) return;
  if (paused_) ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGTERM);
  if (reap(5s)) return;
  ::kill(pid_, SIGKILL);
  if (!reap(10s)) throw std::runtime_error("server pid " + std::to_string(pid_) + " survived SIGKILL");
}

void ServerProcess::kill(int signal) {
  if (pid_ == 0) return;
  if (signal == SIGSTOP) return pause();
  if (signal == SIGCONT) return resume();
  ::kill(pid_, signal);
  const bool fatal = signal == SIGKILL || signal == SIGTERM || signal == SIGINT || signal == SIGQUIT ||
                     signal == SIGABRT || signal == SIGSEGV;
  if (!fatal) return;
  if (paused_ && signal != SIGKILL) ::kill(pid_, SIGCONT);
  if (!reap(10s)) {
    ::kill(pid_, SIGKILL);
    reap(10s);
  }
}

void ServerProcess::restart() {
  stop();
  std::string failure;
  // Same ports: a client under test reconnects to the address it knows. The
  // port is normally free at once (SO_REUSEADDR); retry briefly in case not.
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (spawn_and_wait(failure)) return;
    if (!is_bind_failure(failure)) break;
    std::this_thread::sleep_for(100ms);
  }
  throw std::runtime_error(std::string(kind_name(options_.kind)) + " did not restart on port " +
                           std::to_string(port_) + ": " + failure);
}

void ServerProcess::pause() {
  if (pid_ == 0 || paused_) return;
  ::kill(pid_, SIGSTOP);
  paused_ = true;
}

void ServerProcess::resume() {
  if (pid_ == 0 || !paused_) return;
  ::kill(pid_, SIGCONT);
  paused_ = false;
}

}  // namespace valkey::test
