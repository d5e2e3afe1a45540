// Construction and shutdown of the cluster clients; requests go through the
// templates in run.hpp.
#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_client.hpp>

#include <algorithm>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

namespace {

// Where a scan goes: a primary that serves slots (not one left empty by a
// migration, nor a replica).
bool serves_slots(const NodeDescription& n) { return n.primary && !n.slots.empty(); }

}  // namespace

std::vector<std::string> slot_primaries(const std::vector<NodeDescription>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes)
    if (serves_slots(n)) out.push_back(n.address);
  return out;
}

std::string first_slot_primary(const std::vector<NodeDescription>& nodes) {
  const auto it = std::find_if(nodes.begin(), nodes.end(), serves_slots);
  return it == nodes.end() ? std::string() : it->address;
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

void unique_keys(std::vector<std::string>& keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
}

bool retry_cluster_page(std::error_code ec) noexcept {
  return ec == errc::connection_lost || ec == errc::not_connected || ec == errc::timeout ||
         ec == errc::unknown_outcome || ec == errc::cluster_down || ec == errc::too_many_redirects ||
         ec == errc::circuit_open;
}

}  // namespace cluster

namespace {

struct ScanResult {
  std::error_code ec;
  std::vector<std::string> keys;
  std::string why;
};

// The sync scan_all's handler: the scan's outcome into the waiting caller's
// promise. A handler destroyed without having been called (the posted start
// never ran, the scan was dropped with its executor's queue) gives
// connection_closed instead, so the caller returns on every path.
class ScanCompletion {
 public:
  explicit ScanCompletion(std::shared_ptr<std::promise<ScanResult>> p) noexcept : p_(std::move(p)) {}
  ScanCompletion(ScanCompletion&&) noexcept = default;
  ScanCompletion& operator=(ScanCompletion&&) = delete;
  ~ScanCompletion() {
    if (p_)
      p_->set_value(
          ScanResult{make_error_code(errc::connection_closed), {}, "the client was closed before the scan ended"});
  }
  void operator()(std::error_code ec, std::vector<std::string> keys, std::string why) {
    if (auto p = std::exchange(p_, nullptr)) p->set_value(ScanResult{ec, std::move(keys), std::move(why)});
  }

 private:
  std::shared_ptr<std::promise<ScanResult>> p_;
};

}  // namespace

std::vector<std::string> ClusterClient::scan_all(const ScanAllOptions& options) {
  // The async scan (scan_all.hpp) on the client's thread; this one waits.
  // The router is taken here, on the caller's thread: the posted start
  // never reads the client (its destructor may be resetting router_).
  // After close() the scan ends with connection_closed, as any call does.
  auto promise = std::make_shared<std::promise<ScanResult>>();
  std::future<ScanResult> outcome = promise->get_future();
  asio::post(ioc_, [router = router_, done = ScanCompletion(std::move(promise)), options]() mutable {
    std::make_shared<cluster::ScanAllOp<ScanCompletion>>(std::move(router), std::move(done), options)->start();
  });
  ScanResult r = outcome.get();
  if (r.ec) throw Error(r.ec, "scan_all" + (r.why.empty() ? std::string() : ": " + r.why));
  return std::move(r.keys);
}

}  // namespace valkey
