// ClusterConfig::from_url: a node URL whose host part is a comma-separated
// seed list. The first seed stands in for the host while the rest of the URL
// is parsed as a node Config; every seed is then read on its own.
#include <valkey/cluster/cluster_config.hpp>

#include <valkey/cluster/redirect.hpp>
#include <valkey/error.hpp>

namespace valkey {

namespace {

// The cluster's own query options (read_from, client_az) out of the URL's
// tail ("/db?a=1&b=2"); the rest is the node Config's.
std::string take_cluster_options(std::string_view tail, ClusterConfig& out, std::error_code& ec) {
  const std::size_t q = tail.find('?');
  if (q == std::string_view::npos) return std::string(tail);
  std::string kept(tail.substr(0, q));
  std::string_view rest = tail.substr(q + 1);
  bool first = true;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    if (key == "read_from") {
      if (value == "primary") out.read_from = ReadFrom::primary;
      else if (value == "prefer_replica") out.read_from = ReadFrom::prefer_replica;
      else if (value == "az_affinity") out.read_from = ReadFrom::az_affinity;
      else if (value == "az_affinity_replicas_and_primary") out.read_from = ReadFrom::az_affinity_replicas_and_primary;
      else ec = make_error_code(errc::invalid_url);
    } else if (key == "client_az") {
      out.client_az = std::string(value);
    } else if (!item.empty()) {
      kept += first ? '?' : '&';
      kept += item;
      first = false;
    }
  }
  return kept;
}

}  // namespace

ClusterConfig ClusterConfig::from_url(std::string_view url, std::error_code& ec) {
  ec.clear();
  ClusterConfig out;
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) {
    ec = make_error_code(errc::invalid_url);
    return out;
  }
  const std::size_t auth_begin = scheme + 3;
  std::size_t auth_end = url.find_first_of("/?", auth_begin);
  if (auth_end == std::string_view::npos) auth_end = url.size();
  const std::string_view authority = url.substr(auth_begin, auth_end - auth_begin);
  const std::size_t at = authority.rfind('@');
  const std::string_view userinfo = at == std::string_view::npos ? std::string_view{} : authority.substr(0, at + 1);
  const std::string_view hosts = at == std::string_view::npos ? authority : authority.substr(at + 1);

  std::string_view first;
  std::size_t pos = 0;
  while (pos <= hosts.size()) {
    std::size_t comma = hosts.find(',', pos);
    if (comma == std::string_view::npos) comma = hosts.size();
    const std::string_view item = hosts.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) continue;
    if (first.empty()) first = item;
    ClusterSeed seed;
    std::string_view host;
    std::uint16_t port = 0;
    if (item.find(':') == std::string_view::npos || (item.front() == '[' && item.back() == ']')) {
      host = item.front() == '[' ? item.substr(1, item.size() - 2) : item;
      port = 6379;
    } else if (!cluster::parse_host_port(item, host, port)) {
      ec = make_error_code(errc::invalid_url);
      return out;
    }
    seed.host = std::string(host);
    seed.port = port;
    out.seeds.push_back(std::move(seed));
  }
  if (out.seeds.empty()) {
    ec = make_error_code(errc::invalid_url);
    return out;
  }
  std::string node_url(url.substr(0, auth_begin));
  node_url += userinfo;
  node_url += first;
  node_url += take_cluster_options(url.substr(auth_end), out, ec);
  if (ec) return out;
  out.node = Config::from_url(node_url, ec);
  return out;
}

ClusterConfig ClusterConfig::from_url(std::string_view url) {
  std::error_code ec;
  ClusterConfig c = from_url(url, ec);
  if (ec) throw Error(ec, "cluster URL with seeds host:port[,host:port...]");
  return c;
}

}  // namespace valkey
