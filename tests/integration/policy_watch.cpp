// valkey::watch_retry(): the optimistic-transaction loop against a real
// server, with a concurrent writer that aborts the first attempts.
#include <catch2/catch_test_macros.hpp>

#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::test::ServerProcess;

TEST_CASE("watch_retry: an aborted EXEC runs the function again on the same connection", "[policy][watch]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  db.set("balance", "100");
  int calls = 0;
  valkey::watch_retry(db, {"balance"}, [&](valkey::Watch& w) {
    ++calls;
    const long long cur = std::stoll(w.get("balance").value_or("0"));
    if (calls <= 2) db.incrby("balance", 1);  // another client writes between WATCH and EXEC
    return w.multi().set("balance", std::to_string(cur - 30)).exec();
  });
  CHECK(calls == 3);
  CHECK(db.get("balance") == std::optional<std::string>("72"));
  // one WATCH connection for every attempt, and a WATCH per attempt
  const std::string stats = server.command({"INFO", "commandstats"}).as_string();
  CHECK(stats.find("cmdstat_watch:calls=3") != std::string::npos);
  CHECK(stats.find("cmdstat_exec:calls=3") != std::string::npos);
}

TEST_CASE("watch_retry: after the last attempt exec_aborted propagates; other errors at once", "[policy][watch]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  int calls = 0;
  try {
    valkey::watch_retry(
        db, {"k"},
        [&](valkey::Watch& w) {
          ++calls;
          db.incr("k");
          return w.multi().incr("k").exec();
        },
        2);
    FAIL("expected exec_aborted");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::exec_aborted);
  }
  CHECK(calls == 2);
  calls = 0;
  CHECK_THROWS_AS(valkey::watch_retry(db, {"k"},
                                      [&](valkey::Watch& w) {
                                        ++calls;
                                        return w.multi().lpush("k", {"x"}).exec();  // WRONGTYPE
                                      }),
                  valkey::ServerError);
  CHECK(calls == 1);
  CHECK_THROWS_AS(valkey::watch_retry(db, {"k"}, [](valkey::Watch& w) { return w.multi().get("k").exec(); }, 0),
                  valkey::Error);
}
