// MOVED / ASK parsing (addresses in every form the server writes, malformed
// input refused) and the classification of retryable cluster errors.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include <valkey/cluster/redirect.hpp>

#include "../../runtime/src/detail/url_text.hpp"

namespace vc = valkey::cluster;
using vc::ClusterError;
using vc::Redirect;

namespace {
Redirect parsed(std::string_view m) {
  Redirect r;
  std::string_view why;
  INFO(m);
  REQUIRE(vc::parse_redirect(m, r, &why));
  return r;
}
std::string_view refused(std::string_view m) {
  Redirect r;
  r.port = 4242;
  std::string_view why;
  INFO(m);
  CHECK_FALSE(vc::parse_redirect(m, r, &why));
  CHECK(r.port == 4242);  // untouched on failure
  CHECK_FALSE(why.empty());
  return why;
}
}  // namespace

TEST_CASE("cluster redirect: MOVED and ASK with IPv4, IPv6 and host names", "[cluster]") {
  auto m = parsed("MOVED 3999 127.0.0.1:6381");
  CHECK(m.kind == Redirect::Kind::moved);
  CHECK(m.slot == 3999);
  CHECK(m.host == "127.0.0.1");
  CHECK(m.port == 6381);
  auto a = parsed("ASK 0 127.0.0.1:7000");
  CHECK(a.kind == Redirect::Kind::ask);
  CHECK(a.slot == 0);
  auto v6 = parsed("MOVED 16383 [::1]:7000");
  CHECK(v6.slot == 16383);
  CHECK(v6.host == "::1");
  CHECK(v6.port == 7000);
  auto bare = parsed("ASK 12 ::1:7000");
  CHECK(bare.host == "::1");
  CHECK(bare.port == 7000);
  auto full = parsed("MOVED 5 2001:db8::2:1:65535");
  CHECK(full.host == "2001:db8::2:1");
  CHECK(full.port == 65535);
  auto name = parsed("MOVED 100 node-3.cache.example.com:6379");
  CHECK(name.host == "node-3.cache.example.com");
  // Empty host: the node has no known endpoint; same host as the request.
  auto same = parsed("MOVED 3999 :6381");
  CHECK(same.host.empty());
  CHECK(same.port == 6381);
  // As valkey-server 9.1.2 writes it with host names preferred but none set.
  auto unset = parsed("MOVED 12182 ?:27101");
  CHECK(unset.host.empty());
  CHECK(unset.port == 27101);
}

TEST_CASE("cluster redirect: malformed redirects are refused", "[cluster]") {
  refused("MOVED");
  refused("MOVED 3999");
  refused("MOVED 3999 ");
  CHECK(refused("MOVED 16384 127.0.0.1:7000").find("slot") != std::string_view::npos);
  refused("MOVED 99999999999 127.0.0.1:7000");
  refused("MOVED -1 127.0.0.1:7000");
  refused("MOVED +1 127.0.0.1:7000");
  refused("MOVED 1a 127.0.0.1:7000");
  refused("MOVED  3999 127.0.0.1:7000");  // two spaces: empty slot
  CHECK(refused("MOVED 1 127.0.0.1:0").find("port") != std::string_view::npos);
  refused("MOVED 1 127.0.0.1:65536");
  refused("MOVED 1 127.0.0.1:-5");
  refused("MOVED 1 127.0.0.1:7000x");
  CHECK(refused("MOVED 1 127.0.0.1").find("port") != std::string_view::npos);
  refused("MOVED 1 127.0.0.1:");
  refused("MOVED 1 [::1]");
  refused("MOVED 1 [::1]7000");
  refused("MOVED 1 [::1:7000");
  refused("MOVED 1 []:7000");
  refused("MOVED 1 127.0.0.1:7000 extra");
  refused("MOVED 1 bad\thost:7000");
  refused("MOVED 1 " + std::string(300, 'h') + ":7000");
  refused("ASKING 1 127.0.0.1:7000");
  refused("moved 1 127.0.0.1:7000");
  refused("ERR something");
  refused("");
}

TEST_CASE("cluster redirect: host:port splitting", "[cluster]") {
  std::string_view h;
  std::uint16_t p = 0;
  REQUIRE(vc::parse_host_port("localhost:6379", h, p));
  CHECK(h == "localhost");
  CHECK(p == 6379);
  REQUIRE(vc::parse_host_port("[fe80::1]:1", h, p));
  CHECK(h == "fe80::1");
  CHECK(p == 1);
  CHECK_FALSE(vc::parse_host_port("localhost", h, p));
  CHECK_FALSE(vc::parse_host_port("localhost:00000000", h, p));
  // The names the router keys its node connections by, and their way back.
  using valkey::detail::host_port;
  CHECK(host_port("127.0.0.1", 7000) == "127.0.0.1:7000");
  CHECK(host_port("node-1.example", 0) == "node-1.example:0");
  CHECK(host_port("::1", 65535) == "[::1]:65535");
  for (int n : {1, 9, 10, 6379, 65535}) {
    const auto port = static_cast<std::uint16_t>(n);
    const std::string name = host_port("fe80::1", port);
    REQUIRE(vc::parse_host_port(name, h, p));
    CHECK(h == "fe80::1");
    CHECK(p == port);
  }
}

TEST_CASE("cluster redirect: retryable cluster conditions by prefix", "[cluster]") {
  CHECK(vc::classify_error("MOVED 1 h:1") == ClusterError::moved);
  CHECK(vc::classify_error("ASK 1 h:1") == ClusterError::ask);
  CHECK(vc::classify_error("TRYAGAIN Multiple keys request during rehashing of slot") == ClusterError::tryagain);
  CHECK(vc::classify_error("CLUSTERDOWN The cluster is down") == ClusterError::clusterdown);
  CHECK(vc::classify_error("CLUSTERDOWN") == ClusterError::clusterdown);
  CHECK(vc::classify_error("LOADING Valkey is loading the dataset in memory") == ClusterError::loading);
  CHECK(vc::classify_error("MASTERDOWN Link with MASTER is down") == ClusterError::masterdown);
  CHECK(vc::classify_error("READONLY You can't write against a read only replica.") == ClusterError::readonly);
  CHECK(vc::classify_error("ERR wrong number of arguments") == ClusterError::none);
  CHECK(vc::classify_error("CROSSSLOT Keys in request don't hash to the same slot") == ClusterError::none);
  CHECK(vc::classify_error("MOVEDX 1 h:1") == ClusterError::none);
  CHECK(vc::classify_error("") == ClusterError::none);
  CHECK(vc::to_string(ClusterError::tryagain) == "TRYAGAIN");
}

TEST_CASE("cluster redirect: randomly damaged redirects parse to valid values or fail", "[cluster]") {
  const std::string seeds[] = {"MOVED 3999 127.0.0.1:6381", "ASK 16383 [::1]:7000", "MOVED 0 ::1:1",
                               "MOVED 12 node-1.example.com:65535"};
  const std::string alphabet = "0123456789:[] .-MOVEDASKx?\t";
  std::mt19937 rng(7);
  int ok = 0, failed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[static_cast<std::size_t>(i) % std::size(seeds)];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const std::size_t at = rng() % s.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: s[at] = c; break;
        case 1: s.insert(s.begin() + static_cast<long>(at), c); break;
        default: s.erase(at, 1); break;
      }
    }
    Redirect r;
    std::string_view why;
    if (vc::parse_redirect(s, r, &why)) {
      ++ok;
      CHECK(r.slot < 16384);
      CHECK(r.port >= 1);
      CHECK(r.host.find(' ') == std::string_view::npos);
      CHECK(r.host.find('[') == std::string_view::npos);
    } else {
      ++failed;
      CHECK_FALSE(why.empty());
    }
  }
  CHECK(ok > 1000);
  CHECK(failed > 1000);
}
