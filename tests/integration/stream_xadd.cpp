// XADD's two entry points against a real server: xadd() answers the new
// entry's id as a std::string (without NOMKSTREAM the reply is never nil),
// xadd_nomkstream() a std::optional that is empty when the stream does not
// exist, in which case nothing is created.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

#include <valkey/pipeline.hpp>
#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::cmd::Xadd;
using valkey::test::ServerProcess;

TEST_CASE("XADD: the id as a string; NOMKSTREAM on a missing stream answers nothing and creates nothing", "[stream]") {
  ServerProcess server;
  valkey::Client db{server.url()};

  std::string id = db.xadd("orders", Xadd::Id{"5-1"}, "order", "42");
  CHECK(id == "5-1");
  std::string next = db.xadd("orders", Xadd::AutoId{}, "order", "43");
  CHECK(next != id);
  CHECK(db.xlen("orders") == 2);

  std::optional<std::string> none = db.xadd_nomkstream("missing", Xadd::AutoId{}, "f", "v");
  CHECK_FALSE(none.has_value());
  CHECK(db.exists("missing") == 0);

  // An existing stream: added (after `next`, the server's own id), and MAXLEN 2 trimmed the oldest entry.
  std::optional<std::string> added = db.xadd_nomkstream("orders", Xadd::AutoId{}, "order", "44",
                                                        {.trim = Xadd::Trim{.strategy = Xadd::MaxLen{},
                                                                            .threshold = "2"}});
  REQUIRE(added.has_value());
  CHECK(*added != next);
  CHECK(db.xlen("orders") == 2);
  CHECK(db.xrange("orders", "-", "+").front().first == next);

  auto [piped, skipped] =
      valkey::pipeline(db).xadd("orders", Xadd::AutoId{}, "order", "45").xadd_nomkstream("gone", Xadd::AutoId{}, "f", "v").exec();
  static_assert(std::is_same_v<decltype(piped), std::string>);
  static_assert(std::is_same_v<decltype(skipped), std::optional<std::string>>);
  CHECK_FALSE(piped.empty());
  CHECK_FALSE(skipped.has_value());
}
