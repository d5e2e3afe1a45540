// call() answers in the RESP3 shape on a RESP2 connection: the same commands
// on the same data through a RESP3 and a RESP2 client give equal
// valkey::Reply values (maps, sets, doubles, nested pairs), sync, async, in
// pipelines, batches and transactions. Runs against whichever server
// VALKEY_SERVER names (Valkey 9.1.2, Redis 7.0).
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <future>
#include <string>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <asio/use_future.hpp>

#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::Reply;
using valkey::test::ServerProcess;
using Argv = std::vector<std::string_view>;

namespace {

valkey::Config config_of(const ServerProcess& server, valkey::Protocol p) {
  auto cfg = valkey::Config::from_url(server.url());
  cfg.protocol = p;
  return cfg;
}

void seed(valkey::Client& db) {
  db.call({"FLUSHALL"});
  db.call({"HSET", "h", "f1", "v1", "f2", "v2"});
  db.call({"SADD", "s", "a", "b", "c"});
  db.call({"ZADD", "z", "1", "a", "2.5", "b", "3", "c"});
  db.call({"SET", "f", "1.5"});
  db.call({"XADD", "st", "1-1", "f", "v"});
  db.call({"XADD", "st", "2-1", "g", "w"});
  db.call({"XGROUP", "CREATE", "st", "grp", "0"});
  db.call({"GEOADD", "geo", "13.361389", "38.115556", "Palermo"});
  db.call({"SET", "lcs1", "ohmytext"});
  db.call({"SET", "lcs2", "mynewtext"});
}

// Read-only commands whose replies differ between the protocols on the wire
// (except the last ones, alike on both, which must stay alike).
const std::vector<Argv>& commands() {
  static const std::vector<Argv> all = {
      {"HGETALL", "h"},
      {"HGETALL", "missing"},
      {"CONFIG", "GET", "maxmemory*"},
      {"SMEMBERS", "s"},
      {"SUNION", "s"},
      {"ZSCORE", "z", "b"},
      {"ZSCORE", "z", "missing"},
      {"ZMSCORE", "z", "a", "missing", "c"},
      {"ZINCRBY", "z", "0", "a"},
      {"ZRANGE", "z", "0", "-1", "WITHSCORES"},
      {"zrange", "z", "0", "-1", "withscores"},
      {"ZRANGE", "z", "0", "-1"},
      {"ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"},
      {"ZREVRANGE", "z", "0", "-1", "WITHSCORES"},
      {"ZUNION", "1", "z", "WITHSCORES"},
      {"ZRANDMEMBER", "z", "10", "WITHSCORES"},
      {"HRANDFIELD", "h", "10", "WITHVALUES"},
      {"ZRANK", "z", "b", "WITHSCORE"},
      {"XRANGE", "st", "-", "+"},
      {"XREAD", "STREAMS", "st", "0"},
      {"XINFO", "STREAM", "st"},
      {"XINFO", "STREAM", "st", "FULL"},
      {"XINFO", "GROUPS", "st"},
      {"GEOPOS", "geo", "Palermo", "missing"},
      {"GEOSEARCH", "geo", "FROMLONLAT", "13", "38", "BYRADIUS", "200", "km", "WITHCOORD", "WITHDIST"},
      {"LCS", "lcs1", "lcs2", "IDX"},
      {"INCRBYFLOAT", "f", "0"},
      {"GET", "f"},
      {"LRANGE", "missing", "0", "-1"},
  };
  return all;
}

// Writes: each protocol runs them on its own copy of the data.
const std::vector<Argv>& writes() {
  static const std::vector<Argv> all = {
      {"ZPOPMIN", "z"},
      {"ZPOPMIN", "z", "1"},
      {"ZPOPMAX", "z", "2"},
      {"SPOP", "s", "5"},
      {"ZADD", "z", "INCR", "1", "new"},
  };
  return all;
}

// The reply, or the server's refusal as an error Reply (ZRANK ... WITHSCORE
// is new in 7.2: Redis 7.0 refuses it on both protocols alike).
Reply reply_or_error(valkey::Client& db, const Argv& argv) {
  std::error_code ec;
  valkey::Diagnostics diag;
  Reply r = db.call(argv, ec, diag);
  if (ec == valkey::errc::server_error) return Reply::error(diag.server_message);
  REQUIRE_FALSE(ec);
  return r;
}

std::string text(const Argv& argv) {
  std::string out;
  for (auto a : argv) out.append(out.empty() ? "" : " ").append(a);
  return out;
}

}  // namespace

TEST_CASE("resp3 shape: call() over RESP2 equals call() over RESP3", "[resp3-shape]") {
  ServerProcess server;
  valkey::Client resp3{config_of(server, valkey::Protocol::resp3)};
  valkey::Client resp2{config_of(server, valkey::Protocol::resp2)};
  seed(resp3);
  for (const Argv& argv : commands()) {
    INFO(text(argv));
    const Reply three = reply_or_error(resp3, argv);
    const Reply two = reply_or_error(resp2, argv);
    CHECK(two == three);
    CHECK(two.to_json() == three.to_json());
  }
  for (const Argv& argv : writes()) {
    INFO(text(argv));
    seed(resp3);
    const Reply three = resp3.call(argv);
    seed(resp3);
    const Reply two = resp2.call(argv);
    CHECK(two == three);
  }
  // the shapes a RESP3 client sees
  CHECK(resp2.call({"HGETALL", "h"}).is_map());
  CHECK(resp2.call({"SMEMBERS", "s"}).type() == valkey::resp::Type::set);
  CHECK(resp2.call({"ZSCORE", "z", "b"}).is_double());
  CHECK(resp2.call({"ZRANGE", "z", "0", "0", "WITHSCORES"}).at(0).at(1).as_double() == 1);
}

TEST_CASE("resp3 shape: typed commands with a generic reply, exec<Reply> and the typed ones", "[resp3-shape]") {
  ServerProcess server;
  valkey::Client resp3{config_of(server, valkey::Protocol::resp3)};
  valkey::Client resp2{config_of(server, valkey::Protocol::resp2)};
  seed(resp3);
  // XINFO STREAM read as valkey::Reply: shaped like call()
  const Reply info3 = resp3.exec<Reply>(valkey::cmd::XinfoStream{.key = "st"});
  const Reply info2 = resp2.exec<Reply>(valkey::cmd::XinfoStream{.key = "st"});
  CHECK(info2 == info3);
  CHECK(info2.is_map());
  // and as its typed record, the same from both protocols
  CHECK(resp2.xinfo_stream("st") == resp3.xinfo_stream("st"));
  REQUIRE(info3.find("length") != nullptr);
  CHECK(resp2.xinfo_stream("st").length == info3.find("length")->as_integer());
  CHECK(resp2.exec<Reply>(valkey::cmd::Hgetall{.key = "h"}) == resp3.exec<Reply>(valkey::cmd::Hgetall{.key = "h"}));
  // typed replies are untouched by all this
  CHECK(resp2.zscore("z", "b") == resp3.zscore("z", "b"));
  CHECK(resp2.zrange_withscores("z", 0, -1) == resp3.zrange_withscores("z", 0, -1));
}

TEST_CASE("resp3 shape: pipelines, batches and transactions over RESP2", "[resp3-shape]") {
  ServerProcess server;
  valkey::Client resp3{config_of(server, valkey::Protocol::resp3)};
  valkey::Client resp2{config_of(server, valkey::Protocol::resp2)};
  seed(resp3);

  auto typed = [](valkey::Client& db) {
    return valkey::pipeline(db).call({"HGETALL", "h"}).get("f").call({"ZSCORE", "z", "b"}).exec();
  };
  auto [h3, f3, s3] = typed(resp3);
  auto [h2, f2, s2] = typed(resp2);
  CHECK(h2 == h3);
  CHECK(h2.is_map());
  CHECK(f2 == f3);
  CHECK(s2 == s3);

  auto batch = [](valkey::Client& db) {
    valkey::Batch<valkey::Client> b{db};
    b.add({"SMEMBERS", "s"}).add({"GET", "f"}).add({"ZRANGE", "z", "0", "-1", "WITHSCORES"}).add({"HGETALL", "h"});
    return b.exec();
  };
  const std::vector<Reply> b3 = batch(resp3);
  const std::vector<Reply> b2 = batch(resp2);
  CHECK(b2 == b3);
  REQUIRE(b2.size() == 4);
  CHECK(b2[3].is_map());

  auto tx = [](valkey::Client& db) {
    return valkey::transaction(db).call({"CONFIG", "GET", "maxmemory"}).incr("n").call({"ZRANGE", "z", "0", "-1", "WITHSCORES"}).exec();
  };
  auto [c3, n3, z3] = tx(resp3);
  auto [c2, n2, z2] = tx(resp2);
  CHECK(c2 == c3);
  CHECK(c2.is_map());
  CHECK(n2 == n3 + 1);
  CHECK(z2 == z3);
}

TEST_CASE("resp3 shape: AsyncClient call() and Batch over RESP2", "[resp3-shape]") {
  ServerProcess server;
  {
    valkey::Client db{server.url()};
    seed(db);
  }
  auto run = [&](valkey::Protocol p) {
    asio::io_context ioc;
    valkey::AsyncClient c{ioc.get_executor(), config_of(server, p)};
    const Argv hgetall{"HGETALL", "h"}, zrange{"ZRANGE", "z", "0", "-1", "WITHSCORES"};
    auto a = c.call(hgetall, asio::use_future);
    auto b = c.call(zrange, asio::use_future);
    std::vector<Reply> batch_out;
    valkey::Batch<valkey::AsyncClient> batch{c};
    batch.add({"SMEMBERS", "s"}).add({"ZSCORE", "z", "b"});
    bool batch_done = false;
    batch.exec([&](std::error_code ec, std::vector<Reply> r) {
      CHECK_FALSE(ec);
      batch_out = std::move(r);
      batch_done = true;
    });
    while (a.wait_for(std::chrono::seconds(0)) != std::future_status::ready ||
           b.wait_for(std::chrono::seconds(0)) != std::future_status::ready || !batch_done)
      ioc.run_one_for(std::chrono::seconds(5));
    std::vector<Reply> out{a.get(), b.get()};
    out.insert(out.end(), batch_out.begin(), batch_out.end());
    c.close();
    ioc.run();
    return out;
  };
  const std::vector<Reply> three = run(valkey::Protocol::resp3);
  const std::vector<Reply> two = run(valkey::Protocol::resp2);
  REQUIRE(two.size() == 4);
  CHECK(two == three);
  CHECK(two[0].is_map());
  CHECK(two[2].type() == valkey::resp::Type::set);
}
