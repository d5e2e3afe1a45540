// The asynchronous side of an installed valkey-cpp, as an application writes
// it: an AsyncClient in a coroutine on asio::use_awaitable, a pipeline among
// the awaited calls. scripts/package_test.sh builds it with g++ and with
// clang++ under the consumer's strict warnings and runs it against a real
// server. With clang and libstdc++, Asio 1.22 does not see the compiler's
// coroutine support by itself; the build passes -DASIO_HAS_CO_AWAIT=1
// -DASIO_HAS_STD_COROUTINE=1 (docs/guides/getting-started.md). Prints one
// line "consumer ok <version>" and exits 0 when every reply was the expected
// one.
//
//   coroutine_consumer valkey://127.0.0.1:PORT
#include <cstdint>
#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/valkey.hpp>
#include <valkey/version.hpp>

namespace {

// What went wrong, or empty when every step gave the expected reply.
asio::awaitable<std::string> run(valkey::AsyncClient& c) {
  const std::string key = "valkey-cpp:coroutine-consumer:" + std::to_string(VALKEY_CPP_VERSION_NUMBER);
  const std::string counter = key + ":n";
  // valkey::list, not a braced list: g++ 12 rejects braced lists inside
  // co_await expressions (docs/commands.md).
  co_await c.del(valkey::list(key, counter), asio::use_awaitable);
  co_await c.set(key, "awaited", asio::use_awaitable);
  const std::optional<std::string> value = co_await c.get(key, asio::use_awaitable);
  if (value != "awaited") co_return "GET returned " + value.value_or("(nil)");
  const auto [count, again] = co_await c.pipeline().incr(counter).get(key).exec(asio::use_awaitable);
  if (count != 1 || again != value) co_return "the pipeline's replies were not INCR's 1 and GET's value";
  const std::int64_t removed = co_await c.del(valkey::list(key, counter), asio::use_awaitable);
  if (removed != 2) co_return "DEL removed " + std::to_string(removed) + " keys, not 2";
  co_return std::string{};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: coroutine_consumer valkey://host:port\n";
    return 1;
  }
  asio::io_context io;
  valkey::AsyncClient c{io.get_executor(), argv[1]};
  std::string problem = "the coroutine did not finish";
  asio::co_spawn(io, run(c), [&](std::exception_ptr e, std::string what) {
    problem = std::move(what);
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        problem = std::string{"error: "} + x.what();
      }
    }
    c.close();  // io.run() returns once the client is closed
  });
  io.run();
  if (!problem.empty()) {
    std::cerr << "coroutine_consumer: " << problem << "\n";
    return 1;
  }
  std::cout << "consumer ok " << valkey::version_string << "\n";
  return 0;
}
