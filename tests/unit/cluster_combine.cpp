// Pure pieces of the cluster client: fan-out replies combined by response
// policy, a combined reply replayed into typed decoders, encoded commands
// read back into arguments, and cluster URLs with seed lists.
#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <string>
#include <vector>

#include <valkey/adapt/response.hpp>
#include <valkey/cluster/cluster_config.hpp>
#include <valkey/cluster/router.hpp>
#include <valkey/error.hpp>

using valkey::Reply;
using valkey::ResponsePolicy;
using valkey::cluster::combine;

namespace {

std::vector<Reply> ints(std::initializer_list<std::int64_t> xs) {
  std::vector<Reply> out;
  for (auto x : xs) out.push_back(Reply::integer(x));
  return out;
}

template <class T>
T decode(const Reply& r, std::error_code& ec) {
  valkey::adapt::ResponseVisitor<T> v;
  valkey::cluster::replay(r, v);
  ec = v.error_code();
  return v.take();
}

}  // namespace

TEST_CASE("cluster combine: sums, minimum, maximum, logical and/or", "[cluster][combine]") {
  auto a = ints({3, 4, 5});
  CHECK(combine(ResponsePolicy::agg_sum, a) == Reply::integer(12));
  auto b = ints({3, 4, 5});
  CHECK(combine(ResponsePolicy::agg_min, b) == Reply::integer(3));
  auto c = ints({3, 4, 5});
  CHECK(combine(ResponsePolicy::agg_max, c) == Reply::integer(5));
  auto d = ints({1, 0, 1});
  CHECK(combine(ResponsePolicy::agg_logical_and, d) == Reply::integer(0));
  auto e = ints({0, 0, 1});
  CHECK(combine(ResponsePolicy::agg_logical_or, e) == Reply::integer(1));
  // Arrays element-wise (SCRIPT EXISTS on every shard).
  std::vector<Reply> arrays{Reply::array(ints({1, 1, 0})), Reply::array(ints({1, 0, 0}))};
  CHECK(combine(ResponsePolicy::agg_logical_and, arrays) == Reply::array(ints({1, 0, 0})));
}

TEST_CASE("cluster combine: errors win aggregates and all_succeeded, one_succeeded needs one", "[cluster][combine]") {
  // An aggregate fails with its first error, which carries the figure of
  // the nodes that answered (a partial DBSIZE, DEL's count so far).
  std::vector<Reply> sum{Reply::integer(1), Reply::error("CLUSTERDOWN boom"), Reply::integer(2), Reply::error("ERR x")};
  CHECK(combine(ResponsePolicy::agg_sum, sum) ==
        Reply::error("CLUSTERDOWN boom (2 of 4 nodes answered; their sum: 3)"));
  std::vector<Reply> max{Reply::integer(7), Reply::error("ERR boom"), Reply::integer(9)};
  CHECK(combine(ResponsePolicy::agg_max, max) == Reply::error("ERR boom (2 of 3 nodes answered; their maximum: 9)"));
  std::vector<Reply> only_errors{Reply::error("ERR a"), Reply::error("ERR b")};
  CHECK(combine(ResponsePolicy::agg_sum, only_errors) == Reply::error("ERR a"));
  std::vector<Reply> arrays{Reply::array(ints({1, 0})), Reply::error("ERR boom")};  // no one figure: the error alone
  CHECK(combine(ResponsePolicy::agg_logical_and, arrays) == Reply::error("ERR boom"));
  std::vector<Reply> all{Reply::simple_string("OK"), Reply::error("ERR no"), Reply::error("ERR later")};
  CHECK(combine(ResponsePolicy::all_succeeded, all) == Reply::error("ERR no"));
  std::vector<Reply> ok{Reply::simple_string("OK"), Reply::simple_string("OK")};
  CHECK(combine(ResponsePolicy::all_succeeded, ok) == Reply::simple_string("OK"));
  std::vector<Reply> one{Reply::error("ERR no"), Reply::simple_string("OK")};
  CHECK(combine(ResponsePolicy::one_succeeded, one) == Reply::simple_string("OK"));
  std::vector<Reply> none{Reply::error("ERR a"), Reply::error("ERR b")};
  CHECK(combine(ResponsePolicy::one_succeeded, none) == Reply::error("ERR a"));
  std::vector<Reply> shapes{Reply::integer(1), Reply::bulk_string("x")};
  CHECK(combine(ResponsePolicy::agg_sum, shapes).is_error());
}

TEST_CASE("cluster combine: keyless arrays are concatenated", "[cluster][combine]") {
  std::vector<Reply> keys{Reply::array({Reply::bulk_string("a")}), Reply::array({}),
                          Reply::array({Reply::bulk_string("b"), Reply::bulk_string("c")})};
  CHECK(combine(ResponsePolicy::default_, keys) ==
        Reply::array({Reply::bulk_string("a"), Reply::bulk_string("b"), Reply::bulk_string("c")}));
}

TEST_CASE("cluster replay: a Reply decodes into typed results as from the wire", "[cluster][combine]") {
  std::error_code ec;
  CHECK(decode<std::int64_t>(Reply::integer(-42), ec) == -42);
  CHECK_FALSE(ec);
  auto v = decode<std::vector<std::optional<std::string>>>(
      Reply::array({Reply::bulk_string("a"), Reply::null(), Reply::bulk_string("c")}), ec);
  CHECK_FALSE(ec);
  REQUIRE(v.size() == 3);
  CHECK(v[0] == "a");
  CHECK_FALSE(v[1].has_value());
  CHECK(v[2] == "c");
  CHECK(decode<double>(Reply::double_(1.5), ec) == 1.5);
  CHECK(decode<bool>(Reply::boolean(true), ec));
  decode<std::string>(Reply::error("WRONGTYPE nope"), ec);
  CHECK(ec == valkey::errc::server_error);
  decode<std::int64_t>(Reply::bulk_string("abc"), ec);
  CHECK(ec);
  CHECK(decode<Reply>(Reply::map({Reply::bulk_string("k"), Reply::integer(1)}), ec) ==
        Reply::map({Reply::bulk_string("k"), Reply::integer(1)}));
}

TEST_CASE("cluster URL: seeds from a comma-separated host list, the rest is the node Config", "[cluster][combine]") {
  auto c = valkey::ClusterConfig::from_url("valkey://user:secret@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002/0?request_timeout=2s");
  REQUIRE(c.seeds.size() == 3);
  CHECK(c.seeds[0].host == "10.0.0.1");
  CHECK(c.seeds[0].port == 7000);
  CHECK(c.seeds[1].port == 7001);
  CHECK(c.seeds[2].host == "::1");
  CHECK(c.seeds[2].port == 7002);
  CHECK(c.node.user == "user");
  CHECK(c.node.password == "secret");
  CHECK(c.node.request_timeout == std::chrono::seconds(2));
  auto one = valkey::ClusterConfig::from_url("valkey://127.0.0.1");
  REQUIRE(one.seeds.size() == 1);
  CHECK(one.seeds[0].port == 6379);
  std::error_code ec;
  valkey::ClusterConfig::from_url("127.0.0.1:7000", ec);
  CHECK(ec == valkey::errc::invalid_url);
  valkey::ClusterConfig::from_url("valkey://h:notaport", ec);
  CHECK(ec == valkey::errc::invalid_url);
}
