// Coroutines: the AsyncClient on asio::use_awaitable, 100 concurrent
// requests sharing one connection.
#include <cstdio>
#include <string>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/valkey.hpp>

asio::awaitable<void> worker(valkey::AsyncClient& c, int id, int& done) {
  co_await c.set("sample:co:" + std::to_string(id), std::to_string(id * id), asio::use_awaitable);
  auto v = co_await c.get("sample:co:" + std::to_string(id), asio::use_awaitable);
  if (v == std::to_string(id * id)) ++done;
}

int main() {
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), valkey::Config::from_env()};
  int done = 0, failed = 0, finished = 0;  // finished: tasks ended either way (100 workers + 1)
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 100; ++i)
      asio::co_spawn(ioc, worker(c, i, done), [&](std::exception_ptr e) {
        if (e) ++failed;
        ++finished;
      });
    co_return;
  }, asio::detached);
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    auto hits = co_await c.incr("sample:co:hits", asio::use_awaitable);
    std::printf("hits: %lld\n", static_cast<long long>(hits));
  }, [&](std::exception_ptr e) {
    if (e) ++failed;
    ++finished;
  });
  // run until every task ended, then close the client so run() returns
  while (finished < 101 && ioc.run_one()) {}
  c.close();
  ioc.run();
  std::printf("coroutines: %d of 100 round trips ok\n", done);
  return done == 100 && failed == 0 ? 0 : 1;
}
