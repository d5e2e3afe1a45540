// Multiplexer: cancellation while queued, partly written and written;
// backpressure under max_pending.
#include <catch2/catch_test_macros.hpp>

#include "mux_support.hpp"

using valkey::Multiplexer;
using valkey::errc;
using valkey::make_error_code;
using valkey::test::encode_command;
using valkey::test::MuxRequest;
using valkey::test::t0;
using valkey::test::write_all;

TEST_CASE("mux: a cancelled queued request is never sent and leaves the others' bytes in place", "[mux][cancel]") {
  Multiplexer mux{valkey::test::mux_options()};
  MuxRequest a, b, c;
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  mux.add_encoded(b, encode_command({"GET", "b"}), t0());
  mux.add_encoded(c, encode_command({"GET", "c"}), t0());
  const std::size_t buffered = mux.buffered_bytes();
  Multiplexer::Completions done;
  REQUIRE(mux.cancel(b, make_error_code(errc::cancelled), done));
  CHECK(b.completions == 0);  // the caller decides where it completes
  CHECK(!b.active());
  CHECK(mux.buffered_bytes() == buffered);  // a hole, nothing shifted
  CHECK(mux.pending() == 2);
  done.run();
  CHECK(b.completions == 1);
  CHECK(b.ec == errc::cancelled);
  mux.on_connected(false);
  CHECK(write_all(mux) == encode_command({"GET", "a"}) + encode_command({"GET", "c"}));
  CHECK(mux.buffered_bytes() == 0);
  CHECK(!mux.on_read("+A\r\n+C\r\n").drop);
  CHECK(a.nodes.front() == "simple_string@0:A");
  CHECK(c.nodes.front() == "simple_string@0:C");
  // cancelling again, or a completed request, does nothing
  Multiplexer::Completions none;
  CHECK(!mux.cancel(b, make_error_code(errc::cancelled), none));
  CHECK(!mux.cancel(a, make_error_code(errc::cancelled), none));
  CHECK(none.empty());
}

TEST_CASE("mux: cancelling every queued request frees the output", "[mux][cancel]") {
  Multiplexer mux{valkey::test::mux_options()};
  MuxRequest a, b;
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  mux.add_encoded(b, encode_command({"GET", "b"}), t0());
  Multiplexer::Completions done;
  mux.cancel(a, make_error_code(errc::cancelled), done);
  mux.cancel(b, make_error_code(errc::cancelled), done);
  CHECK(done.size() == 2);
  CHECK(mux.buffered_bytes() == 0);
  done.run();
  mux.on_connected(false);
  CHECK(write_all(mux).empty());
}

TEST_CASE("mux: a request cancelled while its batch is partly written: the rest still goes, its reply is discarded",
          "[mux][cancel]") {
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  MuxRequest a, b;
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  mux.add_encoded(b, encode_command({"GET", "b"}), t0());
  const std::string all = encode_command({"GET", "a"}) + encode_command({"GET", "b"});
  std::string_view w = mux.next_write();
  REQUIRE(w == all);
  mux.on_written(5);
  CHECK(a.written());
  Multiplexer::Completions done;
  REQUIRE(mux.cancel(a, make_error_code(errc::cancelled), done));
  done.run();
  CHECK(a.ec == errc::cancelled);
  // the stream must stay whole: the unsent part of the batch still leaves
  CHECK(mux.next_write() == std::string_view(all).substr(5));
  mux.on_written(all.size() - 5);
  CHECK(mux.next_write().empty());
  CHECK(!mux.on_read("+A\r\n+B\r\n").drop);
  CHECK(a.completions == 1);
  CHECK(a.nodes.empty());
  CHECK(b.completions == 1);
  CHECK(b.nodes.front() == "simple_string@0:B");
}

TEST_CASE("mux: a written request cancelled: its reply, split anywhere, is discarded", "[mux][cancel]") {
  const std::string wire = "*2\r\n$1\r\nx\r\n$1\r\ny\r\n:7\r\n";
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    INFO("cut at " << cut);
    Multiplexer mux{valkey::test::mux_options()};
    mux.on_connected(false);
    MuxRequest a, b;
    mux.add_encoded(a, encode_command({"LRANGE", "l", "0", "1"}), t0());
    mux.add_encoded(b, encode_command({"INCR", "n"}), t0());
    write_all(mux);
    REQUIRE(!mux.on_read(std::string_view(wire).substr(0, cut)).drop);
    Multiplexer::Completions done;
    if (a.active()) {
      REQUIRE(mux.cancel(a, make_error_code(errc::cancelled), done));
      CHECK(mux.in_flight() == 1);
    }
    done.run();
    REQUIRE(!mux.on_read(std::string_view(wire).substr(cut)).drop);
    CHECK(a.completions == 1);
    CHECK(b.completions == 1);
    CHECK(b.nodes == std::vector<std::string>{"integer@0:7", "END"});
    CHECK(!mux.awaiting_reply());
  }
}

TEST_CASE("mux: max_pending holds the excess queued until replies free room", "[mux][backpressure]") {
  Multiplexer mux{valkey::test::mux_options(2)};
  mux.on_connected(false);
  MuxRequest a, b, c, d;
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  mux.add_encoded(b, encode_command({"GET", "b"}), t0());
  mux.add_encoded(c, encode_command({"GET", "c"}), t0());
  CHECK(mux.admit(d, false) == std::error_code{});
  CHECK(mux.admit(d, true) == errc::queue_full);
  CHECK(write_all(mux) == encode_command({"GET", "a"}) + encode_command({"GET", "b"}));
  CHECK(mux.in_flight() == 2);
  CHECK(mux.queued() == 1);
  CHECK(mux.has_queued());
  CHECK(!mux.on_read("+A\r\n").drop);
  CHECK(write_all(mux) == encode_command({"GET", "c"}));
  CHECK(mux.queued() == 0);
  CHECK(!mux.on_read("+B\r\n+C\r\n").drop);
  CHECK(c.completions == 1);
  CHECK(mux.buffered_bytes() == 0);
}

TEST_CASE("mux: under backpressure a long queue is sent in order with holes skipped", "[mux][backpressure]") {
  Multiplexer mux{valkey::test::mux_options(3)};
  mux.on_connected(false);
  std::vector<MuxRequest> reqs(40);
  std::string expected;
  for (std::size_t i = 0; i < reqs.size(); ++i)
    mux.add_encoded(reqs[i], encode_command({"GET", std::to_string(i)}), t0());
  Multiplexer::Completions done;
  for (std::size_t i = 0; i < reqs.size(); i += 4) mux.cancel(reqs[i], make_error_code(errc::cancelled), done);
  done.run();
  for (std::size_t i = 0; i < reqs.size(); ++i)
    if (i % 4 != 0) expected += encode_command({"GET", std::to_string(i)});
  std::string sent;
  std::size_t replies = 0;
  while (replies < 30) {
    sent += write_all(mux);
    REQUIRE(mux.in_flight() > 0);
    REQUIRE(mux.in_flight() <= 3);
    REQUIRE(!mux.on_read("+x\r\n").drop);
    ++replies;
  }
  CHECK(sent == expected);
  CHECK(mux.pending() == 0);
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    CHECK(reqs[i].completions == 1);
    CHECK((i % 4 == 0) == (reqs[i].ec == errc::cancelled));
  }
}

TEST_CASE("mux: a request is refused while active or with no reply expected", "[mux]") {
  Multiplexer mux{valkey::test::mux_options()};
  MuxRequest a, none{0};
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  CHECK(mux.admit(a, false) == errc::invalid_argument);
  CHECK(mux.admit(none, false) == errc::invalid_argument);
}

TEST_CASE("mux: internal requests are not pending, not bound by max_pending, and dropped on loss", "[mux]") {
  Multiplexer mux{valkey::test::mux_options(1)};
  mux.on_connected(false);
  MuxRequest a, ping;
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  mux.add_internal(ping, encode_command({"PING"}));
  CHECK(mux.pending() == 1);
  CHECK(write_all(mux) == encode_command({"GET", "a"}) + encode_command({"PING"}));
  auto lost = mux.on_connection_lost(make_error_code(errc::connection_lost), t0());
  CHECK(lost.size() == 1);
  lost.run();
  CHECK(a.ec == errc::connection_lost);
  CHECK(ping.completions == 0);
  CHECK(!ping.active());
}
