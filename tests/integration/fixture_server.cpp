// Tests of the server fixture itself: if these fail, every integration test
// that uses it is suspect.
#include <catch2/catch_test_macros.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/server_process.hpp"

using valkey::test::RespConnection;
using valkey::test::ServerOptions;
using valkey::test::ServerProcess;
using namespace std::chrono_literals;

namespace {

// Gone or a zombie waiting for a reaper that is not us: either way not serving.
bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string content((std::istreambuf_iterator<char>(stat)), {});
  auto close = content.rfind(')');
  return close != std::string::npos && content.size() > close + 2 && content[close + 2] == 'Z';
}

bool wait_gone(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_gone(pid)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return process_gone(pid);
}

}  // namespace

TEST_CASE("fixture: a standalone server answers PING and SET/GET", "[fixture]") {
  ServerProcess server;
  INFO(server.log());
  CHECK(server.host() == "127.0.0.1");
  CHECK(server.url() == "valkey://127.0.0.1:" + std::to_string(server.port()));
  CHECK(server.command({"PING"}).as_string() == "PONG");
  CHECK(server.command({"SET", "k", "v"}).as_string() == "OK");
  CHECK(server.command({"GET", "k"}).as_string() == "v");
  // No persistence: the fixture turned it off.
  CHECK(server.command({"CONFIG", "GET", "save"}).elements.at(1).as_string().empty());
  CHECK(server.command({"CONFIG", "GET", "appendonly"}).elements.at(1).as_string() == "no");
}

TEST_CASE("fixture: the unix socket answers too", "[fixture]") {
  ServerProcess server;
  REQUIRE_FALSE(server.unix_socket_path().empty());
  RespConnection c(server.unix_socket_path(), 0);
  CHECK(c.command({"PING"}).as_string() == "PONG");
}

TEST_CASE("fixture: two servers get distinct ports and directories", "[fixture]") {
  ServerProcess a, b;
  CHECK(a.port() != b.port());
  CHECK(a.dir() != b.dir());
  a.command({"SET", "only-in-a", "1"});
  CHECK(b.command({"EXISTS", "only-in-a"}).integer == 0);
}

TEST_CASE("fixture: the server is stopped and its directory removed after scope", "[fixture]") {
  pid_t pid = 0;
  int port = 0;
  std::string dir;
  {
    ServerProcess server;
    pid = server.pid();
    port = server.port();
    dir = server.dir();
    REQUIRE(pid > 0);
    REQUIRE(::kill(pid, 0) == 0);
  }
  CHECK(process_gone(pid));
  CHECK_FALSE(std::filesystem::exists(dir));
  CHECK_THROWS_AS(RespConnection("127.0.0.1", port), valkey::test::RespIoError);
}

TEST_CASE("fixture: kill then restart on the same port keeps serving", "[fixture]") {
  ServerProcess server;
  const int port = server.port();
  const pid_t first = server.pid();
  server.kill(SIGKILL);
  CHECK_FALSE(server.running());
  CHECK(process_gone(first));
  CHECK_THROWS(server.command({"PING"}));
  server.restart();
  CHECK(server.port() == port);
  CHECK(server.pid() != first);
  CHECK(server.command({"PING"}).as_string() == "PONG");
  // No persistence: data written before the kill is gone.
  CHECK(server.command({"DBSIZE"}).integer == 0);
}

TEST_CASE("fixture: pause makes the server silent, resume brings it back", "[fixture]") {
  ServerProcess server;
  RespConnection c("127.0.0.1", server.port(), 300ms);
  REQUIRE(c.command({"PING"}).as_string() == "PONG");
  server.pause();
  CHECK(server.paused());
  CHECK_THROWS_AS(c.command({"PING"}), valkey::test::RespIoError);  // timed out: connected but mute
  server.resume();
  // The PING sent while paused is answered first, then ours.
  RespConnection fresh("127.0.0.1", server.port(), 2s);
  CHECK(fresh.command({"PING"}).as_string() == "PONG");
}

TEST_CASE("fixture: a paused server is still stopped by its destructor", "[fixture]") {
  pid_t pid = 0;
  {
    ServerProcess server;
    pid = server.pid();
    server.pause();
  }
  CHECK(process_gone(pid));
}

TEST_CASE("fixture: requirepass and ACL users are configured", "[fixture]") {
  ServerOptions o;
  o.password = "s3cret";
  o.users.push_back({"reader", "r-pass", "~* &* +@read +ping +auth"});
  ServerProcess server(o);
  auto noauth = valkey::test::send_command(server.port(), {"PING"});
  REQUIRE(noauth.is_error());
  CHECK(noauth.str.rfind("NOAUTH", 0) == 0);
  CHECK(server.command({"PING"}).as_string() == "PONG");
  RespConnection c("127.0.0.1", server.port());
  CHECK(c.command({"AUTH", "reader", "r-pass"}).as_string() == "OK");
  CHECK(c.command({"GET", "x"}).is_null());
  auto denied = c.command({"SET", "x", "1"});
  REQUIRE(denied.is_error());
  CHECK(denied.str.rfind("NOPERM", 0) == 0);
}

TEST_CASE("fixture: extra config lines reach the server, DEBUG is enabled", "[fixture]") {
  ServerOptions o;
  o.config = {"maxmemory 12mb", "maxmemory-policy allkeys-lru"};
  ServerProcess server(o);
  CHECK(server.command({"CONFIG", "GET", "maxmemory"}).elements.at(1).as_string() == "12582912");
  CHECK(server.command({"CONFIG", "GET", "maxmemory-policy"}).elements.at(1).as_string() == "allkeys-lru");
  CHECK(server.command({"DEBUG", "SLEEP", "0"}).as_string() == "OK");
}

TEST_CASE("fixture: a bad config fails the start with the server's own message", "[fixture]") {
  ServerOptions o;
  o.config = {"no-such-directive 1"};
  try {
    ServerProcess server(o);
    FAIL("the server started with an unknown directive");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("no-such-directive") != std::string::npos);
  }
}

TEST_CASE("fixture: a server dies with its test process even when the test aborts", "[fixture]") {
  // The child creates a server, reports its pid and aborts without running
  // any destructor: PR_SET_PDEATHSIG must take the server down.
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    pid_t server_pid = 0;
    try {
      ServerProcess server;
      server_pid = server.pid();
      if (::write(fds[1], &server_pid, sizeof server_pid) != sizeof server_pid) ::_exit(3);
      ::raise(SIGKILL);  // like abort(), without a core dump
    } catch (...) {
      ::_exit(2);
    }
  }
  ::close(fds[1]);
  pid_t server_pid = 0;
  ssize_t n = ::read(fds[0], &server_pid, sizeof server_pid);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(n == sizeof server_pid);
  CHECK(WIFSIGNALED(status));
  CHECK(wait_gone(server_pid, 5s));
}
