// Multiplexer: replies reach their requests in order whatever the chunking;
// pushes (RESP3, and RESP2 subscribed-mode arrays in pub/sub mode) go to the
// push handler; a reply nobody asked for or a malformed one drops the stream.
#include <catch2/catch_test_macros.hpp>

#include "mux_support.hpp"

using valkey::Multiplexer;
using valkey::errc;
using valkey::test::encode_command;
using valkey::test::MuxRequest;
using valkey::test::PushRecorder;
using valkey::test::t0;
using valkey::test::write_all;

namespace {

// GET (bulk), a push, HGETALL (RESP3 map), a pipeline of two (error, integer).
const std::string kWire =
    "$5\r\nhello\r\n"
    ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n"
    "%1\r\n$1\r\nf\r\n$1\r\nv\r\n"
    "-ERR bad\r\n"
    ":42\r\n";

struct Run {
  MuxRequest get, hgetall, pipeline{2};
  PushRecorder push;
  Multiplexer mux{valkey::test::mux_options()};
  std::string sent;

  Run() {
    mux.set_push_handler(&push);
    mux.on_connected(false);
    mux.add_encoded(get, encode_command({"GET", "k"}), t0());
    mux.add_encoded(hgetall, encode_command({"HGETALL", "h"}), t0());
    mux.add_encoded(pipeline, encode_command({"INCR", "a"}) + encode_command({"INCR", "b"}), t0());
    sent = write_all(mux);
  }

  void check() const {
    CHECK(get.completions == 1);
    CHECK(!get.ec);
    CHECK(get.nodes == std::vector<std::string>{"bulk_string@0:hello", "END"});
    CHECK(hgetall.completions == 1);
    CHECK(hgetall.nodes ==
          std::vector<std::string>{"map@0", "bulk_string@1:f", "bulk_string@1:v", "END"});
    CHECK(pipeline.completions == 1);
    CHECK(pipeline.reply_ends == 2);
    CHECK(pipeline.nodes == std::vector<std::string>{"simple_error@0:ERR bad", "END", "integer@0:42", "END"});
    CHECK(push.messages == 1);
    CHECK(push.nodes == std::vector<std::string>{"push@0", "bulk_string@1:message", "bulk_string@1:ch",
                                                 "bulk_string@1:x", "END"});
    CHECK(mux.pending() == 0);
    CHECK(!mux.awaiting_reply());
  }
};

}  // namespace

TEST_CASE("mux: the batch holds every queued request's bytes in order", "[mux]") {
  Run r;
  CHECK(r.sent == encode_command({"GET", "k"}) + encode_command({"HGETALL", "h"}) + encode_command({"INCR", "a"}) +
                      encode_command({"INCR", "b"}));
  CHECK(r.mux.in_flight() == 3);
  CHECK(r.mux.requests_written() == 3);
  CHECK(r.mux.next_write().empty());
}

TEST_CASE("mux: replies split at every byte reach their requests", "[mux]") {
  for (std::size_t cut = 0; cut <= kWire.size(); ++cut) {
    INFO("cut at " << cut);
    Run r;
    auto a = r.mux.on_read(std::string_view(kWire).substr(0, cut));
    CHECK(!a.drop);
    auto b = r.mux.on_read(std::string_view(kWire).substr(cut));
    CHECK(!b.drop);
    r.check();
  }
}

TEST_CASE("mux: replies fed one byte at a time, and cut in three everywhere", "[mux]") {
  {
    Run r;
    for (char c : kWire) REQUIRE(!r.mux.on_read(std::string_view(&c, 1)).drop);
    r.check();
  }
  for (std::size_t i = 1; i < kWire.size(); i += 3) {
    for (std::size_t j = i; j < kWire.size(); j += 2) {
      INFO("cuts at " << i << " and " << j);
      Run r;
      const std::string_view w = kWire;
      REQUIRE(!r.mux.on_read(w.substr(0, i)).drop);
      REQUIRE(!r.mux.on_read(w.substr(i, j - i)).drop);
      REQUIRE(!r.mux.on_read(w.substr(j)).drop);
      r.check();
    }
  }
}

TEST_CASE("mux: a request completes only after its last reply; read_space/commit_read", "[mux]") {
  Run r;
  const std::string first = "$5\r\nhello\r\n";
  auto room = r.mux.read_space();
  REQUIRE(room.size() >= first.size());
  std::copy(first.begin(), first.end(), room.begin());
  CHECK(!r.mux.commit_read(first.size()).drop);
  CHECK(r.get.completions == 1);
  CHECK(r.hgetall.completions == 0);
  CHECK(r.mux.bytes_read() == first.size());
  CHECK(r.mux.in_flight() == 2);
}

TEST_CASE("mux: a reply with no request waiting drops the stream", "[mux]") {
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  auto res = mux.on_read("+OK\r\n");
  CHECK(res.drop == errc::protocol_error);
}

TEST_CASE("mux: a push with no request waiting is fine", "[mux]") {
  Multiplexer mux{valkey::test::mux_options()};
  PushRecorder push;
  mux.set_push_handler(&push);
  mux.on_connected(false);
  CHECK(!mux.on_read(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n").drop);
  CHECK(push.messages == 1);
}

TEST_CASE("mux: a malformed reply: the broken request gets the protocol error, the rest connection_lost", "[mux]") {
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  MuxRequest a, b;
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  mux.add_encoded(b, encode_command({"GET", "b"}), t0());
  write_all(mux);
  auto res = mux.on_read("$3\r\nab");
  CHECK(!res.drop);
  res = mux.on_read("cd\r\n");  // the body is longer than announced
  REQUIRE(res.drop);
  auto done = mux.on_connection_lost(res.drop, t0());
  CHECK(done.size() == 2);
  CHECK(a.completions == 0);  // nothing completes inside the multiplexer
  done.run();
  CHECK(a.completions == 1);
  CHECK(a.ec == res.drop);
  CHECK(b.completions == 1);
  CHECK(b.ec == errc::connection_lost);
}

TEST_CASE("mux: RESP2 pub/sub mode routes subscribed-mode arrays to the push handler", "[mux]") {
  const std::string wire =
      "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"             // confirmation: push
      "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"         // message: push
      "*2\r\n$4\r\npong\r\n$0\r\n\r\n"                          // PING's reply in subscribed mode
      "*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$1\r\nx\r\n"  // pattern message: push
      "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n";                // an ordinary 3-array: a reply
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    INFO("cut at " << cut);
    Multiplexer mux{valkey::test::mux_options()};
    PushRecorder push;
    mux.set_push_handler(&push);
    mux.on_connected(true);
    MuxRequest ping, lrange;
    mux.add_encoded(ping, encode_command({"PING"}), t0());
    mux.add_encoded(lrange, encode_command({"LRANGE", "l", "0", "-1"}), t0());
    write_all(mux);
    REQUIRE(!mux.on_read(std::string_view(wire).substr(0, cut)).drop);
    REQUIRE(!mux.on_read(std::string_view(wire).substr(cut)).drop);
    CHECK(push.messages == 3);
    CHECK(ping.completions == 1);
    CHECK(ping.nodes == std::vector<std::string>{"array@0", "bulk_string@1:pong", "bulk_string@1", "END"});
    CHECK(lrange.completions == 1);
    CHECK(lrange.nodes.front() == "array@0");
    CHECK(lrange.nodes.size() == 5);
  }
}

TEST_CASE("mux: outside pub/sub mode a message-shaped array is a reply", "[mux]") {
  Multiplexer mux{valkey::test::mux_options()};
  PushRecorder push;
  mux.set_push_handler(&push);
  mux.on_connected(false);
  MuxRequest lrange;
  mux.add_encoded(lrange, encode_command({"LRANGE", "l", "0", "-1"}), t0());
  write_all(mux);
  CHECK(!mux.on_read("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n").drop);
  CHECK(push.messages == 0);
  CHECK(lrange.completions == 1);
}

TEST_CASE("mux: expect_more_replies lets a request wait for one more reply", "[mux]") {
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  MuxRequest sub;
  sub.on_node_hook = [&](const valkey::resp::Node& n) {
    if (n.depth == 0 && valkey::resp::is_error(n.type)) mux.expect_more_replies(sub, 1);
  };
  mux.add_encoded(sub, encode_command({"SUBSCRIBE", "ch"}) + encode_command({"PING"}), t0());
  sub.expected_replies = 1;  // a request that learns its reply count late
  write_all(mux);
  CHECK(!mux.on_read("-ERR no\r\n").drop);
  CHECK(sub.completions == 0);
  CHECK(!mux.on_read("+PONG\r\n").drop);
  CHECK(sub.completions == 1);
  CHECK(sub.reply_ends == 2);
}

TEST_CASE("mux: an error reply is reported to the listener before the request gets it", "[mux]") {
  struct Listener final : Multiplexer::Listener {
    void on_error_reply(std::string_view m) override { seen.emplace_back(m); }
    std::vector<std::string> seen;
  } listener;
  Multiplexer mux{valkey::test::mux_options()};
  mux.set_listener(&listener);
  mux.on_connected(false);
  MuxRequest a;
  mux.add_encoded(a, encode_command({"GET", "k"}), t0());
  write_all(mux);
  CHECK(!mux.on_read("-MOVED 1 127.0.0.1:7000\r\n").drop);
  CHECK(listener.seen == std::vector<std::string>{"MOVED 1 127.0.0.1:7000"});
  CHECK(a.completions == 1);
}

TEST_CASE("mux: a completion that closes the multiplexer stops the delivery", "[mux]") {
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  MuxRequest a, b;
  Multiplexer::Completions closed;
  a.on_done = [&](MuxRequest&) { closed = mux.close(valkey::make_error_code(errc::connection_closed)); };
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  mux.add_encoded(b, encode_command({"GET", "b"}), t0());
  write_all(mux);
  auto res = mux.on_read("+1\r\n+2\r\n");
  CHECK(res.interrupted);
  CHECK(a.completions == 1);
  CHECK(b.completions == 0);
  closed.run();
  CHECK(b.completions == 1);
  CHECK(b.ec == errc::connection_closed);
  CHECK(b.nodes.empty());
}

TEST_CASE("mux: a completion may queue the next request; it joins the next batch", "[mux]") {
  Multiplexer mux{valkey::test::mux_options()};
  mux.on_connected(false);
  MuxRequest a, b;
  a.on_done = [&](MuxRequest&) { mux.add_encoded(b, encode_command({"GET", "b"}), t0()); };
  mux.add_encoded(a, encode_command({"GET", "a"}), t0());
  write_all(mux);
  CHECK(!mux.on_read("+1\r\n").drop);
  CHECK(write_all(mux) == encode_command({"GET", "b"}));
  CHECK(!mux.on_read("+2\r\n").drop);
  CHECK(b.completions == 1);
}
