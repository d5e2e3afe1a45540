// ClusterSubscriber: one valkey::Subscriber per node it needs (one for the
// classic channels and patterns, one per primary owning a shard channel's
// slot), and the bookkeeping that moves subscriptions when a slot moves or a
// node is lost. Everything runs on the cluster client's executor.
#include <valkey/cluster/cluster_subscriber.hpp>

#include <map>
#include <random>
#include <set>
#include <vector>

#include <asio/steady_timer.hpp>

#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/redirect.hpp>
#include <valkey/cluster/router.hpp>
#include <valkey/cluster/slot.hpp>

#include "detail/url_text.hpp"

namespace valkey {
namespace cluster {

namespace {

using Event = ClusterSubscriptionEvent;

Event::Kind kind_of(SubscriptionEvent::Kind k) {
  switch (k) {
    case SubscriptionEvent::Kind::subscribed: return Event::Kind::subscribed;
    case SubscriptionEvent::Kind::unsubscribed: return Event::Kind::unsubscribed;
    case SubscriptionEvent::Kind::disconnected: return Event::Kind::disconnected;
    case SubscriptionEvent::Kind::resubscribed: return Event::Kind::resubscribed;
    case SubscriptionEvent::Kind::resubscribe_failed: return Event::Kind::resubscribe_failed;
  }
  return Event::Kind::subscribed;
}

// How often a subscription waiting for a node (its owner lost, its slot
// moved) looks at the topology again.
constexpr auto recheck_interval = std::chrono::milliseconds(200);

}  // namespace

class SubscriberHub : public std::enable_shared_from_this<SubscriberHub> {
 public:
  using Verb = ClusterSubscriber::Verb;

  SubscriberHub(std::shared_ptr<Router> r, std::size_t capacity)
      : router_(std::move(r)), ex_(router_->get_executor()), messages(ex_, capacity), capacity_(capacity),
        timer_(ex_), rng_(std::random_device{}()) {}

  std::shared_ptr<Router> router_;
  asio::any_io_executor ex_;
  ClusterSubscriber::message_channel messages;
  std::function<void(const Message&)> on_message;
  std::function<void(const Event&)> on_event;
  std::size_t dropped = 0;

  void start(Verb verb, std::vector<std::string> names, SubscribeCompletion& done) {
    if (closed_) return done.done(make_error_code(errc::connection_closed));
    const bool adds = verb == Verb::subscribe || verb == Verb::psubscribe || verb == Verb::ssubscribe;
    if (adds && names.empty()) return done.done(make_error_code(errc::invalid_argument));
    router_->when_ready([self = shared_from_this(), verb, names = std::move(names), &done](std::error_code ec) mutable {
      if (!ec && self->closed_) ec = make_error_code(errc::connection_closed);
      if (ec) return done.done(ec);
      switch (verb) {
        case Verb::subscribe:
        case Verb::psubscribe: return self->classic_subscribe(verb, std::move(names), done);
        case Verb::unsubscribe:
        case Verb::punsubscribe: return self->classic_unsubscribe(verb, std::move(names), done);
        case Verb::ssubscribe: return self->shard_subscribe(std::move(names), done);
        case Verb::sunsubscribe: return self->shard_unsubscribe(std::move(names), done);
      }
    });
  }

  std::size_t wanted() const noexcept { return channels_.size() + patterns_.size() + shard_home_.size(); }
  std::string node_of(std::string_view channel) const {
    auto it = shard_home_.find(std::string(channel));
    return it == shard_home_.end() ? std::string() : it->second;
  }
  std::string classic_node() const { return classic_ ? classic_->node : std::string(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    if (classic_) classic_->sub->close();
    for (auto& [node, ns] : shard_nodes_) ns->sub->close();
    shard_nodes_.clear();
    classic_.reset();
    messages.close();
  }

 private:
  struct NodeSub {
    std::string node, host;
    std::uint16_t port = 0;
    std::unique_ptr<Subscriber> sub;
    bool down = false;
    unsigned busy = 0;  // (un)subscribe calls in flight on this node
  };

  // What one call waits for: every node's part.
  struct Call {
    SubscribeCompletion* done = nullptr;
    std::size_t pending = 1;  // one for the starting code itself
    std::error_code first;
    void part(std::error_code ec) {
      if (ec && !first) first = ec;
      if (--pending == 0) done->done(first);
    }
  };

  std::unique_ptr<NodeSub> make_node(const std::string& host, std::uint16_t port, bool classic) {
    auto ns = std::make_unique<NodeSub>();
    ns->host = host;
    ns->port = port;
    ns->node = valkey::detail::host_port(host, port);
    Config c = router_->node_config(host, port);
    // A call to a node that is down fails at once (never written) instead of
    // waiting for it: the hub places the channels elsewhere and retries.
    c.when_disconnected = DisconnectedPolicy::fail;
    ns->sub = std::make_unique<Subscriber>(ex_, std::move(c), capacity_);
    std::weak_ptr<SubscriberHub> weak = weak_from_this();
    ns->sub->on_message([weak](const Message& m) {
      if (auto h = weak.lock()) h->deliver(m);
    });
    ns->sub->on_event([weak, node = ns->node, classic](const SubscriptionEvent& e) {
      if (auto h = weak.lock()) h->node_event(node, classic, e);
    });
    return ns;
  }

  NodeSub& shard_node(const std::string& host, std::uint16_t port) {
    const std::string key = valkey::detail::host_port(host, port);
    auto& slot = shard_nodes_[key];
    if (!slot) slot = make_node(host, port, false);
    return *slot;
  }

  NodeSub* find_shard_node(const std::string& node) {
    auto it = shard_nodes_.find(node);
    return it == shard_nodes_.end() ? nullptr : it->second.get();
  }

  void deliver(const Message& m) {
    if (closed_) return;
    if (on_message) on_message(m);
    else if (!messages.try_send(std::error_code{}, m)) ++dropped;
  }

  void emit(const Event& e) {
    if (on_event && !closed_) on_event(e);
  }

  void node_event(const std::string& node, bool classic, const SubscriptionEvent& e) {
    if (closed_) return;
    NodeSub* ns = classic ? (classic_ && classic_->node == node ? classic_.get() : nullptr) : find_shard_node(node);
    if (!ns) return;  // a connection already given up
    emit(Event{kind_of(e.kind), e.kind_name, e.channel, e.count, e.ec, node});
    switch (e.kind) {
      case SubscriptionEvent::Kind::disconnected:
        ns->down = true;
        router_->request_refresh();
        // Classic channels work on any node: move them now. Shard channels
        // wait until the topology names another owner (or the node is back).
        if (classic) move_classic();
        else arm_check();
        break;
      case SubscriptionEvent::Kind::resubscribed: ns->down = false; break;
      case SubscriptionEvent::Kind::resubscribe_failed: arm_check(); break;
      case SubscriptionEvent::Kind::unsubscribed:
        if (!classic && e.kind_name == "sunsubscribe") {
          // Still wanted here and not asked for: the server dropped it (its
          // slot moved). The Subscriber forgot it too; place it anew.
          auto it = shard_home_.find(e.channel);
          if (it != shard_home_.end() && it->second == node) {
            it->second.clear();
            router_->request_refresh();
            arm_check(std::chrono::milliseconds(0));
          }
        }
        break;
      case SubscriptionEvent::Kind::subscribed: break;
    }
  }

  // ---- classic channels and patterns: one node ----

  bool pick_primary(const std::string& avoid, std::string& host, std::uint16_t& port) {
    std::vector<std::string> up, any;
    for (const NodeDescription& n : router_->nodes()) {
      if (!n.primary || n.slots.empty() || n.address == avoid) continue;
      any.push_back(n.address);
      if (n.health != NodeHealth::failed) up.push_back(n.address);
    }
    std::vector<std::string>& from = up.empty() ? any : up;
    if (from.empty()) return false;
    std::uniform_int_distribution<std::size_t> d(0, from.size() - 1);
    std::string_view h;
    if (!parse_host_port(from[d(rng_)], h, port)) return false;
    host = std::string(h);
    return true;
  }

  void classic_subscribe(Verb verb, std::vector<std::string> names, SubscribeCompletion& done) {
    if (!classic_) {
      std::string host;
      std::uint16_t port = 0;
      if (!pick_primary({}, host, port)) return done.done(make_error_code(errc::cluster_down));
      classic_ = make_node(host, port, true);
    }
    auto ok = [self = shared_from_this(), verb, names, &done](std::error_code ec, Ok) {
      if (!ec && !self->closed_) {
        auto& set = verb == Verb::subscribe ? self->channels_ : self->patterns_;
        set.insert(names.begin(), names.end());
      }
      done.done(ec);
    };
    if (verb == Verb::subscribe) classic_->sub->subscribe(names, ok);
    else classic_->sub->psubscribe(names, ok);
  }

  void classic_unsubscribe(Verb verb, std::vector<std::string> names, SubscribeCompletion& done) {
    auto& set = verb == Verb::unsubscribe ? channels_ : patterns_;
    if (names.empty()) set.clear();
    else
      for (const auto& n : names) set.erase(n);
    if (!classic_) return done.done({});
    auto ok = [self = shared_from_this(), &done](std::error_code ec, Ok) { done.done(ec); };
    if (verb == Verb::unsubscribe) classic_->sub->unsubscribe(names, ok);
    else classic_->sub->punsubscribe(names, ok);
  }

  // The classic node's connection dropped: subscribe everything on another
  // primary and give the old connection up.
  void move_classic() {
    if (!classic_ || closed_) return;
    const std::string old = classic_->node;
    std::string host;
    std::uint16_t port = 0;
    if (!pick_primary(old, host, port)) return arm_check();
    classic_->sub->close();
    classic_ = make_node(host, port, true);
    if (channels_.empty() && patterns_.empty()) return;
    auto call = std::make_shared<Call>();
    struct Report final : SubscribeCompletion {
      std::weak_ptr<SubscriberHub> hub;
      std::string node;
      std::vector<std::string> names;
      void done(std::error_code ec) override {
        if (auto h = hub.lock(); h && !h->closed_) {
          if (ec) {
            h->emit(Event{Event::Kind::move_failed, {}, {}, 0, ec, node});
            if (h->classic_ && h->classic_->node == node) h->classic_->down = true;
            h->arm_check();
          } else {
            for (const auto& n : names) h->emit(Event{Event::Kind::moved, {}, n, 0, {}, node});
          }
        }
        delete this;
      }
    };
    auto* report = new Report;
    report->hub = weak_from_this();
    report->node = classic_->node;
    report->names.assign(channels_.begin(), channels_.end());
    report->names.insert(report->names.end(), patterns_.begin(), patterns_.end());
    call->done = report;
    auto part = [call](std::error_code ec, Ok) { call->part(ec); };
    if (!channels_.empty()) {
      ++call->pending;
      classic_->sub->subscribe(std::vector<std::string>(channels_.begin(), channels_.end()), part);
    }
    if (!patterns_.empty()) {
      ++call->pending;
      classic_->sub->psubscribe(std::vector<std::string>(patterns_.begin(), patterns_.end()), part);
    }
    call->part({});
  }

  // ---- shard channels: on each slot's owner ----

  using Placed = std::function<void(std::error_code, const std::string& node)>;

  // SSUBSCRIBE `group` (one slot) on host:port, or, when host is empty, on
  // the node ClusterConfig::read_from picks for the slot (its owner, or one
  // of its replicas, zone first, other than `avoid`); a MOVED answer is
  // followed (max_redirects times).
  void place(std::vector<std::string> group, std::uint16_t slot, Placed then, std::string_view avoid = {},
             std::string host = {}, std::uint16_t port = 0, unsigned redirects = 0) {
    if (host.empty() && !router_->reader_of(slot, host, port, avoid)) {
      router_->request_refresh();
      return then(make_error_code(errc::cluster_down), {});
    }
    NodeSub& ns = shard_node(host, port);
    ++ns.busy;
    auto diag = std::make_shared<Diagnostics>();
    const std::vector<std::string>& names = group;
    ns.sub->ssubscribe(names, *diag,
                       [self = shared_from_this(), group, slot, then = std::move(then), diag, node = ns.node,
                        redirects](std::error_code ec, Ok) mutable {
                         if (NodeSub* n = self->find_shard_node(node)) --n->busy;
                         if (self->closed_) return then(make_error_code(errc::connection_closed), {});
                         Redirect rd;
                         if (ec == errc::server_error && parse_redirect(diag->server_message, rd) &&
                             redirects < self->router_->config().max_redirects) {
                           self->router_->request_refresh();
                           const std::string h = rd.host.empty() ? std::string() : std::string(rd.host);
                           if (!h.empty())
                             return self->place(std::move(group), slot, std::move(then), {}, h, rd.port,
                                                redirects + 1);
                         }
                         if (ec) self->close_idle(node);
                         then(ec, node);
                       });
  }

  void shard_subscribe(std::vector<std::string> names, SubscribeCompletion& done) {
    std::map<std::uint16_t, std::vector<std::string>> slots;
    for (auto& n : names) {
      if (shard_home_.count(n)) continue;  // already wanted
      shard_home_.emplace(n, std::string());
      placing_.insert(n);
      slots[hash_slot(n)].push_back(std::move(n));
    }
    auto call = std::make_shared<Call>();
    call->done = &done;
    for (auto& [slot, group] : slots) {
      ++call->pending;
      place(group, slot, [self = shared_from_this(), call, group](std::error_code ec, const std::string& node) {
        for (const auto& c : group) self->placing_.erase(c);
        for (const auto& c : group) {
          auto it = self->shard_home_.find(c);
          if (it == self->shard_home_.end()) continue;  // unsubscribed meanwhile
          if (ec) self->shard_home_.erase(it);         // a failed call leaves nothing behind
          else it->second = node;
        }
        if (!ec) self->drop_unwanted(group, node);
        call->part(ec);
      });
    }
    call->part({});
  }

  void shard_unsubscribe(std::vector<std::string> names, SubscribeCompletion& done) {
    if (names.empty())
      for (const auto& [c, home] : shard_home_) names.push_back(c);
    // node -> slot -> channels
    std::map<std::string, std::map<std::uint16_t, std::vector<std::string>>> by_node;
    for (auto& n : names) {
      auto it = shard_home_.find(n);
      if (it == shard_home_.end()) continue;
      if (!it->second.empty()) by_node[it->second][hash_slot(n)].push_back(n);
      shard_home_.erase(it);
    }
    auto call = std::make_shared<Call>();
    call->done = &done;
    for (auto& [node, slots] : by_node) {
      NodeSub* ns = find_shard_node(node);
      if (!ns) continue;
      for (auto& [slot, group] : slots) {
        ++call->pending;
        ++ns->busy;
        ns->sub->sunsubscribe(group, [self = shared_from_this(), call, node](std::error_code ec, Ok) {
          if (NodeSub* n = self->find_shard_node(node)) --n->busy;
          self->close_idle(node);
          call->part(ec);
        });
      }
    }
    call->part({});
  }

  // Channels unsubscribed while their SSUBSCRIBE was on its way.
  void drop_unwanted(const std::vector<std::string>& group, const std::string& node) {
    std::vector<std::string> gone;
    for (const auto& c : group)
      if (!shard_home_.count(c)) gone.push_back(c);
    NodeSub* ns = find_shard_node(node);
    if (gone.empty() || !ns) return;
    ++ns->busy;
    ns->sub->sunsubscribe(gone, [self = shared_from_this(), node](std::error_code, Ok) {
      if (NodeSub* n = self->find_shard_node(node)) --n->busy;
      self->close_idle(node);
    });
  }

  // A node connection no channel lives on any more is closed.
  void close_idle(const std::string& node) {
    NodeSub* ns = find_shard_node(node);
    if (!ns || ns->busy > 0) return;
    for (const auto& [c, home] : shard_home_)
      if (home == node) return;
    ns->sub->close();
    shard_nodes_.erase(node);
  }

  // ---- moving ----

  void arm_check(std::chrono::milliseconds delay = recheck_interval) {
    if (closed_ || timer_armed_) return;
    timer_armed_ = true;
    timer_.expires_after(delay);
    timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
      auto self = weak.lock();
      if (!self) return;
      self->timer_armed_ = false;
      if (!ec) self->check();
    });
  }

  // Places every shard channel without a node, and moves those whose node is
  // down once the topology names another owner; again later while some wait.
  void check() {
    if (closed_) return;
    bool waiting = false;
    std::map<std::uint16_t, std::vector<std::string>> todo;
    for (const auto& [c, home] : shard_home_) {
      if (placing_.count(c)) {
        waiting = true;
        continue;
      }
      const std::uint16_t slot = hash_slot(c);
      if (home.empty()) {
        todo[slot].push_back(c);
        continue;
      }
      NodeSub* ns = find_shard_node(home);
      if (!ns || !ns->down) continue;
      waiting = true;
      std::string host;
      std::uint16_t port = 0;
      if (router_->reader_of(slot, host, port, home) && valkey::detail::host_port(host, port) != home)
        todo[slot].push_back(c);
    }
    if (waiting || !todo.empty()) router_->request_refresh();
    for (auto& [slot, group] : todo) move_group(slot, std::move(group));
    if (classic_ && classic_->down) move_classic();
    if (waiting) arm_check();
  }

  void move_group(std::uint16_t slot, std::vector<std::string> group) {
    std::set<std::string> old;
    for (const auto& c : group) {
      placing_.insert(c);
      auto& home = shard_home_[c];
      if (!home.empty()) old.insert(home);
      home.clear();
    }
    for (const auto& n : old) close_idle(n);
    const std::string avoid = old.size() == 1 ? *old.begin() : std::string();  // the node that went down
    place(group, slot, [self = shared_from_this(), group](std::error_code ec, const std::string& node) {
      for (const auto& c : group) self->placing_.erase(c);
      if (ec) {
        self->emit(Event{Event::Kind::move_failed, {}, group.front(), 0, ec, node});
        self->arm_check();
        return;
      }
      for (const auto& c : group) {
        auto it = self->shard_home_.find(c);
        if (it == self->shard_home_.end()) continue;
        it->second = node;
        self->emit(Event{Event::Kind::moved, "ssubscribe", c, 0, {}, node});
      }
      self->drop_unwanted(group, node);
    }, avoid);
  }

  std::size_t capacity_;
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  bool closed_ = false;
  std::minstd_rand rng_;
  std::unique_ptr<NodeSub> classic_;
  std::set<std::string> channels_, patterns_;
  std::map<std::string, std::unique_ptr<NodeSub>> shard_nodes_;  // by "host:port"
  std::map<std::string, std::string> shard_home_;                // shard channel -> node ("" while placed)
  std::set<std::string> placing_;                                // shard channels with an SSUBSCRIBE on its way
};

}  // namespace cluster

ClusterSubscriber::ClusterSubscriber(AsyncClusterClient& c, std::size_t capacity)
    : hub_(std::make_shared<cluster::SubscriberHub>(c.router(), capacity)) {}

ClusterSubscriber::~ClusterSubscriber() {
  if (hub_) close();
}

void ClusterSubscriber::close() {
  // On the executor: the node subscribers are touched there only.
  asio::dispatch(hub_->ex_, [hub = hub_] { hub->close(); });
}

void ClusterSubscriber::start(Verb verb, Strings names, cluster::SubscribeCompletion& done) {
  std::vector<std::string> copy;
  names.for_each([&](std::string_view n) { copy.emplace_back(n); });
  hub_->start(verb, std::move(copy), done);
}

asio::any_io_executor ClusterSubscriber::executor() const { return hub_->ex_; }
ClusterSubscriber::message_channel& ClusterSubscriber::messages() noexcept { return hub_->messages; }
void ClusterSubscriber::on_message(std::function<void(const Message&)> f) { hub_->on_message = std::move(f); }
void ClusterSubscriber::on_event(std::function<void(const ClusterSubscriptionEvent&)> f) {
  hub_->on_event = std::move(f);
}
std::size_t ClusterSubscriber::dropped() const noexcept { return hub_->dropped; }
std::size_t ClusterSubscriber::subscriptions() const noexcept { return hub_->wanted(); }
std::string ClusterSubscriber::node_of(std::string_view channel) const { return hub_->node_of(channel); }
std::string ClusterSubscriber::classic_node() const { return hub_->classic_node(); }

}  // namespace valkey
