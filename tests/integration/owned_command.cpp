// valkey::owned(cmd) against a real server: commands built from strings that
// are gone by the time they are sent, kept in a container and sent later, by the sync client, in a pipeline and
// a transaction, and by the AsyncClient after the co_await that built them.
#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/server_process.hpp"

namespace cmd = valkey::cmd;
using valkey::test::ServerProcess;

namespace {

// Heap-allocated key text (past std::string's inline buffer), so a view
// that outlived it would read freed memory.
std::string key_of(int n) { return "owned:a-key-longer-than-the-small-string-buffer:" + std::to_string(n); }

std::vector<valkey::Owned<cmd::Set>> writes(int count, const std::string& tag) {
  std::vector<valkey::Owned<cmd::Set>> out;
  for (int n = 0; n < count; ++n) {
    const std::string key = key_of(n), value = tag + std::to_string(n);
    out.push_back(valkey::owned(cmd::Set{.key = key, .value = value}));
  }
  return out;  // every string the structs viewed is gone
}

}  // namespace

TEST_CASE("owned: stored commands run on the sync client, in pipelines and transactions", "[owned]") {
  ServerProcess server;
  valkey::Client db{server.url()};

  for (const auto& w : writes(5, "sync-")) CHECK(db.exec(w));
  for (int n = 0; n < 5; ++n) CHECK(db.get(key_of(n)) == "sync-" + std::to_string(n));

  // NX through the owned form: the reply type (bool) is the command's.
  const std::string first = key_of(0);
  const auto again = valkey::owned(cmd::Set{.key = first, .value = "x", .condition = cmd::Set::Nx{}});
  CHECK_FALSE(db.exec(again));
  CHECK(db.get(key_of(0)) == "sync-0");

  const auto batch = writes(2, "piped-");
  auto [a, b, value] = db.pipeline().exec(batch[0]).exec(batch[1]).get(key_of(1)).exec();
  CHECK(a);
  CHECK(b);
  CHECK(value == "piped-1");

  const auto incr = valkey::owned(cmd::Incr{.key = "owned:counter"});
  auto [one, two] = db.transaction().exec(incr).exec(incr).exec();  // sent twice: the same bytes
  CHECK(one == 1);
  CHECK(two == 2);
}

TEST_CASE("owned: a command built before a co_await is sent after it", "[owned]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  bool done = false;
  std::optional<std::string> got;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        auto later = writes(3, "async-");
        co_await c.get("owned:nothing", asio::use_awaitable);  // the frame suspends; `later` still owns its bytes
        for (const auto& w : later) co_await c.exec(w, asio::use_awaitable);
        got = co_await c.get(key_of(2), asio::use_awaitable);
        c.close();
        done = true;
      },
      asio::detached);
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }));
  CHECK(got == "async-2");
}
