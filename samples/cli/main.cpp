// valkey-cpp-cli [-u URL] [--cluster] [--resp2] [--json] COMMAND [ARG...]
// Runs one command and prints its reply. Exit status: 0 success, 1 error
// reply (from any node), 2 usage, 3 connection or other client error.
//
// --cluster runs it through valkey::ClusterClient: routed by slot, split and
// aggregated as the command's metadata says; a command answered per node
// (response_policy special: INFO, ...) prints each node's reply under its
// "host:port", or with --json one object keyed by "host:port".
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <valkey/valkey.hpp>

#include "format.hpp"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: valkey-cpp-cli [-u URL] [--cluster] [--resp2] [--json] COMMAND [ARG...]\n"
               "  -u URL    server (default: $VALKEY_URL, else valkey://127.0.0.1:6379); a\n"
               "            valkey+sentinel:// URL finds the primary through the sentinels\n"
               "  --cluster the URL lists cluster seeds (valkey://h1:p1,h2:p2): the command is\n"
               "            routed, split and aggregated by the cluster client; replies per\n"
               "            node are printed under each node's host:port\n"
               "  --resp2   speak RESP2 instead of RESP3\n"
               "  --json    print the reply as JSON\n");
}

void print(const valkey::Reply& reply, bool json) {
  if (json) {
    nlohmann::json j = reply.is_error() ? nlohmann::json{{"error", std::string(reply.error_message())}} : reply.to_json();
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::fputs(cli::to_text(reply).c_str(), stdout);
  }
}

// The command through a ClusterClient. Whether the answer comes per node is
// decided by the same routing the client applies (route_call), so a map the
// server sent (HGETALL in RESP3) is never mistaken for one.
int run_cluster(const std::string& url, bool resp2, bool json, const std::vector<std::string_view>& args) {
  valkey::ClusterConfig config = valkey::ClusterConfig::from_url(url);
  if (resp2) config.node.protocol = valkey::Protocol::resp2;
  valkey::ClusterClient db{std::move(config)};
  std::error_code ec;
  valkey::Diagnostics diag;
  valkey::Reply reply = db.call(args, ec, diag);
  if (ec == valkey::errc::server_error) reply = valkey::Reply::error(diag.server_message);
  else if (ec) throw valkey::Error(ec, diag.message.empty() ? ec.message() : diag.message, valkey::ErrorContext{});
  const valkey::cluster::Route route = valkey::cluster::route_call(args);
  const bool per_node = !reply.is_error() && reply.is_map() &&
                        (route.kind == valkey::cluster::RouteKind::all_nodes ||
                         route.kind == valkey::cluster::RouteKind::all_shards) &&
                        route.info && route.info->response_policy == valkey::ResponsePolicy::special;
  if (!per_node) {
    print(reply, json);
    return reply.is_error() ? 1 : 0;
  }
  bool failed = false;
  nlohmann::json object = nlohmann::json::object();
  for (std::size_t i = 0; i < reply.size(); ++i) {
    const std::string node(reply.key(i).as_string());
    const valkey::Reply& r = reply.value(i);
    failed = failed || r.is_error();
    if (json) {
      object[node] = r.is_error() ? nlohmann::json{{"error", std::string(r.error_message())}} : r.to_json();
    } else {
      std::printf("%s:\n", node.c_str());
      std::fputs(cli::to_text(r).c_str(), stdout);
    }
  }
  if (json) std::printf("%s\n", object.dump().c_str());
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env_url = std::getenv("VALKEY_URL");
  std::string url = env_url ? env_url : "valkey://127.0.0.1:6379";
  bool json = false, resp2 = false, cluster = false;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-u" && i + 1 < argc) url = argv[++i];
    else if (a == "--json") json = true;
    else if (a == "--resp2") resp2 = true;
    else if (a == "--cluster") cluster = true;
    else if (a == "-h" || a == "--help") return usage(), 0;
    else if (a == "--") {
      ++i;
      break;
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      std::fprintf(stderr, "valkey-cpp-cli: unknown option %s\n", argv[i]);
      return usage(), 2;
    } else {
      break;
    }
  }
  if (i >= argc) return usage(), 2;
  std::vector<std::string_view> args(argv + i, argv + argc);

  try {
    if (cluster) return run_cluster(url, resp2, json, args);
    // A sentinel URL (valkey+sentinel://...) finds the node through the sentinels.
    std::optional<valkey::Client> client;
    if (valkey::SentinelConfig::is_sentinel_url(url)) {
      valkey::SentinelConfig sc = valkey::SentinelConfig::from_url(url);
      if (resp2) sc.node.protocol = valkey::Protocol::resp2;
      client.emplace(std::move(sc));
    } else {
      valkey::Config config = valkey::Config::from_url(url);
      if (resp2) config.protocol = valkey::Protocol::resp2;
      config.reconnect.enabled = false;
      client.emplace(config);
    }
    valkey::Client& db = *client;
    std::error_code ec;
    valkey::Diagnostics diag;
    valkey::Reply reply = db.call(args, ec, diag);
    if (ec == valkey::errc::server_error) reply = valkey::Reply::error(diag.server_message);
    else if (ec) throw valkey::Error(ec);
    print(reply, json);
    return reply.is_error() ? 1 : 0;
  } catch (const valkey::Error& e) {
    std::fprintf(stderr, "valkey-cpp-cli: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "valkey-cpp-cli: %s\n", e.what());
    return 3;
  }
}
