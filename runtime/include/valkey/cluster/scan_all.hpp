#pragma once
/// \file
/// scan_all for the cluster clients: CLUSTERSCAN where the server has it
/// (Valkey 9.1: one cursor across the cluster, each page at the owner of the
/// slot its cursor names; a page lost with its node is read again; the slots
/// that moved or migrated during the pass walked again with SCAN), else SCAN
/// on the primaries with a record of the slots each walk covered
/// (scan_record.hpp), walking again what a migration or a failover left
/// uncovered. ClusterClient::scan_all() blocks; AsyncClusterClient's takes a
/// completion token: `void(std::error_code, std::vector<std::string>)`, and
/// honours the token's cancellation slot. Both have a streaming form that
/// hands the keys over page by page instead (a page sink, below).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <valkey/cluster/router.hpp>
#include <valkey/cluster/run.hpp>
#include <valkey/cluster/scan_record.hpp>
#include <valkey/cluster/slot.hpp>
#include <valkey/error.hpp>
#include <valkey/exec/plan.hpp>
#include <valkey/export.hpp>
#include <valkey/reply.hpp>
#include <valkey/view.hpp>

namespace valkey {

/// What scan_all() asks each page of keys for (every field has a default, so that
/// `{.match = "user:*"}` alone compiles under -Wmissing-field-initializers).
struct ScanAllOptions {
  std::string_view match = {};  ///< MATCH pattern; empty: every key
  std::int64_t count = 0;       ///< COUNT hint per call; 0: the server's default
  std::string_view type = {};   ///< TYPE filter; empty: any type
  /// How long the scan may go without progress (no slot covered, no
  /// CLUSTERSCAN page read) while slots migrate or a failover completes,
  /// before it fails with errc::cluster_down (a shard lost for good).
  std::chrono::milliseconds max_stall = std::chrono::seconds(30);
};

namespace cluster {

/// The SCAN arguments for one page (views into `cursor`, `count` and the options).
VALKEY_CPP_EXPORT std::vector<std::string_view> scan_args(const std::string& cursor, const std::string& count, std::string_view match,
                                        std::string_view type);
/// The same for CLUSTERSCAN (Valkey 9.1): its cursor names a slot by a hash
/// tag (`"<fingerprint>-{tag}-<n>"`), so each page goes to that slot's owner
/// and the walk survives slots moving under it.
VALKEY_CPP_EXPORT std::vector<std::string_view> clusterscan_args(const std::string& cursor, const std::string& count,
                                               std::string_view match, std::string_view type);
/// The node serving `slot` in `nodes` (a primary's address), empty if none.
VALKEY_CPP_EXPORT std::string owner_address(const std::vector<NodeDescription>& nodes, std::uint16_t slot);
/// The addresses of the primaries in `nodes` that serve slots, in order: the
/// nodes a scan starts with.
VALKEY_CPP_EXPORT std::vector<std::string> slot_primaries(const std::vector<NodeDescription>& nodes);
/// The first of them (empty if none): where any primary will do.
VALKEY_CPP_EXPORT std::string first_slot_primary(const std::vector<NodeDescription>& nodes);
/// Reads one SCAN page: the next cursor and the keys appended; false when the
/// reply is not `[cursor, [keys...]]`.
VALKEY_CPP_EXPORT bool read_scan_page(const Reply& page, std::string& cursor, std::vector<std::string>& keys);

/// Sorts `keys` and drops repeats: a key met by two walks (a slot that moved,
/// a page read again) is returned once.
VALKEY_CPP_EXPORT void unique_keys(std::vector<std::string>& keys);

/// Whether a CLUSTERSCAN page that failed with `ec` is read again with the
/// same cursor: the node was lost or failed over (the cursor names a slot,
/// so the page goes to whoever serves it next), not a refusal by a server.
VALKEY_CPP_EXPORT bool retry_cluster_page(std::error_code ec) noexcept;

// A CLUSTERSCAN page answered after an ASK (the client's ASK count moved
// while it was out) is not followed: the importing node scans its part of
// the slot and then, in range mode, the rest of the migrating node's range,
// where it holds nothing, so the cursor it returns would skip keys. The page
// is asked again at the owner until the slot's migration ended (then MOVED
// sends it to the new owner, which restarts the slot: another node's
// fingerprint). Another request of the same client that met an ASK only
// costs a page read twice.

/// Where the scan's pages go: a sink answers each page it is offered.
enum class PageTaken {
  more,   ///< go on
  stop,   ///< end the scan now, successfully: nothing more is asked
  later,  ///< pause: nothing more is asked until the scan's control resumes it
};

/// A running scan as the code around it sees it. resume() goes on with a scan
/// its sink paused (PageTaken::later), stop() ends it successfully with no
/// further request. Both must be called on the router's executor; neither
/// has any effect on a scan that ended, and neither keeps it alive.
class ScanControl {
 public:
  /// A control of no scan: resume() and stop() do nothing.
  ScanControl() = default;
  /// A control that calls `go_on(true)` for resume() and `go_on(false)` for stop().
  explicit ScanControl(std::function<void(bool)> go_on) : go_on_(std::move(go_on)) {}
  /// Goes on with a scan its sink paused.
  void resume() const {
    if (go_on_) go_on_(true);
  }
  /// Ends the scan successfully, with no further request.
  void stop() const {
    if (go_on_) go_on_(false);
  }

 private:
  std::function<void(bool)> go_on_;
};

/// The collecting scan's sink: every key, each once (done() sorts them and
/// drops repeats).
struct CollectKeys {
  /// The keys taken so far.
  std::vector<std::string> keys;
  /// Moves the page's keys into `keys`; always PageTaken::more.
  PageTaken take(std::vector<std::string>& page) {
    keys.insert(keys.end(), std::make_move_iterator(page.begin()), std::make_move_iterator(page.end()));
    return PageTaken::more;
  }
};

/// The caller's on_page as a sink: it returns void (go on) or something
/// that converts to bool (false: stop). The async streaming scan's sink, on
/// the router's executor; the sync one calls it so on the calling thread.
template <class F>
struct CallPages {
  /// The caller's callback.
  F on_page;
  /// Calls on_page with the page; PageTaken::stop when it returned false.
  PageTaken take(std::vector<std::string>& page) {
    if constexpr (std::is_void_v<std::invoke_result_t<F&, std::vector<std::string>&>>) {
      on_page(page);
      return PageTaken::more;
    } else {
      return static_cast<bool>(on_page(page)) ? PageTaken::more : PageTaken::stop;
    }
  }
};

/// The scan, on the router's executor. It holds the router, not a client, so
/// a client closed or moved meanwhile is never touched: every request then
/// fails with connection_closed and the scan ends with it.
///
/// Each page read (its keys, never an empty one) goes to `Sink`
/// (`take(page) -> PageTaken`, called on the router's executor; it may move
/// the keys out). With CollectKeys, `Handler` is
/// `void(std::error_code, std::vector<std::string>)`: every key once,
/// sorted; with any other sink it is `void(std::error_code)`, the pages
/// already taken staying taken. Either may have a last std::string argument
/// that gets why a scan failed (the sync client's message). A sink that
/// answers `later` pauses the scan until control().resume(): no request is
/// out meanwhile, and the time paused does not count towards max_stall. An
/// exception from take() ends the scan (no further request) and is rethrown
/// from a handler posted to the router's executor, so it leaves that
/// executor's run() as one from any handler would, rather than through the
/// connection whose answer carried the page; the completion handler is then
/// destroyed without being called.
///
/// The handler completes once, posted to its associated executor (default:
/// the router's), which counts the scan as outstanding work until then. Its
/// cancellation slot, emitted on the router's executor like every call of
/// the client, ends the scan with errc::cancelled for every cancellation
/// type (a scan only reads, so none leaves anything behind): the backoff
/// timer is cancelled, no further request is made, the keys collected so far
/// are dropped, and a request already out is ignored when it answers.
template <class Handler, class Sink = CollectKeys>
class ScanAllOp : public std::enable_shared_from_this<ScanAllOp<Handler, Sink>> {
  using slot_type = asio::associated_cancellation_slot_t<Handler>;
  using work_type = asio::executor_work_guard<asio::associated_executor_t<Handler, Router::executor_type>>;
  static constexpr bool collects = std::is_same_v<Sink, CollectKeys>;

 public:
  /// A scan of `router`'s cluster with the options `o`, completing through
  /// `h`; start() begins it (the object must be owned by a std::shared_ptr).
  ScanAllOp(std::shared_ptr<Router> router, Handler h, const ScanAllOptions& o, Sink sink = {})
      : router_(std::move(router)), handler_(std::move(h)), sink_(std::move(sink)),
        slot_(asio::get_associated_cancellation_slot(handler_)),
        work_(std::in_place, asio::get_associated_executor(handler_, router_->get_executor())), match_(o.match),
        type_(o.type), count_(o.count > 0 ? std::to_string(o.count) : std::string()), max_stall_(o.max_stall),
        record_(o.max_stall, ScanRecord::clock::now()), timer_(router_->get_executor()) {}

  /// The control of this scan (ScanControl): holds it weakly.
  ScanControl control() {
    std::weak_ptr<ScanAllOp> weak = this->shared_from_this();
    return ScanControl([weak](bool go_on) {
      if (auto self = weak.lock()) go_on ? self->resume() : self->done({});
    });
  }

  /// Begins the scan once the router has a topology.
  void start() {
    auto self = this->shared_from_this();
    arm_cancellation();
    router_->when_ready([self](std::error_code ec) {
      if (self->finished_) return;  // cancelled meanwhile
      if (ec) return self->done(ec);
      self->view_nodes_ = slot_primaries(self->router_->nodes());
      if (self->view_nodes_.empty()) return self->done({});
      const std::string first = self->view_nodes_.front();
      // Every primary's own view before the first page: CLUSTERSCAN's pass
      // is checked against them afterwards (check_cluster_pass()).
      self->read_views([self, first] {
        self->views_before_ = std::move(self->views_);
        // CLUSTERSCAN where the server has it; an error answer: SCAN per node.
        self->call(first, clusterscan_args(self->cursor_, self->count_, self->match_, self->type_),  // cursor_ is "0"
                   [self](std::error_code page_ec, Reply page) {
                     if (ended(page_ec)) return self->done(page_ec);
                     if (!page_ec && self->read_page(page)) {
                       self->stall_since_ = ScanRecord::clock::now();
                       return self->deliver(&ScanAllOp::next_cluster_page);
                     }
                     self->cursor_ = "0";
                     self->begin_round();
                   });
      });
    });
  }

 private:
  using step = void (ScanAllOp::*)();

  // The client was closed: nothing more to ask.
  static bool ended(std::error_code ec) { return ec == errc::connection_closed || ec == errc::cancelled; }

  // The slot's handler holds a weak pointer: it may outlive the scan (one
  // dropped with its executor's queue never completes, so its slot is never
  // cleared), and must then neither keep the scan alive nor point at it.
  void arm_cancellation() {
    if (!slot_.is_connected()) return;
    std::weak_ptr<ScanAllOp> weak = this->shared_from_this();
    slot_.assign([weak](asio::cancellation_type type) {
      if (type == asio::cancellation_type::none) return;
      if (auto self = weak.lock()) self->done(make_error_code(errc::cancelled));
    });
  }

  // `f` runs only while the scan goes on: a page that answers after the
  // scan was cancelled is dropped.
  template <class F>
  void call(std::string_view node, const std::vector<std::string_view>& args, F&& f) {
    run_async<Reply>(*router_, exec::ArgsPlan<Reply>{Strings(args)}, Target{Fanout::one_node, node}, nullptr,
                     [self = this->shared_from_this(), f = std::forward<F>(f)](std::error_code ec, Reply r) mutable {
                       if (!self->finished_) f(ec, std::move(r));
                     });
  }

  // One page into cursor_ and page_ (a sink may have moved the last one's
  // keys out); false when the reply is not a page.
  bool read_page(const Reply& page) {
    page_.clear();
    return read_scan_page(page, cursor_, page_);
  }

  // Offers page_ to the sink, then goes on with `next`: now, once the scan's
  // control resumes it, or never (stopped). The paused scan holds itself:
  // no request or timer does meanwhile.
  void deliver(step next) {
    if (page_.empty()) return (this->*next)();
    PageTaken taken;
    try {
      taken = sink_.take(page_);
    } catch (...) {
      finished_ = true;
      timer_.cancel();
      asio::post(router_->get_executor(), [h = std::move(handler_), e = std::current_exception()] {
        std::rethrow_exception(e);
      });
      work_.reset();
      return;
    }
    if (finished_) return;  // on_page cancelled the scan (its slot's emit())
    switch (taken) {
      case PageTaken::more: return (this->*next)();
      case PageTaken::stop: return done({});
      case PageTaken::later:
        paused_ = next;
        paused_at_ = ScanRecord::clock::now();
        held_ = this->shared_from_this();
        return;
    }
  }

  void resume() {
    if (finished_ || !paused_) return;
    const auto held = ScanRecord::clock::now() - paused_at_;
    stall_since_ += held;
    record_.held(held);
    const step next = std::exchange(paused_, nullptr);
    const auto keep = std::move(held_);  // this scan lives on through what `next` starts
    (this->*next)();
  }

  // `CLUSTER NODES` of every node in view_nodes_, in order, into views_
  // (nullopt where a read failed); then `then`.
  template <class F>
  void read_views(F then, std::size_t i = 0) {
    if (i == 0) views_.clear();
    if (i == view_nodes_.size()) return then();
    auto self = this->shared_from_this();
    call(view_nodes_[i], {"CLUSTER", "NODES"}, [self, then = std::move(then), i](std::error_code ec, Reply r) mutable {
      if (ended(ec)) return self->done(ec);
      NodesView v;
      if (!ec && r.is_string() && parse_cluster_nodes(r.as_string(), v)) self->views_.emplace_back(std::move(v));
      else self->views_.emplace_back(std::nullopt);
      self->read_views(std::move(then), i + 1);
    });
  }

  // CLUSTERSCAN's pass is over. On Valkey 9.1 a page reads a migrating
  // slot only from the node the cursor went to, without the keys already
  // moved away, so a slot counts as covered only where a primary served it,
  // not migrating, the same node before the first page and after the last
  // (the record's rule for a walk, scan_record.hpp). The slots left are
  // walked with SCAN, as in the fallback, keeping only their keys.
  void check_cluster_pass() {
    auto self = this->shared_from_this();
    read_views([self] {
      for (std::size_t i = 0; i < self->views_.size() && i < self->views_before_.size(); ++i)
        if (self->views_before_[i] && self->views_[i]) self->record_.end_walk(*self->views_before_[i], *self->views_[i]);
      if (self->record_.complete()) return self->done({});
      self->end_round();
    });
  }

  // CLUSTERSCAN: one cursor, each page at the owner of the slot it names.
  void next_cluster_page() {
    if (cursor_ == "0") return check_cluster_pass();
    auto self = this->shared_from_this();
    std::string node = owner_address(router_->nodes(), hash_slot(cursor_));
    if (node.empty()) node = first_slot_primary(router_->nodes());  // a MOVED corrects it
    const std::uint64_t asks = router_->stats().ask;
    call(node, clusterscan_args(cursor_, count_, match_, type_), [self, asks](std::error_code ec, Reply page) {
      if (ended(ec)) return self->done(ec);
      const std::string cursor = self->cursor_;
      if (!ec && self->read_page(page)) {
        if (self->router_->stats().ask == asks) {
          self->stall_since_ = ScanRecord::clock::now();
          self->retries_ = 0;
          return self->deliver(&ScanAllOp::next_cluster_page);
        }
        // Answered after an ASK (see above): the keys stand, the cursor
        // does not; the same cursor again once the migration ended.
        self->cursor_ = cursor;
        return self->deliver(&ScanAllOp::retry_after_ask);
      }
      if (!ec) return self->done(make_error_code(errc::unexpected_reply_type));
      self->cursor_ = cursor;
      self->retry_page(ec);
    });
  }
  void retry_after_ask() { retry_page(make_error_code(errc::cluster_down)); }
  // The same cursor again after a backoff, within max_stall of the last page read.
  void retry_page(std::error_code ec) {
    if (!retry_cluster_page(ec) || ScanRecord::clock::now() - stall_since_ >= max_stall_)
      return done(ec, "CLUSTERSCAN: " + ec.message());
    auto self = this->shared_from_this();
    wait(std::chrono::milliseconds(20) * (1 << std::min(retries_++, 4)), [self] { self->next_cluster_page(); });
  }

  // SCAN fallback: rounds of walks until every slot is covered (scan_record.hpp).
  void begin_round() {
    targets_ = record_.plan(router_->nodes());
    target_ = 0;
    next_walk();
  }
  void next_walk() {
    if (target_ == targets_.size()) return end_round();
    node_ = targets_[target_++];
    auto self = this->shared_from_this();
    call(node_, {"CLUSTER", "NODES"}, [self](std::error_code ec, Reply r) {
      if (ended(ec)) return self->done(ec);
      if (ec || !r.is_string() || !parse_cluster_nodes(r.as_string(), self->before_)) {
        self->record_.abandon_walk("CLUSTER NODES on " + self->node_ + ": " + (ec ? ec.message() : "no myself line"));
        return self->next_walk();
      }
      if (!self->record_.begin_walk(self->before_)) return self->next_walk();
      self->cursor_ = "0";
      self->next_page();
    });
  }
  void next_page() {
    auto self = this->shared_from_this();
    call(node_, scan_args(cursor_, count_, match_, type_), [self](std::error_code ec, Reply page) {
      if (ended(ec)) return self->done(ec);
      if (ec || !self->read_page(page)) {
        self->record_.abandon_walk("SCAN on " + self->node_ + ": " + (ec ? ec.message() : "not a SCAN reply"));
        return self->next_walk();
      }
      std::erase_if(self->page_, [&](const std::string& k) { return !self->record_.keep(k); });
      self->deliver(&ScanAllOp::after_page);
    });
  }
  void after_page() {
    if (cursor_ != "0") return next_page();
    auto self = this->shared_from_this();
    call(node_, {"CLUSTER", "NODES"}, [self](std::error_code ec, Reply r) {
      if (ended(ec)) return self->done(ec);
      NodesView after;
      if (ec || !r.is_string() || !parse_cluster_nodes(r.as_string(), after))
        self->record_.abandon_walk("CLUSTER NODES on " + self->node_ + ": " + (ec ? ec.message() : "no myself line"));
      else
        self->record_.end_walk(self->before_, after);
      self->next_walk();
    });
  }
  void end_round() {
    if (record_.complete()) return done({});
    const auto delay = record_.next_round(ScanRecord::clock::now());
    if (!delay) return done(make_error_code(errc::cluster_down), record_.failure());
    auto self = this->shared_from_this();
    wait(*delay, [self] { self->begin_round(); });
  }

  // The timer's handler holds the scan: done() cancels the timer so that a
  // cancelled scan is not kept for the rest of a backoff.
  template <class F>
  void wait(std::chrono::milliseconds d, F f) {
    timer_.expires_after(d);
    timer_.async_wait([self = this->shared_from_this(), f = std::move(f)](std::error_code) {
      if (!self->finished_) f();
    });
  }

  // Ends the scan, once (a cancellation may come while a page is out; the
  // page's answer then finds the scan finished). Called on the router's
  // executor, possibly inside the slot's emit(): the handler is never run
  // here but posted to its executor, and the slot is cleared there, just
  // before the handler runs, outside emit().
  void done(std::error_code ec, std::string why = {}) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    const auto keep = std::move(held_);  // a paused scan ends here, not before
    if constexpr (collects) {
      std::vector<std::string> keys;
      if (!ec) {
        keys = std::move(sink_.keys);
        unique_keys(keys);
      }
      complete(ec, std::move(why), std::move(keys));
    } else {
      complete(ec, std::move(why));
    }
  }
  template <class... Result>
  void complete(std::error_code ec, std::string why, Result&&... result) {
    asio::post(work_->get_executor(), [h = std::move(handler_), slot = slot_, ec, why = std::move(why),
                                       ... result = std::forward<Result>(result)]() mutable {
      if (slot.is_connected()) slot.clear();
      if constexpr (std::is_invocable_v<Handler&&, std::error_code, Result..., std::string>)
        std::move(h)(ec, std::move(result)..., std::move(why));
      else
        std::move(h)(ec, std::move(result)...);
    });
    work_.reset();  // the posted completion is work of its own
  }

  std::shared_ptr<Router> router_;
  Handler handler_;
  Sink sink_;
  slot_type slot_;
  std::optional<work_type> work_;  // on the handler's executor, until the completion is posted
  bool finished_ = false;
  std::string match_, type_, count_;
  std::chrono::milliseconds max_stall_;
  std::string cursor_ = "0";
  std::vector<std::string> page_;
  // Paused by the sink: what comes next, since when, and the scan itself.
  step paused_ = nullptr;
  ScanRecord::clock::time_point paused_at_{};
  std::shared_ptr<ScanAllOp> held_;
  // CLUSTERSCAN: retries of the current page, when a page was last read.
  int retries_ = 0;
  ScanRecord::clock::time_point stall_since_{};
  // CLUSTERSCAN: the primaries and their own views before the first page.
  std::vector<std::string> view_nodes_;
  std::vector<std::optional<NodesView>> views_before_, views_;
  // SCAN fallback: the round's nodes, the one walked and its first read.
  ScanRecord record_;
  std::vector<std::string> targets_;
  std::size_t target_ = 0;
  std::string node_;
  NodesView before_;
  asio::steady_timer timer_;
};

class SyncDriver;

/// ClusterClient's streaming scan_all: a ScanAllOp on the client's thread
/// hands its pages to a queue that the calling thread empties with next().
/// The queue holds at most max_buffered pages: the scan pauses there (no
/// request out) until the caller took one, so the keys held at any time are
/// those of max_buffered pages and the one the caller works on.
class VALKEY_CPP_EXPORT PageStream {
 public:
  /// The most pages the queue holds.
  static constexpr std::size_t max_buffered = 2;

  /// Starts the scan on the router's executor, which `driver` runs (the
  /// stream kicks it after each hand-over from the calling thread).
  PageStream(std::shared_ptr<Router> router, SyncDriver& driver, const ScanAllOptions& options);
  /// Stops a scan still running (stop()).
  ~PageStream();
  PageStream(const PageStream&) = delete;
  PageStream& operator=(const PageStream&) = delete;

  /// The next page into `page` (its old content replaced), waiting for it;
  /// false once the scan ended and every page was taken. Throws the
  /// collecting scan_all's valkey::Error when the scan failed, after the
  /// pages read before the failure.
  bool next(std::vector<std::string>& page);
  /// Ends the scan: drops the pages not taken, asks nothing more, and
  /// returns once the scan ended on the router's executor.
  void stop() noexcept;

  /// The queue and the scan's state, shared with the scan (internal).
  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace cluster
}  // namespace valkey
