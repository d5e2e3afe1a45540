// The cluster client against scripted fake nodes: a MOVED loop between two
// nodes ends with too_many_redirects, a MOVED to a replica promotes it for
// the shard's next requests, endless TRYAGAIN / CLUSTERDOWN end
// within the retry budget, a redirect that does not parse is never followed,
// dead seeds fail the first request within the connect timeout, a slot
// owner whose handshake fails gives the request the server's words, and a
// summed fan-out one node fails keeps the others' partial figure, a
// one_succeeded command (SCRIPT KILL) succeeds if one node did, and a command
// the generated table does not know is routed by the server's COMMAND INFO.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>

#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/slot.hpp>
#include <valkey/pipeline.hpp>
#include <valkey/transaction.hpp>

#include "client_test_util.hpp"
#include "support/command_reader.hpp"

using namespace std::chrono_literals;
using asio::ip::tcp;

namespace {

// A node that answers by script; counts the commands it received by name.
class FakeNode {
 public:
  using Respond = std::function<std::string(const std::vector<std::string>& args)>;
  // A Respond answer "<close>" closes the connection without a reply;
  // kCutOff + bytes writes those bytes, then closes.
  static constexpr std::string_view kCutOff = "<cut-off>";

  FakeNode() : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  ~FakeNode() {
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void start(Respond r) {
    respond_ = std::move(r);
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  int count(const std::string& name) {
    std::lock_guard<std::mutex> lock(m_);
    int n = 0;
    for (const auto& c : seen_)
      if (c == name) ++n;
    return n;
  }

  // CLUSTER SHARDS unknown (the client falls back to CLUSTER SLOTS); CLUSTER
  // SLOTS: every slot at `owner`.
  static std::string standard(const std::vector<std::string>& a, int owner) {
    if (a[0] == "HELLO") return "%1\r\n$5\r\nproto\r\n:3\r\n";
    if (a[0] == "PING") return "+PONG\r\n";
    if (a[0] == "CLUSTER" && a.size() > 1 && a[1] == "SLOTS")
      return "*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:" + std::to_string(owner) + "\r\n";
    if (a[0] == "CLUSTER") return "-ERR unknown subcommand\r\n";
    if (a[0] == "CLIENT" || a[0] == "SELECT" || a[0] == "AUTH" || a[0] == "ASKING") return "+OK\r\n";
    return {};
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket s = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::co_spawn(ioc_, session(std::move(s)), asio::detached);
    }
  }
  asio::awaitable<void> session(tcp::socket s) {
    std::string buf;
    char chunk[4096];
    try {
      for (;;) {
        std::size_t n = co_await s.async_read_some(asio::buffer(chunk), asio::use_awaitable);
        buf.append(chunk, n);
        std::vector<std::string> args;
        while (valkey::test::take_command(buf, args)) {
          {
            std::lock_guard<std::mutex> lock(m_);
            seen_.push_back(args[0] == "CLUSTER" && args.size() > 1 ? args[0] + " " + args[1] : args[0]);
          }
          std::string out = respond_(args);
          if (out == "<close>") {
            s.close();
            co_return;
          }
          if (out.starts_with(kCutOff)) {  // the start of a reply, then the connection drops
            co_await asio::async_write(s, asio::buffer(out.substr(kCutOff.size())), asio::use_awaitable);
            s.close();
            co_return;
          }
          if (!out.empty()) co_await asio::async_write(s, asio::buffer(out), asio::use_awaitable);
        }
      }
    } catch (const std::exception&) {
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  Respond respond_;
  std::mutex m_;
  std::vector<std::string> seen_;
};

// The client on its own io_context; at the end the client is closed and the
// io_context runs until the closing finished (pending requests, topology
// queries and connections complete on it).
struct Harness {
  asio::io_context ioc;
  std::optional<valkey::AsyncClusterClient> c;
  explicit Harness(valkey::ClusterConfig cfg) { c.emplace(ioc.get_executor(), std::move(cfg)); }
  // One asynchronous GET of `key`, run to completion: its error and diagnostics.
  struct Outcome {
    std::error_code ec;
    valkey::Diagnostics diag;
  };
  Outcome get(std::string_view key) {
    Outcome out;
    bool done = false;
    c->get(key, out.diag, [&](std::error_code ec, std::optional<std::string>) {
      out.ec = ec;
      done = true;
    });
    REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 10s));
    return out;
  }
  ~Harness() {
    c.reset();
    ioc.restart();
    ioc.run_for(std::chrono::seconds(3));
  }
};

// CLUSTER SLOTS of two primaries: slots 0-8191 at port `a`, the rest at `b`.
std::string two_shard_slots(int a, int b) {
  return "*2\r\n*3\r\n:0\r\n:8191\r\n*2\r\n$9\r\n127.0.0.1\r\n:" + std::to_string(a) +
         "\r\n*3\r\n:8192\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:" + std::to_string(b) + "\r\n";
}

// COMMAND INFO of a module's read command, MOD.GET, with one key at argv[1].
const std::string kModGetInfo =
    "*1\r\n*10\r\n$7\r\nmod.get\r\n:2\r\n*1\r\n+readonly\r\n:1\r\n:1\r\n:1\r\n*1\r\n+@read\r\n*0\r\n*1\r\n"
    "*6\r\n$5\r\nflags\r\n*1\r\n+RO\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"
    "*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n"
    "$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

// A key (`prefix` + a number) whose slot is in [first, last].
std::string key_in_slots(int first, int last, const std::string& prefix = "mod:") {
  for (int i = 0;; ++i) {
    std::string k = prefix + std::to_string(i);
    const int slot = valkey::cluster::hash_slot(k);
    if (slot >= first && slot <= last) return k;
  }
}

// A node of `slots` that has a module command: MOD.GET answers the node's
// `name`, COMMAND INFO describes it (and answers null for other names),
// NOPE.CMD is an unknown command, and a transaction of one command is
// queued and its EXEC answers as MOD.GET would.
FakeNode::Respond module_node(std::string slots, std::string name) {
  auto in_multi = std::make_shared<bool>(false);  // the node's thread only
  return [slots = std::move(slots), name = std::move(name), in_multi](const std::vector<std::string>& args) {
    const std::string value = "$" + std::to_string(name.size()) + "\r\n" + name + "\r\n";
    if (args[0] == "CLUSTER" && args.size() > 1 && args[1] == "SLOTS") return slots;
    if (args[0] == "COMMAND" && args.size() == 3 && args[1] == "INFO")
      return args[2] == "MOD.GET" ? kModGetInfo : std::string("*1\r\n_\r\n");
    if (args[0] == "MULTI") {
      *in_multi = true;
      return std::string("+OK\r\n");
    }
    if (args[0] == "EXEC") {
      *in_multi = false;
      return "*1\r\n" + value;
    }
    if (*in_multi) return std::string("+QUEUED\r\n");
    if (args[0] == "MOD.GET" || args[0] == "mod.get") return value;
    if (args[0] == "NOPE.CMD") return std::string("-ERR unknown command 'NOPE.CMD'\r\n");
    return FakeNode::standard(args, 0);
  };
}

// A node of every slot that answers "ok" to every command but INCR, at
// which it drops the connection unanswered.
FakeNode::Respond drops_at_incr(int port) {
  return [port](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, port); !s.empty()) return s;
    if (args[0] == "INCR") return std::string("<close>");
    return std::string("$2\r\nok\r\n");
  };
}

valkey::ClusterConfig config_for(int seed_port) {
  valkey::ClusterConfig c;
  c.seeds.push_back({"127.0.0.1", static_cast<std::uint16_t>(seed_port)});
  c.node.reconnect.initial_delay = 10ms;
  c.node.reconnect.max_delay = 50ms;
  c.node.request_timeout = 5s;
  c.min_refresh_interval = 20ms;
  return c;
}

}  // namespace

TEST_CASE("cluster client: a MOVED loop between two nodes fails with too_many_redirects after max_redirects",
          "[cluster][cluster-faults]") {
  FakeNode a, b;
  const int pa = a.port(), pb = b.port();
  a.start([pa, pb](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    return "-MOVED 866 127.0.0.1:" + std::to_string(pb) + "\r\n";
  });
  b.start([pa](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    return "-MOVED 866 127.0.0.1:" + std::to_string(pa) + "\r\n";
  });
  Harness h{config_for(pa)};
  auto& c = *h.c;
  auto [got, diag] = h.get("loop");
  CHECK(got == valkey::errc::too_many_redirects);
  CHECK(diag.message.find("MOVED 866") != std::string::npos);
  const auto s = c.stats();
  CHECK(s.moved == 5);
  CHECK(s.redirect_limits_hit == 1);
  // Refreshes are single-flight and rate-limited: the bootstrap and a few at most.
  CHECK(s.refreshes <= 4);
  // The initial send plus five redirections: six GETs in all.
  CHECK(a.count("GET") + b.count("GET") == 6);
}

TEST_CASE("cluster client: a MOVED to the shard's replica promotes it, and the shard's next requests go there at once",
          "[cluster][cluster-faults]") {
  // One shard: a primary, b its replica. a answers every GET with a MOVED
  // to b (a failover the topology does not show yet); topology queries after
  // the bootstrap go unanswered, so only the MOVED can tell the client.
  FakeNode a, b;
  const int pa = a.port(), pb = b.port();
  const std::string one_shard = "*1\r\n*4\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:" + std::to_string(pa) +
                                "\r\n*2\r\n$9\r\n127.0.0.1\r\n:" + std::to_string(pb) + "\r\n";
  auto described = std::make_shared<std::atomic<bool>>(false);
  auto topology = [one_shard, described](const std::vector<std::string>& args) -> std::optional<std::string> {
    if (args[0] != "CLUSTER" || args.size() < 2 || args[1] != "SLOTS") return std::nullopt;
    return described->exchange(true) ? std::string() : one_shard;
  };
  a.start([pa, pb, topology](const std::vector<std::string>& args) {
    if (auto t = topology(args)) return *t;
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    const int slot = valkey::cluster::hash_slot(args.size() > 1 ? args[1] : std::string());
    return "-MOVED " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(pb) + "\r\n";
  });
  b.start([pa, topology](const std::vector<std::string>& args) {
    if (auto t = topology(args)) return *t;
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    return std::string("$1\r\nb\r\n");
  });
  Harness h{config_for(pa)};
  CHECK_FALSE(h.get("promote:1").ec);
  CHECK(h.c->stats().moved == 1);
  // Another key of the shard, and the first one again: straight to b, which
  // the MOVED made the shard's primary.
  CHECK_FALSE(h.get("promote:2").ec);
  CHECK_FALSE(h.get("promote:1").ec);
  CHECK(h.c->stats().moved == 1);
  CHECK(a.count("GET") == 1);
  CHECK(b.count("GET") == 3);
}

TEST_CASE("cluster client: an ASK loop also stops at max_redirects, ASKING sent with each attempt",
          "[cluster][cluster-faults]") {
  FakeNode a, b;
  const int pa = a.port(), pb = b.port();
  a.start([pa, pb](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    return "-ASK 866 127.0.0.1:" + std::to_string(pb) + "\r\n";
  });
  b.start([pa](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    return "-ASK 866 127.0.0.1:" + std::to_string(pa) + "\r\n";
  });
  auto cfg = config_for(pa);
  cfg.max_redirects = 3;
  Harness h{cfg};
  auto& c = *h.c;
  auto& ioc = h.ioc;
  std::error_code got;
  bool done = false;
  c.get("loop", [&](std::error_code ec, std::optional<std::string>) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::too_many_redirects);
  CHECK(c.stats().ask == 3);
  CHECK(a.count("ASKING") + b.count("ASKING") == 3);
  CHECK(c.stats().moved == 0);
}

TEST_CASE("cluster client: endless TRYAGAIN and CLUSTERDOWN end after the retry budget",
          "[cluster][cluster-faults]") {
  FakeNode a;
  const int pa = a.port();
  a.start([pa](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    if (args[0] == "GET") return std::string("-TRYAGAIN Multiple keys request during rehashing of slot\r\n");
    return std::string("-CLUSTERDOWN The cluster is down\r\n");
  });
  auto cfg = config_for(pa);
  cfg.max_retries = 3;
  Harness h{cfg};
  auto& c = *h.c;
  auto& ioc = h.ioc;
  // Named variables, not a structured binding: the lambda below captures
  // them, which clang 14 does not allow for bindings.
  auto first = h.get("k");
  std::error_code got = first.ec;
  valkey::Diagnostics diag = first.diag;
  bool done = false;
  CHECK(got == valkey::errc::server_error);
  CHECK(diag.prefix() == "TRYAGAIN");
  CHECK(c.stats().retries == 3);
  CHECK(a.count("GET") == 4);

  done = false;
  c.set("k", "v", diag, [&](std::error_code ec, auto) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::cluster_down);
  CHECK(diag.message.find("CLUSTERDOWN") != std::string::npos);
  CHECK(c.stats().retries == 6);
  CHECK(a.count("SET") == 4);
}

TEST_CASE("cluster client: ClusterConfig::retry_budget caps the retries all requests make together",
          "[cluster][cluster-faults]") {
  FakeNode a;
  const int pa = a.port();
  a.start([pa](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    return std::string("-CLUSTERDOWN The cluster is down\r\n");
  });
  auto cfg = config_for(pa);
  cfg.max_retries = 3;
  // Long enough that every first answer is in before any retry goes out.
  cfg.retry_initial_delay = 20ms;
  cfg.retry_max_delay = 40ms;
  // Nothing per request sent, 0.5 per second over 10 s: five retries in all.
  cfg.retry_budget = valkey::policy::RetryBudget{.ratio = 0, .per_second = 0.5, .window = 10s};
  Harness h{cfg};
  auto& c = *h.c;
  constexpr int kRequests = 10;
  int done = 0;
  std::vector<std::error_code> got(kRequests);
  std::vector<valkey::Diagnostics> diags(kRequests);
  for (int i = 0; i < kRequests; ++i)
    c.get("k" + std::to_string(i), diags[static_cast<std::size_t>(i)],
          [&, i](std::error_code ec, std::optional<std::string>) {
            got[static_cast<std::size_t>(i)] = ec;
            ++done;
          });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done == kRequests; }, 10s));
  // Without the budget each request would retry 3 times (30 in all).
  CHECK(c.stats().retries == 5);
  CHECK(a.count("GET") == kRequests + 5);
  CHECK(c.stats().retry_budget_exhausted == kRequests);  // each request's last retry was refused
  int spent = 0;
  for (int i = 0; i < kRequests; ++i) {
    CHECK(got[static_cast<std::size_t>(i)] == valkey::errc::cluster_down);
    if (diags[static_cast<std::size_t>(i)].message.find("retry_budget is spent") != std::string::npos) ++spent;
  }
  CHECK(spent == kRequests);

  // A budget out of range is refused when the client is made.
  auto bad = config_for(pa);
  bad.retry_budget = valkey::policy::RetryBudget{.ratio = 2};
  asio::io_context ioc;
  try {
    valkey::AsyncClusterClient refused{ioc.get_executor(), bad};
    FAIL("a retry budget with ratio 2 was accepted");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::invalid_argument);
    CHECK(std::string(e.what()).find("ClusterConfig.retry_budget") != std::string::npos);
  }
}

TEST_CASE("cluster client: zones a topology leaves out come from each node's HELLO, and az_affinity reads use them",
          "[cluster][cluster-faults]") {
  // Valkey 8.1: availability-zone is in HELLO, not in CLUSTER SLOTS/SHARDS.
  FakeNode p, r1, r2;
  const int pp = p.port(), p1 = r1.port(), p2 = r2.port();
  auto node = [&](std::string name, std::string zone) {
    return [=](const std::vector<std::string>& args) -> std::string {
      if (args[0] == "HELLO")
        return "%2\r\n$5\r\nproto\r\n:3\r\n$17\r\navailability_zone\r\n$" + std::to_string(zone.size()) +
               "\r\n" + zone + "\r\n";
      if (args[0] == "CLUSTER" && args.size() > 1 && args[1] == "SLOTS") {
        std::string out = "*1\r\n*5\r\n:0\r\n:16383\r\n";
        for (int port : {pp, p1, p2}) out += "*2\r\n$9\r\n127.0.0.1\r\n:" + std::to_string(port) + "\r\n";
        return out;
      }
      if (args[0] == "READONLY") return "+OK\r\n";
      if (auto s = FakeNode::standard(args, pp); !s.empty()) return s;
      if (args[0] == "GET") return "$" + std::to_string(name.size()) + "\r\n" + name + "\r\n";
      return "-ERR unexpected\r\n";
    };
  };
  p.start(node("primary", "az-0"));
  r1.start(node("replica-1", "az-1"));
  r2.start(node("replica-2", "az-2"));
  auto cfg = config_for(pp);
  cfg.read_from = valkey::ReadFrom::az_affinity;
  cfg.client_az = "az-2";
  Harness h{cfg};
  auto& c = *h.c;
  REQUIRE(h.get("warm").ec == std::error_code{});  // the topology is in
  // The replicas are connected when the map is adopted, to learn their zones.
  REQUIRE(valkey::test::run_until(
      h.ioc,
      [&] {
        for (const auto& n : c.nodes())
          if (n.address == "127.0.0.1:" + std::to_string(p2) && n.zone == "az-2") return true;
        return false;
      },
      10s));
  const int before1 = r1.count("GET"), before_p = p.count("GET");
  for (int i = 0; i < 20; ++i) {
    std::optional<std::string> v;
    bool done = false;
    c.get("k" + std::to_string(i), [&](std::error_code ec, std::optional<std::string> got) {
      REQUIRE_FALSE(ec);
      v = std::move(got);
      done = true;
    });
    REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
    CHECK(v == "replica-2");
  }
  CHECK(r1.count("GET") == before1);
  CHECK(p.count("GET") == before_p);
  for (const auto& n : c.nodes()) {
    if (n.address == "127.0.0.1:" + std::to_string(p1)) CHECK(n.zone == "az-1");
    if (n.address == "127.0.0.1:" + std::to_string(pp)) CHECK(n.primary);
  }
}

TEST_CASE("cluster client: a redirect to an address that does not parse is not followed",
          "[cluster][cluster-faults]") {
  FakeNode a;
  const int pa = a.port();
  a.start([pa](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    return std::string("-MOVED 99999 127.0.0.1:0\r\n");
  });
  Harness h{config_for(pa)};
  auto [got, diag] = h.get("k");
  CHECK(got == valkey::errc::server_error);
  CHECK(diag.prefix() == "MOVED");
  CHECK(h.c->stats().moved == 0);
  CHECK(a.count("GET") == 1);
}

TEST_CASE("cluster client: dead seeds fail the first request within the connect timeout",
          "[cluster][cluster-faults]") {
  // Ports from closed listeners: nothing accepts there.
  int dead1 = 0, dead2 = 0;
  {
    asio::io_context tmp;
    tcp::acceptor x(tmp, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::acceptor y(tmp, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    dead1 = x.local_endpoint().port();
    dead2 = y.local_endpoint().port();
  }
  auto cfg = config_for(dead1);
  cfg.seeds.push_back({"127.0.0.1", static_cast<std::uint16_t>(dead2)});
  cfg.node.connect_timeout = 500ms;
  cfg.bootstrap_timeout = 1s;
  Harness h{cfg};
  const auto start = std::chrono::steady_clock::now();
  auto [got, diag] = h.get("k");
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  CHECK(got == valkey::errc::not_connected);
  CHECK(diag.message.find("no seed node") != std::string::npos);
}

TEST_CASE("cluster client: a slot owner whose handshake fails gives the request the server's words",
          "[cluster][cluster-faults]") {
  FakeNode a, b;  // the seed says every slot is at b, whose HELLO is refused
  const int pb = b.port();
  a.start([pb](const std::vector<std::string>& args) { return FakeNode::standard(args, pb); });
  b.start([pb](const std::vector<std::string>& args) {
    if (args[0] == "HELLO") return std::string("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    return FakeNode::standard(args, pb);
  });
  auto cfg = config_for(a.port());
  cfg.node.request_timeout = 2s;
  Harness h{cfg};
  const auto start = std::chrono::steady_clock::now();
  auto [got, diag] = h.get("k");
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  INFO(got.message() << " | " << diag.message << " | " << diag.server_message);
  REQUIRE(got);
  CHECK(diag.endpoint == "127.0.0.1:" + std::to_string(pb));
  // The node connection's own reason, carried from the router's part to the caller.
  CHECK(diag.server_message.find("WRONGPASS") != std::string::npos);
  CHECK(b.count("GET") == 0);
}

TEST_CASE("cluster client: a write whose connection dropped after it was written is not resent",
          "[cluster][cluster-faults]") {
  FakeNode a;
  const int pa = a.port();
  a.start(drops_at_incr(pa));
  Harness h{config_for(pa)};
  auto& c = *h.c;
  std::error_code got;
  bool done = false;
  c.incr("counter", [&](std::error_code ec, std::int64_t) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::connection_lost);
  // The node and the client carry on; the INCR was sent exactly once.
  std::optional<std::string> v;
  c.get("k", [&](std::error_code ec, std::optional<std::string> r) {
    CHECK_FALSE(ec);
    v = r.value_or("(nil)");
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return v.has_value(); }, 10s));
  CHECK(*v == "ok");
  CHECK(a.count("INCR") == 1);
}

TEST_CASE("cluster client: the periodic check asks one node and refreshes only on a change",
          "[cluster][cluster-faults]") {
  FakeNode a;
  const int pa = a.port();
  a.start([pa](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    return std::string("$2\r\nok\r\n");
  });
  auto cfg = config_for(pa);
  cfg.topology_check_interval = 100ms;
  Harness h{cfg};
  auto& c = *h.c;
  bool done = false;
  c.get("k", [&](std::error_code ec, std::optional<std::string>) {
    CHECK_FALSE(ec);
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  // Let several checks run.
  valkey::test::run_until(h.ioc, [&] { return a.count("CLUSTER SLOTS") >= 4; }, 5s);
  CHECK(a.count("CLUSTER SLOTS") >= 4);
  const auto s = c.stats();
  CHECK(s.refreshes == 1);  // the bootstrap: every check saw the same view
  CHECK(s.moved == 0);
}

TEST_CASE("cluster client: TRYAGAIN backoff stops at the request deadline", "[cluster][cluster-faults]") {
  FakeNode a;
  const int pa = a.port();
  a.start([pa](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    return std::string("-TRYAGAIN Multiple keys request during rehashing of slot\r\n");
  });
  auto cfg = config_for(pa);
  cfg.node.request_timeout = 200ms;
  cfg.max_retries = 1000;
  Harness h{cfg};
  auto& c = *h.c;
  std::error_code got;
  bool done = false;
  const auto start = std::chrono::steady_clock::now();
  c.get("k", [&](std::error_code ec, std::optional<std::string>) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  // Well before 1000 doublings capped at 500 ms: the deadline ended it.
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(got == valkey::errc::server_error);
  CHECK(c.stats().retries < 20);
  CHECK(c.stats().retries >= 2);
}

TEST_CASE("cluster client: use_awaitable throws the error the synchronous API would", "[cluster][cluster-faults]") {
  FakeNode a;
  const int pa = a.port();
  a.start([pa](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    if (args[0] == "GET") return std::string("$5\r\nvalue\r\n");
    return std::string("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  });
  Harness h{config_for(pa)};
  auto& c = *h.c;
  std::optional<std::string> v;
  std::string cross, wrongtype;
  bool done = false;
  asio::co_spawn(
      h.ioc,
      [&]() -> asio::awaitable<void> {
        v = co_await c.get("k", asio::use_awaitable);
        try {
          co_await c.rename("a", "b", asio::use_awaitable);
        } catch (const valkey::Error& e) {
          cross = e.what();
        }
        try {
          co_await c.incr("k", asio::use_awaitable);
        } catch (const valkey::ServerError& e) {
          wrongtype = e.prefix();
        }
        done = true;
      },
      asio::detached);
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  CHECK(v == "value");
  CHECK(cross.find("keys in different cluster slots") != std::string::npos);
  CHECK(wrongtype == "WRONGTYPE");

  // use_future: the value, or the exception.
  auto ready = [](auto& f) { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; };
  auto good = c.get("k", asio::use_future);
  auto bad = c.incr("k", asio::use_future);
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return ready(good) && ready(bad); }, 10s));
  CHECK(good.get() == "value");
  CHECK_THROWS_AS(bad.get(), valkey::ServerError);
}

TEST_CASE("cluster client: a hostile CLUSTER SLOTS reply during a refresh is rejected and the map kept",
          "[cluster][cluster-faults]") {
  FakeNode a;
  const int pa = a.port();
  std::atomic<bool> hostile{false};
  std::atomic<int> gets{0};
  a.start([&, pa](const std::vector<std::string>& args) {
    if (hostile && args[0] == "CLUSTER" && args.size() > 1 && args[1] == "SLOTS")
      return std::string("*1\r\n*3\r\n:0\r\n:20000\r\n*2\r\n$9\r\n127.0.0.1\r\n:0\r\n");  // out of range, port 0
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    if (args[0] == "GET" && gets++ == 0) return std::string("-CLUSTERDOWN The cluster is down\r\n");
    return std::string("$2\r\nok\r\n");
  });
  Harness h{config_for(pa)};
  auto& c = *h.c;
  bool first = false;
  c.ping([&](std::error_code ec, auto) {
    CHECK_FALSE(ec);
    first = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return first; }, 10s));
  hostile = true;
  const auto queries = c.stats().refresh_queries;
  // CLUSTERDOWN starts a refresh, which gets the hostile view; the retry
  // still goes to the node of the map the client kept.
  std::optional<std::string> v;
  c.get("k", [&](std::error_code ec, std::optional<std::string> r) {
    CHECK_FALSE(ec);
    v = r.value_or("(nil)");
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return v.has_value(); }, 10s));
  CHECK(*v == "ok");
  valkey::test::run_until(h.ioc, [&] { return c.stats().refresh_queries > queries + 1; }, 2s);
  CHECK(c.stats().refresh_queries > queries);
  const auto nodes = c.nodes();
  REQUIRE(nodes.size() == 1);
  CHECK(nodes[0].address == "127.0.0.1:" + std::to_string(pa));
  REQUIRE(nodes[0].slots.size() == 1);
  CHECK(nodes[0].slots[0].last == 16383);
}

// ---- resilience policies (Config::retry, Config::circuit_breaker on ClusterConfig::node)

TEST_CASE("cluster client: without a policy a dropped write fails with connection_lost, outcome sent_no_reply",
          "[cluster][cluster-faults][policy]") {
  FakeNode a;
  const int pa = a.port();
  a.start(drops_at_incr(pa));
  Harness h{config_for(pa)};
  std::error_code got;
  valkey::Diagnostics diag;
  bool done = false;
  h.c->incr("counter", diag, [&](std::error_code ec, std::int64_t) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::connection_lost);
  CHECK(diag.outcome == valkey::policy::Outcome::sent_no_reply);
  // Refused before anything was sent: not_sent.
  done = false;
  h.c->call({"RENAME", "a", "b"}, diag, [&](std::error_code ec, valkey::Reply) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::cross_slot);
  CHECK(diag.outcome == valkey::policy::Outcome::not_sent);
  CHECK(a.count("INCR") == 1);
}

TEST_CASE("cluster client: a batch whose node drops after its first reply fails with connection_lost, sent_no_reply",
          "[cluster][cluster-faults][policy]") {
  // The batch's three commands go to the node as one request; the node
  // answers the first and drops the connection at the second. The second
  // was written and may have run: the batch says so, and nothing is resent.
  FakeNode a;
  const int pa = a.port();
  a.start(drops_at_incr(pa));
  Harness h{config_for(pa)};
  valkey::Batch<valkey::AsyncClusterClient> batch{*h.c};
  batch.call({"GET", "a"}).call({"INCR", "b"}).call({"GET", "c"});
  std::error_code got;
  valkey::Diagnostics diag;
  bool done = false;
  batch.exec(diag, [&](std::error_code ec, std::vector<valkey::Reply>) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::connection_lost);
  CHECK(diag.outcome == valkey::policy::Outcome::sent_no_reply);
  CHECK(a.count("INCR") == 1);
  CHECK(a.count("GET") >= 1);
}

TEST_CASE("cluster client: under Config::retry a batch of reads whose node drops is answered from the resent reads",
          "[cluster][cluster-faults][policy]") {
  // The first connection answers one GET and drops at the second; the
  // reads not answered are resent (each on its own) and the batch succeeds
  // with every reply in its place.
  FakeNode a;
  const int pa = a.port();
  auto gets = std::make_shared<std::atomic<int>>(0);
  a.start([pa, gets](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    if (args[0] == "GET" && gets->fetch_add(1) == 1) return std::string("<close>");  // the second one only
    return "$" + std::to_string(args[1].size()) + "\r\n" + args[1] + "\r\n";
  });
  auto cfg = config_for(pa);
  cfg.node.retry = valkey::retry::standard;
  Harness h{cfg};
  valkey::Batch<valkey::AsyncClusterClient> batch{*h.c};
  batch.call({"GET", "k1"}).call({"GET", "k2"}).call({"GET", "k3"});
  std::optional<std::vector<valkey::Reply>> replies;
  batch.exec([&](std::error_code ec, std::vector<valkey::Reply> r) {
    CHECK_FALSE(ec);
    replies = std::move(r);
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return replies.has_value(); }, 10s));
  REQUIRE(replies->size() == 3);
  CHECK((*replies)[0] == valkey::Reply::bulk_string("k1"));
  CHECK((*replies)[1] == valkey::Reply::bulk_string("k2"));
  CHECK((*replies)[2] == valkey::Reply::bulk_string("k3"));
  // k1 and k2 on the first connection (the node stops reading at k2), then
  // k2 and k3 resent: they were written with the batch, so only a retry
  // policy for reads sends them again.
  CHECK(a.count("GET") == 4);
}

TEST_CASE("cluster client: under Config::retry a dropped INCR reports unknown_outcome, sent once; a GET is resent",
          "[cluster][cluster-faults][policy]") {
  FakeNode a;
  const int pa = a.port();
  auto gets = std::make_shared<std::atomic<int>>(0);
  a.start([pa, gets](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    if (args[0] == "INCR") return std::string("<close>");
    if (args[0] == "GET" && gets->fetch_add(1) == 0) return std::string("<close>");  // the first one only
    return std::string("$2\r\nok\r\n");
  });
  auto cfg = config_for(pa);
  cfg.node.retry = valkey::retry::standard;
  Harness h{cfg};
  auto& c = *h.c;
  std::error_code got;
  valkey::Diagnostics diag;
  bool done = false;
  c.incr("counter", diag, [&](std::error_code ec, std::int64_t) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::unknown_outcome);
  CHECK(diag.outcome == valkey::policy::Outcome::sent_no_reply);
  CHECK(diag.command == "INCR");
  CHECK(diag.message.find("connection lost") != std::string::npos);
  CHECK(a.count("INCR") == 1);  // never resent
  // An idempotent read is resent after its connection dropped.
  std::optional<std::string> v;
  c.get("k", diag, [&](std::error_code ec, std::optional<std::string> r) {
    CHECK_FALSE(ec);
    v = r.value_or("(nil)");
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return v.has_value(); }, 10s));
  CHECK(*v == "ok");
  CHECK(a.count("GET") == 2);
  CHECK(diag.empty());
  // retry::none per node: one attempt, reported as without a policy.
  auto one = config_for(pa);
  one.node.retry = valkey::retry::none;
  Harness h2{one};
  done = false;
  h2.c->incr("counter", diag, [&](std::error_code ec, std::int64_t) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h2.ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::connection_lost);
  CHECK(diag.outcome == valkey::policy::Outcome::sent_no_reply);
}

TEST_CASE("cluster client: a reply cut off mid-way is decoded from the resent attempt's reply alone",
          "[cluster][cluster-faults][policy]") {
  // The first LRANGE gets an array header and one of its three elements,
  // then the connection drops; the resent LRANGE gets a whole reply. The
  // elements of the cut-off reply must not end up in the result.
  FakeNode a;
  const int pa = a.port();
  auto lranges = std::make_shared<std::atomic<int>>(0);
  a.start([pa, lranges](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    if (args[0] == "LRANGE" && lranges->fetch_add(1) == 0)
      return std::string(FakeNode::kCutOff) + "*3\r\n$4\r\nlost\r\n$2\r\nun";
    if (args[0] == "LRANGE") return std::string("*2\r\n$1\r\nx\r\n$1\r\ny\r\n");
    return std::string("-ERR unexpected\r\n");
  });
  auto cfg = config_for(pa);
  cfg.node.retry = valkey::retry::standard;  // LRANGE reads: resent after the drop
  Harness h{cfg};
  std::optional<std::vector<std::string>> got;
  std::error_code err;
  h.c->lrange("list", 0, -1, [&](std::error_code ec, std::vector<std::string> v) {
    err = ec;
    got = std::move(v);
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return got.has_value(); }, 10s));
  CHECK_FALSE(err);
  CHECK(*got == std::vector<std::string>{"x", "y"});
  CHECK(a.count("LRANGE") == 2);
}

TEST_CASE("cluster client: without a policy a reply cut off mid-way fails with connection_lost, sent once",
          "[cluster][cluster-faults]") {
  // The common request streams its reply into the caller's decoder as it
  // arrives (DirectRequest): a drop after part of the reply ends it as a
  // part's failure would, with nothing of the partial reply delivered.
  FakeNode a;
  const int pa = a.port();
  a.start([pa](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    if (args[0] == "LRANGE") return std::string(FakeNode::kCutOff) + "*3\r\n$4\r\nlost\r\n$2\r\nun";
    return std::string("-ERR unexpected\r\n");
  });
  Harness h{config_for(pa)};
  std::optional<std::vector<std::string>> got;
  std::error_code err;
  valkey::Diagnostics diag;
  h.c->lrange("list", 0, -1, diag, [&](std::error_code ec, std::vector<std::string> v) {
    err = ec;
    got = std::move(v);
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return got.has_value(); }, 10s));
  CHECK(err == valkey::errc::connection_lost);
  CHECK(got->empty());
  CHECK(diag.outcome == valkey::policy::Outcome::sent_no_reply);
  CHECK(a.count("LRANGE") == 1);
}

TEST_CASE("cluster client: a request made inside a completion handler completes after that handler returned",
          "[cluster][cluster-faults]") {
  // A reply completes its job inside the connection's read handler; a job
  // refused at once (SUBSCRIBE on call()) inside the completion handler of
  // another must still complete later, never inside the caller's call.
  FakeNode a;
  const int pa = a.port();
  a.start([pa](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    if (args[0] == "GET") return std::string("$2\r\nok\r\n");
    return std::string("-ERR unexpected\r\n");
  });
  Harness h{config_for(pa)};
  auto& c = *h.c;
  bool in_handler = false, refused_inside = false, got_inside = false;
  std::error_code refused, second;
  int done = 0;
  c.get("k", [&](std::error_code ec, std::optional<std::string> v) {
    CHECK_FALSE(ec);
    CHECK(v == "ok");
    in_handler = true;
    c.call({"SUBSCRIBE", "news"}, [&](std::error_code e, valkey::Reply) {
      refused = e;
      refused_inside = in_handler;
      ++done;
    });
    c.get("k", [&](std::error_code e, std::optional<std::string>) {
      second = e;
      got_inside = in_handler;
      ++done;
    });
    in_handler = false;
    ++done;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done == 3; }, 10s));
  CHECK(refused == valkey::errc::invalid_argument);
  CHECK_FALSE(refused_inside);
  CHECK_FALSE(second);
  CHECK_FALSE(got_inside);
}

TEST_CASE("cluster client: a node's circuit breaker opens after failures in a row; calls, blocking ones too, then fail "
          "at once, unsent",
          "[cluster][cluster-faults][policy]") {
  FakeNode a;
  const int pa = a.port();
  a.start([pa](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    if (args[0] == "GET") return std::string("<close>");
    return std::string("+OK\r\n");
  });
  auto cfg = config_for(pa);
  valkey::policy::CircuitBreakerConfig breaker;
  breaker.consecutive_failures = 3;
  breaker.cool_down = 10s;
  cfg.node.circuit_breaker = breaker;
  Harness h{cfg};
  int failed = 0;
  Harness::Outcome o;
  for (int i = 0; i < 10; ++i) {
    o = h.get("k");
    if (o.ec == valkey::errc::circuit_open) break;
    CHECK(o.ec);
    ++failed;
  }
  CHECK(o.ec == valkey::errc::circuit_open);
  CHECK(failed <= 3);
  const int sent = a.count("GET");
  // Open: fails at once, nothing sent.
  const auto start = std::chrono::steady_clock::now();
  o = h.get("k");
  CHECK(std::chrono::steady_clock::now() - start < 50ms);
  CHECK(o.ec == valkey::errc::circuit_open);
  CHECK(o.diag.outcome == valkey::policy::Outcome::not_sent);
  CHECK(o.diag.message.find("circuit breaker") != std::string::npos);
  CHECK(a.count("GET") == sent);
  // A blocking command asks the same breaker before taking a lease.
  std::error_code blpop_ec;
  bool done = false;
  h.c->call({"BLPOP", "q", "1"}, [&](std::error_code ec, valkey::Reply) {
    blpop_ec = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  CHECK(blpop_ec == valkey::errc::circuit_open);
  CHECK(a.count("BLPOP") == 0);
}

// ---- per-call options (with(), database()) on the cluster clients

TEST_CASE("cluster client: with() gives one call its own timeout, retry policy and idempotence",
          "[cluster][cluster-faults][policy][with]") {
  FakeNode a;
  const int pa = a.port();
  auto incrs = std::make_shared<std::atomic<int>>(0);
  a.start([pa, incrs](const std::vector<std::string>& args) {
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    if (args[0] == "GET" && args[1] == "silent") return std::string();  // never answered
    if (args[0] == "INCR") {  // the 1st, 2nd and 4th dropped
      const int n = incrs->fetch_add(1);
      return std::string(n == 0 || n == 1 || n == 3 ? "<close>" : ":7\r\n");
    }
    return std::string("$2\r\nok\r\n");
  });
  auto cfg = config_for(pa);  // request_timeout 5 s, no retry policy
  Harness h{cfg};
  auto& c = *h.c;
  valkey::Diagnostics diag;

  // The call's own deadline: the client's 5 s would not have expired.
  std::error_code got;
  bool done = false;
  c.with({.timeout = 100ms}).get("silent", diag, [&](std::error_code ec, std::optional<std::string>) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 4s));
  CHECK(got == valkey::errc::timeout);

  // A retry policy for one call: the dropped INCR is not idempotent, so its
  // outcome is unknown and it is not resent.
  done = false;
  c.with({.retry = valkey::retry::standard}).incr("n", diag, [&](std::error_code ec, std::int64_t) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::unknown_outcome);
  CHECK(a.count("INCR") == 1);

  // Declared idempotent: resent once after the drop, and answered.
  std::int64_t value = 0;
  done = false;
  c.with({.retry = valkey::retry::standard, .idempotent = true}).incr("n", diag, [&](std::error_code ec, std::int64_t v) {
    got = ec;
    value = v;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  CHECK_FALSE(got);
  CHECK(value == 7);
  CHECK(a.count("INCR") == 3);

  // Without the handle the client's settings stand: no policy, connection_lost.
  done = false;
  c.incr("n", diag, [&](std::error_code ec, std::int64_t) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::connection_lost);

  // idempotent on a blocking command is refused before anything is sent.
  done = false;
  c.with({.idempotent = true}).call({"BLPOP", "q", "1"}, diag, [&](std::error_code ec, valkey::Reply) {
    got = ec;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  CHECK(got == valkey::errc::invalid_argument);
  CHECK(a.count("BLPOP") == 0);
}

TEST_CASE("cluster client: database(n) writes SELECT on the node connection only when the database changes",
          "[cluster][cluster-faults][with]") {
  FakeNode a;
  const int pa = a.port();
  auto log = std::make_shared<std::vector<std::string>>();
  auto m = std::make_shared<std::mutex>();
  a.start([pa, log, m](const std::vector<std::string>& args) {
    if (args[0] == "SELECT" || args[0] == "GET") {
      std::lock_guard<std::mutex> lock(*m);
      log->push_back(args[0] + " " + args[1]);
    }
    if (auto s = FakeNode::standard(args, pa); !s.empty()) return s;
    return std::string("$2\r\nok\r\n");
  });
  Harness h{config_for(pa)};
  auto& c = *h.c;
  int done = 0;
  auto get = [&](auto&& target, const char* key) {
    target.get(key, [&](std::error_code ec, std::optional<std::string>) {
      CHECK_FALSE(ec);
      ++done;
    });
    REQUIRE(valkey::test::run_until(h.ioc, [&] { return done > 0; }, 10s));
    done = 0;
  };
  get(c.database(5), "a");
  get(c.database(5), "b");
  get(c, "c");
  get(c.with({.timeout = 1s}).database(5), "d");
  std::lock_guard<std::mutex> lock(*m);
  CHECK(*log == std::vector<std::string>{"SELECT 5", "GET a", "GET b", "SELECT 0", "GET c", "SELECT 5", "GET d"});
}

TEST_CASE("cluster client: a summed fan-out one node fails reports the error with the others' partial sum",
          "[cluster][cluster-faults]") {
  FakeNode a, b;
  const std::string slots = two_shard_slots(a.port(), b.port());
  auto respond = [&](bool fails) {
    return [slots, fails](const std::vector<std::string>& args) -> std::string {
      if (args[0] == "CLUSTER" && args.size() > 1 && args[1] == "SLOTS") return slots;
      if (args[0] == "DBSIZE") return fails ? "-ERR no database here\r\n" : ":5\r\n";  // not one to retry
      return FakeNode::standard(args, 0);
    };
  };
  a.start(respond(false));
  b.start(respond(true));
  Harness h(config_for(a.port()));
  std::error_code got;
  valkey::Diagnostics diag;
  std::int64_t n = -1;
  bool done = false;
  h.c->dbsize(diag, [&](std::error_code ec, std::int64_t v) {
    got = ec;
    n = v;
    done = true;
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
  INFO(diag.message);
  CHECK(got == valkey::errc::server_error);
  CHECK(diag.prefix() == "ERR");
  CHECK(diag.server_message == "ERR no database here (1 of 2 nodes answered; their sum: 5)");
  CHECK(diag.endpoint == "127.0.0.1:" + std::to_string(b.port()));
  CHECK(n == 0);
  CHECK(a.count("DBSIZE") == 1);
  CHECK(b.count("DBSIZE") == 1);
}

TEST_CASE("cluster client: SCRIPT KILL (one_succeeded) succeeds when one node killed a script and another was not busy",
          "[cluster][cluster-faults]") {
  FakeNode a, b;
  const std::string slots = two_shard_slots(a.port(), b.port());
  std::atomic<bool> b_busy{true};
  // A node whose `busy` is null never runs a script.
  auto respond = [&](std::atomic<bool>* busy) {
    return [slots, busy](const std::vector<std::string>& args) -> std::string {
      if (args[0] == "CLUSTER" && args.size() > 1 && args[1] == "SLOTS") return slots;
      if (args[0] == "SCRIPT")
        return busy && busy->load() ? "+OK\r\n" : "-NOTBUSY No scripts in execution right now.\r\n";
      return FakeNode::standard(args, 0);
    };
  };
  a.start(respond(nullptr));
  b.start(respond(&b_busy));
  Harness h(config_for(a.port()));
  auto kill = [&] {
    std::error_code got = valkey::errc::timeout;
    valkey::Diagnostics diag;
    bool done = false;
    h.c->script_kill(diag, [&](std::error_code ec, valkey::Ok) {
      got = ec;
      done = true;
    });
    REQUIRE(valkey::test::run_until(h.ioc, [&] { return done; }, 10s));
    return std::pair{got, diag};
  };

  auto [ok, ok_diag] = kill();  // a: NOTBUSY, b: OK
  INFO(ok_diag.message);
  CHECK(!ok);
  CHECK(a.count("SCRIPT") == 1);
  CHECK(b.count("SCRIPT") == 1);

  b_busy = false;  // now no node runs a script: the first error is the reply
  auto [failed, diag] = kill();
  CHECK(failed == valkey::errc::server_error);
  CHECK(diag.prefix() == "NOTBUSY");
  CHECK(diag.endpoint.starts_with("127.0.0.1:"));
}

TEST_CASE("cluster client: a command the generated table does not know is routed by its COMMAND INFO, asked once",
          "[cluster][cluster-faults]") {
  FakeNode a, b;
  const std::string slots = two_shard_slots(a.port(), b.port());
  a.start(module_node(slots, "a"));
  b.start(module_node(slots, "b"));
  Harness h(config_for(a.port()));
  const std::string on_a = key_in_slots(0, 8191), on_b = key_in_slots(8192, 16383);

  // Three calls before any answer: they wait for one COMMAND INFO, then go
  // straight to the key's owner (no MOVED: the fake nodes never send one).
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i)
    h.c->call({"MOD.GET", on_b}, [&](std::error_code ec, valkey::Reply r) {
      CHECK_FALSE(ec);
      got.push_back(r.is_error() ? std::string(r.error_message()) : std::string(r.as_string()));
    });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return got.size() == 3; }, 10s));
  CHECK(got == std::vector<std::string>{"b", "b", "b"});
  CHECK(a.count("COMMAND") + b.count("COMMAND") == 1);
  CHECK(a.count("MOD.GET") + a.count("mod.get") == 0);
  CHECK(b.count("MOD.GET") == 3);

  got.clear();
  h.c->call({"mod.get", on_a}, [&](std::error_code ec, valkey::Reply r) {
    CHECK_FALSE(ec);
    got.push_back(std::string(r.as_string()));
  });
  REQUIRE(valkey::test::run_until(h.ioc, [&] { return got.size() == 1; }, 10s));
  CHECK(got.front() == "a");
  CHECK(a.count("COMMAND") + b.count("COMMAND") == 1);  // known now, in any case

  // A name the server does not know either: asked once, then sent as it is
  // (the server's error is the answer).
  std::vector<bool> failed;  // the server's error, as an error code or an error reply
  for (int i = 0; i < 2; ++i) {
    h.c->call({"NOPE.CMD", on_b}, [&](std::error_code ec, valkey::Reply r) {
      failed.push_back(ec == valkey::errc::server_error || r.is_error());
    });
    REQUIRE(valkey::test::run_until(h.ioc, [&] { return failed.size() == static_cast<std::size_t>(i + 1); }, 10s));
  }
  CHECK(failed == std::vector<bool>{true, true});
  CHECK(a.count("COMMAND") + b.count("COMMAND") == 2);
  CHECK(a.count("NOPE.CMD") + b.count("NOPE.CMD") == 2);
}

TEST_CASE("cluster client: pipelines and transactions route a command the table does not know by its COMMAND INFO",
          "[cluster][cluster-faults]") {
  FakeNode a, b;
  const std::string slots = two_shard_slots(a.port(), b.port());
  a.start(module_node(slots, "a"));
  b.start(module_node(slots, "b"));
  Harness h(config_for(a.port()));
  const std::string on_a = key_in_slots(0, 8191), on_b = key_in_slots(8192, 16383);

  // Without the description both would go to a random primary; with it each
  // goes to its key's owner, every round (one COMMAND INFO for all of them).
  for (int round = 0; round < 3; ++round) {
    valkey::Batch<valkey::AsyncClusterClient> batch{*h.c};
    batch.call({"MOD.GET", on_b}).call({"MOD.GET", on_a});
    std::optional<std::vector<valkey::Reply>> replies;
    batch.exec([&](std::error_code ec, std::vector<valkey::Reply> r) {
      CHECK_FALSE(ec);
      replies = std::move(r);
    });
    REQUIRE(valkey::test::run_until(h.ioc, [&] { return replies.has_value(); }, 10s));
    REQUIRE(replies->size() == 2);
    CHECK((*replies)[0] == valkey::Reply::bulk_string("b"));
    CHECK((*replies)[1] == valkey::Reply::bulk_string("a"));
  }
  CHECK(a.count("COMMAND") + b.count("COMMAND") == 1);
  CHECK(b.count("MOD.GET") == 3);
  CHECK(a.count("MOD.GET") == 3);

  // A transaction goes to the owner of its keys' slot, found the same way
  // (a second client: its first transaction waits for the description).
  Harness t(config_for(a.port()));
  for (const auto& [key, owner] : {std::pair{on_b, "b"}, std::pair{on_a, "a"}, std::pair{on_b, "b"}}) {
    std::optional<valkey::Reply> got;
    t.c->transaction().call({"MOD.GET", key}).exec([&](std::error_code ec, auto r) {
      CHECK_FALSE(ec);
      got = std::get<0>(std::move(r));
    });
    REQUIRE(valkey::test::run_until(t.ioc, [&] { return got.has_value(); }, 10s));
    CHECK(*got == valkey::Reply::bulk_string(owner));
  }
  CHECK(a.count("COMMAND") + b.count("COMMAND") == 2);
  CHECK(a.count("EXEC") == 1);
  CHECK(b.count("EXEC") == 2);
}

TEST_CASE("cluster client: a cancellation slot ends a request before its write, and after it only when terminal",
          "[cluster][cluster-faults]") {
  FakeNode a, b;
  const std::string slots = two_shard_slots(a.port(), b.port());
  // GET and MGET answer with the node's name per key; keys starting "slow"
  // only after 300 ms (the node's thread sleeps, so a cancelled request's
  // reply still comes, late).
  auto respond = [&](std::string name) {
    return [slots, name](const std::vector<std::string>& args) -> std::string {
      if (args[0] == "CLUSTER" && args.size() > 1 && args[1] == "SLOTS") return slots;
      if ((args[0] == "GET" || args[0] == "MGET") && args.size() > 1 && args[1].starts_with("slow"))
        std::this_thread::sleep_for(300ms);
      const std::string value = "$1\r\n" + name + "\r\n";
      if (args[0] == "GET") return value;
      if (args[0] == "MGET") {
        std::string out = "*" + std::to_string(args.size() - 1) + "\r\n";
        for (std::size_t i = 1; i < args.size(); ++i) out += value;
        return out;
      }
      return FakeNode::standard(args, 0);
    };
  };
  a.start(respond("a"));
  b.start(respond("b"));
  Harness h(config_for(a.port()));
  const std::string slow_a = key_in_slots(0, 8191, "slow:"), slow_b = key_in_slots(8192, 16383, "slow:");
  const std::string fast_a = key_in_slots(0, 8191, "fast:"), fast_b = key_in_slots(8192, 16383, "fast:");
  using valkey::test::run_until;
  struct Got {
    std::optional<std::error_code> ec;
    std::optional<std::string> value;
  };
  auto get = [&](const std::string& key, asio::cancellation_signal& sig, Got& got) {
    h.c->get(key, asio::bind_cancellation_slot(sig.slot(), [&got](std::error_code ec, std::optional<std::string> v) {
               got.ec = ec;
               got.value = std::move(v);
             }));
  };

  // Written (the node read it): a total cancellation cannot promise that it
  // did not run, so it is ignored and the reply comes.
  {
    asio::cancellation_signal sig;
    Got got;
    get(slow_b, sig, got);
    REQUIRE(run_until(h.ioc, [&] { return b.count("GET") == 1; }, 10s));
    sig.emit(asio::cancellation_type::total);
    REQUIRE(run_until(h.ioc, [&] { return got.ec.has_value(); }, 10s));
    CHECK_FALSE(*got.ec);
    CHECK(got.value == "b");
  }
  // Written: a terminal cancellation ends it at once (not inside emit()); its
  // late reply is discarded and the connection goes on.
  {
    asio::cancellation_signal sig;
    Got got;
    get(slow_b, sig, got);
    REQUIRE(run_until(h.ioc, [&] { return b.count("GET") == 2; }, 10s));
    sig.emit(asio::cancellation_type::terminal);
    CHECK_FALSE(got.ec.has_value());
    REQUIRE(run_until(h.ioc, [&] { return got.ec.has_value(); }, 10s));
    CHECK(*got.ec == valkey::errc::cancelled);
    asio::cancellation_signal unused;
    Got next;
    get(fast_b, unused, next);
    REQUIRE(run_until(h.ioc, [&] { return next.ec.has_value(); }, 10s));
    CHECK_FALSE(*next.ec);
    CHECK(next.value == "b");
  }
  // A split MGET: one cancellation ends both nodes' shares.
  {
    asio::cancellation_signal sig;
    std::optional<std::error_code> ec;
    h.c->mget({slow_a, slow_b}, asio::bind_cancellation_slot(sig.slot(), [&](std::error_code e, auto) { ec = e; }));
    REQUIRE(run_until(h.ioc, [&] { return a.count("MGET") == 1 && b.count("MGET") == 1; }, 10s));
    sig.emit(asio::cancellation_type::partial);
    REQUIRE(run_until(h.ioc, [&] { return ec.has_value(); }, 10s));
    CHECK(*ec == valkey::errc::cancelled);
    std::optional<std::vector<std::optional<std::string>>> values;
    h.c->mget({fast_a, fast_b}, [&](std::error_code e, std::vector<std::optional<std::string>> v) {
      CHECK_FALSE(e);
      values = std::move(v);
    });
    REQUIRE(run_until(h.ioc, [&] { return values.has_value(); }, 10s));
    CHECK(*values == std::vector<std::optional<std::string>>{"a", "b"});
  }

  // Not written: waiting for the first topology (the seed never answers
  // CLUSTER queries), any cancellation ends it and nothing is sent.
  FakeNode mute;
  mute.start([](const std::vector<std::string>& args) -> std::string {
    if (args[0] == "CLUSTER") return {};
    return FakeNode::standard(args, 0);
  });
  Harness m(config_for(mute.port()));
  asio::cancellation_signal sig;
  std::optional<std::error_code> ec;
  valkey::Diagnostics diag;
  m.c->get("k", diag, asio::bind_cancellation_slot(sig.slot(), [&](std::error_code e, auto) { ec = e; }));
  REQUIRE(run_until(m.ioc, [&] { return mute.count("CLUSTER SLOTS") + mute.count("CLUSTER SHARDS") > 0; }, 10s));
  CHECK_FALSE(ec.has_value());
  sig.emit(asio::cancellation_type::total);
  CHECK_FALSE(ec.has_value());
  REQUIRE(run_until(m.ioc, [&] { return ec.has_value(); }, 10s));
  CHECK(*ec == valkey::errc::cancelled);
  CHECK(diag.message.find("topology") != std::string::npos);
  CHECK(mute.count("GET") == 0);
}
