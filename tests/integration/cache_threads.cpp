// Client-side caching under threads (runs under TSan in CI): one writer
// INCRs while 8 threads read through the cache; no reader may see a value
// older than the last INCR that returned before its read began.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using namespace std::chrono_literals;

namespace {

struct Outcome {
  std::uint64_t reads = 0;
  std::uint64_t stale = 0;
  std::uint64_t failures = 0;
};

// `write` INCRs and returns the new value; `before_read` runs in each reader
// after it noted the last completed INCR and before it reads.
template <class Write, class BeforeRead>
Outcome run(valkey::Client& db, Write write, BeforeRead before_read, std::chrono::milliseconds length) {
  std::atomic<std::int64_t> last_done{0};
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> reads{0}, stale{0}, failures{0};
  std::thread writer([&] {
    while (!stop.load()) last_done.store(write());
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const std::int64_t floor = last_done.load();
        before_read();
        std::error_code ec;
        const std::optional<std::string> v = db.cached(10s).get("counter", ec);
        if (ec || !v) {
          failures.fetch_add(1);
          continue;
        }
        if (std::stoll(*v) < floor) stale.fetch_add(1);
        reads.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(length);
  stop.store(true);
  writer.join();
  for (auto& r : readers) r.join();
  return {reads.load(), stale.load(), failures.load()};
}

// Each case runs this long: 10 s under TSan (the CI's [threads] stage), where
// interleavings are what is being tested, 3 s in the other builds.
#if defined(__SANITIZE_THREAD__)
constexpr std::chrono::milliseconds kLength = std::chrono::seconds(10);
#else
constexpr std::chrono::milliseconds kLength = std::chrono::seconds(3);
#endif

}  // namespace

TEST_CASE("cache threads: our writer INCRs, 8 readers through the cache never see an older value",
          "[cache][threads]") {
  valkey::test::ServerProcess server;
  valkey::Config cfg = valkey::Config::from_url(server.url());
  cfg.cache = valkey::CacheConfig{};
  valkey::Client db{cfg};
  db.set("counter", "0");
  const Outcome o = run(db, [&] { return db.incr("counter"); }, [] {}, kLength);
  INFO("reads " << o.reads << ", hits " << db.cache_stats().hits);
  CHECK(o.stale == 0);
  CHECK(o.failures == 0);
  CHECK(o.reads > 100);
  CHECK(db.cache_stats().hits > 0);
}

TEST_CASE("cache threads: another client INCRs; one PING on ours before each read orders its invalidations",
          "[cache][threads]") {
  valkey::test::ServerProcess server;
  valkey::Config cfg = valkey::Config::from_url(server.url());
  cfg.cache = valkey::CacheConfig{};
  // One connection: a PING on it comes back after every invalidation the
  // server sent it before.
  cfg.max_connections = 1;
  valkey::Client db{cfg};
  valkey::Client writer{server.url()};
  db.set("counter", "0");
  const Outcome o = run(db, [&] { return writer.incr("counter"); }, [&] { db.ping(); }, kLength);
  INFO("reads " << o.reads << ", hits " << db.cache_stats().hits);
  CHECK(o.stale == 0);
  CHECK(o.failures == 0);
  CHECK(o.reads > 100);
}
