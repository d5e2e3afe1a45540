// Errors a user can act on: every executor and every completion token
// reports the same failure the same way: the code, the server's text, the
// command and the endpoint; for decode errors the RESP type received and the
// C++ type wanted; for a refused connection the address, said once.
#include <catch2/catch_test_macros.hpp>

#include <future>
#include <optional>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <valkey/lease.hpp>
#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/server_process.hpp"

using valkey::test::ServerOptions;
using valkey::test::ServerProcess;

namespace {

constexpr const char* kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

std::string endpoint_of(const ServerProcess& s) { return "127.0.0.1:" + std::to_string(s.port()); }

// GET whose reply is asked for as an integer: a decode error on a string.
struct GetAsInt {
  using reply_type = std::int64_t;
  static constexpr valkey::CommandInfo info = valkey::cmd::Get::info;
  std::string_view key;
};
void encode(const GetAsInt& c, valkey::resp::Writer& w) { encode(valkey::cmd::Get{.key = c.key}, w); }
void for_each_key(const GetAsInt& c, valkey::KeyCallback cb) { cb(c.key); }

// GET asked for as a list: the reply's shape does not fit.
struct GetAsList {
  using reply_type = std::vector<std::string>;
  static constexpr valkey::CommandInfo info = valkey::cmd::Get::info;
  std::string_view key;
};
void encode(const GetAsList& c, valkey::resp::Writer& w) { encode(valkey::cmd::Get{.key = c.key}, w); }
void for_each_key(const GetAsList& c, valkey::KeyCallback cb) { cb(c.key); }

}  // namespace

TEST_CASE("errors: WRONGTYPE reads the same from every sync entry point", "[errors]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  db.call({"LPUSH", "list", "x"});
  const std::string expected = "GET on " + endpoint_of(server) + ": " + kWrongType;

  try {
    db.get("list");
    FAIL("expected WRONGTYPE");
  } catch (const valkey::ServerError& e) {
    CHECK(std::string(e.what()) == expected);
    CHECK(e.code() == valkey::errc::server_error);
    CHECK(e.message() == kWrongType);
    CHECK(e.server_message() == kWrongType);
    CHECK(e.prefix() == "WRONGTYPE");
    CHECK(e.command() == "GET");
    CHECK(e.endpoint() == endpoint_of(server));
  }

  std::error_code ec;
  valkey::Diagnostics diag;
  CHECK_FALSE(db.get("list", ec, diag).has_value());
  CHECK(ec == valkey::errc::server_error);
  CHECK(diag.message == expected);
  CHECK(diag.server_message == kWrongType);
  CHECK(diag.prefix() == "WRONGTYPE");
  CHECK(diag.command == "GET");
  CHECK(diag.endpoint == endpoint_of(server));

  // call(): the command's name as the caller spelled it
  try {
    db.call({"get", "list"});
    FAIL("expected WRONGTYPE");
  } catch (const valkey::ServerError& e) {
    CHECK(std::string(e.what()) == "get on " + endpoint_of(server) + ": " + kWrongType);
  }

  // a success clears what a failure left
  CHECK(db.incr("n", ec, diag) == 1);
  CHECK_FALSE(ec);
  CHECK(diag.empty());

  // a pipeline and a transaction name themselves
  try {
    db.pipeline().incr("n").get("list").exec();
    FAIL("expected WRONGTYPE");
  } catch (const valkey::ServerError& e) {
    CHECK(std::string(e.what()) == "pipeline on " + endpoint_of(server) + ": " + kWrongType);
  }
  auto t = db.transaction().get("list").exec(ec, diag);
  CHECK(ec == valkey::errc::server_error);
  CHECK(diag.message == "transaction on " + endpoint_of(server) + ": " + kWrongType);
  valkey::Batch<valkey::Client, std::optional<std::string>> batch{db};
  batch.get("list");
  CHECK(batch.exec(ec, diag).empty());
  CHECK(diag.message == "batch on " + endpoint_of(server) + ": " + kWrongType);

  // the sync blocking client: the same words
  valkey::SyncBlockingClient blk{db};
  CHECK_FALSE(blk.blpop({"n"}, 0.1, ec, diag).has_value());
  CHECK(ec == valkey::errc::server_error);
  CHECK(diag.message == "BLPOP on " + endpoint_of(server) + ": " + kWrongType);
}

TEST_CASE("errors: WRONGTYPE reaches callbacks, coroutines, futures and deferred operations", "[errors][async]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  const std::string expected = "GET on " + endpoint_of(server) + ": " + kWrongType;

  bool pushed = false;
  c.call({"LPUSH", "list", "x"}, [&](std::error_code ec, valkey::Reply) { pushed = !ec; });
  REQUIRE(valkey::test::run_until(ioc, [&] { return pushed; }));

  // callback + Diagnostics
  valkey::Diagnostics cb_diag;
  std::error_code cb_ec;
  bool cb_done = false;
  c.get("list", cb_diag, [&](std::error_code ec, std::optional<std::string>) {
    cb_ec = ec;
    cb_done = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return cb_done; }));
  CHECK(cb_ec == valkey::errc::server_error);
  CHECK(cb_diag.message == expected);
  CHECK(cb_diag.prefix() == "WRONGTYPE");

  // deferred, launched later with a callback
  valkey::Diagnostics deferred_diag;
  auto op = c.get("list", deferred_diag, asio::experimental::deferred);
  std::error_code deferred_ec;
  bool deferred_done = false;
  std::move(op)([&](std::error_code ec, std::optional<std::string>) {
    deferred_ec = ec;
    deferred_done = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return deferred_done; }));
  CHECK(deferred_ec == valkey::errc::server_error);
  CHECK(deferred_diag.message == expected);

  // a coroutine gets the server's text in the exception itself
  std::string co_what, co_prefix, co_command, lease_what, pipeline_what;
  bool co_done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        try {
          co_await c.get("list", asio::use_awaitable);
        } catch (const valkey::ServerError& e) {
          co_what = e.what();
          co_prefix = std::string(e.prefix());
          co_command = e.command();
        }
        try {
          co_await c.pipeline().incr("n").get("list").exec(asio::use_awaitable);
        } catch (const std::system_error& e) {  // what() of the same object
          pipeline_what = e.what();
        }
        valkey::BlockingClient blk{c};
        try {
          const std::vector<std::string_view> keys{"n"};
          co_await blk.blpop(keys, 0.1, asio::use_awaitable);
        } catch (const valkey::ServerError& e) {
          lease_what = e.what();
        }
        co_done = true;
      },
      asio::detached);
  REQUIRE(valkey::test::run_until(ioc, [&] { return co_done; }));
  CHECK(co_what == expected);
  CHECK(co_prefix == "WRONGTYPE");
  CHECK(co_command == "GET");
  CHECK(pipeline_what == "pipeline on " + endpoint_of(server) + ": " + kWrongType);
  CHECK(lease_what == "BLPOP on " + endpoint_of(server) + ": " + kWrongType);

  // use_future: the same exception
  std::future<std::optional<std::string>> fut = c.get("list", asio::use_future);
  REQUIRE(valkey::test::run_until(ioc, [&] {
    return fut.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }));
  try {
    fut.get();
    FAIL("expected WRONGTYPE");
  } catch (const valkey::ServerError& e) {
    CHECK(std::string(e.what()) == expected);
  }
}

TEST_CASE("errors: a decode mismatch names the RESP type received and the C++ type wanted", "[errors]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  db.set("s", "abc");
  const std::string where = "GET on " + endpoint_of(server) + ": ";
  try {
    db.exec(GetAsInt{"s"});
    FAIL("decoded \"abc\" as an integer");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::invalid_number);
    CHECK(std::string(e.what()) ==
          where + "reply holds a number that does not parse (received bulk string \"abc\", wanted std::int64_t)");
  }
  std::error_code ec;
  valkey::Diagnostics diag;
  CHECK(db.exec(GetAsList{"s"}, ec, diag).empty());
  CHECK(ec == valkey::errc::unexpected_reply_type);
  CHECK(diag.message == where +
                            "reply type does not match the requested C++ type (received bulk string \"abc\", "
                            "wanted std::vector<std::string>)");
  CHECK(diag.server_message.empty());
  // a null where the type has no empty state
  CHECK(db.exec(GetAsInt{"missing"}, ec, diag) == 0);
  CHECK(ec == valkey::errc::unexpected_null);
  CHECK(diag.message == where + "null reply where a value was required (received null, wanted std::int64_t)");
  // in a pipeline, which reply failed
  db.pipeline().get("s").exec(GetAsInt{"s"}).exec(ec, diag);
  CHECK(ec == valkey::errc::invalid_number);
  CHECK(diag.message == "pipeline on " + endpoint_of(server) +
                            ": reply holds a number that does not parse (reply #1: received bulk string \"abc\", "
                            "wanted std::int64_t)");

  // the async path says the same
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  std::string what;
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        try {
          co_await c.exec(GetAsInt{"s"}, asio::use_awaitable);
        } catch (const valkey::Error& e) {
          what = e.what();
        }
        done = true;
      },
      asio::detached);
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }));
  CHECK(what == where + "reply holds a number that does not parse (received bulk string \"abc\", wanted std::int64_t)");
}

TEST_CASE("errors: a wrong password fills Diagnostics and the exception, once", "[errors][handshake]") {
  ServerOptions o;
  o.password = "right";
  ServerProcess server{o};
  const std::string url = "valkey://:wrong@127.0.0.1:" + std::to_string(server.port());
  try {
    valkey::Client db{url};
    FAIL("connected with a wrong password");
  } catch (const valkey::Error& e) {
    const std::string what = e.what();
    CHECK(e.code() == valkey::errc::auth_failed);
    CHECK(what.rfind("cannot connect to " + endpoint_of(server) + ": authentication failed: HELLO refused: WRONGPASS", 0) ==
          0);
    CHECK(count(what, "authentication failed") == 1);
    CHECK(what.find(".:") == std::string::npos);  // no "...disabled.: authentication failed"
    CHECK(what.find("wrong") == std::string::npos);  // the password is not echoed
    CHECK(e.prefix() == "WRONGPASS");
  }

  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), url};
  valkey::Diagnostics diag;
  std::error_code got;
  bool done = false;
  c.get("k", diag, [&](std::error_code ec, std::optional<std::string>) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }));
  CHECK(got == valkey::errc::auth_failed);
  CHECK(diag.prefix() == "WRONGPASS");
  CHECK(diag.message.rfind("GET on " + endpoint_of(server) + ": authentication failed: HELLO refused: WRONGPASS", 0) == 0);
  CHECK(diag.message.find("wrong") == std::string::npos);
}

TEST_CASE("errors: a server that is down is named, and the reason said once", "[errors]") {
  const std::string down = "127.0.0.1:1";
  try {
    valkey::Client db{"valkey://" + down};
    FAIL("connected to a closed port");
  } catch (const valkey::Error& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.rfind("cannot connect to " + down + ": ", 0) == 0);
    CHECK(count(what, down) == 1);
    CHECK(count(what, "onnection refused") == 1);
    CHECK(e.endpoint() == down);
  }

  valkey::Config cfg = valkey::Config::from_url("valkey://" + down);
  cfg.reconnect.enabled = false;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), cfg};
  valkey::Diagnostics diag;
  std::error_code got;
  bool done = false;
  c.get("k", diag, [&](std::error_code ec, std::optional<std::string>) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }));
  INFO(diag.message);
  CHECK(got);
  CHECK(diag.message.rfind("GET on " + down + ": ", 0) == 0);
  CHECK(count(diag.message, down) == 1);
  CHECK(count(diag.message, "onnection refused") == 1);
  CHECK(diag.endpoint == down);
}
