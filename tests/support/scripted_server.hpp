#pragma once
// A scripted RESP server for fault tests: an Asio acceptor on 127.0.0.1 (a
// free port) whose replies a test function chooses per command. Returning
// kClose drops the connection right after reading the command (the client
// wrote it: its outcome is unknown); returning "" sends nothing.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "support/command_reader.hpp"

namespace valkey::test {

class ScriptedServer {
 public:
  static constexpr std::string_view kClose = "<close>";
  // The bytes to send for one command; `connection` counts from 1.
  using Respond = std::function<std::string(const std::vector<std::string>& args, int connection)>;

  explicit ScriptedServer(Respond respond)
      : respond_(std::move(respond)),
        acceptor_(ioc_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~ScriptedServer() {
    ioc_.stop();
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  std::string url() const { return "valkey://127.0.0.1:" + std::to_string(port()); }
  int connections() const { return connections_; }
  // How many times a command with this name (upper case) arrived.
  int seen(const std::string& name) const {
    std::lock_guard lk(mu_);
    auto it = seen_.find(name);
    return it == seen_.end() ? 0 : it->second;
  }

  // The handshake and health checks of a well-behaved server.
  static std::string standard(const std::vector<std::string>& a) {
    if (a[0] == "HELLO") return "%1\r\n$5\r\nproto\r\n:3\r\n";
    if (a[0] == "PING") return "+PONG\r\n";
    if (a[0] == "CLIENT" || a[0] == "SELECT" || a[0] == "AUTH") return "+OK\r\n";
    return "-ERR unknown command\r\n";
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      asio::ip::tcp::socket s = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::co_spawn(ioc_, session(std::move(s), ++connections_), asio::detached);
    }
  }

  asio::awaitable<void> session(asio::ip::tcp::socket s, int index) {
    std::string buf;
    char chunk[4096];
    try {
      for (;;) {
        std::size_t n = co_await s.async_read_some(asio::buffer(chunk), asio::use_awaitable);
        buf.append(chunk, n);
        std::vector<std::string> args;
        while (take_command(buf, args)) {
          {
            std::lock_guard lk(mu_);
            ++seen_[args[0]];
          }
          std::string out = respond_(args, index);
          if (out == kClose) {
            s.close();
            co_return;
          }
          if (!out.empty()) co_await asio::async_write(s, asio::buffer(out), asio::use_awaitable);
        }
      }
    } catch (const std::exception&) {
    }
  }

  Respond respond_;
  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::map<std::string, int> seen_;
};

}  // namespace valkey::test
