// valkey-cpp-perf's command line: defaults, every option, and usage errors.
#include <catch2/catch_test_macros.hpp>

#if __has_include("perf/options.hpp")
#include <initializer_list>
#include <string_view>
#include <vector>

#include "perf/options.hpp"
#include "perf/workload.hpp"

using perf::Test;

namespace {

perf::ParseResult parse(std::initializer_list<std::string_view> args, const char* env_url = nullptr) {
  std::vector<std::string_view> v(args);
  return perf::parse_options(v, env_url);
}

bool fails_with(std::initializer_list<std::string_view> args, std::string_view words) {
  auto r = parse(args);
  return !r.ok() && r.error.find(words) != std::string::npos;
}

}  // namespace

TEST_CASE("perf options: defaults match valkey-benchmark's", "[perf][perf-options]") {
  auto r = parse({});
  REQUIRE(r.ok());
  const perf::Options& o = r.options;
  CHECK(o.url == "valkey://127.0.0.1:6379");
  CHECK(o.tests == std::vector<Test>{Test::get, Test::set});
  CHECK(o.concurrency == 50);
  CHECK(o.threads == 1);
  CHECK(o.pipeline == 1);
  CHECK(o.requests == 100000);
  CHECK(o.seconds == 0);
  CHECK(o.value_size == 3);
  CHECK(o.keyspace == 0);
  CHECK_FALSE(o.sync);
  CHECK_FALSE(o.verify);
  CHECK_FALSE(o.json);
  CHECK(parse({}, "valkey://10.0.0.1:7000").options.url == "valkey://10.0.0.1:7000");
}

TEST_CASE("perf options: every option is read", "[perf][perf-options]") {
  auto r = parse({"-u", "valkey://h:7001/2", "-t", "mget,incr", "-c", "8", "--threads", "2", "-P", "16", "--seconds",
                  "2.5", "-d", "100", "-r", "1000", "--key-prefix", "absent:", "--sync", "--json"});
  REQUIRE(r.ok());
  const perf::Options& o = r.options;
  CHECK(o.url == "valkey://h:7001/2");
  CHECK(o.tests == std::vector<Test>{Test::mget, Test::incr});
  CHECK(o.concurrency == 8);
  CHECK(o.threads == 2);
  CHECK(o.pipeline == 16);
  CHECK(o.seconds == 2.5);
  CHECK(o.value_size == 100);
  CHECK(o.keyspace == 1000);
  CHECK(o.key_prefix == "absent:");
  CHECK(parse({}).options.key_prefix == "key:");
  CHECK(o.sync);
  CHECK(o.json);
  CHECK(parse({"-n", "42"}).options.requests == 42);
  CHECK(parse({"--seconds=3"}).options.seconds == 3);
  CHECK(parse({"--threads=4", "-c", "4"}).options.threads == 4);
  CHECK(parse({"-h"}).options.help);
  CHECK(parse({}).options.slot_run == 1);
  CHECK(parse({"--cluster", "-u", "valkey://a:1,b:2", "--slot-run", "16"}).options.slot_run == 16);
  CHECK_FALSE(parse({"--slot-run", "16"}).ok());  // no hash tags without --cluster
  CHECK(parse({"--cluster", "-u", "valkey://a:1,b:2", "--slot-run", "0"}).options.slot_run == 0);  // untagged
  CHECK_FALSE(parse({"--cluster", "-u", "valkey://a:1,b:2", "--slot-run", "-1"}).ok());
  CHECK(parse({"--help", "--bogus"}).ok() == false);  // still an error: nothing is ignored
}

TEST_CASE("perf options: --verify means -t incr", "[perf][perf-options]") {
  auto implied = parse({"--verify"});
  REQUIRE(implied.ok());
  CHECK(implied.options.verify);
  CHECK(implied.options.tests == std::vector<Test>{Test::incr});
  CHECK(parse({"--verify", "-t", "incr"}).ok());
  CHECK(fails_with({"--verify", "-t", "get"}, "incr"));
  CHECK(fails_with({"--verify", "-t", "incr,get"}, "incr"));
}

TEST_CASE("perf options: usage errors name the problem", "[perf][perf-options]") {
  CHECK(fails_with({"-x"}, "unknown option -x"));
  CHECK(fails_with({"--sync=1"}, "unknown option"));
  CHECK(fails_with({"get"}, "unexpected argument 'get'"));
  CHECK(fails_with({"-c"}, "-c needs a value"));
  CHECK(fails_with({"-c", "0"}, "-c"));
  CHECK(fails_with({"-c", "12abc"}, "-c"));
  CHECK(fails_with({"-c", "-3"}, "-c"));
  CHECK(fails_with({"-P", "0"}, "-P"));
  CHECK(fails_with({"-n", "0"}, "-n"));
  CHECK(fails_with({"-d", "0"}, "-d"));
  CHECK(fails_with({"--key-prefix", ""}, "--key-prefix"));
  CHECK(fails_with({"--key-prefix", "ninebytes"}, "--key-prefix"));  // the key buffer holds 8
  CHECK(fails_with({"-r", "0"}, "-r"));
  CHECK(fails_with({"-r", "1000000000001"}, "-r"));  // keys hold 12 digits
  CHECK(parse({"-r", "1000000000000"}).ok());
  CHECK(fails_with({"--seconds", "0"}, "--seconds"));
  CHECK(fails_with({"--seconds", "abc"}, "--seconds"));
  CHECK(fails_with({"--seconds", "inf"}, "--seconds"));
  CHECK(fails_with({"-n", "10", "--seconds", "1"}, "exclude each other"));
  CHECK(fails_with({"-t", "get,del"}, "unknown test 'del'"));
  CHECK(fails_with({"-t", "get,"}, "unknown test ''"));
  CHECK(fails_with({"-t", "get,get"}, "listed twice"));
  CHECK(fails_with({"--retry", "0"}, "--retry"));
  CHECK(fails_with({"--retry", "101"}, "--retry"));
  CHECK(parse({"--retry", "5"}).options.retry == 5);
  CHECK(parse({}).options.retry == 0);
  CHECK(fails_with({"--threads", "0"}, "--threads"));
  CHECK(fails_with({"-c", "2", "--threads", "3"}, "must not exceed -c"));
}

TEST_CASE("perf options: a bad URL is a usage error that does not echo it", "[perf][perf-options]") {
  auto r = parse({"-u", "nosuch://user:secret@h"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error.find("-u") != std::string::npos);
  CHECK(r.error.find("secret") == std::string::npos);
}

TEST_CASE("perf options: --key-prefix names the keys of get, set and mget, not incr's counters", "[perf][perf-options]") {
  auto r = parse({"-r", "1000", "--key-prefix", "absent:"});
  REQUIRE(r.ok());
  for (Test t : {Test::get, Test::set, Test::mget}) {
    perf::Workload w{t, r.options, 0, "v", {}};
    const std::string_view k = t == Test::mget ? w.mget().front() : w.key();
    CHECK(k.starts_with("absent:"));
    CHECK(k.size() == 7 + 12);
  }
  perf::Workload incr{Test::incr, r.options, 0, "v", {}};
  CHECK(incr.key().starts_with("counter:"));
  auto plain = parse({"-r", "1000"});
  REQUIRE(plain.ok());
  perf::Workload get{Test::get, plain.options, 0, "v", {}};
  CHECK(get.key().starts_with("key:"));
}

TEST_CASE("perf options: the usage text lists every option", "[perf][perf-options]") {
  const std::string u = perf::usage_text();
  for (const char* opt : {"-u", "-t", "-c", "--threads", "-P", "-n", "--seconds", "-d", "-r", "--key-prefix", "--sync",
                          "--verify", "--json"})
    CHECK(u.find(opt) != std::string::npos);
}
#else
TEST_CASE("perf options: valkey-cpp-perf not configured", "[perf][perf-options]") {
  SKIP("samples/perf is not part of this build (VALKEY_BUILD_SAMPLES=OFF)");
}
#endif
