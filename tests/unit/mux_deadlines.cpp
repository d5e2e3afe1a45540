// Multiplexer: deadlines expiring in and out of order, the wait for a lost
// connection, and the index that keeps both cheap.
#include <algorithm>
#include <memory>
#include <random>

#include <catch2/catch_test_macros.hpp>

#include "mux_support.hpp"

using valkey::Multiplexer;
using valkey::errc;
using valkey::make_error_code;
using valkey::test::encode_command;
using valkey::test::MuxRequest;
using valkey::test::t0;
using valkey::test::write_all;
using namespace std::chrono_literals;

TEST_CASE("mux: deadlines in submission order expire one by one", "[mux][deadline]") {
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  MuxRequest a, b, c;
  a.deadline = t0() + 10ms;
  b.deadline = t0() + 20ms;
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  mux.add_encoded(b, encode_command({"GET", "b"}), t0());
  mux.add_encoded(c, encode_command({"GET", "c"}), t0());  // no deadline
  CHECK(mux.next_deadline() == t0() + 10ms);
  CHECK(mux.expire(t0() + 9ms).empty());
  auto done = mux.expire(t0() + 15ms);
  CHECK(done.size() == 1);
  done.run();
  CHECK(a.ec == errc::timeout);
  CHECK(mux.next_deadline() == t0() + 20ms);
  // a queued request that timed out is never sent
  CHECK(write_all(mux) == encode_command({"GET", "b"}) + encode_command({"GET", "c"}));
  // a written one is forgotten: its reply is read and discarded
  mux.expire(t0() + 20ms).run();
  CHECK(b.ec == errc::timeout);
  CHECK(mux.next_deadline() == Multiplexer::time_point::max());
  CHECK(!mux.on_read("+B\r\n+C\r\n").drop);
  CHECK(b.completions == 1);
  CHECK(b.nodes.empty());
  CHECK(c.completions == 1);
  CHECK(!c.ec);
}

TEST_CASE("mux: deadlines out of order expire by time, not by submission", "[mux][deadline]") {
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  MuxRequest a, b, c;
  a.deadline = t0() + 30ms;
  b.deadline = t0() + 10ms;
  c.deadline = t0() + 20ms;
  for (MuxRequest* r : {&a, &b, &c}) mux.add_encoded(*r, encode_command({"PING"}), t0());
  CHECK(mux.next_deadline() == t0() + 10ms);
  auto done = mux.expire(t0() + 25ms);
  CHECK(done.size() == 2);
  done.run();
  CHECK(b.ec == errc::timeout);
  CHECK(c.ec == errc::timeout);
  CHECK(a.completions == 0);
  CHECK(mux.next_deadline() == t0() + 30ms);
  // a reply completes a tracked request and takes it out of the index
  write_all(mux);
  CHECK(!mux.on_read("+PONG\r\n").drop);
  CHECK(a.completions == 1);
  CHECK(!a.ec);
  CHECK(mux.next_deadline() == Multiplexer::time_point::max());
}

TEST_CASE("mux: many random deadlines, some cancelled or answered, each expires exactly once on time",
          "[mux][deadline]") {
  std::mt19937 rng(7);
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  constexpr int n = 300;
  std::vector<std::unique_ptr<MuxRequest>> reqs;
  for (int i = 0; i < n; ++i) {
    reqs.push_back(std::make_unique<MuxRequest>());
    auto& r = *reqs.back();
    // mostly in order (one request_timeout), some earlier, some none
    const int kind = static_cast<int>(rng() % 10);
    if (kind < 6) r.deadline = t0() + std::chrono::milliseconds(1000 + i);
    else if (kind < 9) r.deadline = t0() + std::chrono::milliseconds(rng() % 1500);
    mux.add_encoded(r, encode_command({"GET", std::to_string(i)}), t0());
  }
  Multiplexer::Completions cancelled;
  for (int i = 0; i < n; i += 7) mux.cancel(*reqs[static_cast<std::size_t>(i)], make_error_code(errc::cancelled), cancelled);
  cancelled.run();
  write_all(mux);
  // the first 20 written (cancelled ones were never sent) get their replies
  std::vector<bool> answered(n, false);
  for (int i = 0, k = 0; k < 20; ++i) {
    if (i % 7 == 0) continue;
    answered[static_cast<std::size_t>(i)] = true;
    ++k;
  }
  for (int i = 0; i < 20; ++i) REQUIRE(!mux.on_read("+ok\r\n").drop);
  for (int ms = 0; ms <= 1600; ms += 13) {
    const auto now = t0() + std::chrono::milliseconds(ms);
    auto expired = mux.expire(now);
    expired.run();
    REQUIRE(mux.next_deadline() > now);
    for (auto& r : reqs) {
      if (r->completions == 0) REQUIRE(r->deadline > now);
    }
  }
  for (int i = 0; i < n; ++i) {
    auto& r = *reqs[static_cast<std::size_t>(i)];
    INFO("request " << i);
    REQUIRE(r.completions <= 1);
    if (i % 7 == 0) CHECK(r.ec == errc::cancelled);
    else if (answered[static_cast<std::size_t>(i)]) CHECK(!r.ec);
    else if (r.deadline != Multiplexer::time_point::max()) CHECK(r.ec == errc::timeout);
    else CHECK(r.completions == 0);
  }
}

TEST_CASE("mux: while disconnected a queued request waits at most wait_timeout", "[mux][deadline]") {
  Multiplexer mux{valkey::test::mux_options()};  // wait_timeout 100 ms
  MuxRequest first;
  // before the first connection there is no such bound (the attempt decides)
  mux.add_encoded(first, encode_command({"GET", "a"}), t0());
  CHECK(mux.next_deadline() == Multiplexer::time_point::max());
  mux.on_connected(false);
  write_all(mux);
  MuxRequest queued, later;
  mux.add_encoded(queued, encode_command({"GET", "q"}), t0());  // behind the write, not in it
  auto lost = mux.on_connection_lost(make_error_code(errc::connection_lost), t0() + 10ms);
  lost.run();
  CHECK(first.ec == errc::connection_lost);
  CHECK(queued.completions == 0);
  CHECK(mux.next_deadline() == t0() + 110ms);
  mux.add_encoded(later, encode_command({"GET", "l"}), t0() + 50ms);
  auto expired = mux.expire(t0() + 120ms);
  CHECK(expired.size() == 1);
  expired.run();
  CHECK(queued.ec == errc::not_connected);
  CHECK(mux.next_deadline() == t0() + 150ms);
  // reconnected in time: the rest is sent
  mux.on_connected(false);
  CHECK(write_all(mux) == encode_command({"GET", "l"}));
  CHECK(mux.next_deadline() == Multiplexer::time_point::max());
}
