#include "perf/options.hpp"
#include "perf/keys.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <system_error>

#include <valkey/cluster/cluster_config.hpp>
#include <valkey/config.hpp>
#include <valkey/sentinel/sentinel_config.hpp>

namespace perf {

std::string_view test_name(Test t) noexcept {
  switch (t) {
    case Test::get: return "get";
    case Test::set: return "set";
    case Test::incr: return "incr";
    case Test::mget: return "mget";
  }
  return "?";
}

std::string usage_text() {
  return "usage: valkey-cpp-perf [-u URL] [-t get,set,incr,mget] [-c CONCURRENCY] [--threads N] [-P PIPELINE]\n"
         "                       [-n REQUESTS | --seconds S] [-d VALUE_SIZE] [-r KEYSPACE] [--key-prefix P] [--sync]\n"
         "                       [--verify] [--json] [--cluster] [--slot-run N] [--retry ATTEMPTS]\n"
         "  -u URL         server (default: $VALKEY_URL, else valkey://127.0.0.1:6379), or a\n"
         "                 valkey+sentinel:// URL: the primary found (and followed) through the sentinels\n"
         "  -t TESTS       comma-separated workloads, run one after the other (default: get,set)\n"
         "  -c N           concurrent requesters (default: 50)\n"
         "  --threads N    clients, each with its own I/O thread; requesters are spread over them (default: 1)\n"
         "  -P N           commands per pipeline (default: 1)\n"
         "  -n N           requests per test (default: 100000)\n"
         "  --seconds S    run each test for S seconds instead of -n\n"
         "  -d N           SET value size in bytes (default: 3)\n"
         "  -r N           random keys in [0, N): key: (counter: for incr) and 12 digits; with --cluster\n"
         "                 a hash tag between them, as valkey-benchmark --cluster names its keys\n"
         "                 (key:{a7Q}:000000012345), drawn from the number so that keys spread over every slot\n"
         "                 (default: the one key key:__rand_int__, as valkey-benchmark)\n"
         "  --slot-run N   with --cluster and -r: each requester keeps one key's tag, and so its slot, for N keys\n"
         "                 in a row, as valkey-benchmark --cluster -P N gives a pipeline's keys one slot; 0: keys\n"
         "                 without a tag, as without --cluster (default: 1)\n"
         "  --key-prefix P the keys' prefix instead of key: (1 to 8 bytes), for example one nothing writes,\n"
         "                 so that GETs miss as valkey-benchmark --cluster's do\n"
         "  --sync         requesters are threads sharing a valkey::Client (default: coroutines on a valkey::AsyncClient)\n"
         "  --cluster      -u lists cluster seeds (valkey://h1:p1,h2:p2): every client is a cluster client\n"
         "                 (valkey::AsyncClusterClient, or valkey::ClusterClient with --sync), commands routed by slot\n"
         "  --retry N      resend failed requests when that is safe, up to N attempts (Config::retry with the\n"
         "                 default backoff and budget; a written INCR that got no reply counts as unknown)\n"
         "  --verify       with -t incr: each requester increments its own counter; check none was lost or doubled\n"
         "  --json         print the summary as one JSON object on the last line of stdout\n"
         "exit status: 0 run ended (errors included), 1 --verify found a mismatch, 2 usage, 3 the run could not start (no connection)\n";
}

namespace {

template <class T>
std::optional<T> parse_uint(std::string_view s, T min, T max) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < min || v > max) return std::nullopt;
  return v;
}

std::optional<double> parse_seconds(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v) || v <= 0 || v > 86400 * 7)
    return std::nullopt;
  return v;
}

std::optional<Test> parse_test(std::string_view s) {
  for (Test t : {Test::get, Test::set, Test::incr, Test::mget})
    if (s == test_name(t)) return t;
  return std::nullopt;
}

}  // namespace

ParseResult parse_options(std::span<const std::string_view> args, const char* default_url) {
  ParseResult r;
  Options& o = r.options;
  o.url = default_url && *default_url ? default_url : "valkey://127.0.0.1:6379";
  bool tests_given = false, requests_given = false, slot_run_given = false;

  auto fail = [&](std::string message) {
    r.error = std::move(message);
    return r;
  };

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    // --name=value is the same as --name value
    std::optional<std::string_view> inline_value;
    if (a.starts_with("--")) {
      if (auto eq = a.find('='); eq != std::string_view::npos) {
        inline_value = a.substr(eq + 1);
        a = a.substr(0, eq);
      }
    }
    auto is_flag = [&](std::string_view name) { return a == name; };
    auto value = [&]() -> std::optional<std::string_view> {
      if (inline_value) return inline_value;
      if (i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    auto flag_without_value = [&]() { return !inline_value; };

    if (is_flag("-h") || is_flag("--help")) {
      o.help = true;
    } else if (is_flag("--sync") && flag_without_value()) {
      o.sync = true;
    } else if (is_flag("--cluster") && flag_without_value()) {
      o.cluster = true;
    } else if (is_flag("--verify") && flag_without_value()) {
      o.verify = true;
    } else if (is_flag("--json") && flag_without_value()) {
      o.json = true;
    } else if (is_flag("-u") || is_flag("-t") || is_flag("-c") || is_flag("--threads") || is_flag("-P") ||
               is_flag("-n") || is_flag("--seconds") || is_flag("-d") || is_flag("-r") || is_flag("--retry") ||
               is_flag("--key-prefix") || is_flag("--slot-run")) {
      const std::string name(a);
      auto v = value();
      if (!v) return fail(name + " needs a value");
      if (name == "-u") {
        std::error_code ec;
        if (valkey::SentinelConfig::is_sentinel_url(*v)) valkey::SentinelConfig::from_url(*v, ec);
        else valkey::Config::from_url(*v, ec);
        if (ec) {  // several hosts: a cluster's seeds (checked with --cluster below)
          ec.clear();
          valkey::ClusterConfig::from_url(*v, ec);
        }
        if (ec) return fail("-u: invalid URL");  // the URL may hold a password: not echoed
        o.url = std::string(*v);
      } else if (name == "-t") {
        o.tests.clear();
        tests_given = true;
        std::string_view list = *v;
        while (true) {
          auto comma = list.find(',');
          std::string_view item = list.substr(0, comma);
          auto t = parse_test(item);
          if (!t) return fail("-t: unknown test '" + std::string(item) + "' (get, set, incr, mget)");
          for (Test seen : o.tests)
            if (seen == *t) return fail("-t: '" + std::string(item) + "' listed twice");
          o.tests.push_back(*t);
          if (comma == std::string_view::npos) break;
          list.remove_prefix(comma + 1);
        }
      } else if (name == "-c") {
        auto n = parse_uint<unsigned>(*v, 1, 10000);
        if (!n) return fail("-c: expected a number of requesters in [1, 10000]");
        o.concurrency = *n;
      } else if (name == "--threads") {
        auto n = parse_uint<unsigned>(*v, 1, 256);
        if (!n) return fail("--threads: expected a number in [1, 256]");
        o.threads = *n;
      } else if (name == "-P") {
        auto n = parse_uint<unsigned>(*v, 1, 100000);
        if (!n) return fail("-P: expected a pipeline depth in [1, 100000]");
        o.pipeline = *n;
      } else if (name == "-n") {
        auto n = parse_uint<std::uint64_t>(*v, 1, std::uint64_t{1} << 50);
        if (!n) return fail("-n: expected a positive number of requests");
        o.requests = *n;
        requests_given = true;
      } else if (name == "--seconds") {
        auto s = parse_seconds(*v);
        if (!s) return fail("--seconds: expected a positive duration in seconds (decimals allowed)");
        o.seconds = *s;
      } else if (name == "-d") {
        auto n = parse_uint<std::size_t>(*v, 1, std::size_t{512} << 20);
        if (!n) return fail("-d: expected a value size in [1, 536870912] bytes");
        o.value_size = *n;
      } else if (name == "-r") {
        // key:NNNNNNNNNNNN holds 12 digits
        auto n = parse_uint<std::uint64_t>(*v, 1, 1000000000000ULL);
        if (!n) return fail("-r: expected a keyspace size in [1, 1000000000000]");
        o.keyspace = *n;
      } else if (name == "--key-prefix") {
        // perf::KeyBuffer holds at most max_key_prefix bytes before the digits.
        if (v->empty() || v->size() > max_key_prefix)
          return fail("--key-prefix: expected 1 to " + std::to_string(max_key_prefix) + " bytes");
        o.key_prefix = std::string(*v);
      } else if (name == "--slot-run") {
        auto n = parse_uint<unsigned>(*v, 0, 100000);
        if (!n) return fail("--slot-run: expected a number of keys in [0, 100000]");
        o.slot_run = *n;
        slot_run_given = true;
      } else if (name == "--retry") {
        auto n = parse_uint<unsigned>(*v, 1, 100);
        if (!n) return fail("--retry: expected a number of attempts in [1, 100]");
        o.retry = *n;
      }
    } else if (a.starts_with("-")) {
      return fail("unknown option " + std::string(args[i]));
    } else {
      return fail("unexpected argument '" + std::string(a) + "'");
    }
  }

  if (o.help) return r;
  {
    std::error_code ec;
    if (o.cluster) {
      if (valkey::SentinelConfig::is_sentinel_url(o.url)) return fail("--cluster takes seed URLs, not a sentinel URL");
      valkey::ClusterConfig::from_url(o.url, ec);
      if (ec) return fail("-u: invalid cluster URL");
    } else if (!valkey::SentinelConfig::is_sentinel_url(o.url)) {
      const valkey::ClusterConfig seeds = valkey::ClusterConfig::from_url(o.url, ec);
      if (!ec && seeds.seeds.size() > 1) return fail("-u: a URL with several hosts needs --cluster");
    }
  }
  if (requests_given && o.seconds > 0) return fail("-n and --seconds exclude each other");
  if (slot_run_given && !o.cluster) return fail("--slot-run needs --cluster (keys carry no hash tag without it)");
  if (o.threads > o.concurrency) return fail("--threads must not exceed -c (each client needs a requester)");
  if (o.verify) {
    if (!tests_given) o.tests = {Test::incr};
    if (o.tests.size() != 1 || o.tests[0] != Test::incr) return fail("--verify works with -t incr only");
  }
  return r;
}

}  // namespace perf
