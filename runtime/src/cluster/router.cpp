// The cluster router: node connections, the slot map and its refreshes, and
// the life of a Job (route, split or fan out, follow redirections, retry,
// combine). Everything runs on the router's executor.
#include <valkey/cluster/router.hpp>

#include <algorithm>
#include <span>
#include <utility>

#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include <valkey/cache/client_hooks.hpp>
#include <valkey/cluster/redirect.hpp>
#include <valkey/cluster/slot.hpp>
#include <valkey/exec/encoded_command.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/observe/probe.hpp>
#include <valkey/policy/idempotency.hpp>
#include <valkey/resp/writer.hpp>

#include "cluster/blocking_timeout.hpp"
#include "detail/ascii.hpp"
#include "detail/url_text.hpp"

namespace valkey::cluster {

namespace {

using clock = RequestBase::clock;

constexpr std::string_view kAsking = "*1\r\n$6\r\nASKING\r\n";

// The job's reply is a map "host:port" -> that node's reply.
bool answers_per_node(const Job& job) {
  return job.want_per_node || job.fanout == Fanout::each_node || job.fanout == Fanout::each_primary;
}

// Reads prefer the client's zone (an az_ read_from mode with client_az set).
bool reads_by_zone(const ClusterConfig& c) {
  return (c.read_from == ReadFrom::az_affinity || c.read_from == ReadFrom::az_affinity_replicas_and_primary) &&
         !c.client_az.empty();
}

}  // namespace

Job::~Job() = default;

const Reply& JobResult::reply_or_null() const noexcept {
  static const Reply none;
  return reply ? *reply : none;
}

void Job::drop_parts() noexcept { parts_.clear(); }

// A batch's command that several nodes answer, run as a job of its own: it
// is split or fanned out and combined exactly as when sent alone, and its
// result becomes its part's entry in the batch's reply.
class BatchEntry final : public Job {
 public:
  explicit BatchEntry(Part& part) : part_(part) {}
  ~BatchEntry() override = default;
  void complete(JobResult&& r) override { router_->entry_done(part_, std::move(r)); }
  // Its result's endpoint, kept for its part's node().
  std::string endpoint;

 private:
  Part& part_;
};

// Out of line: entry_'s type is complete only here.
Part::Part(Job& job, std::size_t index) : job_(job), index_(index) {}
Part::~Part() = default;

Part& PartList::add(Job& job) {
  Part* p = nullptr;
  if (size_ == 0) {
    p = &first_.emplace(job, 0);
  } else {
    more_.push_back(std::make_unique<Part>(job, size_));
    p = more_.back().get();
  }
  ++size_;
  return *p;
}

ReplyBuilder& Part::builder() {
  if (!builder_) builder_.emplace();
  return builder_->b;
}

std::string_view Part::node() const noexcept {
  if (at_) return at_->name;
  if (entry_) return entry_->endpoint;
  return {};
}

std::string_view Part::command_bytes() const noexcept {
  if (extra_ && !extra_->share.empty()) [[unlikely]]
    return extra_->share;
  if (!slice_.empty()) return slice_;
  return job_.bytes.view();
}

void PartList::reserve(std::size_t n) {
  if (n > 1) more_.reserve(n - 1);
}

void PartList::clear() noexcept {
  more_.clear();
  first_.reset();
  size_ = 0;
}

void Part::on_node(const resp::Node& n) {
  if (asking_ && seen_ == 0) return;  // ASKING's +OK
  // A cached read's frame: CLIENT CACHING's +OK and PTTL's integer go to its CacheRead.
  if (framed_ && seen_ != job_.cache->before()) [[unlikely]]
    return job_.cache->frame_node(seen_, n);
  if (!in_reply_) {
    in_reply_ = true;
    // An error (a redirection, TRYAGAIN...) or an attribute first: built,
    // for part_done() to read.
    streaming_ = direct_ && !resp::is_error(n.type) && n.type != resp::Type::attribute;
  }
  if (streaming_) {
    direct_->on_node(n);
    if (framed_) [[unlikely]]
      job_.cache->read_node(n);  // recorded for the store
  } else {
    builder().on_node(n);
  }
}

void Part::on_reply_end() {
  const bool skipped = (asking_ && seen_ == 0) || (framed_ && seen_ != job_.cache->before());
  ++seen_;
  if (skipped) return;
  in_reply_ = false;
  if (streaming_) {
    direct_->on_message_end();
    streamed_ = true;
    return;
  }
  ReplyBuilder& b = builder();
  b.on_message_end();
  if (commands_ > 1) extra().replies.push_back(b.take());
  else reply_ = b.take();
}

void Part::on_complete(std::error_code ec) {
  std::shared_ptr<Router> router = job_.router_;  // the job may end inside
  router->on_part_complete(*this, ec);
}

// A request of the router's own, owned by the router (keep(), release()).
struct Router::Own : RequestBase {
  explicit Own(Router& r) noexcept : router(r) {}
  Own(const Own&) = delete;
  Own& operator=(const Own&) = delete;
  virtual ~Own() = default;

  Router& router;
  Own* prev = nullptr;
  Own* next = nullptr;
};

// One whose reply is built whole (the topology queries, COMMAND INFO).
struct Router::Built : Own {
  using Own::Own;
  ReplyBuilder builder;
  Reply reply;

  void on_node(const resp::Node& n) override { builder.on_node(n); }
  void on_reply_end() override {
    builder.on_message_end();
    reply = builder.take();
  }
};

// READONLY, its reply discarded.
struct Router::Readonly final : Own {
  using Own::Own;
  void on_node(const resp::Node&) override {}
  void on_reply_end() override {}
  void on_complete(std::error_code) override { router.release(*this); }
};

namespace {

// The map with each node at the port this client connects to: a TLS client
// uses a node's tls-port where the topology names one (CLUSTER SHARDS lists
// both ports; CLUSTER SLOTS answers a TLS connection with TLS ports, and so
// does a MOVED). A node keeps both ports, so either still finds it.
SlotMap reached_by(SlotMap map, bool tls) {
  if (!tls) return map;
  auto differs = [](const Node& n) { return n.tls_port != 0 && n.tls_port != n.port; };
  bool any = false;
  for (const Shard& s : map.shards()) any = any || std::any_of(s.nodes.begin(), s.nodes.end(), differs);
  if (!any) return map;
  SlotMap out;
  for (const Shard& s : map.shards()) {
    Shard copy = s;
    for (Node& n : copy.nodes)
      if (n.tls_port != 0) n.port = n.tls_port;
    out.add_shard(std::move(copy));
  }
  for (std::size_t i = 0; i < map.shards().size(); ++i)
    for (const SlotRange r : map.ranges(i)) out.assign(r, i);
  return out;
}

}  // namespace

// One topology query (CLUSTER SHARDS, then CLUSTER SLOTS when the node does
// not know SHARDS) to one node.
struct Router::Query final : Built {
  using Built::Built;
  std::size_t index = 0;
  std::string host;
  std::uint16_t port = 0;
  std::shared_ptr<Connection> conn;
  bool slots = false;  // asked CLUSTER SLOTS

  void on_complete(std::error_code ec) override {
    // Kept for the call: what query_done() runs may let the router's other owners go.
    const std::shared_ptr<Router> hold = router.shared_from_this();
    router.query_done(*this, ec);
  }
};

// COMMAND INFO <name> for a command the generated table does not know.
struct Router::Lookup final : Built {
  using Built::Built;
  std::string name;  // upper case
  std::string bytes;
  std::shared_ptr<Connection> conn;

  void on_complete(std::error_code ec) override {
    const std::shared_ptr<Router> hold = router.shared_from_this();
    router.looked_up(*this, ec);
  }
};

std::shared_ptr<Router> Router::create(executor_type ex, ClusterConfig config) {
  return std::make_shared<Router>(Private{}, std::move(ex), std::move(config));
}

Router::Router(Private, executor_type ex, ClusterConfig config)
    : ex_(std::move(ex)),
      config_(std::move(config)),
      rng_(std::random_device{}()),
      refresh_timer_(ex_),
      periodic_timer_(ex_) {
  // Node connections open later, on demand: a bad node Config must fail here.
  config_.node.validate();
  // One store for the client; every node connection tracks into it.
  cache_ = cache_detail::make_store(config_.node);
  policies_ = config_.node.retry.has_value() || config_.node.circuit_breaker.has_value();
  if (config_.retry_budget) {
    if (config_.retry_budget->enabled) {
      const std::string problem = policy::RetryPolicy{.budget = *config_.retry_budget}.problem();
      if (!problem.empty())
        throw Error(make_error_code(errc::invalid_argument), "ClusterConfig.retry_budget: " + problem);
    }
    retry_budget_.emplace(*config_.retry_budget);
  }
}

Router::~Router() {
  for (auto& [name, c] : conns_) {
    c->set_observer(nullptr);
    c->close();
  }
  // Own requests still here never complete: while the io_context runs, the
  // router outlives their completions (close_connection()), so it goes with
  // some still here only when the io_context was destroyed without running
  // them. Their connections hold them by address and never run again.
  while (own_) {
    Own* r = own_;
    own_ = r->next;
    delete r;
  }
}

void Router::keep(Own& r) noexcept {
  r.next = own_;
  if (own_) own_->prev = &r;
  own_ = &r;
}

void Router::release(Own& r) noexcept {
  if (r.prev) r.prev->next = r.next;
  else own_ = r.next;
  if (r.next) r.next->prev = r.prev;
  delete &r;
}

void Router::close_connection(Connection& c) {
  c.set_observer(nullptr);
  if (!own_) return c.close();
  // Posted after the completions the close posts: the own requests among
  // them complete while the router is still there.
  c.close([self = shared_from_this()] {});
}

ClusterStats Router::stats() const noexcept {
  ClusterStats s;
  s.refreshes = counters_.refreshes.load(std::memory_order_relaxed);
  s.refresh_queries = counters_.refresh_queries.load(std::memory_order_relaxed);
  s.moved = counters_.moved.load(std::memory_order_relaxed);
  s.ask = counters_.ask.load(std::memory_order_relaxed);
  s.retries = counters_.retries.load(std::memory_order_relaxed);
  s.redirect_limits_hit = counters_.redirect_limits_hit.load(std::memory_order_relaxed);
  s.retry_budget_exhausted = counters_.retry_budget_exhausted.load(std::memory_order_relaxed);
  return s;
}

std::vector<NodeDescription> Router::nodes() const {
  std::vector<NodeDescription> out;
  if (!map_) return out;
  for (std::size_t s = 0; s < map_->shards().size(); ++s) {
    const auto ranges = map_->ranges(s);
    for (const Node& n : map_->shards()[s].nodes) {
      out.push_back(NodeDescription{valkey::detail::host_port(n.host, n.port), n.id, n.role == NodeRole::primary, ranges, n.zone, n.health});
    }
  }
  return out;
}

void Router::flush_cache(FlushReason reason) {
  if (!cache_) return;
  cache_->flush_all(reason);
  if (config_.node.observer) cache_detail::notify_cache(config_.node, CacheEvent{CacheEvent::Kind::flush, 1});
}

void Router::evict_written(const Job& job) {
  // A read-only command writes nothing; batches and call() (flags none) are looked into.
  if (has(job.flags, CommandFlag::readonly)) return;
  cache_detail::evict_written_in(*cache_, job.bytes.view());
}

std::chrono::milliseconds Router::jittered(std::chrono::milliseconds d) {
  if (config_.jitter <= 0 || d.count() <= 0) return d;
  std::uniform_real_distribution<double> f(1.0 - config_.jitter, 1.0 + config_.jitter);
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(d.count()) * f(rng_)));
}

// ---- jobs ----

struct Router::CallerScope {
  explicit CallerScope(Router& r) noexcept : router(r), was(std::exchange(r.delivering_, nullptr)) {}
  ~CallerScope() { router.delivering_ = was; }
  CallerScope(const CallerScope&) = delete;
  CallerScope& operator=(const CallerScope&) = delete;
  Router& router;
  Job* was;
};

void Router::submit(Job& job) {
  const CallerScope caller(*this);  // a handler calling submit(): its job's completion is posted
  job.router_ = shared_from_this();
  if (closed_) return fail(job, make_error_code(errc::connection_closed), {});
  if (job.refused) return fail(job, job.refused, {});
  if (cache_) [[unlikely]]
    evict_written(job);
  if (!map_) {
    waiting_.push_back(&job);
    if (!refreshing_) refresh(false);
    return;
  }
  start(job);
}

void Router::fail(Job& job, std::error_code ec, std::string detail) {
  job.result_.ec = ec;
  job.result_.detail = std::move(detail);
  complete_job(job);
}

// Called by the connection from its own handler, never inside a caller's
// call: a job that ends here completes at once (as a single node's request
// does), without a trip through the executor's queue.
void Router::on_part_complete(Part& p, std::error_code ec) {
  --in_flight_;
  Job* const was = std::exchange(delivering_, &p.job_);
  part_done(p, ec);
  delivering_ = was;
}

// Every caller of complete_job() returns right after it: the job and its
// parts may be gone.
void Router::complete_job(Job& job) {
  // The caller sees the reply only after this: a read it makes next cannot
  // find an entry stored from a read that ran before the write.
  if (cache_) [[unlikely]]
    evict_written(job);
  if (&job == delivering_) {
    delivering_ = nullptr;  // the job is gone: its handler may start a new one at the same address
    return job.complete(std::move(job.result_));
  }
  // The result waits in the job, so the posted handler is one pointer.
  asio::post(ex_, [&job] { job.complete(std::move(job.result_)); });
}

void Router::start(Job& job) {
  const auto timeout = job.options.timeout.count() > 0 ? job.options.timeout : config_.node.request_timeout;
  // A job started again after its command's COMMAND INFO keeps its deadline.
  if (timeout.count() > 0 && !job.looked_up_) job.deadline_ = clock::now() + timeout;
  if (job.batch) {
    if (!build_batch(job)) return;
    return send_all(job);
  }
  // A typed command whose slot its caller found (Job::slot): one part to
  // that slot, as route() would decide from the same keys.
  const bool presolved = job.slot >= 0 && job.info && job.fanout == Fanout::routed;
  if (!presolved && (!exec::parse_command(job.bytes.view(), argv_) || argv_.empty()))
    return fail(job, make_error_code(errc::invalid_argument), "not one command");
  // Blocking commands wait on a connection of their own (leased from the
  // node's pool), never on the one every request to the node shares; the
  // command's own timeout rules, not request_timeout.
  const bool blocking = has(job.flags, CommandFlag::blocking);
  if (blocking) job.deadline_ = clock::time_point::max();
  if (blocking && job.options.idempotent)  // as on a single node: a blocking pop is never resent
    return fail(job, make_error_code(errc::invalid_argument),
                "with({.idempotent = true}) is refused for a blocking command: it is never resent");

  auto add_part = [&](int slot) -> Part& {
    Part& p = job.parts_.add(job);
    p.slot_ = slot;
    return p;
  };
  auto fan_out = [&](bool replicas_too) {
    for (const Shard& s : map_->shards()) {
      for (const Node& n : s.nodes) {
        if (!replicas_too && n.role != NodeRole::primary) continue;
        Part& p = add_part(-1);
        p.at_ = node_ref(n.host, n.port);
        p.pinned_ = true;
      }
    }
  };

  switch (job.fanout) {
    case Fanout::one_node: {
      std::string_view host;
      std::uint16_t port = 0;
      std::string_view why;
      if (!parse_host_port(job.node.view(), host, port, &why))
        return fail(job, make_error_code(errc::invalid_argument),
                    "node '" + std::string(job.node.view()) + "': " + std::string(why));
      Part& p = add_part(-1);
      p.at_ = node_ref(host, port);
      p.pinned_ = true;
      break;
    }
    case Fanout::each_primary: fan_out(false); break;
    case Fanout::each_node: fan_out(true); break;
    case Fanout::routed: {
      if (presolved) {
        // As route_slot() decides: the slot's part, read-only when the command is.
        add_part(job.slot).read_only_ = job.info->is(CommandFlag::readonly) && !job.cache;
        break;
      }
      const std::span<const std::string_view> argv(argv_.data(), argv_.size());
      job.route_ = job.info ? route(*job.info, argv) : route(argv);
      if (!job.info && !job.route_->info) {
        // Not in the generated table (a module's command, a newer server's):
        // routed by the server's own description, asked once per name.
        const std::string_view sub = argv.size() > 1 ? argv[1] : std::string_view{};
        if (const CommandInfo* described = server_commands_.find(argv[0], sub)) job.route_ = route(*described, argv);
        else if (wait_for_description(job, argv[0])) return;
      }
      const Route& r = *job.route_;
      switch (r.kind) {
        case RouteKind::refused:
        case RouteKind::special: return fail(job, make_error_code(errc::invalid_argument), describe(r));
        case RouteKind::cross_slot: return fail(job, make_error_code(errc::cross_slot), describe(r));
        // A read through the cache goes to the primary: only its connection tracks for it.
        case RouteKind::slot: add_part(r.slot).read_only_ = r.read_only && !job.cache; break;
        case RouteKind::unknown_keys: add_part(r.hint_slot); break;
        case RouteKind::any_primary: add_part(-1); break;
        case RouteKind::multi_slot: build_split(job); break;
        case RouteKind::all_shards:
        case RouteKind::all_nodes:
          fan_out(r.kind == RouteKind::all_nodes);
          if (r.info && r.info->response_policy == ResponsePolicy::special) job.want_per_node = true;
          break;
      }
      break;
    }
  }
  if (job.parts_.empty()) return fail(job, make_error_code(errc::cluster_down), "the topology lists no node");
  if (blocking) {
    if (job.parts_.size() > 1)
      return fail(job, make_error_code(errc::invalid_argument),
                  std::string(argv_.front()) + " is a blocking command that would run on several nodes");
    job.parts_.front().leased_ = true;
  }
  send_all(job);
}

void Router::send_all(Job& job) {
  // Most jobs have one part: sent at once, with nothing to batch or count.
  if (job.parts_.size() == 1 && !retry_budget_) {
    Part& p = job.parts_.front();
    if (!p.preset_ && !p.entry_) {
      job.outstanding_ = 1;
      return send(p);
    }
  }
  std::size_t to_send = 0;
  for (Part& p : job.parts_) to_send += p.preset_ ? 0 : 1;
  if (to_send == 0) return finish(job);
  job.outstanding_ = to_send;
  // Several parts: everything for one node leaves in one write. A batch's
  // entry job (start_entry) sends its parts inside its batch's write.
  const bool batch = job.parts_.size() > 1 && !batching_;
  if (batch) batching_ = true;
  // A part may fail while being sent and finish the job; iterate by index over
  // a count taken first (the parts stay owned by the job until it completes,
  // which is always posted).
  const std::size_t n = job.parts_.size();
  if (retry_budget_) [[unlikely]] {  // each part sent is a deposit (a batch entry's parts count in its own job)
    std::size_t sent = 0;
    for (Part& p : job.parts_) sent += p.preset_ || p.entry_ ? 0 : 1;
    const policy::TimePoint now = policy::Clock::now();
    for (std::size_t i = 0; i < sent; ++i) retry_budget_->on_request(now);
  }
  for (std::size_t i = 0; i < n; ++i) {
    Part& p = job.parts_[i];
    if (p.preset_) continue;
    if (p.entry_) start_entry(p);
    else send(p);
  }
  if (batch) {
    batching_ = false;
    for (auto& c : held_) c->release_writes();
    held_.clear();
  }
}

void Router::start_entry(Part& p) {
  BatchEntry& e = *p.entry_;
  e.router_ = p.job_.router_;
  e.bytes = exec::Bytes(std::string(p.command_bytes()));
  e.options = p.job_.options;
  start(e);
}

void Router::entry_done(Part& p, JobResult&& r) {
  // Failures without a reply (a node lost, redirects exhausted) fail the
  // batch as a part's own would; replies, error replies included, are its entry.
  if (r.ec) {
    p.ec_ = r.ec;
    p.detail_ = std::move(r.detail);
    p.connection_error_ = std::move(r.connection_error);
    p.may_have_run_ = r.written;
  } else {
    p.reply_ = r.reply ? std::move(*r.reply) : Reply{};
  }
  p.entry_->endpoint.assign(r.endpoint);  // r is the entry job's: its parts may end before the batch's
  part_final(p);
}

bool Router::build_batch(Job& job) {
  std::string_view rest = job.bytes.view();
  std::vector<std::string_view>& argv = argv_;  // one buffer for every job
  // A batch of one kind of command (48 GETs) routes every command after the
  // first without looking its name up or walking its key specs again: one
  // sent under the previous command's name, whose only key sits at a fixed
  // position (fixed_key_positions(): GET, SET, INCR...), takes that key's slot.
  const CommandInfo* repeat_info = nullptr;
  std::string_view repeat_name;
  std::size_t repeat_key = 0;
  while (!rest.empty()) {
    const std::size_t n = exec::parse_first_command(rest, argv);
    if (n == 0 || argv.empty()) {
      fail(job, make_error_code(errc::invalid_argument), "a batch that is not a sequence of commands");
      return false;
    }
    if (job.parts_.empty()) {
      if (valkey::detail::iequals(argv.front(), "MULTI")) return build_transaction(job, 0);
      // Room for as many parts as the batch holds commands as long as its
      // first one: exact for a batch of one kind of command, and no more
      // pointers than the batch has bytes otherwise.
      job.parts_.reserve(job.bytes.size() / n);
    }
    Route r;
    if (repeat_info && argv.front() == repeat_name && argv.size() > repeat_key) {
      route_slot(r, *repeat_info, hash_slot(argv[repeat_key]));
    } else {
      if (route_or_wait(job, std::span<const std::string_view>(argv.data(), argv.size()), r)) return false;
      repeat_info = nullptr;
      if (r.kind == RouteKind::slot && r.info && r.info->key_specs.size() == 1 && fixed_key_positions(*r.info) &&
          r.info->name.find(' ') == std::string_view::npos) {
        repeat_info = r.info;
        repeat_name = argv.front();
        repeat_key = static_cast<std::size_t>(r.info->key_specs.front().begin_index);
      }
    }
    Part& p = job.parts_.add(job);
    p.slice_ = rest.substr(0, n);
    rest.remove_prefix(n);
    auto refuse = [&](std::string why) {
      p.preset_ = true;
      p.reply_ = Reply::error("ERR " + why);
    };
    if (r.info && r.info->is(CommandFlag::blocking)) {
      // Runs as its own job on a connection leased from its node's pool, as
      // when sent alone: it must not hold the connection the others share.
      p.entry_ = std::make_unique<BatchEntry>(p);
      p.entry_->flags = r.info->flags;
      continue;
    }
    switch (r.kind) {
      case RouteKind::slot:
        p.slot_ = r.slot;
        p.read_only_ = r.read_only;
        break;
      case RouteKind::unknown_keys: p.slot_ = r.hint_slot; break;
      case RouteKind::any_primary: p.slot_ = -1; break;
      case RouteKind::multi_slot:
      case RouteKind::all_nodes:
      case RouteKind::all_shards:
        // Split or fanned out as when sent alone; its combined reply is the entry.
        p.entry_ = std::make_unique<BatchEntry>(p);
        if (r.info) p.entry_->flags = r.info->flags;
        break;
      default: refuse(describe(r)); break;
    }
  }
  if (job.parts_.empty()) {
    fail(job, make_error_code(errc::invalid_argument), "an empty batch");
    return false;
  }
  return true;
}

// MULTI ... EXEC as one part to the owner of every key's slot: all keys in
// one slot (else cross_slot), and only commands a single node can run.
bool Router::build_transaction(Job& job, std::size_t) {
  std::string_view rest = job.bytes.view();
  std::vector<std::string_view> argv;
  std::uint32_t commands = 0;
  int slot = -1;
  std::string first_key_command;
  while (!rest.empty()) {
    const std::size_t n = exec::parse_first_command(rest, argv);
    if (n == 0 || argv.empty()) {
      fail(job, make_error_code(errc::invalid_argument), "a transaction that is not a sequence of commands");
      return false;
    }
    rest.remove_prefix(n);
    ++commands;
    const bool frame = valkey::detail::iequals(argv.front(), "MULTI") || valkey::detail::iequals(argv.front(), "EXEC");
    if (frame) continue;
    Route r;
    if (route_or_wait(job, std::span<const std::string_view>(argv.data(), argv.size()), r)) return false;
    std::string why;
    switch (r.kind) {
      case RouteKind::any_primary: break;
      case RouteKind::slot:
      case RouteKind::unknown_keys:
        if (r.kind == RouteKind::unknown_keys && r.hint_slot < 0) break;
        if (slot < 0) {
          slot = r.kind == RouteKind::slot ? r.slot : r.hint_slot;
          first_key_command = std::string(argv.front());
        } else if (slot != (r.kind == RouteKind::slot ? r.slot : r.hint_slot)) {
          fail(job, make_error_code(errc::cross_slot),
               "transaction: " + first_key_command + " uses slot " + std::to_string(slot) + " and " +
                   std::string(argv.front()) + " uses slot " + std::to_string(r.kind == RouteKind::slot ? r.slot : r.hint_slot) +
                   "; a transaction runs on one node: give its keys a common hash tag");
          return false;
        }
        break;
      case RouteKind::cross_slot: why = describe(r); break;
      case RouteKind::multi_slot:
        why = std::string(argv.front()) + " has keys in several slots, which one node cannot run";
        break;
      default:
        why = r.kind == RouteKind::all_nodes || r.kind == RouteKind::all_shards
                  ? std::string(argv.front()) + " runs on several nodes, which a transaction cannot do"
                  : describe(r);
        break;
    }
    // A blocking command inside MULTI does not block (the server runs it
    // as its non-blocking form), so it goes along with the others.
    if (!why.empty()) {
      fail(job, r.kind == RouteKind::cross_slot ? make_error_code(errc::cross_slot)
                                                : make_error_code(errc::invalid_argument),
           "transaction: " + why);
      return false;
    }
  }
  Part& p = job.parts_.add(job);
  p.slot_ = slot;
  p.commands_ = commands;
  return true;
}

void Router::build_split(Job& job) {
  const Route& r = *job.route_;
  const std::vector<std::string_view>& argv = argv_;  // start()'s
  const int first = r.positions.front();
  const int end_keys = r.positions.back() + r.key_step;
  // A key count among the leading arguments (MSETEX numkeys ...) is rewritten per share.
  int numkeys_at = -1;
  if (r.info && !r.info->key_specs.empty()) {
    const KeySpec& s = r.info->key_specs.front();
    if (s.find == KeySpec::Find::keynum && s.begin == KeySpec::Begin::index) numkeys_at = s.begin_index + s.keynumidx;
  }
  for (const SlotGroup& g : r.groups) {
    Part& p = job.parts_.add(job);
    p.slot_ = g.slot;
    Part::Extra& x = p.extra();
    x.keys = g.keys;
    p.read_only_ = r.read_only;
    const std::size_t argc = static_cast<std::size_t>(first) + g.keys.size() * static_cast<std::size_t>(r.key_step) +
                             (argv.size() - static_cast<std::size_t>(std::min<int>(end_keys, static_cast<int>(argv.size()))));
    resp::Writer w(x.share);
    w.begin_command(argc);
    for (int i = 0; i < first; ++i) {
      if (i == numkeys_at) w.arg(static_cast<long long>(g.keys.size()));
      else w.arg(argv[static_cast<std::size_t>(i)]);
    }
    for (std::uint32_t k : g.keys) {
      const int pos = r.positions[k];
      for (int j = 0; j < r.key_step && static_cast<std::size_t>(pos + j) < argv.size(); ++j)
        w.arg(argv[static_cast<std::size_t>(pos + j)]);
    }
    for (std::size_t i = static_cast<std::size_t>(end_keys); i < argv.size(); ++i) w.arg(argv[i]);
  }
}

const Node* Router::pick_primary() {
  if (!map_ || map_->shards().empty()) return nullptr;
  const auto& shards = map_->shards();
  std::uniform_int_distribution<std::size_t> d(0, shards.size() - 1);
  return &shards[d(rng_)].primary();
}

void Router::send(Part& p) {
  // A pinned part's node again from the table: its connection there is the current one.
  if (p.pinned_) return send_to(p, node_ref(p.at_->host, p.at_->port));
  const Node* target = nullptr;
  if (p.slot_ >= 0) {
    // A redirected read follows the redirection, not the preference.
    const bool may_read_replica = p.read_only_ && config_.read_from != ReadFrom::primary && p.redirects_ == 0;
    p.on_replica_ = false;
    // The common case: the owner's handle, kept per shard.
    if (!may_read_replica)
      if (const NodeHandle* owner = owner_ref(static_cast<std::uint16_t>(p.slot_))) return send_to(p, *owner);
    target = map_ ? map_->owner(static_cast<std::uint16_t>(p.slot_)) : nullptr;
    if (target && may_read_replica)
      if (const Node* replica = pick_reader(static_cast<std::uint16_t>(p.slot_)); replica && replica != target) {
        p.on_replica_ = true;
        const NodeHandle& node = node_ref(replica->host, replica->port);
        if (!readonly_.count(node->name)) {
          readonly_.emplace(node->name, true);
          send_readonly(*connection(node->host, node->port, node->name));  // first in its queue: before any read
        }
        return send_to(p, node);
      }
    if (!target) {
      request_refresh();
      p.ec_ = make_error_code(errc::cluster_down);
      p.detail_ = "slot " + std::to_string(p.slot_) + " is not served by any node the topology knows";
      return part_final(p);
    }
  } else {
    target = pick_primary();
    if (!target) {
      p.ec_ = make_error_code(errc::cluster_down);
      p.detail_ = "the topology lists no node";
      return part_final(p);
    }
  }
  send_to(p, node_ref(target->host, target->port));  // the NodeRef's own copy: the map may change before the reply
}

void Router::send_to(Part& p, const NodeHandle& to) {
  Job& job = p.job_;
  if (p.at_ != to) p.at_ = to;
  NodeRef& node = *p.at_;
  if (policies_ || job.options.retry) [[unlikely]] {
    // The node's breaker first, for blocking commands too: while open, the
    // part fails at once, unsent.
    policy::Guard* g = guard_for(node.name);
    const policy::TimePoint now = policy::Clock::now();
    const policy::RetryPolicy* rp = p.leased_ ? nullptr : retry_of(job);  // a blocking command is never resent
    if (!p.first_counted_ && rp && rp->max_attempts > 1) {
      g->first_attempt(now);  // the retry budget's base
      p.first_counted_ = true;
    }
    p.admission_ = g->admit(now);
    if (p.admission_ == policy::Admission::reject) {
      p.ec_ = make_error_code(errc::circuit_open);
      p.detail_ = "the circuit breaker of " + node.name + " is open (Config::circuit_breaker)";
      p.connection_error_.clear();
      return part_final(p);
    }
    p.guard_ = g;
  }
  if (p.leased_) {
    if (p.blocking_since_ == RequestBase::clock::time_point{}) p.blocking_since_ = RequestBase::clock::now();
    auto& pool = pools_[node.name];
    if (!pool) pool = std::make_shared<LeasePool>(ex_, node_config(node.host, node.port));
    p.conn_ = pool->acquire();
    if (!p.conn_) {  // Config::max_leases on this node: fail at once, send nothing
      p.ec_ = make_error_code(errc::queue_full);
      p.detail_ = pool->refusal();
      p.connection_error_.clear();
      if (p.guard_) {  // the breaker's admission ends here, unsent (the bulkhead is no node failure)
        p.guard_->record(p.admission_, p.ec_, false, policy::Clock::now());
        p.guard_ = nullptr;
      }
      return part_final(p);
    }
  } else {
    p.conn_ = shared_connection(node);
  }
  p.seen_ = 0;
  if (p.attempted_) {  // a new part's reply state is fresh already
    if (p.builder_) p.builder_->b.reset();
    p.reply_.reset();
    if (p.extra_) p.extra_->replies.clear();
  }
  p.attempted_ = true;
  p.in_reply_ = p.streaming_ = p.streamed_ = false;
  p.direct_ = !job.batch && p.commands_ == 1 && job.parts_.size() == 1 && !answers_per_node(job) ? job.reply_visitor()
                                                                                                 : nullptr;
  // A cached read goes framed until it is redirected: the attempt after a
  // MOVED or ASK goes plain (ASKING must come right before the read) and is
  // not stored (the store was flushed at the redirection).
  p.framed_ = job.cache && p.redirects_ == 0 && !p.asking_ && !p.leased_;
  if (p.framed_) [[unlikely]]
    job.cache->start();
  p.expected_replies = p.commands_ + (p.asking_ ? 1 : 0) + (p.framed_ ? job.cache->before() + job.cache->after() : 0);
  p.flags = job.flags;
  p.deadline = job.deadline_;
  p.database = job.options.database;  // the connection writes SELECT when it differs
  std::string_view bytes = p.command_bytes();
  if (p.framed_) [[unlikely]]
    bytes = job.cache->framed();
  if (p.asking_) {
    std::string& ask = p.extra().ask;
    ask.assign(kAsking);
    ask.append(bytes);
    bytes = ask;
  }
  if (batching_ && std::find(held_.begin(), held_.end(), p.conn_) == held_.end()) {
    p.conn_->hold_writes();
    held_.push_back(p.conn_);
  }
  // With one thread at a time in the reactor, a lone part's bytes go
  // straight to the socket (Connection::release_writes): no write completion
  // is posted, so the driver can wait on the socket alone (sole_connection()).
  const bool write_now = single_reactor_ && !batching_;
  if (write_now) p.conn_->hold_writes();
  std::error_code ec;
  try {
    ec = p.conn_->submit_encoded(p, bytes);
  } catch (...) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  p.accepted_ = !ec;  // a refused submission wrote nothing (was_written() is the last one's)
  if (!ec) ++in_flight_;
  if (write_now) {
    try {
      p.conn_->release_writes();
    } catch (...) {
      // Memory ran out for the asynchronous rest of the write: the
      // connection drops, and its requests fail (posted) with connection_lost.
      p.conn_->reset();
    }
  }
  if (ec) part_done(p, ec);
}

std::shared_ptr<Connection> Router::sole_connection(Job& job) const noexcept {
  if (in_flight_ != 1 || refreshing_ || refresh_timer_armed_ || closed_ || cache_ || !waiting_.empty() ||
      !describing_.empty() || job.parts_.size() != 1)
    return nullptr;
  const Part& p = job.parts_.front();
  if (!p.accepted_ || p.leased_ || !p.conn_ || !p.active()) return nullptr;
  return p.conn_;
}

void Router::release_lease(Part& p, std::error_code ec) {
  if (!p.leased_ || !p.conn_) return;
  auto it = pools_.find(p.at_->name);
  if (it != pools_.end()) it->second->release(std::move(p.conn_), valkey::detail::lease_reusable(ec));
  else p.conn_->close();
  p.conn_.reset();
}

void Router::part_done(Part& p, std::error_code ec) {
  const bool written = ec && p.accepted_ && p.was_written();
  if (written) p.may_have_run_ = true;
  if (p.guard_) [[unlikely]] {  // the node's breaker learns how the attempt went
    p.guard_->record(p.admission_, ec, written, policy::Clock::now());
    p.guard_ = nullptr;
  }
  if (p.leased_) {
    if (exec::is_connection_failure(ec)) p.connection_error_ = p.conn_ ? p.conn_->last_error() : std::string();
    release_lease(p, ec);
  }
  if (ec) {
    p.ec_ = ec;
    if (!p.leased_ && exec::is_connection_failure(ec))
      p.connection_error_ = p.conn_ ? p.conn_->last_error() : std::string();
    if (ec == errc::cancelled) return part_final(p);  // cancel(): never resent
    if (ec != errc::timeout && ec != errc::cancelled && exec::is_connection_failure(ec)) request_refresh();
    // not_connected: the node is down and the command was never written, so
    // it may go again, to whoever owns the slot once the map is refreshed.
    if (ec == errc::not_connected && !closed_) return retry_later(p, false);
    // A read-only command a replica lost with its connection changed
    // nothing: it goes again, to another replica or the primary (the lost
    // replica's connection is down now, so the pick skips it).
    if (p.on_replica_ && p.read_only_ && ec != errc::timeout && ec != errc::cancelled &&
        exec::is_connection_failure(ec) && !closed_)
      return retry_later(p, false);
    // Config::retry: an idempotent command is resent, another one reports
    // that its outcome is unknown.
    if (written && retry_of(p.job_) && !p.leased_ && !closed_) [[unlikely]]
      if (lost_after_write(p, ec)) return;
    // Never resent otherwise: a command whose connection dropped after it
    // was written may have run.
    return part_final(p);
  }
  if (p.commands_ > 1) {
    // A transaction: a redirect or retryable error while queuing aborted it
    // (EXECABORT) with nothing run, so the whole of it may go again.
    const Reply* err = nullptr;
    for (const Reply& r : p.extra().replies)
      if (!err && r.is_error() && classify_error(r.error_message()) != ClusterError::none) err = &r;
    if (!err || closed_) return part_final(p);
    // MOVED: the whole transaction goes to the new owner. ASK: to the
    // importing node, after ASKING, which holds for every command queued
    // until EXEC (the server keeps the flag while a MULTI is open).
    p.reply_ = *err;
  }
  if (!p.error_reply() || closed_ || p.job_.cancelled_) return part_final(p);
  const std::string message(p.reply_->error_message());
  const ClusterError kind = classify_error(message);
  switch (kind) {
    case ClusterError::moved:
    case ClusterError::ask: {
      Redirect rd;
      std::string_view why;
      if (!parse_redirect(message, rd, &why)) {
        // Never connect to an address that does not parse: the error stands.
        request_refresh();
        return part_final(p);
      }
      if (p.redirects_ >= config_.max_redirects) {
        counters_.redirect_limits_hit.fetch_add(1, std::memory_order_relaxed);
        p.ec_ = make_error_code(errc::too_many_redirects);
        p.detail_ = "followed " + std::to_string(p.redirects_) + " redirections (max_redirects), the last one: " +
                    message;
        request_refresh();
        return part_final(p);
      }
      ++p.redirects_;
      // A blocking command waits at the new node only for what is left of its
      // timeout (computed from the caller's bytes each time, never compounded).
      if (p.leased_) [[unlikely]] {
        std::string reduced;
        if (remaining_timeout(p.job_.bytes.view(), RequestBase::clock::now() - p.blocking_since_, reduced))
          p.extra().share = std::move(reduced);
      }
      // The slot (or a key of it) is served elsewhere now: entries of its keys
      // were tracked by a node that no longer sees their writes.
      flush_cache(FlushReason::topology_changed);
      const std::string host = rd.host.empty() ? p.at_->host : std::string(rd.host);
      if (rd.kind == Redirect::Kind::moved) {
        counters_.moved.fetch_add(1, std::memory_order_relaxed);
        if (map_) {
          map_->patch(rd.slot, host, rd.port);
          owner_refs_.clear();
          patches_.push_back(Patch{++patch_seq_, rd.slot, host, rd.port});
          if (config_.node.observer)
            observe::topology_changed(config_.node, {TopologyEvent::Kind::moved, rd.slot, {host, rd.port, {}},
                                                     map_->shards().size()});
        }
        request_refresh();
        p.asking_ = false;
        // A pinned part (one node) stays pinned to what it was asked for.
      } else {
        counters_.ask.fetch_add(1, std::memory_order_relaxed);
        p.asking_ = true;
      }
      return send_to(p, node_ref(host, rd.port));
    }
    case ClusterError::clusterdown:
    case ClusterError::readonly:
      request_refresh();
      [[fallthrough]];
    case ClusterError::tryagain:
    case ClusterError::loading:
    case ClusterError::masterdown: return retry_later(p, true);
    case ClusterError::none: break;
  }
  part_final(p);
}

policy::Guard* Router::guard_for(const std::string& node) {
  auto it = guards_.find(node);
  if (it == guards_.end()) {
    std::string_view host;
    std::uint16_t port = 0;
    Config c = config_.node;
    if (parse_host_port(node, host, port)) c = node_config(std::string(host), port);
    it = guards_.emplace(node, std::make_unique<policy::Guard>(c)).first;
  }
  return it->second.get();
}

const policy::RetryPolicy* Router::retry_of(const Job& job) const noexcept {
  if (job.options.retry) [[unlikely]]
    return &*job.options.retry;
  return config_.node.retry ? &*config_.node.retry : nullptr;
}

// A part written to its node failed without a reply: under its retry policy
// (retry_of()) resend it when it is idempotent (to whoever owns the slot
// then: the lost connection asked for a refresh), else fail it with
// unknown_outcome. False: the failure stands as it is (one attempt
// configured, not transient, out of attempts, budget or time).
bool Router::lost_after_write(Part& p, std::error_code ec) {
  const policy::RetryPolicy& rp = *retry_of(p.job_);
  if (rp.max_attempts <= 1) return false;  // one attempt: as without a policy
  policy::Guard* g = guard_for(p.at_->name);
  const std::string_view bytes = p.command_bytes();
  const bool idempotent = p.job_.options.idempotent || policy::idempotent_encoded(bytes);
  const policy::RetryDecision d = g->decide(rp, p.attempt_, policy::failure_of(ec, true), idempotent,
                                            policy::Clock::now(), p.job_.deadline_);
  if (d.give_up == policy::GiveUp::unknown_outcome) {
    p.detail_ = ec.message();
    if (!p.connection_error_.empty()) p.detail_ += ": " + p.connection_error_;
    p.ec_ = make_error_code(errc::unknown_outcome);
    p.connection_error_.clear();
    part_final(p);
    return true;
  }
  if (!d.retry()) return false;
  g->retrying(exec::first_command(bytes), p.attempt_, ec);
  ++p.attempt_;
  counters_.retries.fetch_add(1, std::memory_order_relaxed);
  resend_after(p, std::chrono::duration_cast<std::chrono::milliseconds>(d.delay));
  return true;
}

void Router::resend_after(Part& p, std::chrono::milliseconds delay) {
  std::unique_ptr<asio::steady_timer>& timer = p.extra().timer;
  if (!timer) timer = std::make_unique<asio::steady_timer>(ex_);
  timer->expires_after(delay);
  timer->async_wait([self = shared_from_this(), &p](std::error_code e) {
    if (p.job_.cancelled_) {  // cancel() stopped the timer, or came after it fired
      p.ec_ = make_error_code(errc::cancelled);
      return self->part_final(p);
    }
    if (e || self->closed_) {
      p.ec_ = make_error_code(errc::connection_closed);
      return self->part_final(p);
    }
    p.asking_ = false;
    p.ec_.clear();
    p.connection_error_.clear();
    self->send(p);
  });
}

void Router::retry_later(Part& p, bool refused) {
  Job& job = p.job_;
  const std::string message = p.error_reply() ? std::string(p.reply_->error_message()) : std::string();
  auto give_up = [&](std::string_view why = {}) {
    if (p.ec_) return part_final(p);  // not_connected: that error stands
    if (classify_error(message) == ClusterError::clusterdown) {
      p.ec_ = make_error_code(errc::cluster_down);
      p.detail_ = message;
      p.detail_ += why;
    }
    part_final(p);  // the server's error reply stands otherwise
  };
  if (p.retries_ >= config_.max_retries) return give_up();
  auto delay = config_.retry_initial_delay;
  for (unsigned i = 0; i < p.retries_ && delay < config_.retry_max_delay; ++i) delay *= 2;
  delay = jittered(std::min(delay, config_.retry_max_delay));
  if (job.deadline_ != clock::time_point::max() && clock::now() + delay >= job.deadline_) return give_up();
  if (refused && retry_budget_ && !retry_budget_->withdraw(policy::Clock::now())) [[unlikely]] {
    counters_.retry_budget_exhausted.fetch_add(1, std::memory_order_relaxed);
    return give_up(" (not retried: ClusterConfig::retry_budget is spent)");
  }
  ++p.retries_;
  counters_.retries.fetch_add(1, std::memory_order_relaxed);
  resend_after(p, delay);
}

void Router::part_final(Part& p) {
  Job& job = p.job_;
  p.final_ = true;
  if (--job.outstanding_ == 0) finish(job);
}

void Router::cancel(Job& job, asio::cancellation_type type) {
  const CallerScope caller(*this);  // the job completes later, never inside the emitter's call
  if (job.cancelled_ || closed_) return;
  if (auto w = std::find(waiting_.begin(), waiting_.end(), &job); w != waiting_.end()) {
    waiting_.erase(w);
    job.cancelled_ = true;
    return fail(job, make_error_code(errc::cancelled), "cancelled while waiting for the cluster's topology");
  }
  for (auto& [name, jobs] : describing_) {
    if (auto w = std::find(jobs.begin(), jobs.end(), &job); w != jobs.end()) {
      jobs.erase(w);
      job.cancelled_ = true;
      return fail(job, make_error_code(errc::cancelled), "cancelled while waiting for COMMAND INFO " + name);
    }
  }
  constexpr auto after_write = asio::cancellation_type::terminal | asio::cancellation_type::partial;
  if ((type & after_write) == asio::cancellation_type::none && touched(job)) return;
  abandon(job);
}

bool Router::touched(Job& job) {
  for (Part& p : job.parts_) {
    if (p.preset_) continue;
    if (p.entry_ ? touched(*p.entry_) : (p.final_ || p.may_have_run_ || p.was_written())) return true;
  }
  return false;
}

void Router::abandon(Job& job) {
  job.cancelled_ = true;
  for (Part& p : job.parts_) {
    if (p.final_ || p.preset_) continue;
    if (p.entry_) abandon(*p.entry_);
    else if (p.conn_ && p.active()) p.conn_->cancel(p, make_error_code(errc::cancelled));  // completes it, posted
    else if (p.extra_ && p.extra_->timer) p.extra_->timer->cancel();  // between attempts: the timer's handler ends it
  }
}


// A split command's answers back in key order.
Reply Router::reassemble(PartList& parts, std::size_t keys, std::string& why) {
  std::vector<Reply> out(keys);
  for (Part& p : parts) {
    const Reply& r = p.reply();
    const std::vector<std::uint32_t>& keys = p.extra().keys;
    if (!r.is_array() || r.size() != keys.size()) {
      why = "a share of a split command answered " + std::to_string(r.size()) + " values for " +
            std::to_string(keys.size()) + " keys";
      return Reply{};
    }
    for (std::size_t i = 0; i < keys.size(); ++i) out[keys[i]] = r.elements()[i];
  }
  return Reply::array(std::move(out));
}

void Router::finish(Job& job) {
  JobResult& r = job.result_;
  // One part that answered (most jobs): its reply, or that it streamed,
  // as the general case below gives it.
  if (job.parts_.size() == 1 && !job.batch && !answers_per_node(job)) {
    Part& p = job.parts_.front();
    if (!p.ec_) {
      r.streamed = p.streamed_;
      if (!r.streamed) r.reply = p.take_reply();  // else there is none
      r.cacheable = job.cache && p.framed_ && r.streamed;
      r.endpoint = p.node();
      return complete_job(job);
    }
  }
  for (Part& p : job.parts_) {
    if (p.ec_) {
      r.ec = p.ec_;
      r.endpoint = p.node();
      r.detail = p.detail_;
      r.connection_error = p.connection_error_;
      r.written = p.may_have_run_;
      break;
    }
  }
  if (!r.ec) {
    if (job.batch) {
      std::vector<Reply> replies;
      replies.reserve(job.parts_.size());
      for (Part& p : job.parts_) {
        if (p.commands_ > 1) {
          for (Reply& x : p.extra().replies) replies.push_back(std::move(x));
          r.endpoint = p.node();
        } else {
          replies.push_back(p.take_reply());
        }
      }
      r.reply = Reply::array(std::move(replies));
      return complete_job(job);
    }
    const bool per_node = answers_per_node(job);
    const Part* first_error = nullptr;
    for (Part& p : job.parts_)
      if (!first_error && p.error_reply()) first_error = &p;
    if (per_node) {
      std::vector<Reply> flat;
      flat.reserve(job.parts_.size() * 2);
      for (Part& p : job.parts_) {
        flat.push_back(Reply::bulk_string(std::string(p.node())));
        flat.push_back(p.take_reply());
      }
      r.reply = Reply::map(std::move(flat));
      r.per_node = true;
    } else if (job.parts_.size() == 1) {
      // Moved: the part has ended, nothing reads its reply or node again.
      Part& p = job.parts_.front();
      r.streamed = p.streamed_;
      if (!r.streamed) r.reply = p.take_reply();  // else there is none
      r.cacheable = job.cache && p.framed_ && r.streamed;
      r.endpoint = p.node();
    } else {
      // What a node's error means depends on the response policy, and
      // combine() applies it: all_succeeded and the default fail with the
      // first error, one_succeeded (SCRIPT KILL, FUNCTION KILL) succeeds if
      // any node did, an aggregate reports the error with the partial figure.
      // A split multi-key command (MGET) cannot be reassembled around a
      // missing part, so its first error is the reply.
      const Route* rt = job.route_ ? &*job.route_ : nullptr;  // set: start() routed a job of several parts
      const ResponsePolicy policy = rt && rt->info ? rt->info->response_policy : ResponsePolicy::default_;
      if (rt && rt->kind == RouteKind::multi_slot && policy == ResponsePolicy::default_) {
        if (first_error) {
          r.reply = *first_error->reply_;
        } else {
          std::string why;
          r.reply = reassemble(job.parts_, rt->positions.size(), why);
          if (!why.empty()) {
            r.ec = make_error_code(errc::unexpected_reply_type);
            r.detail = std::move(why);
          }
        }
      } else {
        std::vector<Reply> replies;
        replies.reserve(job.parts_.size());
        for (Part& p : job.parts_) replies.push_back(p.take_reply());
        r.reply = combine(policy, replies);
      }
      if (first_error && r.reply->is_error()) r.endpoint = first_error->node();
    }
  }
  complete_job(job);
}

Config Router::node_config(const std::string& host, std::uint16_t port) const {
  Config c = config_.node;
  c.host = host;
  c.port = port;
  c.unix_path.clear();
  if (config_.address_map) {
    ClusterNodeAddress a{host, port, {}};
    config_.address_map(a);
    c.host = std::move(a.host);
    c.port = a.port;
    // A server name only means something with TLS (Config refuses sni without it).
    if (!a.tls_server_name.empty() && c.tls.enabled) c.tls.sni = std::move(a.tls_server_name);
  }
  return c;
}

const NodeHandle* Router::owner_ref(std::uint16_t slot) {
  const int shard = map_ ? map_->shard_of(slot) : -1;
  if (shard < 0) return nullptr;
  const auto i = static_cast<std::size_t>(shard);
  if (i < owner_refs_.size() && owner_refs_[i]) return &owner_refs_[i];
  const Node& primary = map_->shards()[i].primary();
  const NodeHandle& ref = node_ref(primary.host, primary.port);
  if (owner_refs_.size() <= i) owner_refs_.resize(map_->shards().size());
  owner_refs_[i] = ref;
  return &owner_refs_[i];
}

const NodeHandle& Router::node_ref(std::string_view host, std::uint16_t port) {
  for (const NodeHandle& n : node_names_)
    if (n->port == port && n->host == host) return n;
  // Nodes come and go: rebuilt as they are used (parts keep theirs).
  if (node_names_.size() == 64) {
    node_names_.clear();
    owner_refs_.clear();  // for each node one NodeRef, the table's
  }
  node_names_.reserve(64);  // once: adding the new node's handle below cannot throw
  auto node = std::make_unique<NodeRef>(NodeRef{std::string(host), port, valkey::detail::host_port(host, port), nullptr});
  node_names_.emplace_back(node.release());
  return node_names_.back();
}

const std::shared_ptr<Connection>& Router::shared_connection(NodeRef& node) {
  if (!node.conn) node.conn = connection(node.host, node.port, node.name);
  return node.conn;
}

void Router::forget_connections() noexcept {
  owner_refs_.clear();
  for (const NodeHandle& n : node_names_) n->conn.reset();
}

std::shared_ptr<Connection> Router::connection(const std::string& host, std::uint16_t port) {
  return shared_connection(*node_ref(host, port));
}

std::shared_ptr<Connection> Router::connection(const std::string& host, std::uint16_t port, const std::string& key) {
  if (auto it = conns_.find(key); it != conns_.end()) return it->second;
  Config c = node_config(host, port);
  // A node that went down refuses requests at once (they were never
  // written): the router re-routes them after a refresh instead of letting
  // them wait for a node that may never come back.
  c.when_disconnected = DisconnectedPolicy::fail;
  auto conn = Connection::create(ex_, std::move(c));
  conn->set_single_reactor(single_reactor_);
  conn->set_observer(this);
  // Tracking on in every handshake; the invalidations go to the one store,
  // which the connection flushes when it is lost.
  if (cache_) conn->set_cache(cache_);
  conns_.emplace(key, conn);
  return conn;
}

const Node* Router::pick_reader(std::uint16_t slot) {
  const int s = map_ ? map_->shard_of(slot) : -1;
  if (s < 0) return nullptr;
  const Shard& shard = map_->shards()[static_cast<std::size_t>(s)];
  const bool by_zone = reads_by_zone(config_);
  // Healthy replicas, those in the client's zone apart: no allocation.
  const Node* any[16];
  const Node* local[16];
  std::size_t n_any = 0, n_local = 0;
  for (std::size_t i = 1; i < shard.nodes.size() && n_any < 16; ++i) {
    const Node& r = shard.nodes[i];
    if (r.role != NodeRole::replica || r.port == 0 || r.health == NodeHealth::failed ||
        r.health == NodeHealth::loading)
      continue;
    if (auto it = conns_.find(valkey::detail::host_port(r.host, r.port)); it != conns_.end()) {
      const ConnectionState st = it->second->state();
      if (st == ConnectionState::reconnecting || st == ConnectionState::closed) continue;  // down: skip, no wait
    }
    any[n_any++] = &r;
    if (by_zone && r.zone == config_.client_az) local[n_local++] = &r;
  }
  auto pick = [&](const Node* const* from, std::size_t n) {
    std::uniform_int_distribution<std::size_t> d(0, n - 1);
    return from[d(rng_)];
  };
  if (n_local > 0) return pick(local, n_local);
  if (by_zone && config_.read_from == ReadFrom::az_affinity_replicas_and_primary &&
      shard.primary().zone == config_.client_az)
    return &shard.primary();
  if (n_any > 0) return pick(any, n_any);
  return nullptr;
}

void Router::send_readonly(Connection& c) {
  auto r = std::make_unique<Readonly>(*this);
  if (c.submit_encoded(*r, "*1\r\n$8\r\nREADONLY\r\n")) return;
  keep(*r.release());
}

void Router::on_connected(Connection& c) {
  if (!c.server_zone().empty()) [[unlikely]] {
    for (const auto& [name, conn] : conns_)
      if (conn.get() == &c) {
        learn_zone(name, c.server_zone());
        break;
      }
  }
  // After a reconnect the new connection lost READONLY; reads queued before
  // it went out get MOVED to the primary and follow it.
  if (closed_ || c.stats().connects < 2) return;
  // The loss flushed the cache already; so does the reconnect, for whatever
  // was stored in between.
  flush_cache(FlushReason::disconnect);
  // By the cluster's name of the node (the connection's own host and port
  // may have been remapped by address_map).
  for (const auto& [name, conn] : conns_)
    if (conn.get() == &c && readonly_.count(name)) send_readonly(c);
}

void Router::on_disconnected(Connection&, std::error_code) {
  // Only with a map: before the first topology the seeds' own retries must
  // not start one bootstrap after another.
  if (!closed_ && map_) request_refresh();
}

void Router::close() {
  asio::dispatch(ex_, [self = shared_from_this()] {
    const CallerScope caller(*self);  // waiting jobs' completions are posted
    if (self->closed_) return;
    self->closed_ = true;
    self->refresh_timer_.cancel();
    self->periodic_timer_.cancel();
    while (!self->waiting_.empty()) {
      Job* j = self->waiting_.front();
      self->waiting_.pop_front();
      self->fail(*j, make_error_code(errc::connection_closed), {});
    }
    for (auto& [name, jobs] : self->describing_)
      for (Job* j : jobs) self->fail(*j, make_error_code(errc::connection_closed), {});
    self->describing_.clear();
    self->wake_ready_waiters(make_error_code(errc::connection_closed));
    for (auto& [name, c] : self->conns_) self->close_connection(*c);
    self->conns_.clear();
    self->forget_connections();
    for (auto& [name, pool] : self->pools_) pool->close();
  });
}

// ---- commands the generated table does not know ----

bool Router::route_or_wait(Job& job, std::span<const std::string_view> argv, Route& r) {
  r = route(argv);
  if (r.info || argv.empty()) return false;
  const std::string_view sub = argv.size() > 1 ? argv[1] : std::string_view{};
  if (const CommandInfo* described = server_commands_.find(argv[0], sub)) {
    r = route(*described, argv);
    return false;
  }
  if (!wait_for_description(job, argv[0])) return false;
  job.parts_.clear();  // none was sent
  return true;
}

bool Router::wait_for_description(Job& job, std::string_view name) {
  if (job.looked_up_) return false;  // asked for it already: routed as an unknown command
  std::string key = valkey::detail::ascii_upper(name);
  if (described_.count(key)) return false;  // the server does not know it either
  const Node* node = pick_primary();
  if (!node) return false;
  job.looked_up_ = true;
  auto [waiting, first] = describing_.try_emplace(key);
  waiting->second.push_back(&job);
  if (!first) return true;  // asked already: waits with the others

  auto* l = new Lookup(*this);
  keep(*l);
  l->name = key;
  {
    resp::Writer w(l->bytes);
    w.begin_command(3);
    w.arg(std::string_view{"COMMAND"});
    w.arg(std::string_view{"INFO"});
    w.arg(std::string_view{key});
  }
  if (config_.node.request_timeout.count() > 0) l->deadline = clock::now() + config_.node.request_timeout;
  l->conn = connection(node->host, node->port);
  if (std::error_code ec = l->conn->submit_encoded(*l, l->bytes))  // as a failed lookup, not inside this call
    asio::post(ex_, [self = shared_from_this(), l, ec] { l->on_complete(ec); });
  return true;
}

void Router::looked_up(Lookup& l, std::error_code ec) {
  struct Done {  // the lookup ends with this call, however it returns
    Router& router;
    Lookup& lookup;
    ~Done() { router.release(lookup); }
  } done{*this, l};
  // An answer, even an error (COMMAND refused by an ACL) or a null entry
  // (the server does not know the name), is kept: the name is not asked
  // again. A lost connection is not: the next job naming it asks again.
  if (!ec) {
    if (!l.reply.is_error()) server_commands_.add(l.reply);
    described_.insert(l.name);
  }
  auto it = describing_.find(l.name);
  if (it == describing_.end()) return;  // close() failed the waiting jobs
  std::vector<Job*> jobs = std::move(it->second);
  describing_.erase(it);
  for (Job* j : jobs) {
    if (closed_) fail(*j, make_error_code(errc::connection_closed), {});
    else start(*j);  // routed by the description, or as an unknown command
  }
}

// ---- topology ----

void Router::request_refresh() { refresh(false); }

bool Router::owner_of(std::uint16_t slot, std::string& host, std::uint16_t& port) const {
  const Node* n = map_ ? map_->owner(slot) : nullptr;
  if (!n) return false;
  host = n->host;
  port = n->port;
  return true;
}

bool Router::reader_of(std::uint16_t slot, std::string& host, std::uint16_t& port, std::string_view avoid) {
  if (config_.read_from != ReadFrom::primary) {
    // pick_reader draws at random: a few draws to miss `avoid`.
    for (int draw = 0; draw < 4; ++draw) {
      const Node* n = pick_reader(slot);
      if (n == nullptr) break;
      if (!avoid.empty() && valkey::detail::host_port(n->host, n->port) == avoid) continue;
      host = n->host;
      port = n->port;
      return true;
    }
  }
  return owner_of(slot, host, port);
}

void Router::when_ready(std::function<void(std::error_code)> f) {
  if (closed_) return asio::post(ex_, [f = std::move(f)] { f(make_error_code(errc::connection_closed)); });
  if (map_) return asio::post(ex_, [f = std::move(f)] { f({}); });
  ready_waiters_.push_back(std::move(f));
  if (!refreshing_) refresh(false);
}

void Router::wake_ready_waiters(std::error_code ec) {
  for (auto& f : ready_waiters_) asio::post(ex_, [f = std::move(f), ec] { f(ec); });
  ready_waiters_.clear();
}

void Router::refresh(bool periodic) {
  if (closed_) return;
  if (refreshing_) {
    // A bootstrap in flight already asks for everything there is to know.
    if (!periodic && map_) refresh_again_ = true;
    return;
  }
  const auto now = clock::now();
  if (!periodic && map_ && now - last_refresh_ < config_.min_refresh_interval) {
    if (!refresh_timer_armed_) {
      refresh_timer_armed_ = true;
      refresh_timer_.expires_at(last_refresh_ + config_.min_refresh_interval);
      refresh_timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
        auto self = weak.lock();
        if (!self) return;
        self->refresh_timer_armed_ = false;
        if (!ec) self->refresh(false);
      });
    }
    return;
  }
  refreshing_ = true;
  refresh_periodic_ = periodic && map_.has_value();
  last_refresh_ = now;
  refresh_seq_ = patch_seq_;

  std::vector<std::pair<std::string, std::uint16_t>> sources;
  if (map_) {
    // Primaries first: they own the slots, and a replica's view may lag
    // behind a slot that just moved.
    std::vector<std::pair<std::string, std::uint16_t>> replicas;
    for (const Shard& s : map_->shards())
      for (const Node& n : s.nodes)
        if (n.port != 0 && n.health != NodeHealth::failed)
          (n.role == NodeRole::primary ? sources : replicas).emplace_back(n.host, n.port);
    std::shuffle(sources.begin(), sources.end(), rng_);
    std::shuffle(replicas.begin(), replicas.end(), rng_);
    sources.insert(sources.end(), replicas.begin(), replicas.end());
    // Nodes whose connection is down last: their answer would be no answer.
    std::stable_partition(sources.begin(), sources.end(), [&](const auto& a) {
      auto it = conns_.find(valkey::detail::host_port(a.first, a.second));
      if (it == conns_.end()) return true;
      const ConnectionState st = it->second->state();
      return st != ConnectionState::reconnecting && st != ConnectionState::closed;
    });
    const std::size_t want = refresh_periodic_ ? 1 : std::max(1u, config_.refresh_sources);
    if (sources.size() > want) sources.resize(want);
  }
  if (sources.empty()) {
    for (const auto& s : config_.seeds) sources.emplace_back(s.host, s.port);
  }
  if (!refresh_periodic_) counters_.refreshes.fetch_add(1, std::memory_order_relaxed);
  views_.assign(sources.size(), std::nullopt);
  queries_left_ = sources.size();
  last_refresh_error_.clear();
  if (sources.empty()) {
    refreshing_ = false;
    if (!map_) bootstrap_failed("no seed nodes configured");
    return;
  }
  std::chrono::milliseconds limit = config_.bootstrap_timeout;
  if (limit.count() <= 0) limit = config_.node.connect_timeout + std::chrono::seconds(1);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    auto* q = new Query(*this);
    keep(*q);
    q->index = i;
    q->host = sources[i].first;
    q->port = sources[i].second;
    q->conn = connection(q->host, q->port);
    q->deadline = now + limit;
    counters_.refresh_queries.fetch_add(1, std::memory_order_relaxed);
    std::error_code ec = q->conn->submit_encoded(*q, "*2\r\n$7\r\nCLUSTER\r\n$6\r\nSHARDS\r\n");
    if (ec) {
      // Completes like a failed query, but not inside this call.
      asio::post(ex_, [self = shared_from_this(), q, ec] { q->on_complete(ec); });
    }
  }
}

void Router::query_done(Query& q, std::error_code ec) {
  if (!ec && q.reply.is_error() && !q.slots && !closed_) {
    // A server without CLUSTER SHARDS (Redis 6 and older): ask CLUSTER SLOTS.
    q.slots = true;
    q.builder.reset();
    q.reply = Reply{};
    counters_.refresh_queries.fetch_add(1, std::memory_order_relaxed);
    ec = q.conn->submit_encoded(q, "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n");
    if (!ec) return;  // still ours
    // Refused (the connection closed meanwhile): the refresh error names
    // why, not the parse of the empty reply.
  }
  if (!ec && !q.reply.is_error()) {
    const Source src{q.host, q.port};
    TopologyResult res = q.slots ? parse_cluster_slots(q.reply, src) : parse_cluster_shards(q.reply, src);
    if (res) views_[q.index] = reached_by(std::move(*res.map), config_.node.tls.enabled);
    else last_refresh_error_ = valkey::detail::host_port(q.host, q.port) + ": " + res.error;
  } else if (!ec) {
    last_refresh_error_ = valkey::detail::host_port(q.host, q.port) + ": " + std::string(q.reply.error_message());
  } else {
    const std::string& why = q.conn->last_error();
    last_refresh_error_ = valkey::detail::host_port(q.host, q.port) + ": " + (why.empty() ? ec.message() : why);
  }
  release(q);
  if (--queries_left_ > 0) return;
  refreshing_ = false;
  if (closed_) return;
  const bool periodic = refresh_periodic_;
  adopt(views_, periodic);
  if (refresh_again_ && map_) {
    refresh_again_ = false;
    refresh(false);
  } else if (!map_) {
    refresh_again_ = false;
  }
}

void Router::adopt(std::vector<std::optional<SlotMap>>& views, bool periodic) {
  // Zones learned from HELLO go into every view first, so that a view is
  // compared with the current map on what the sources say.
  if (!hello_zones_.empty()) [[unlikely]]
    for (auto& v : views)
      if (v) apply_hello_zones(*v);
  std::span<const std::optional<SlotMap>> all(views.data(), views.size());
  if (!map_) {
    std::optional<std::size_t> pick = majority_view(all, nullptr);
    if (!pick) {
      std::size_t best = 0;
      for (std::size_t i = 0; i < views.size(); ++i)
        if (views[i] && (!pick || views[i]->coverage() > best)) pick = i, best = views[i]->coverage();
    }
    if (!pick) return bootstrap_failed(last_refresh_error_);
    map_ = std::move(*views[*pick]);
    owner_refs_.clear();
    if (config_.node.observer)
      observe::topology_changed(config_.node, {TopologyEvent::Kind::discovered, -1, {}, map_->shards().size()});
    prune_connections();
    connect_zoneless_replicas();
    arm_periodic();
    wake_ready_waiters({});
    while (!waiting_.empty()) {
      Job* j = waiting_.front();
      waiting_.pop_front();
      start(*j);
    }
    return;
  }
  if (periodic) {
    // One node's view: a difference starts a full refresh, which asks several.
    if (views.size() == 1 && views[0] && !(*views[0] == *map_)) refresh_again_ = true;
    return;
  }
  if (std::optional<std::size_t> pick = majority_view(all, &*map_)) {
    const bool changed = (config_.node.observer || cache_) && !(*views[*pick] == *map_);
    map_ = std::move(*views[*pick]);
    // A slot that changed owner (a migration, a failover): its cached keys
    // were tracked by a node that may no longer see their writes.
    if (changed && cache_) flush_cache(FlushReason::topology_changed);
    if (changed && config_.node.observer)
      observe::topology_changed(config_.node, {TopologyEvent::Kind::refreshed, -1, {}, map_->shards().size()});
    // MOVED replies that arrived after the queries left are newer than the view.
    for (const Patch& p : patches_)
      if (p.seq > refresh_seq_) map_->patch(p.slot, p.host, p.port);
    owner_refs_.clear();
  }
  std::erase_if(patches_, [&](const Patch& p) { return p.seq <= refresh_seq_; });
  prune_connections();
  connect_zoneless_replicas();
}

void Router::bootstrap_failed(const std::string& why) {
  const std::string detail =
      "no seed node described the cluster (CLUSTER SHARDS / CLUSTER SLOTS)" + (why.empty() ? std::string() : ": " + why);
  while (!waiting_.empty()) {
    Job* j = waiting_.front();
    waiting_.pop_front();
    fail(*j, make_error_code(errc::not_connected), detail);
  }
  wake_ready_waiters(make_error_code(errc::not_connected));
  // The seeds' connections would keep reconnecting: close them until asked again.
  for (auto& [name, c] : conns_) close_connection(*c);
  conns_.clear();
  forget_connections();
  readonly_.clear();
}

void Router::arm_periodic() {
  if (config_.topology_check_interval.count() <= 0 || closed_) return;
  periodic_timer_.expires_after(jittered(config_.topology_check_interval));
  periodic_timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    auto self = weak.lock();
    if (!self || ec || self->closed_) return;
    self->refresh(true);
    self->arm_periodic();
  });
}

void Router::learn_zone(const std::string& node, const std::string& zone) {
  auto [it, added] = hello_zones_.try_emplace(node, zone);
  if (!added) it->second = zone;
  std::string_view host;
  std::uint16_t port = 0;
  if (map_ && parse_host_port(node, host, port)) map_->learn_zone(host, port, zone);
}

void Router::apply_hello_zones(SlotMap& map) const {
  for (const auto& [node, zone] : hello_zones_) {
    std::string_view host;
    std::uint16_t port = 0;
    if (parse_host_port(node, host, port)) map.learn_zone(host, port, zone);
  }
}

void Router::connect_zoneless_replicas() {
  if (!reads_by_zone(config_) || !map_ || closed_) return;
  for (const Shard& shard : map_->shards())
    for (const Node& n : shard.nodes)
      if (n.role == NodeRole::replica && n.zone.empty() && n.port != 0) connection(n.host, n.port)->start();
}

void Router::prune_connections() {
  if (!map_) return;
  const std::size_t before = conns_.size();
  for (auto it = conns_.begin(); it != conns_.end();) {
    std::size_t s = 0, n = 0;
    const Connection& c = *it->second;
    std::string_view host;
    std::uint16_t port = 0;
    const bool named = parse_host_port(it->first, host, port);
    if ((!named || !map_->find(host, port, s, n)) && c.pending() == 0) {
      readonly_.erase(it->first);
      close_connection(*it->second);
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
  if (conns_.size() != before) forget_connections();
}

}  // namespace valkey::cluster
