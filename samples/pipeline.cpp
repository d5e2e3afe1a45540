// Pipelines: several commands in one write, typed results in a tuple.
#include <cstdio>
#include <string>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/pipeline.hpp>
#include <valkey/valkey.hpp>

int main() try {
  // sync
  valkey::Client db{valkey::Config::from_env()};
  db.hset("sample:user:1", {{"name", "Ada"}});
  auto [name, visits] = valkey::pipeline(db).hget("sample:user:1", "name").incr("sample:visits").exec();
  std::printf("sync: name=%s visits=%lld\n", name.value_or("(nil)").c_str(), static_cast<long long>(visits));

  // dynamic: 100 commands, one write, replies as valkey::Reply
  valkey::Batch<valkey::Client> batch{db};
  for (int i = 0; i < 100; ++i) batch.add({"SET", "sample:k:" + std::to_string(i), std::to_string(i)});
  auto replies = batch.exec();
  std::printf("batch: %zu replies\n", replies.size());

  // async
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), valkey::Config::from_env()};
  int rc = 1;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    auto [n, v] = co_await valkey::pipeline(c).hget("sample:user:1", "name").incr("sample:visits").exec(asio::use_awaitable);
    std::printf("async: name=%s visits=%lld\n", n.value_or("(nil)").c_str(), static_cast<long long>(v));
    rc = n == name && v == visits + 1 && replies.size() == 100 ? 0 : 1;
    c.close();
  }, [&](std::exception_ptr e) {
    if (e) c.close();
  });
  ioc.run();
  return rc;
} catch (const std::exception& e) {
  std::fprintf(stderr, "pipeline: %s\n", e.what());
  return 1;
}
