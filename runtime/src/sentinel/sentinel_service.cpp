// The sentinel client's Asio side: rounds of questions, the event
// subscription, rechecks, and moving connections to a new primary.
#include <valkey/sentinel/sentinel_service.hpp>

#include <future>
#include <random>

#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>

#include <valkey/connection.hpp>
#include <valkey/error.hpp>
#include <valkey/observe/probe.hpp>
#include <valkey/pubsub.hpp>
#include <valkey/sentinel/query.hpp>

namespace valkey::sentinel {
namespace {

constexpr std::string_view kSwitchChannel = "+switch-master";

Config with_address(Config c, const std::string& host, std::uint16_t port) {
  c.host = host;
  c.port = port;
  c.unix_path.clear();
  return c;
}

bool same_node(const NodeAddress& a, const NodeAddress& b) { return a.host == b.host && a.port == b.port; }

// A pause of `base` scaled by a random factor in [1, 2): several clients
// that lost the same sentinel do not come back in step.
std::chrono::milliseconds jittered(std::chrono::milliseconds base) {
  thread_local std::minstd_rand rng(std::random_device{}());
  return base + std::chrono::milliseconds(std::uniform_int_distribution<long>(0, base.count())(rng));
}

}  // namespace

std::shared_ptr<SentinelService> SentinelService::create(SentinelConfig config) {
  config.validate();
  auto s = std::make_shared<SentinelService>(Private{}, std::move(config), std::nullopt);
  return s;
}

std::shared_ptr<SentinelService> SentinelService::create(SentinelConfig config, asio::any_io_executor ex) {
  config.validate();
  return std::make_shared<SentinelService>(Private{}, std::move(config), std::move(ex));
}

namespace {
asio::any_io_executor base_executor(std::optional<asio::any_io_executor>& ex, std::unique_ptr<asio::io_context>& own) {
  if (ex) return *ex;
  own = std::make_unique<asio::io_context>(1);
  return own->get_executor();
}
}  // namespace

SentinelService::SentinelService(Private, SentinelConfig config, std::optional<asio::any_io_executor> ex)
    : config_(std::move(config)),
      node_(config_.node),
      strand_(asio::make_strand(base_executor(ex, own_ioc_))),
      resolver_(config_),
      recheck_timer_(strand_) {
  events_.resize(config_.sentinels.size());
  for (EventLink& l : events_) l.timer = std::make_unique<asio::steady_timer>(strand_);
  // Neither side's Config may carry a source of its own (a copy of another
  // sentinel client's configuration): the sentinels are asked directly.
  node_.address_source.reset();
  config_.sentinel.address_source.reset();
  if (own_ioc_) {
    work_.emplace(own_ioc_->get_executor());
    thread_ = std::thread([ioc = own_ioc_.get()] { ioc->run(); });
  }
}

SentinelService::~SentinelService() {
  // shutdown() normally ran already; a service dropped from its own thread
  // cannot join it.
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) thread_.detach();
    else {
      work_.reset();
      own_ioc_->stop();
      thread_.join();
    }
  }
}

Config SentinelService::node_config(const NodeAddress& initial) const {
  Config c = node_;
  if (initial.host.empty()) {
    // A placeholder that passes Config's checks; never connected to: the
    // source supplies every attempt's address.
    c.host = config_.primary_name;
    c.port = Config{}.port;
  } else {
    c.host = initial.host;
    c.port = initial.port;
  }
  c.unix_path.clear();
  c.address_source = std::const_pointer_cast<SentinelService>(shared_from_this());
  return c;
}

Resolution SentinelService::resolve_now() {
  auto promise = std::make_shared<std::promise<Resolution>>();
  auto future = promise->get_future();
  asio::dispatch(strand_, [self = shared_from_this(), promise] {
    self->request_round(Waiter{self->strand_, [promise](std::error_code ec, NodeAddress a, std::string why) {
                                 promise->set_value(Resolution{ec, std::move(a), std::move(why)});
                               }});
  });
  return future.get();
}

void SentinelService::start() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->started_ || self->stopped_) return;
    self->started_ = true;
    if (self->config_.follow_events)
      for (std::size_t i = 0; i < self->events_.size(); ++i) self->open_events(i);
    self->arm_recheck();
  });
}

void SentinelService::shutdown() {
  if (stopping_.exchange(true)) return;
  if (!own_ioc_) {
    asio::dispatch(strand_, [self = shared_from_this()] { self->stop_here(); });
    return;
  }
  if (!thread_.joinable() || thread_.get_id() == std::this_thread::get_id()) return;  // the destructor copes
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  asio::dispatch(strand_, [self = shared_from_this(), done] {
    self->stop_here();
    done->set_value();
  });
  f.wait();
  // Everything in flight was closed or cancelled: the context runs out of work.
  work_.reset();
  thread_.join();
}

void SentinelService::stop_here() {
  if (stopped_) return;
  stopped_ = true;
  recheck_timer_.cancel();
  for (EventLink& l : events_) {
    ++l.gen;
    l.timer->cancel();
    if (l.sub) {
      l.sub->close();
      l.sub.reset();
    }
  }
  for (auto& w : questions_)
    if (auto c = w.lock()) c->close();
  questions_.clear();
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (Waiter& w : waiters) {
    asio::post(w.ex, [done = std::move(w.done)] {
      done(make_error_code(errc::connection_closed), {}, "the sentinel client was closed");
    });
  }
}

// ------------------------------------------------------------- address source

void SentinelService::resolve(const std::shared_ptr<Connection>& conn, Resolved done) {
  if (stopping_.load()) {
    // The strand may no longer run (its thread joined): answer from here.
    asio::post(conn->get_executor(), [done = std::move(done)] {
      done(make_error_code(errc::connection_closed), {}, "the sentinel client was closed");
    });
    return;
  }
  asio::post(strand_, [self = shared_from_this(), w = Waiter{conn->get_executor(), std::move(done)}]() mutable {
    self->request_round(std::move(w));
  });
}

void SentinelService::attach(const std::shared_ptr<Connection>& conn) {
  {
    std::lock_guard lk(attached_mu_);
    std::erase_if(attached_, [](const std::weak_ptr<Connection>& w) { return w.expired(); });
    attached_.push_back(conn);
  }
  start();
}

void SentinelService::on_readonly(Connection&) {
  // The connection reached a replica: the primary moved, or is moving.
  asio::post(strand_, [self = shared_from_this()] { self->request_round(std::nullopt); });
}

void SentinelService::on_wrong_role(const NodeAddress& address) {
  asio::post(strand_, [self = shared_from_this(), address] { self->resolver_.wrong_role(address); });
}

// ------------------------------------------------------------------ rounds

void SentinelService::request_round(std::optional<Waiter> w) {
  if (stopped_) {
    if (w) {
      asio::post(w->ex, [done = std::move(w->done)] {
        done(make_error_code(errc::connection_closed), {}, "the sentinel client was closed");
      });
    }
    return;
  }
  if (w) waiters_.push_back(std::move(*w));
  if (round_running_) {
    // A check asked for mid-round: the round in flight answers waiters, but
    // a check wants an answer given after it was asked.
    if (!w) round_again_ = true;
    return;
  }
  round_running_ = true;
  ++rounds_;
  order_ = resolver_.begin_round();
  ask(0, false);
}

void SentinelService::ask(std::size_t i, bool legacy) {
  if (stopped_) return;
  if (i >= order_.size()) return finish(resolver_.result());
  const SentinelAddress s = order_[i];
  auto conn = query(strand_, with_address(config_.sentinel, s.host, s.port), resolver_.questions(legacy),
                    [self = shared_from_this(), i, legacy, s](std::error_code ec, std::vector<Reply> replies,
                                                              std::string why) {
                      if (self->stopped_) return;
                      if (ec) {
                        self->resolver_.on_unreachable(s, why);
                        return self->ask(i + 1, false);
                      }
                      switch (self->resolver_.on_replies(s, replies, legacy)) {
                        case Resolver::Verdict::answered:
                          return self->finish(self->resolver_.result());
                        case Resolver::Verdict::next:
                          return self->ask(i + 1, false);
                        case Resolver::Verdict::ask_legacy:
                          return self->ask(i, true);
                      }
                    });
  std::erase_if(questions_, [](const std::weak_ptr<Connection>& w) { return w.expired(); });
  questions_.push_back(conn);
}

void SentinelService::finish(Resolution r) {
  round_running_ = false;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  r.address.epoch = moves_.load();
  for (Waiter& w : waiters) {
    asio::post(w.ex, [done = std::move(w.done), r] { done(r.ec, r.address, r.why); });
  }
  if (!r.ec) on_resolved(r.address);
  if (round_again_ || !waiters_.empty()) {
    round_again_ = false;
    request_round(std::nullopt);
  }
}

// -------------------------------------------------------- following the primary

void SentinelService::on_resolved(const NodeAddress& a) {
  if (config_.target() != SentinelReadFrom::primary) return;
  if (primary_.host.empty()) {
    primary_ = a;
    return;
  }
  if (same_node(a, primary_)) return;
  verify_then_switch(a);
}

void SentinelService::verify_then_switch(NodeAddress a, std::optional<SentinelAddress> announcer) {
  auto conn = query(strand_, with_address(node_, a.host, a.port), {{"ROLE"}},
                    [self = shared_from_this(), a, announcer](std::error_code ec, std::vector<Reply> replies,
                                                              std::string) {
                      if (self->stopped_ || ec || replies.empty()) return;
                      // A stale report (the node is not, or not yet, the
                      // primary): the next event or recheck tries again.
                      if (read_role(replies[0]) != "master") return;
                      // The reconnects about to ask where to go ask the
                      // sentinel that knows first.
                      if (announcer) self->resolver_.announced(*announcer);
                      self->switch_to(a);
                    });
  questions_.push_back(conn);
}

void SentinelService::switch_to(const NodeAddress& primary) {
  const bool to_primary = config_.target() == SentinelReadFrom::primary;
  if (to_primary) {
    if (same_node(primary, primary_)) return;
    primary_ = primary;
  }
  ++switches_;
  if (node_.observer) {
    observe::topology_changed(node_, {TopologyEvent::Kind::failover, -1, {primary.host, primary.port, {}}, 0});
  }
  // Busy connections notice at their next request (a sync client's driver
  // may not run posted handlers while it reads replies itself); idle ones
  // by the reset posted below.
  moves_.fetch_add(1);
  std::vector<std::shared_ptr<Connection>> conns;
  {
    std::lock_guard lk(attached_mu_);
    for (auto& w : attached_)
      if (auto c = w.lock()) conns.push_back(std::move(c));
  }
  for (auto& c : conns) {
    asio::post(c->get_executor(), [c, primary, to_primary] {
      const auto st = c->state();
      // Waiting out a backoff after the old node vanished: go now.
      if (st == ConnectionState::reconnecting) return c->retry_now();
      if (st != ConnectionState::ready && st != ConnectionState::handshaking) return;
      const bool at_primary = c->config().host == primary.host && c->config().port == primary.port;
      // Primary clients leave every other node; replica clients leave the
      // replica that was just promoted.
      if (to_primary ? !at_primary : at_primary) c->reset(make_error_code(errc::connection_lost));
    });
  }
}

void SentinelService::on_switch_message(std::string_view payload, std::size_t sentinel) {
  auto a = parse_switch_master(payload, config_.primary_name);
  if (!a) return;
  // Each sentinel announces the same switch: the first one moved us already.
  if (config_.target() == SentinelReadFrom::primary) {
    if (!same_node(*a, primary_)) verify_then_switch(std::move(*a), config_.sentinels[sentinel]);
  } else if (!same_node(*a, promoted_)) {
    promoted_ = *a;
    resolver_.announced(config_.sentinels[sentinel]);
    switch_to(*a);
  }
}

void SentinelService::open_events(std::size_t i) {
  if (stopped_) return;
  const SentinelAddress& s = config_.sentinels[i];
  Config c = with_address(config_.sentinel, s.host, s.port);
  // A loss is handled here: subscribe again after a pause.
  c.reconnect.enabled = false;
  EventLink& link = events_[i];
  const std::uint64_t gen = ++link.gen;
  link.sub = std::make_unique<Subscriber>(strand_, std::move(c), 64);
  std::weak_ptr<SentinelService> weak = weak_from_this();
  link.sub->on_message([weak, i](const Message& m) {
    if (auto self = weak.lock(); self && m.channel == kSwitchChannel) self->on_switch_message(m.payload, i);
  });
  link.sub->on_event([weak, i, gen](const SubscriptionEvent& e) {
    auto self = weak.lock();
    if (!self || gen != self->events_[i].gen) return;
    if (e.kind == SubscriptionEvent::Kind::disconnected) {
      // Not from inside the subscriber's own callback.
      asio::post(self->strand_, [self, i, gen] {
        if (gen == self->events_[i].gen) self->events_lost(i);
      });
    }
  });
  link.sub->subscribe({std::string(kSwitchChannel)}, [weak, i, gen](std::error_code ec, auto) {
    auto self = weak.lock();
    if (!self || self->stopped_ || gen != self->events_[i].gen) return;
    if (ec) {
      return asio::post(self->strand_, [self, i, gen] {
        if (gen == self->events_[i].gen) self->events_lost(i);
      });
    }
    // Events may have been missed while the subscription was down.
    self->request_round(std::nullopt);
  });
}

void SentinelService::events_lost(std::size_t i) {
  if (stopped_) return;
  EventLink& link = events_[i];
  const std::uint64_t gen = ++link.gen;
  if (link.sub) {
    link.sub->close();
    link.sub.reset();
  }
  link.timer->expires_after(jittered(std::chrono::milliseconds(200)));
  link.timer->async_wait([self = shared_from_this(), i, gen](std::error_code ec) {
    if (!ec && gen == self->events_[i].gen) self->open_events(i);
  });
}

void SentinelService::arm_recheck() {
  if (stopped_ || config_.recheck_interval.count() <= 0) return;
  recheck_timer_.expires_after(config_.recheck_interval);
  recheck_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec || self->stopped_) return;
    self->request_round(std::nullopt);
    self->arm_recheck();
  });
}

}  // namespace valkey::sentinel
