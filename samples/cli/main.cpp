// valkey-cpp-cli [-u URL] [--resp2] [--json] COMMAND [ARG...]
// Runs one command and prints its reply. Exit status: 0 success, 1 error
// reply, 2 usage, 3 connection or other client error.
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
               "usage: valkey-cpp-cli [-u URL] [--resp2] [--json] COMMAND [ARG...]\n"
               "  -u URL    server (default: $VALKEY_URL, else valkey://127.0.0.1:6379); a\n"
               "            valkey+sentinel:// URL finds the primary through the sentinels\n"
               "  --resp2   speak RESP2 instead of RESP3\n"
               "  --json    print the reply as JSON\n");
}

}  // namespace

int main(int argc, char** argv) {
  const char* env_url = std::getenv("VALKEY_URL");
  std::string url = env_url ? env_url : "valkey://127.0.0.1:6379";
  bool json = false, resp2 = false;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-u" && i + 1 < argc) url = argv[++i];
    else if (a == "--json") json = true;
    else if (a == "--resp2") resp2 = true;
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
    if (json) {
      nlohmann::json j = reply.is_error() ? nlohmann::json{{"error", std::string(reply.error_message())}} : reply.to_json();
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::fputs(cli::to_text(reply).c_str(), stdout);
    }
    return reply.is_error() ? 1 : 0;
  } catch (const valkey::Error& e) {
    std::fprintf(stderr, "valkey-cpp-cli: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "valkey-cpp-cli: %s\n", e.what());
    return 3;
  }
}
