// Completions never re-enter the caller: close(), cancel(), reset(), submit()
// and destruction complete requests from posted handlers, never inside the
// call; every request still completes exactly once.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <memory>
#include <thread>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/server_process.hpp"

using valkey::errc;
using valkey::test::ServerProcess;

namespace {

// A bare request on a Connection: records its completion.
struct Probe final : valkey::RequestBase {
  void on_node(const valkey::resp::Node&) override {}
  void on_reply_end() override {}
  void on_complete(std::error_code e) override {
    ++completions;
    ec = e;
    if (inside_call && *inside_call) ++reentered;
  }
  int completions = 0;
  int reentered = 0;
  std::error_code ec;
  const bool* inside_call = nullptr;
};

void encode_get(valkey::resp::Writer& w) {
  w.begin_command(2);
  w.arg(std::string_view{"GET"});
  w.arg(std::string_view{"k"});
}

bool connected(asio::io_context& ioc, valkey::AsyncClient& c) {
  bool done = false;
  c.async_ping([&](std::error_code, auto&&...) { done = true; });
  return valkey::test::run_until(ioc, [&] { return done; });
}

}  // namespace

TEST_CASE("reentry: a coroutine destroys its AsyncClient from inside a completion", "[reentry]") {
  ServerProcess server;
  asio::io_context ioc;
  auto c = std::make_unique<valkey::AsyncClient>(ioc.get_executor(), server.url());
  REQUIRE(connected(ioc, *c));
  bool in_destructor = false;
  int completed = 0, reentered = 0, unexpected = 0;
  bool coroutine_done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        co_await c->set("k", "v", asio::use_awaitable);
        // requests queued behind the GET below: still pending when it resumes
        auto callback = [&](std::error_code ec, std::int64_t) {
          ++completed;
          if (in_destructor) ++reentered;
          if (ec && ec != errc::connection_closed) ++unexpected;
        };
        // runs once the GET below was issued: these queue behind it
        asio::post(ioc, [&, callback] {
          for (int i = 0; i < 50; ++i) c->incr("n", callback);
        });
        auto got = co_await c->get("k", asio::use_awaitable);
        CHECK(got == std::optional<std::string>{"v"});
        in_destructor = true;
        c.reset();  // the client goes while its requests are in flight
        in_destructor = false;
        coroutine_done = true;
      },
      asio::detached);
  REQUIRE(valkey::test::run_until(ioc, [&] { return coroutine_done && completed == 50; }));
  CHECK(reentered == 0);
  CHECK(unexpected == 0);
  ioc.restart();
  ioc.poll();
  CHECK(completed == 50);  // exactly once each
}

TEST_CASE("reentry: close() from a second thread while 1,000 requests are in flight", "[reentry][threads]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  REQUIRE(connected(ioc, c));
  constexpr int total = 1000;
  std::atomic<int> completed{0}, ok{0}, closed{0}, other{0};
  std::atomic<bool> issued{false};
  asio::post(ioc, [&] {
    for (int i = 0; i < total; ++i) {
      c.incr("n", [&](std::error_code ec, std::int64_t) {
        if (!ec) ++ok;
        else if (ec == errc::connection_closed) ++closed;
        else ++other;
        ++completed;
      });
    }
    issued = true;
  });
  ioc.restart();
  std::thread io([&] { ioc.run(); });  // returns once the closed connection has no work left
  while (!issued) std::this_thread::yield();
  c.close();  // not on the executor: the closing is posted to it
  io.join();
  CHECK(completed == total);
  CHECK(ok + closed == total);
  CHECK(other == 0);
  CHECK(c.connection().state() == valkey::ConnectionState::closed);
}

TEST_CASE("reentry: a cancellation emitted from inside another request's handler", "[reentry]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  REQUIRE(connected(ioc, c));
  asio::cancellation_signal signal;
  bool in_a = false;
  int a_calls = 0, b_calls = 0, b_inside_a = 0;
  std::error_code b_ec;
  c.incr("a", [&](std::error_code, std::int64_t) {
    ++a_calls;
    in_a = true;
    signal.emit(asio::cancellation_type::terminal);
    in_a = false;
  });
  c.incr("b", asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, std::int64_t) {
           ++b_calls;
           if (in_a) ++b_inside_a;
           b_ec = ec;
         }));
  REQUIRE(valkey::test::run_until(ioc, [&] { return a_calls == 1 && b_calls == 1; }));
  CHECK(b_inside_a == 0);
  CHECK(b_ec == errc::cancelled);
  // the connection stays in sync: B's discarded reply did not shift the next one
  std::optional<std::string> got;
  bool done = false;
  c.set("k2", "v2", [&](std::error_code, auto&&) {
    c.get("k2", [&](std::error_code, std::optional<std::string> v) {
      got = v;
      done = true;
    });
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }));
  CHECK(got == std::optional<std::string>{"v2"});
  ioc.poll();
  CHECK(b_calls == 1);
}

TEST_CASE("reentry: the callback passed to close() runs after close() returned and after every completion",
          "[reentry]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  REQUIRE(connected(ioc, c));
  valkey::Connection& conn = c.connection();
  Probe probes[3];
  bool inside = false;
  for (Probe& p : probes) {
    p.inside_call = &inside;
    REQUIRE(!conn.submit(p, encode_get));
  }
  bool returned = false, ran = false, ran_early = false, all_done_first = true;
  asio::post(ioc, [&] {
    inside = true;
    conn.close([&] {
      ran = true;
      if (!returned) ran_early = true;
      for (Probe& p : probes) all_done_first = all_done_first && p.completions == 1;
    });
    inside = false;
    returned = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return ran; }));
  CHECK(!ran_early);
  CHECK(all_done_first);
  for (Probe& p : probes) {
    CHECK(p.completions == 1);
    CHECK(p.reentered == 0);
    CHECK(p.ec == errc::connection_closed);
  }
}

TEST_CASE("reentry: cancel() and reset() complete from a posted handler, exactly once", "[reentry]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  REQUIRE(connected(ioc, c));
  valkey::Connection& conn = c.connection();
  Probe queued, written;
  bool inside = false;
  queued.inside_call = &inside;
  written.inside_call = &inside;
  bool step = false;
  asio::post(ioc, [&] {
    REQUIRE(!conn.submit(written, encode_get));
    conn.hold_writes();
    REQUIRE(!conn.submit(queued, encode_get));
    inside = true;
    conn.cancel(queued);
    inside = false;
    conn.release_writes();
    CHECK(queued.completions == 0);
    step = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return step && queued.completions == 1 && written.completions == 1; }));
  CHECK(queued.ec == errc::cancelled);
  CHECK(!written.ec);
  CHECK(queued.reentered == 0);
  // reset(): the requests in flight fail with connection_lost, later
  Probe lost;
  lost.inside_call = &inside;
  bool reset_done = false;
  asio::post(ioc, [&] {
    REQUIRE(!conn.submit(lost, encode_get));
    inside = true;
    conn.reset();
    inside = false;
    CHECK(lost.completions == 0);
    reset_done = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return reset_done && lost.completions == 1; }));
  CHECK(lost.ec == errc::connection_lost);
  CHECK(lost.reentered == 0);
  // and the connection comes back
  Probe after;
  REQUIRE(!conn.submit(after, encode_get));
  REQUIRE(valkey::test::run_until(ioc, [&] { return after.completions == 1; }));
  CHECK(!after.ec);
}

TEST_CASE("reentry: a handler bound to another executor runs there; one whose context is gone is destroyed uncalled",
          "[reentry]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  REQUIRE(connected(ioc, c));
  bool set = false;
  c.set("k", "v", [&](std::error_code ec, auto&&...) { set = !ec; });
  REQUIRE(valkey::test::run_until(ioc, [&] { return set; }));

  // Another io_context's executor, by its own type and as an any_io_executor
  // (the connection's executor type, compared at run time).
  asio::io_context other;
  int ran_there = 0, ran_elsewhere = 0;
  auto check = [&](std::error_code ec, std::optional<std::string> v) {
    CHECK_FALSE(ec);
    CHECK(v == std::optional<std::string>{"v"});
    if (other.get_executor().running_in_this_thread()) ++ran_there;
    else ++ran_elsewhere;
  };
  c.get("k", asio::bind_executor(other.get_executor(), check));
  c.get("k", asio::bind_executor(asio::any_io_executor(other.get_executor()), check));
  REQUIRE(connected(ioc, c));  // a PING answered after both GETs: their completions are posted
  CHECK(ran_there + ran_elsewhere == 0);  // not on the client's context
  other.run();
  CHECK(ran_there == 2);
  CHECK(ran_elsewhere == 0);

  // The handler's context is destroyed before it runs the completion: the
  // operation and its handler are freed (LeakSanitizer checks the first),
  // the handler is never called.
  auto gone = std::make_unique<asio::io_context>();
  auto alive = std::make_shared<int>(0);
  bool called = false;
  c.get("k", asio::bind_executor(gone->get_executor(),
                                 [&called, alive](std::error_code, std::optional<std::string>) { called = true; }));
  REQUIRE(connected(ioc, c));  // answered after the GET
  CHECK(alive.use_count() == 2);  // the handler waits in the other context's queue
  gone.reset();
  CHECK_FALSE(called);
  CHECK(alive.use_count() == 1);
}

TEST_CASE("reentry: a request counts as work on its handler's executor until the completion is queued there",
          "[reentry][threads]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  asio::io_context other;  // the handler's context, run by this thread only
  std::atomic<bool> ran{false};
  std::optional<std::string> got = std::string("unset");
  // Issued before either context runs: other.run() below has nothing queued
  // yet, only the request's outstanding work keeps it from returning.
  c.get("missing-key", asio::bind_executor(other.get_executor(), [&](std::error_code ec, std::optional<std::string> v) {
          CHECK_FALSE(ec);
          got = std::move(v);
          ran = true;
        }));
  std::thread io([&] { ioc.run(); });
  other.run();
  CHECK(ran);
  CHECK(got == std::nullopt);  // GET of a missing key: nil
  asio::post(ioc, [&] { c.close(); });
  io.join();
}
