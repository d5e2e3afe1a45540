// The cluster router's core: the life of a Job. It is routed (or waits for
// the slot map), sent as one part or split and fanned out into several, each
// part sent to its node, and the parts' replies combined into the job's.
// Everything runs on the router's executor. The rest of the router is in
// router_batch.cpp (batches, transactions, splits), router_retries.cpp
// (redirections and retries), router_nodes.cpp (connections and readers),
// router_topology.cpp (the slot map) and router_lookup.cpp (commands the
// generated table does not know).
#include <valkey/cluster/router.hpp>

#include <algorithm>
#include <random>
#include <span>
#include <utility>

#include <asio/post.hpp>

#include <valkey/cache/client_hooks.hpp>
#include <valkey/cluster/redirect.hpp>
#include <valkey/exec/encoded_command.hpp>
#include <valkey/observe/observer.hpp>
#include <valkey/policy/idempotency.hpp>

#include "cluster/router_internal.hpp"
#include "detail/url_text.hpp"

namespace valkey::cluster {

namespace {

constexpr std::string_view kAsking = "*1\r\n$6\r\nASKING\r\n";

// The job's reply is a map "host:port" -> that node's reply.
bool answers_per_node(const Job& job) {
  return job.want_per_node || job.fanout == Fanout::each_node || job.fanout == Fanout::each_primary;
}

}  // namespace

Job::~Job() = default;

const Reply& JobResult::reply_or_null() const noexcept {
  static const Reply none;
  return reply ? *reply : none;
}

void JobResult::set_why(std::string detail, std::string connection_error) {
  if (detail.empty() && connection_error.empty()) return why.reset();
  why = std::make_unique<Why>(Why{std::move(detail), std::move(connection_error)});
}

void Job::drop_parts() noexcept {
  parts_.clear();
  direct_.reset();
}

void Job::DeleteBatchState::operator()(BatchState* b) const noexcept { delete b; }

// Out of line: entry_'s type (BatchEntry) is complete only in router_internal.hpp.
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

bool Part::attempt_written() const noexcept {
  return group_ ? group_->was_written() : was_written() || first_written_;
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
  if (commands_ > 1) {
    extra().replies.push_back(b.take());
  } else if (job_.batch_) {
    // A batch's command: its reply goes to its place in the batch's array.
    // An error stays with the part, for part_done() to read (a redirection
    // resends it, and finish() moves the final one there).
    Reply& place = job_.batch_->replies[index_];
    place = b.take();
    if (place.is_error()) [[unlikely]]
      reply_ = std::move(place);
  } else {
    reply_ = b.take();
  }
}

void Part::on_complete(std::error_code ec) {
  // Most parts end here, with the router untouched once the job is gone:
  // no copy of its pointer to keep it alive.
  if (job_.router_->end_at_once(*this, ec)) return;
  std::shared_ptr<Router> router = job_.router_;  // the job may end inside
  router->on_part_complete(*this, ec);
}

// Defined before its two callers in this file, which inline it.
inline void Router::complete_streamed(Job& job, const NodeRef& at) {
  --in_flight_;
  job.outstanding_ = 0;
  JobResult& r = job.result_;
  r.streamed = true;
  r.endpoint = at.name;
  job.complete(std::move(r));  // nothing of the router is touched after this
}

Part& Router::add_presolved(Job& job) {
  Part& p = job.parts_.add(job);
  p.slot_ = job.slot;
  p.read_only_ = job.info->is(CommandFlag::readonly) && !job.cache;
  return p;
}

void DirectRequest::on_node(const resp::Node& n) {
  if (!in_reply_) {
    in_reply_ = true;
    // An error (a redirection, TRYAGAIN...) or an attribute first: the
    // attempt goes on as a part's, which builds the reply for part_done().
    if (resp::is_error(n.type) || n.type == resp::Type::attribute) [[unlikely]]
      job_.router_->hand_over(job_);
  }
  if (handed_) [[unlikely]]
    return handed_->on_node(n);
  visitor_->on_node(n);
}

void DirectRequest::on_reply_end() {
  in_reply_ = false;
  if (handed_) [[unlikely]]
    return handed_->on_reply_end();
  visitor_->on_message_end();
}

void DirectRequest::on_complete(std::error_code ec) {
  Job& job = job_;
  Router& router = *job.router_;
  if (!ec && !handed_) return router.complete_streamed(job, *at_);  // the reply streamed into the job's decoder
  Part& p = handed_ ? *handed_ : router.hand_over(job);
  p.first_written_ = was_written();
  p.on_complete(ec);  // as if the part's own attempt ended
}

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
  plain_ = !policies_ && !cache_ && !retry_budget_;
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

void Router::submit(Job& job) {
  const CallerScope caller(*this);  // a handler calling submit(): its job's completion is posted
  job.router_ = shared_from_this();
  if (closed_ || job.refused || cache_ || !map_) [[unlikely]]
    return submit_rare(job);
  start(job);
}

// Out of line, as route_and_send() is: submit()'s common case keeps a small frame.
[[gnu::noinline]] void Router::submit_rare(Job& job) {
  if (closed_) return fail(job, make_error_code(errc::connection_closed), {});
  if (job.refused) return fail(job, job.refused, {});
  if (cache_) evict_written(job);
  if (!map_) {
    waiting_.push_back(&job);
    if (!refreshing_) refresh(false);
    return;
  }
  start(job);
}

void Router::fail(Job& job, std::error_code ec, std::string detail) {
  job.result_.ec = ec;
  job.result_.set_why(std::move(detail));
  complete_job(job);
}

bool Router::end_at_once(Part& p, std::error_code ec) {
  if (ec || p.guard_ || p.leased_ || p.framed_ || p.commands_ != 1) return false;
  Job& job = p.job_;
  if (p.streamed_) {
    if (cache_ || job.parts_.size() != 1 || job.batch) return false;
    p.final_ = true;
    complete_streamed(job, *p.at_);
    return true;
  }
  // A reply of one of several parts (a batch's command, a split's share):
  // kept for finish(), which a later part runs.
  if (job.outstanding_ < 2 || p.error_reply()) return false;
  --in_flight_;
  part_final(p);  // not the last: finish() waits for the others
  return true;
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
  const bool blocking = has(job.flags, CommandFlag::blocking);
  if (presolved && !blocking && !retry_budget_) {
    // The common case, sent at once: what the routed case below and
    // send_all() decide for it.
    job.outstanding_ = 1;
    // Commonly to its slot's owner, with nothing of what send_to() looks
    // for in play (no policy, no cache, no batch, no replica): sent as the
    // job's DirectRequest.
    const bool plain = plain_ && !batching_ && !job.want_per_node && !job.options.retry &&
                       (config_.read_from == ReadFrom::primary || !job.info->is(CommandFlag::readonly));
    if (plain)
      if (const NodeHandle* owner = owner_ref(static_cast<std::uint16_t>(job.slot)))
        if (resp::Visitor* v = job.reply_visitor()) return send_direct(job, *owner, v);
    return send(add_presolved(job));
  }
  route_and_send(job, presolved, blocking);
}

// Out of line, so that start()'s common case neither saves the registers
// nor reserves the frame the routing below needs.
[[gnu::noinline]] void Router::route_and_send(Job& job, bool presolved, bool blocking) {
  if (!presolved && (!exec::parse_command(job.bytes.view(), argv_) || argv_.empty()))
    return fail(job, make_error_code(errc::invalid_argument), "not one command");
  // Blocking commands wait on a connection of their own (leased from the
  // node's pool), never on the one every request to the node shares; the
  // command's own timeout rules, not request_timeout.
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
        add_presolved(job);
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
    // Each node's commands go as one request, in the order they came (a
    // request its connection refuses fails or retries its parts as each
    // would have alone).
    while (!open_groups_.empty()) {
      PartGroup& g = *open_groups_.front();
      open_groups_.erase(open_groups_.begin());
      close_group(g);
    }
    batching_ = false;
    for (auto& c : held_) c->release_writes();
    held_.clear();
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
      if (const NodeHandle* replica = pick_reader(static_cast<std::uint16_t>(p.slot_))) {
        p.on_replica_ = true;
        NodeRef& node = **replica;
        if (!node.readonly) {
          if (!readonly_.count(node.name)) {
            readonly_.emplace(node.name, true);
            send_readonly(*shared_connection(node));  // first in its queue: before any read
          }
          node.readonly = true;
        }
        return send_to(p, *replica);
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
  p.group_ = nullptr;  // set again if this attempt joins its node's batch request
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
  p.first_written_ = false;
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
  if (batching_) {
    if (std::find(held_.begin(), held_.end(), p.conn_) == held_.end()) {
      p.conn_->hold_writes();
      held_.push_back(p.conn_);
    }
    // A batch's plain first attempt joins its node's shared request; any
    // other request to that node first closes it, to keep the node's order.
    if (job.batch_ && !p.asking_ && !p.leased_ && !p.framed_ && p.commands_ == 1) {
      add_to_group(p);
      p.accepted_ = true;
      ++in_flight_;
      return;
    }
    close_group_on(p.conn_.get());
  }
  const std::error_code ec = submit_to(*p.conn_, p, bytes);
  p.accepted_ = !ec;  // a refused submission wrote nothing (was_written() is the last one's)
  if (ec) part_done(p, ec);
}

void Router::send_direct(Job& job, const NodeHandle& to, resp::Visitor* visitor) {
  DirectRequest& d = job.direct_.emplace(job);
  d.at_ = to;
  d.conn_ = shared_connection(*d.at_).get();
  d.visitor_ = visitor;
  d.flags = job.flags;
  d.deadline = job.deadline_;
  d.database = job.options.database;  // the connection writes SELECT when it differs
  if (const std::error_code ec = submit_to(*d.conn_, d, job.bytes.view())) [[unlikely]] {
    Part& p = hand_over(job);
    p.accepted_ = false;
    part_done(p, ec);
  }
}

Part& Router::hand_over(Job& job) {
  DirectRequest& d = *job.direct_;
  Part& p = add_presolved(job);
  // As send_to() would have set it for this attempt.
  p.at_ = d.at_;
  p.conn_ = d.conn_->shared_from_this();
  p.attempted_ = true;
  p.accepted_ = true;
  p.flags = d.flags;
  p.deadline = d.deadline;
  p.database = d.database;
  d.handed_ = &p;
  return p;
}

std::error_code Router::submit_to(Connection& c, RequestBase& r, std::string_view bytes) {
  // With one thread at a time in the reactor, a lone request's bytes go
  // straight to the socket (Connection::release_writes): no write completion
  // is posted, so the driver can wait on the socket alone (sole_connection()).
  const bool write_now = single_reactor_ && !batching_;
  if (write_now) c.hold_writes();
  std::error_code ec;
  try {
    ec = c.submit_encoded(r, bytes);
  } catch (...) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  if (!ec) ++in_flight_;
  if (write_now) {
    try {
      c.release_writes();
    } catch (...) {
      // Memory ran out for the asynchronous rest of the write: the
      // connection drops, and its requests fail (posted) with connection_lost.
      c.reset();
    }
  }
  return ec;
}

std::shared_ptr<Connection> Router::sole_connection(Job& job) const noexcept {
  if (in_flight_ != 1 || refreshing_ || refresh_timer_armed_ || closed_ || cache_ || !waiting_.empty() ||
      !describing_.empty())
    return nullptr;
  if (job.direct_ && job.direct_->active()) return job.direct_->conn_->shared_from_this();
  if (job.parts_.size() != 1) return nullptr;
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
  if (job.direct_ && job.direct_->was_written()) return true;
  for (Part& p : job.parts_) {
    if (p.preset_) continue;
    if (p.entry_ ? touched(*p.entry_) : (p.final_ || p.may_have_run_ || p.attempt_written())) return true;
  }
  return false;
}

void Router::abandon(Job& job) {
  job.cancelled_ = true;
  // The job's own request completes it (posted), through the part it hands over to.
  if (job.direct_ && job.direct_->active()) job.direct_->conn_->cancel(*job.direct_, make_error_code(errc::cancelled));
  for (Part& p : job.parts_) {
    if (p.final_ || p.preset_) continue;
    if (p.entry_) abandon(*p.entry_);
    else if (p.conn_ && p.active()) p.conn_->cancel(p, make_error_code(errc::cancelled));  // completes it, posted
    else if (p.group_ && p.group_->active()) p.conn_->cancel(*p.group_, make_error_code(errc::cancelled));  // all its parts
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
      r.set_why(p.detail_, p.connection_error_);
      r.written = p.may_have_run_;
      break;
    }
  }
  if (!r.ec) {
    if (job.batch_) {
      // Most replies are in their places (Part::on_reply_end()); the ones
      // kept with their parts (errors, refused commands, entries) join them.
      std::vector<Reply>& replies = job.batch_->replies;
      for (Part& p : job.parts_)
        if (p.reply_) replies[p.index_] = p.take_reply();
      r.reply = Reply::array(std::move(replies));
      return complete_job(job);
    }
    if (job.batch) {  // a transaction sent as a batch: one part, its replies in order
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
            r.set_why(std::move(why));
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

}  // namespace valkey::cluster
