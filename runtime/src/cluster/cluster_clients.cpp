// Construction and shutdown of the cluster clients; requests go through the
// templates in run.hpp, whose failure report (report_failure()) is compiled here.
#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_client.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <valkey/cluster/slot.hpp>

namespace valkey {

cluster::JobSetupExtras::~JobSetupExtras() = default;

void cluster::report_failure(std::error_code ec, exec::Reason& why, JobResult& jr, std::string_view command_name,
                             std::string_view bytes, std::string_view endpoint, Diagnostics* diag,
                             std::exception_ptr* failure) {
  if (jr.ec && jr.why) why.detail = std::move(jr.why->detail);
  const std::string_view command = command_name.empty() ? exec::first_command(bytes) : command_name;
  const exec::Failure f{ec, &why, command, endpoint, jr.connection_error(), jr.written};
  if (diag) exec::fill(*diag, f);
  if (failure) *failure = exec::to_exception(f);
}

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

// The first lane reads the first topology in the background, before the first call.
ClusterClient::ClusterClient(ClusterConfig config) : lanes_(config) {}

ClusterClient::ClusterClient(std::string_view url) : ClusterClient(ClusterConfig::from_url(url)) {}

// ~SyncLanes closes every lane and runs each one's context until its work finished.
ClusterClient::~ClusterClient() = default;

void ClusterClient::close() { lanes_.close(); }

std::vector<cluster::NodeDescription> ClusterClient::nodes() {
  cluster::SyncLane& lane = lanes_.first();
  auto read = [&lane] {
    std::promise<std::vector<cluster::NodeDescription>> p;
    auto f = p.get_future();
    lane.driver.post([&] { p.set_value(lane.router->nodes()); });
    return f.get();
  };
  auto out = read();
  if (out.empty()) {
    // No topology yet: wait for the first lane's. When no seed answered, a
    // request tries again and throws, saying what each seed answered.
    std::promise<std::error_code> p;
    auto f = p.get_future();
    lane.driver.post([&] { lane.router->when_ready([&p](std::error_code ec) { p.set_value(ec); }); });
    if (f.get()) call_on_primaries({"PING"});
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

// The error a failed scan_all throws, in both its forms.
Error scan_error(std::error_code ec, const std::string& why) {
  return Error(ec, "scan_all" + (why.empty() ? std::string() : ": " + why));
}

constexpr const char* closed_before_end = "the client was closed before the scan ended";

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
    if (p_) p_->set_value(ScanResult{make_error_code(errc::connection_closed), {}, closed_before_end});
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
  cluster::SyncLane& lane = lanes_.first();
  lane.driver.post([router = lane.router, done = ScanCompletion(std::move(promise)), options]() mutable {
    std::make_shared<cluster::ScanAllOp<ScanCompletion>>(std::move(router), std::move(done), options)->start();
  });
  ScanResult r = outcome.get();
  if (r.ec) throw scan_error(r.ec, r.why);
  return std::move(r.keys);
}

namespace cluster {

// Shared by the calling thread (next(), stop()) and the scan on the
// router's thread (its sink and its completion), under `m`; `control` is
// only touched on the router's thread.
struct PageStream::State {
  explicit State(SyncDriver& d) noexcept : driver(d) {}

  SyncDriver& driver;  // runs what next() and stop() hand to the scan
  ScanControl control;  // set before the scan starts
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::vector<std::string>> pages;
  bool paused = false;  // the sink answered `later`: the next take resumes the scan
  bool ended = false;
  std::error_code ec;
  std::string why;

  void end(std::error_code e, std::string w) {
    std::lock_guard<std::mutex> lock(m);
    ended = true;
    ec = e;
    why = std::move(w);
    cv.notify_all();
  }
};

namespace {

// The sink, on the router's thread: a page into the queue; `later` once it
// holds max_buffered.
struct QueuePages {
  std::shared_ptr<PageStream::State> s;
  PageTaken take(std::vector<std::string>& page) {
    std::lock_guard<std::mutex> lock(s->m);
    s->pages.push_back(std::move(page));
    s->cv.notify_one();
    if (s->pages.size() < PageStream::max_buffered) return PageTaken::more;
    s->paused = true;
    return PageTaken::later;
  }
};

// The completion: the scan ended. Destroyed without having been called (the
// posted start never ran), it ends the stream with connection_closed, so the
// caller returns on every path.
class StreamEnd {
 public:
  explicit StreamEnd(std::shared_ptr<PageStream::State> s) noexcept : s_(std::move(s)) {}
  StreamEnd(StreamEnd&&) noexcept = default;
  StreamEnd& operator=(StreamEnd&&) = delete;
  ~StreamEnd() {
    if (s_) s_->end(make_error_code(errc::connection_closed), closed_before_end);
  }
  void operator()(std::error_code ec, std::string why) {
    if (auto s = std::exchange(s_, nullptr)) s->end(ec, std::move(why));
  }

 private:
  std::shared_ptr<PageStream::State> s_;
};

}  // namespace

PageStream::PageStream(std::shared_ptr<Router> router, SyncDriver& driver, const ScanAllOptions& options)
    : state_(std::make_shared<State>(driver)) {
  // As the collecting scan_all: the router taken on the caller's thread.
  state_->driver.post([router = std::move(router), s = state_, options]() mutable {
    using Op = ScanAllOp<StreamEnd, QueuePages>;
    auto op = std::make_shared<Op>(std::move(router), StreamEnd(s), options, QueuePages{s});
    s->control = op->control();
    op->start();
  });
}

PageStream::~PageStream() { stop(); }

bool PageStream::next(std::vector<std::string>& page) {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.m);
  s.cv.wait(lock, [&] { return !s.pages.empty() || s.ended; });
  if (s.pages.empty()) {
    if (s.ec) throw scan_error(s.ec, s.why);
    return false;
  }
  page = std::move(s.pages.front());
  s.pages.pop_front();
  if (s.paused) {
    s.paused = false;
    s.driver.post([st = state_] { st->control.resume(); });
  }
  return true;
}

void PageStream::stop() noexcept {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.m);
  if (s.ended) return;
  s.pages.clear();
  s.paused = false;
  // Posted after the start (the router's executor runs them in order), so
  // `control` is set by then; a scan that already ended ignores it.
  s.driver.post([st = state_] { st->control.stop(); });
  s.cv.wait(lock, [&] { return s.ended; });
}

}  // namespace cluster

}  // namespace valkey
