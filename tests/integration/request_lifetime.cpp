// A request owns its encoded bytes: an operation built with a token that
// launches later (asio::experimental::deferred) outlives the caller's arguments, and a
// request that failed can be reset and submitted again, on another
// connection too.
#include <catch2/catch_test_macros.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/experimental/deferred.hpp>
#include <asio/io_context.hpp>

#include <valkey/exec/async.hpp>
#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/server_process.hpp"

using valkey::test::ServerProcess;

namespace {

// The keys live in this frame only: the deferred operation must not read them
// once it returned.
auto deferred_mget(valkey::AsyncClient& c, const std::string& a, const std::string& b) {
  std::vector<std::string> keys{a, b};
  std::vector<std::string_view> views{keys[0], keys[1]};
  return c.mget(views, asio::experimental::deferred);
}

auto deferred_exec_get(valkey::AsyncClient& c, const std::string& key) {
  std::string copy = key;
  valkey::cmd::Get cmd{.key = copy};
  return c.exec(cmd, asio::experimental::deferred);
}

}  // namespace

TEST_CASE("lifetime: a deferred operation launched after its arguments died", "[lifetime][async]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), server.url()};
  bool set = false;
  c.mset({{"a", "1"}, {"b", "2"}}, [&](std::error_code ec, auto) { set = !ec; });
  REQUIRE(valkey::test::run_until(ioc, [&] { return set; }));

  auto op = deferred_mget(c, "a", "b");
  auto op2 = deferred_exec_get(c, "b");
  // The braced list and the temporary key die at the end of each statement.
  auto op3 = c.mget({"a", "b"}, asio::experimental::deferred);
  auto op4 = c.get(std::string(40, 'b').substr(39), asio::experimental::deferred);
  // Overwrite the stack the arguments lived on.
  {
    volatile char scratch[4096];
    for (auto& ch : scratch) ch = 'x';
  }
  std::vector<std::optional<std::string>> got;
  std::optional<std::string> got2;
  int done = 0;
  std::move(op)([&](std::error_code ec, std::vector<std::optional<std::string>> v) {
    CHECK_FALSE(ec);
    got = std::move(v);
    ++done;
  });
  std::move(op2)([&](std::error_code ec, std::optional<std::string> v) {
    CHECK_FALSE(ec);
    got2 = std::move(v);
    ++done;
  });
  std::vector<std::optional<std::string>> got3;
  std::optional<std::string> got4;
  std::move(op3)([&](std::error_code ec, std::vector<std::optional<std::string>> v) {
    CHECK_FALSE(ec);
    got3 = std::move(v);
    ++done;
  });
  std::move(op4)([&](std::error_code ec, std::optional<std::string> v) {
    CHECK_FALSE(ec);
    got4 = std::move(v);
    ++done;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done == 4; }));
  CHECK(got == std::vector<std::optional<std::string>>{"1", "2"});
  CHECK(got2 == std::optional<std::string>("2"));
  CHECK(got3 == got);
  CHECK(got4 == got2);
}

namespace {

// An owned request whose completions the test watches.
struct Probe final : valkey::exec::OwnedRequest<valkey::exec::SingleReply<std::optional<std::string>>> {
  using OwnedRequest::OwnedRequest;
  void on_complete(std::error_code ec) override {
    last = ec;
    ++completions;
  }
  std::error_code last;
  int completions = 0;
};

valkey::exec::Bytes get_bytes(std::string_view key) {
  auto b = valkey::exec::Bytes::pooled();
  valkey::resp::Writer w(b.buffer());
  encode(valkey::cmd::Get{.key = key}, w);
  return b;
}

}  // namespace

TEST_CASE("lifetime: a failed request is reset and resubmitted on another connection", "[lifetime][resubmit]") {
  ServerProcess server;
  asio::io_context ioc;
  valkey::Client db{server.url()};
  db.set("k", "value");

  // First attempt: a connection to a closed port that gives up at once.
  valkey::Config dead = valkey::Config::from_url("valkey://127.0.0.1:1");
  dead.reconnect.enabled = false;
  auto first = valkey::Connection::create(ioc.get_executor(), dead);
  auto probe = std::make_unique<Probe>(get_bytes("k"), 1, "GET");
  const std::string bytes(probe->bytes());
  REQUIRE_FALSE(probe->submit(*first));
  REQUIRE(valkey::test::run_until(ioc, [&] { return probe->completions == 1; }));
  CHECK(probe->last);

  // Second attempt, on a live connection: same bytes, fresh decoder.
  auto second = valkey::Connection::create(ioc.get_executor(), valkey::Config::from_url(server.url()));
  probe->reset();
  CHECK(probe->bytes() == bytes);
  REQUIRE_FALSE(probe->submit(*second));
  REQUIRE(valkey::test::run_until(ioc, [&] { return probe->completions == 2; }));
  CHECK_FALSE(probe->last);
  std::optional<std::string> value;
  valkey::exec::Reason why;
  CHECK_FALSE(probe->decoder().finish(value, why));
  CHECK(value == std::optional<std::string>("value"));
  first->close();
  second->close();
  ioc.poll();
}
