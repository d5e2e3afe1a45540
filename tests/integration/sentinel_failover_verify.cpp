// valkey-cpp-perf -t incr --verify through a sentinel URL while the sentinels
// fail the primary over: the coordinated SENTINEL FAILOVER ... COORDINATED
// (Valkey 9.0+: the old primary pauses writes and hands over, so no
// acknowledged write can be lost) and the classic SENTINEL FAILOVER (the old
// primary keeps acknowledging writes until it is demoted, and its resync
// discards them: the test reports how many, and checks none was doubled).
#include <catch2/catch_test_macros.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/perf_tool.hpp"
#include "support/program_run.hpp"
#include "support/resp_client.hpp"
#include "support/sentinel.hpp"
#include "support/sentinel_events.hpp"
#include "support/server_version.hpp"
#include "support/wait.hpp"

using valkey::test::ReplicatedSet;
using valkey::test::Sentinels;
using valkey::test::shell_quote;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using valkey::test::perf_binary;

// A program running in the background until stop() sends it SIGINT
// (valkey-cpp-perf then ends its test and prints the summary). Bounded by
// timeout(1) in case the test never stops it.
class Background {
 public:
  Background(const std::string& command, int seconds) {
    // `exec` keeps the shell's pid, which it prints first: the program's.
    const std::string line = "timeout " + std::to_string(seconds) + " sh -c " +
                             shell_quote("echo $$; exec " + command) + " 2>&1";
    pipe_ = ::popen(line.c_str(), "r");
    if (!pipe_) throw std::runtime_error("popen failed");
    char first[64] = {};
    if (std::fgets(first, sizeof first, pipe_)) pid_ = static_cast<pid_t>(std::atol(first));
    reader_ = std::thread([this] {
      char buf[4096];
      while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe_)) output_.append(buf, n);
    });
  }
  ~Background() {
    if (pipe_) stop();
  }
  // SIGINT, then waits for the exit; the exit status (-1: not a normal exit).
  int stop() {
    if (pid_ > 0) ::kill(pid_, SIGINT);
    reader_.join();
    const int st = ::pclose(pipe_);
    pipe_ = nullptr;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  const std::string& output() const { return output_; }  // after stop()

 private:
  FILE* pipe_ = nullptr;
  pid_t pid_ = 0;
  std::thread reader_;
  std::string output_;
};

using valkey::test::last_json_line;

// INFO commandstats' cmdstat_incr calls: INCRs the node executed (not the
// ones it refused). A replica's count includes the INCRs its primary's
// replication stream applies, so on a demoted primary it cannot tell a
// client's write from a replicated one: Monitor does.
std::int64_t incr_calls(const valkey::test::ServerProcess& node) {
  const std::string stats = node.command({"INFO", "commandstats"}).as_string();
  const auto at = stats.find("cmdstat_incr:calls=");
  if (at == std::string::npos) return 0;
  return std::stoll(stats.substr(at + 19));
}

// MONITOR on one node, read on a thread of its own: the source of every INCR
// the node ran ("127.0.0.1:port" of a client, or of its primary for the
// replication stream), in order. The sentinels end a failover with CLIENT
// KILL TYPE normal on the demoted primary, which closes MONITOR connections
// too: it connects again (by then the node is a replica and pauses no writes).
class Monitor {
 public:
  struct Incr {
    std::string source;
    int session;  // 0 until the first time the node closed the MONITOR connection
  };

  explicit Monitor(int port) : port_(port), conn_(open(port)) {
    thread_ = std::thread([this] { run(); });
  }
  ~Monitor() {
    if (thread_.joinable()) stop();
  }
  // Ends the reading at a marker the node echoes (so every command it ran
  // before is read).
  void stop() {
    valkey::test::send_command(port_, {"ECHO", kMarker});
    thread_.join();
  }
  // After stop(): the INCRs in the order the node ran them.
  const std::vector<Incr>& incrs() const { return incrs_; }
  int sessions() const { return session_ + 1; }
  const std::string& error() const { return error_; }

 private:
  static constexpr const char* kMarker = "valkey-cpp-monitor-end";
  static valkey::test::RespConnection open(int port) {
    valkey::test::RespConnection c("127.0.0.1", port, 30s);
    auto ok = c.command({"MONITOR"});
    if (ok.is_error()) throw std::runtime_error("MONITOR: " + ok.str);
    return c;
  }
  void run() {
    for (;;) {
      try {
        read();
        return;
      } catch (const std::exception& e) {
        if (std::string_view(e.what()).find("closed by the server") == std::string_view::npos || session_ >= 5) {
          error_ = e.what();
          return;
        }
      }
      try {
        conn_ = open(port_);
        ++session_;
      } catch (const std::exception& e) {
        error_ = std::string("MONITOR again: ") + e.what();
        return;
      }
    }
  }
  void read() {
    for (;;) {
      const valkey::test::RespValue v = conn_.read_reply();
      // 1733150000.123456 [0 127.0.0.1:54321] "INCR" "key"
      const std::string& line = v.str;
      if (line.find(kMarker) != std::string::npos) return;
      const auto open = line.find('[');
      const auto close = line.find(']', open);
      if (open == std::string::npos || close == std::string::npos || line.size() < close + 7) continue;
      std::string name = line.substr(close + 2, 6);
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (name != "\"INCR\"") continue;
      const std::string who = line.substr(open + 1, close - open - 1);  // "0 127.0.0.1:54321"
      incrs_.push_back({who.substr(who.find(' ') + 1), session_});
    }
  }
  int port_;
  valkey::test::RespConnection conn_;
  std::thread thread_;
  std::vector<Incr> incrs_;
  int session_ = 0;
  std::string error_;
};

valkey::test::ServerProcess& node_on(ReplicatedSet& set, int port) {
  for (std::size_t i = 0; i < set.size(); ++i)
    if (set.node(i).port() == port) return set.node(i);
  throw std::runtime_error("no node on port " + std::to_string(port));
}

// Starts valkey-cpp-perf on the sentinel URL and waits until it writes.
std::unique_ptr<Background> start_perf(const Sentinels& sentinels, ReplicatedSet& set) {
  const std::string url = "valkey+sentinel://" + sentinels.addresses() +
                          "/mymaster?connect_timeout=2s&recheck_interval=1s";
  auto perf = std::make_unique<Background>(shell_quote(perf_binary().string()) + " -u " + shell_quote(url) +
                                               " -t incr --verify -c 8 --seconds 60 --json",
                                           60);
  valkey::test::wait_until("valkey-cpp-perf to write", 10s, [&](std::string& state) {
    const std::int64_t n = incr_calls(set.primary());
    state = std::to_string(n) + " INCRs";
    return n > 200;
  }, 50ms);
  return perf;
}

// Waits until every sentinel names another primary than `old_port`: the switch.
int wait_switch(const Sentinels& sentinels, int old_port) {
  valkey::test::wait_until("the sentinels to name a new primary", 20s, [&](std::string& state) {
    const int p = sentinels.master_port(0);
    state = "sentinel 0 names " + std::to_string(p);
    return p != old_port;
  }, 20ms);
  const int port = sentinels.master_port(0);
  sentinels.wait_master(port, 20s);
  return port;
}

// Lets the load run on the new primary for a while.
void wait_writes_on(valkey::test::ServerProcess& node, std::int64_t more) {
  const std::int64_t start = incr_calls(node);
  valkey::test::wait_until("writes on the new primary", 10s, [&](std::string& state) {
    const std::int64_t n = incr_calls(node);
    state = std::to_string(n - start) + " INCRs";
    return n - start >= more;
  }, 50ms);
}

}  // namespace

TEST_CASE("sentinel failover: COORDINATED failover under valkey-cpp-perf --verify loses nothing",
          "[sentinel][slow][samples]") {
  perf_binary();
  valkey::test::require_server(valkey::test::valkey_at_least<9, 0>,
                               "SENTINEL FAILOVER <name> COORDINATED is new in Valkey 9.0");
  ReplicatedSet set;
  Sentinels sentinels(set);
  const int old_port = set.primary().port();
  Monitor monitor(old_port);
  auto perf = start_perf(sentinels, set);

  auto reply = sentinels.sentinel(0).command({"SENTINEL", "FAILOVER", "mymaster", "COORDINATED"});
  INFO("SENTINEL FAILOVER mymaster COORDINATED: " << reply.to_string());
  REQUIRE_FALSE(reply.is_error());
  const int port = wait_switch(sentinels, old_port);
  REQUIRE(port != old_port);
  valkey::test::ServerProcess& new_primary = node_on(set, port);
  wait_writes_on(new_primary, 500);

  const int status = perf->stop();
  const std::string& out = perf->output();
  INFO(out);
  // The old primary applies what the new one replicates; let it catch up
  // before reading what it ran.
  valkey::test::wait_until("the old primary to catch up", 10s, [&](std::string& state) {
    const auto offset = [](const valkey::test::ServerProcess& n) {
      return valkey::test::info_field(n.command({"INFO", "replication"}).as_string(), "master_repl_offset");
    };
    const std::string want = offset(new_primary), got = offset(set.primary());
    state = "offset " + got + " of " + want;
    return got == want;
  });
  monitor.stop();
  INFO("MONITOR: " << monitor.incrs().size() << " INCRs read in " << monitor.sessions() << " sessions; "
                     << monitor.error());
  REQUIRE(monitor.error().empty());
  // What the old primary ran: clients' INCRs until it handed over, then only
  // the replication stream's (from the new primary's address). A client's
  // INCR after the first replicated one, or after the sentinels closed the
  // demoted node's client connections, is a write the demoted primary took.
  const std::string from_new_primary = "127.0.0.1:" + std::to_string(port);
  std::size_t from_clients = 0, replicated = 0, from_clients_after = 0;
  for (const Monitor::Incr& incr : monitor.incrs()) {
    if (incr.source == from_new_primary) ++replicated;
    else if (replicated == 0 && incr.session == 0) ++from_clients;
    else ++from_clients_after;
  }
  CHECK(from_clients > 0);
  CHECK(replicated > 0);
  CHECK(from_clients_after == 0);
  CHECK(status == 0);
  auto j = last_json_line(out);
  REQUIRE(j.is_object());
  REQUIRE(j.contains("verify"));
  CHECK(j["verify"]["ok"] == true);
  CHECK(j["verify"]["counters"] == 8);
  CHECK(j["verify"]["acked"].get<std::int64_t>() > 0);
  CHECK(j["verify"]["server_total"].get<std::int64_t>() >= j["verify"]["acked"].get<std::int64_t>());
  WARN("COORDINATED failover: acked " << j["verify"]["acked"] << ", unknown " << j["verify"]["unknown"]
                                      << ", server_total " << j["verify"]["server_total"] << "; the old primary ran "
                                      << from_clients << " client INCRs before the handover, "
                                      << from_clients_after << " after, and " << replicated << " replicated ones");
}

TEST_CASE("sentinel failover: the classic SENTINEL FAILOVER under valkey-cpp-perf --verify doubles nothing",
          "[sentinel][slow][samples]") {
  perf_binary();
  ReplicatedSet set;
  Sentinels sentinels(set);
  const int old_port = set.primary().port();
  // The sentinel that runs the failover announces when it promotes the
  // replica (REPLICAOF NO ONE) and when it switches.
  valkey::test::SentinelEvents events(sentinels.sentinel(0).port(), {"+failover-state-send-slaveof-noone", "+switch-master"});
  auto perf = start_perf(sentinels, set);

  auto reply = sentinels.sentinel(0).command({"SENTINEL", "FAILOVER", "mymaster"});
  INFO("SENTINEL FAILOVER mymaster: " << reply.to_string());
  REQUIRE_FALSE(reply.is_error());
  const int port = wait_switch(sentinels, old_port);
  REQUIRE(port != old_port);
  wait_writes_on(node_on(set, port), 500);
  // The sentinel may name the promoted replica before it announces the
  // switch (it reconfigures the other replica first: up to the failover
  // timeout).
  const auto promoted = events.wait_for("+failover-state-send-slaveof-noone", 1s);
  const auto switched = events.wait_for("+switch-master", 15s);
  REQUIRE(promoted);
  REQUIRE(switched);
  const auto window = std::chrono::duration_cast<std::chrono::milliseconds>(switched->at - promoted->at);

  // Exit status 1 when --verify found a lost write: expected here.
  const int status = perf->stop();
  const std::string& out = perf->output();
  INFO(out);
  CHECK((status == 0 || status == 1));
  auto j = last_json_line(out);
  REQUIRE(j.is_object());
  REQUIRE(j.contains("verify"));
  const auto acked = j["verify"]["acked"].get<std::int64_t>();
  const auto unknown = j["verify"]["unknown"].get<std::int64_t>();
  const auto total = j["verify"]["server_total"].get<std::int64_t>();
  CHECK(acked > 0);
  // Nothing applied twice: every increment the server holds was sent once.
  CHECK(total <= acked + unknown);
  // Lost: acknowledged by the old primary after the replica was promoted
  // (until the client left it: the sentinels name the old primary until
  // +switch-master).
  WARN("classic SENTINEL FAILOVER: acked " << acked << ", unknown " << unknown << ", server_total " << total
                                           << ": " << (acked > total ? acked - total : 0)
                                           << " acknowledged increments lost; " << window.count()
                                           << " ms from the promotion (REPLICAOF NO ONE sent) to +switch-master");
}
