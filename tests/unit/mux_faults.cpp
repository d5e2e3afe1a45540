// Multiplexer: connection loss with replies partly delivered, the read-only
// retry, close.
#include <catch2/catch_test_macros.hpp>

#include "mux_support.hpp"

using valkey::CommandFlag;
using valkey::Multiplexer;
using valkey::errc;
using valkey::make_error_code;
using valkey::test::encode_command;
using valkey::test::MuxRequest;
using valkey::test::t0;
using valkey::test::write_all;

TEST_CASE("mux: a pipeline lost after N of its replies completes with connection_lost, N delivered",
          "[mux][faults]") {
  for (int delivered = 0; delivered < 3; ++delivered) {
    INFO(delivered << " replies delivered");
    Multiplexer mux{valkey::test::mux_options()};
    mux.on_connected(false);
    MuxRequest p{3}, after;
    mux.add_encoded(p, encode_command({"INCR", "a"}) + encode_command({"INCR", "b"}) + encode_command({"INCR", "c"}),
                    t0());
    mux.add_encoded(after, encode_command({"GET", "x"}), t0());
    write_all(mux);
    for (int i = 0; i < delivered; ++i) REQUIRE(!mux.on_read(":1\r\n").drop);
    REQUIRE(!mux.on_read(":").drop);  // a reply cut short
    auto lost = mux.on_connection_lost(make_error_code(errc::connection_lost), t0());
    CHECK(p.completions == 0);
    CHECK(lost.size() == 2);
    lost.run();
    CHECK(p.completions == 1);
    CHECK(p.ec == errc::connection_lost);
    CHECK(p.reply_ends == delivered);
    CHECK(after.ec == errc::connection_lost);
    CHECK(mux.pending() == 0);
    CHECK(!mux.connected());
    // the next connection starts clean: no stale bytes, a fresh parser
    MuxRequest next;
    mux.add_encoded(next, encode_command({"GET", "n"}), t0());
    mux.on_connected(false);
    CHECK(write_all(mux) == encode_command({"GET", "n"}));
    CHECK(!mux.on_read("+fresh\r\n").drop);
    CHECK(next.nodes.front() == "simple_string@0:fresh");
  }
}

TEST_CASE("mux: a health-check loss is named as such", "[mux][faults]") {
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  MuxRequest a;
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  write_all(mux);
  mux.on_connection_lost(make_error_code(errc::health_check_failed), t0()).run();
  CHECK(a.ec == errc::health_check_failed);
}

TEST_CASE("mux: retry_readonly resends an untouched read-only request once", "[mux][faults][retry]") {
  auto options = valkey::test::mux_options();
  options.retry_readonly = true;
  Multiplexer mux{options};
  mux.on_connected(false);
  MuxRequest ro, ro_started, rw, cannot;
  ro.flags = CommandFlag::readonly;
  ro.resend = "GET1";
  ro_started.flags = CommandFlag::readonly;
  ro_started.resend = "GET2";
  rw.resend = "INCR";  // not read-only: never resent
  cannot.flags = CommandFlag::readonly;  // read-only, but reencode() cannot
  mux.add_encoded(ro_started, encode_command({"GET", "s"}), t0());
  mux.add_encoded(ro, encode_command({"GET", "r"}), t0());
  mux.add_encoded(rw, encode_command({"INCR", "w"}), t0());
  mux.add_encoded(cannot, encode_command({"GET", "c"}), t0());
  write_all(mux);
  REQUIRE(!mux.on_read("*2\r\n$1\r\na\r\n").drop);  // ro_started's reply began
  auto lost = mux.on_connection_lost(make_error_code(errc::connection_lost), t0());
  CHECK(lost.size() == 3);
  lost.run();
  CHECK(ro_started.ec == errc::connection_lost);
  CHECK(rw.ec == errc::connection_lost);
  CHECK(cannot.ec == errc::connection_lost);
  CHECK(ro.completions == 0);
  CHECK(ro.active());
  CHECK(!ro.written());
  CHECK(ro.reencodes == 1);
  CHECK(mux.pending() == 1);
  mux.on_connected(false);
  CHECK(write_all(mux) == encode_command({"GET1"}));
  // lost again: it was resent once already
  mux.on_connection_lost(make_error_code(errc::connection_lost), t0()).run();
  CHECK(ro.completions == 1);
  CHECK(ro.ec == errc::connection_lost);
  CHECK(ro.reencodes == 1);
}

TEST_CASE("mux: a retry whose re-encoding throws fails with the loss and is reported", "[mux][faults][retry]") {
  struct Listener final : Multiplexer::Listener {
    void on_error_reply(std::string_view) override {}
    void on_retry_encode_failed() override { ++failures; }
    int failures = 0;
  } listener;
  auto options = valkey::test::mux_options();
  options.retry_readonly = true;
  Multiplexer mux{options};
  mux.set_listener(&listener);
  mux.on_connected(false);
  MuxRequest ro;
  ro.flags = CommandFlag::readonly;
  ro.throw_on_reencode = true;
  mux.add_encoded(ro, encode_command({"GET", "r"}), t0());
  write_all(mux);
  mux.on_connection_lost(make_error_code(errc::connection_lost), t0()).run();
  CHECK(ro.ec == errc::connection_lost);
  CHECK(listener.failures == 1);
  CHECK(mux.buffered_bytes() == 0);
}

TEST_CASE("mux: retry_readonly off: nothing is resent", "[mux][faults][retry]") {
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  MuxRequest ro;
  ro.flags = CommandFlag::readonly;
  ro.resend = "GET";
  mux.add_encoded(ro, encode_command({"GET", "r"}), t0());
  write_all(mux);
  mux.on_connection_lost(make_error_code(errc::connection_lost), t0()).run();
  CHECK(ro.ec == errc::connection_lost);
  CHECK(ro.reencodes == 0);
}

TEST_CASE("mux: close fails written and queued requests, written first", "[mux][faults]") {
  Multiplexer mux{valkey::test::mux_options(1)};
  mux.on_connected(false);
  MuxRequest a, b;
  std::vector<char> order;
  a.on_done = [&](MuxRequest&) { order.push_back('a'); };
  b.on_done = [&](MuxRequest&) { order.push_back('b'); };
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  mux.add_encoded(b, encode_command({"GET", "b"}), t0());
  write_all(mux);  // a is written, b waits (max_pending 1)
  auto closed = mux.close(make_error_code(errc::connection_closed));
  CHECK(closed.size() == 2);
  CHECK(order.empty());
  closed.run();
  CHECK(order == std::vector<char>{'a', 'b'});
  CHECK(a.ec == errc::connection_closed);
  CHECK(b.ec == errc::connection_closed);
  CHECK(mux.pending() == 0);
  CHECK(mux.buffered_bytes() == 0);
}

TEST_CASE("mux: a completion run from a Completions list may destroy its request", "[mux][faults]") {
  Multiplexer mux{valkey::test::mux_options()};
  auto* a = new MuxRequest;
  MuxRequest b;
  a->on_done = [](MuxRequest& self) { delete &self; };
  mux.add_encoded(*a, encode_command({"GET", "a"}), t0());
  mux.add_encoded(b, encode_command({"GET", "b"}), t0());
  auto failed = mux.fail_queued(make_error_code(errc::not_connected));
  failed.run();  // ASan checks that nothing touches *a afterwards
  CHECK(b.ec == errc::not_connected);
}
