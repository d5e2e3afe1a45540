// Multiplexer: the bulkhead's queue-wait timeout (Options::queue_timeout) and
// the written bit a completed request keeps (RequestBase::was_written()).
#include <catch2/catch_test_macros.hpp>

#include "mux_support.hpp"

using namespace std::chrono_literals;
using valkey::Multiplexer;
using valkey::errc;
using valkey::make_error_code;
using valkey::test::encode_command;
using valkey::test::MuxRequest;
using valkey::test::t0;
using valkey::test::write_all;

TEST_CASE("mux: a request waiting behind max_pending fails with queue_full after queue_timeout, unwritten",
          "[mux][bulkhead]") {
  auto options = valkey::test::mux_options();
  options.max_pending = 1;
  options.queue_timeout = 100ms;
  Multiplexer mux{options};
  mux.on_connected(false);
  MuxRequest first, waiting;
  mux.add_encoded(first, encode_command({"GET", "a"}), t0());
  write_all(mux);
  mux.add_encoded(waiting, encode_command({"GET", "b"}), t0());
  CHECK(write_all(mux).empty());  // no room: it stays queued
  CHECK(mux.next_deadline() == t0() + 100ms);
  CHECK(mux.expire(t0() + 99ms).empty());
  auto expired = mux.expire(t0() + 100ms);
  CHECK(expired.size() == 1);
  expired.run();
  CHECK(waiting.ec == errc::queue_full);
  CHECK_FALSE(waiting.was_written());
  // the first one goes on, and was written
  CHECK(!mux.on_read("$1\r\nx\r\n").drop);
  CHECK(first.completions == 1);
  CHECK(first.was_written());
}

TEST_CASE("mux: without queue_timeout a request waits for room as long as it takes", "[mux][bulkhead]") {
  auto options = valkey::test::mux_options();
  options.max_pending = 1;
  Multiplexer mux{options};
  mux.on_connected(false);
  MuxRequest first, waiting;
  mux.add_encoded(first, encode_command({"GET", "a"}), t0());
  write_all(mux);
  mux.add_encoded(waiting, encode_command({"GET", "b"}), t0());
  CHECK(mux.expire(t0() + 1h).empty());
  CHECK(!mux.on_read("$1\r\nx\r\n").drop);
  CHECK(write_all(mux) == encode_command({"GET", "b"}));
}

TEST_CASE("mux: a request lost after its write says it was written; one failed in the queue says not",
          "[mux][outcome]") {
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  MuxRequest sent;
  mux.add_encoded(sent, encode_command({"INCR", "a"}), t0());
  write_all(mux);
  MuxRequest queued;
  mux.add_encoded(queued, encode_command({"INCR", "b"}), t0());
  mux.close(make_error_code(errc::connection_closed)).run();
  CHECK(sent.was_written());
  CHECK_FALSE(queued.was_written());
}
