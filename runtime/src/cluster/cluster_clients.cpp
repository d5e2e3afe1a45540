// Construction and shutdown of the cluster clients; requests go through the
// templates in run.hpp.
#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_client.hpp>

#include <future>

#include <valkey/cluster/slot.hpp>

namespace valkey {

AsyncClusterClient::AsyncClusterClient(executor_type ex, ClusterConfig config)
    : router_(cluster::Router::create(std::move(ex), std::move(config))) {
  asio::dispatch(router_->get_executor(), [r = router_] { r->request_refresh(); });
}

AsyncClusterClient::AsyncClusterClient(executor_type ex, std::string_view url)
    : AsyncClusterClient(std::move(ex), ClusterConfig::from_url(url)) {}

AsyncClusterClient::~AsyncClusterClient() {
  if (router_) router_->close();
}

AsyncClusterClient& AsyncClusterClient::operator=(AsyncClusterClient&& o) noexcept {
  if (this != &o) {
    if (router_) router_->close();
    router_ = std::move(o.router_);
  }
  return *this;
}

void AsyncClusterClient::close() { router_->close(); }

ClusterClient::ClusterClient(ClusterConfig config)
    : work_(asio::make_work_guard(ioc_)), router_(cluster::Router::create(ioc_.get_executor(), std::move(config))) {
  thread_ = std::thread([this] { ioc_.run(); });
  asio::post(ioc_, [r = router_] { r->request_refresh(); });
}

ClusterClient::ClusterClient(std::string_view url) : ClusterClient(ClusterConfig::from_url(url)) {}

ClusterClient::~ClusterClient() {
  close();
  // The thread ends once every request, connection and timer finished.
  work_.reset();
  router_.reset();
  if (thread_.joinable()) thread_.join();
}

void ClusterClient::close() {
  if (router_) router_->close();
}

std::vector<cluster::NodeDescription> ClusterClient::nodes() {
  auto read = [this] {
    std::promise<std::vector<cluster::NodeDescription>> p;
    auto f = p.get_future();
    asio::post(ioc_, [&] { p.set_value(router_->nodes()); });
    return f.get();
  };
  auto out = read();
  if (out.empty()) {
    // No topology yet: a request waits for it (and throws when no seed answers).
    call_on_primaries({"PING"});
    out = read();
  }
  return out;
}

namespace cluster {

std::vector<std::string_view> scan_args(const std::string& cursor, const std::string& count, std::string_view match,
                                        std::string_view type) {
  std::vector<std::string_view> args{"SCAN", cursor};
  if (!match.empty()) args.insert(args.end(), {"MATCH", match});
  if (!count.empty()) args.insert(args.end(), {"COUNT", count});
  if (!type.empty()) args.insert(args.end(), {"TYPE", type});
  return args;
}

std::vector<std::string_view> clusterscan_args(const std::string& cursor, const std::string& count,
                                               std::string_view match, std::string_view type) {
  auto args = scan_args(cursor, count, match, type);
  args.front() = "CLUSTERSCAN";
  return args;
}

std::string owner_address(const std::vector<NodeDescription>& nodes, std::uint16_t slot) {
  for (const auto& n : nodes) {
    if (!n.primary) continue;
    for (const auto& r : n.slots)
      if (slot >= r.first && slot <= r.last) return n.address;
  }
  return {};
}

bool read_scan_page(const Reply& page, std::string& cursor, std::vector<std::string>& keys) {
  if (!page.is_array() || page.size() != 2 || !page[0].is_string() || !page[1].is_array()) return false;
  cursor = std::string(page[0].as_string());
  for (const Reply& k : page[1]) {
    if (!k.is_string()) return false;
    keys.emplace_back(k.as_string());
  }
  return true;
}

}  // namespace cluster

std::vector<std::string> ClusterClient::scan_all(const ScanAllOptions& options) {
  std::vector<std::string> keys;
  const std::string count = options.count > 0 ? std::to_string(options.count) : std::string();
  std::vector<cluster::NodeDescription> all = nodes();
  // CLUSTERSCAN (Valkey 9.1): one cursor whose hash tag names the slot, so
  // each page goes to that slot's owner and keys survive slots moving. A
  // server without it answers an error: SCAN per primary below.
  for (const auto& node : all) {
    if (!node.primary || node.slots.empty()) continue;
    std::error_code ec;
    std::string cursor;
    Reply first = call_on(node.address, cluster::clusterscan_args("0", count, options.match, options.type), ec);
    if (ec || !cluster::read_scan_page(first, cursor, keys)) break;
    while (cursor != "0") {
      std::string owner = cluster::owner_address(nodes(), cluster::hash_slot(cursor));
      if (owner.empty()) owner = node.address;  // a MOVED corrects it
      Reply page = call_on(owner, cluster::clusterscan_args(cursor, count, options.match, options.type));
      if (!cluster::read_scan_page(page, cursor, keys))
        throw Error(make_error_code(errc::unexpected_reply_type), "CLUSTERSCAN on " + owner);
    }
    return keys;
  }
  keys.clear();
  for (const auto& node : all) {
    if (!node.primary || node.slots.empty()) continue;
    std::string cursor = "0";
    do {
      Reply page = call_on(node.address, cluster::scan_args(cursor, count, options.match, options.type));
      if (!cluster::read_scan_page(page, cursor, keys))
        throw Error(make_error_code(errc::unexpected_reply_type), "SCAN on " + node.address);
    } while (cursor != "0");
  }
  return keys;
}

}  // namespace valkey
