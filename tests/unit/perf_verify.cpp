// valkey-cpp-perf --verify: classifying failed increments and the verdict.
#include <catch2/catch_test_macros.hpp>

#if __has_include("perf/verify.hpp")
#include <system_error>
#include <vector>

#include <valkey/error.hpp>

#include "perf/verify.hpp"

using perf::CounterTally;
using perf::Outcome;
using valkey::errc;

TEST_CASE("perf verify: outcome of a completed INCR", "[perf][perf-verify]") {
  CHECK(perf::classify({}) == Outcome::acked);
  // written, no reply: may have run
  CHECK(perf::classify(errc::connection_lost) == Outcome::unknown);
  CHECK(perf::classify(errc::timeout) == Outcome::unknown);
  CHECK(perf::classify(errc::cancelled) == Outcome::unknown);
  CHECK(perf::classify(errc::health_check_failed) == Outcome::unknown);
  CHECK(perf::classify(errc::protocol_error) == Outcome::unknown);
  CHECK(perf::classify(std::make_error_code(std::errc::connection_reset)) == Outcome::unknown);
  // never written, or refused by the server
  CHECK(perf::classify(errc::not_connected) == Outcome::not_applied);
  CHECK(perf::classify(errc::queue_full) == Outcome::not_applied);
  CHECK(perf::classify(errc::connection_closed) == Outcome::not_applied);
  CHECK(perf::classify(errc::server_error) == Outcome::not_applied);
}

TEST_CASE("perf verify: a tally counts acked and unknown only", "[perf][perf-verify]") {
  CounterTally t;
  t.count(Outcome::acked, 5);
  t.count(Outcome::unknown, 2);
  t.count(Outcome::not_applied, 7);
  CHECK(t.acked == 5);
  CHECK(t.unknown == 2);
}

TEST_CASE("perf verify: ok iff acked <= server_total <= acked + unknown for every counter", "[perf][perf-verify]") {
  auto tally = [](std::uint64_t acked, std::uint64_t unknown, std::int64_t total) {
    CounterTally t;
    t.acked = acked;
    t.unknown = unknown;
    t.server_total = total;
    return t;
  };
  CHECK(tally(10, 0, 10).consistent());
  CHECK(tally(10, 3, 10).consistent());   // none of the unknown ones ran
  CHECK(tally(10, 3, 13).consistent());   // all of them ran
  CHECK_FALSE(tally(10, 3, 9).consistent());   // an acknowledged write is lost
  CHECK_FALSE(tally(10, 3, 14).consistent());  // a write ran twice
  CHECK_FALSE(tally(0, 0, -1).consistent());

  std::vector<CounterTally> good{tally(10, 3, 12), tally(0, 0, 0), tally(5, 1, 5)};
  auto v = perf::verdict(good);
  CHECK(v.ok);
  CHECK(v.counters == 3);
  CHECK(v.inconsistent == 0);
  CHECK(v.acked == 15);
  CHECK(v.unknown == 4);
  CHECK(v.server_total == 17);

  // Sums can hide a loss in one counter and a double in another: each counts.
  std::vector<CounterTally> bad{tally(10, 0, 9), tally(10, 0, 11)};
  auto w = perf::verdict(bad);
  CHECK(w.acked == 20);
  CHECK(w.server_total == 20);
  CHECK(w.inconsistent == 2);
  CHECK_FALSE(w.ok);

  CHECK_FALSE(perf::verdict({}).ok);  // nothing was read: nothing verified
}
#else
TEST_CASE("perf verify: valkey-cpp-perf not configured", "[perf][perf-verify]") {
  SKIP("samples/perf is not part of this build (VALKEY_BUILD_SAMPLES=OFF)");
}
#endif
