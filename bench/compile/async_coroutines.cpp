// Compile-time program 2 (scripts/bench-compile.sh): AsyncClient in a
// coroutine, a few commands with use_awaitable.
#include <valkey/async_client.hpp>
#include <valkey/list.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <iostream>

asio::awaitable<void> run(valkey::AsyncClient& c) {
  co_await c.set("k", "v", asio::use_awaitable);
  auto v = co_await c.get("k", asio::use_awaitable);
  auto n = co_await c.incr("n", asio::use_awaitable);
  auto len = co_await c.rpush("list", valkey::list("a", "b"), asio::use_awaitable);
  std::cout << v.value_or("") << ' ' << n << ' ' << len << '\n';
  c.close();
}

int main() {
  asio::io_context io;
  valkey::AsyncClient c{io.get_executor(), "valkey://127.0.0.1:6379"};
  asio::co_spawn(io, run(c), asio::detached);
  io.run();
}
