// Subscriber: a dedicated connection (RESP3 pushes, or RESP2 subscribed mode
// through the connection's pub/sub mode), messages routed to a queue or a
// callback, subscriptions restored after every reconnect.
#include <valkey/pubsub.hpp>

#include <map>
#include <set>
#include <vector>

#include <valkey/cluster/slot.hpp>
#include <valkey/reply.hpp>

namespace valkey {

namespace detail {

// ---------------------------------------------------------------- requests

void SubscriptionRequest::on_node(const resp::Node& n) {
  if (n.depth != 0) return;
  reply_is_error_ = resp::is_error(n.type);
  if (reply_is_error_ && error_.empty()) error_.assign(n.value);
}

void SubscriptionRequest::on_reply_end() {
  // A command before the PING answered with an error instead of
  // confirmations: the PING's reply is still to come. (At most one error per
  // command; an error beyond that is the PING's own, the last reply.)
  if (reply_is_error_ && errors_ < verbs) {
    ++errors_;
    conn_->expect_more_replies(*this, 1);
  }
  reply_is_error_ = false;
}

class SubscriberCore final : public resp::Visitor, public ConnectionObserver {
 public:
  SubscriberCore(asio::any_io_executor ex, Config config, std::size_t capacity)
      : messages(ex, capacity), restore_(*this) {
    // The protocol is the configured one (RESP3 by default, RESP2 when
    // configured or when the server refuses HELLO 3); on RESP2 the pub/sub
    // mode routes the subscribed-mode arrays here as if they were pushes.
    conn = Connection::create(ex, std::move(config));
    conn->set_pubsub_mode(true);
    conn->set_push_handler(this);
    conn->set_observer(this);
    restore_.set_connection(*conn);
    conn->start();
  }

  // ---- messages and confirmations: RESP3 pushes, or RESP2 arrays ----
  void on_node(const resp::Node& n) override { builder_.on_node(n); }
  void on_message_end() override {
    builder_.on_message_end();
    Reply r = builder_.take();
    if (!r.is_aggregate() || r.size() < 3 || !r[0].is_string()) return;
    std::string_view kind = r[0].as_string();
    auto text = [](const Reply& v) { return v.is_string() ? std::string(v.as_string()) : std::string{}; };
    if (kind == "message" || kind == "smessage") {
      deliver({kind == "message" ? Message::Kind::message : Message::Kind::smessage, {}, text(r[1]), text(r[2])});
    } else if (kind == "pmessage" && r.size() >= 4) {
      deliver({Message::Kind::pmessage, text(r[1]), text(r[2]), text(r[3])});
    } else if (kind == "subscribe" || kind == "psubscribe" || kind == "ssubscribe" || kind == "unsubscribe" ||
               kind == "punsubscribe" || kind == "sunsubscribe") {
      if (kind == "sunsubscribe") forget_if_dropped(text(r[1]));
      SubscriptionEvent e{kind.find("unsub") != std::string_view::npos ? SubscriptionEvent::Kind::unsubscribed
                                                                       : SubscriptionEvent::Kind::subscribed,
                          std::string(kind), text(r[1]), r[2].is_integer() ? r[2].as_integer() : 0, {}};
      emit(e);
    }
  }

  // ---- connection events ----
  void on_connected(Connection&) override {
    if (!connected_once_) {
      connected_once_ = true;
      return;  // the first connection: subscribe() calls are queued behind the handshake
    }
    if (wanted() == 0 || restore_.active()) return;
    std::string bytes;
    resp::Writer w(bytes);
    std::uint32_t verbs = 0;
    verbs += append(w, "SUBSCRIBE", channels_);
    verbs += append(w, "PSUBSCRIBE", patterns_);
    verbs += append_by_slot(w, "SSUBSCRIBE", shard_channels_);
    w.begin_command(1);
    w.arg(std::string_view{"PING"});
    restore_.prepare(verbs, wanted());
    if (auto ec = conn->submit_encoded(restore_, bytes)) emit({SubscriptionEvent::Kind::resubscribe_failed, {}, {}, 0, ec});
  }
  void on_disconnected(Connection&, std::error_code ec) override {
    sunsubscribes_sent_.clear();  // their confirmations will not come
    if (connected_once_) emit({SubscriptionEvent::Kind::disconnected, {}, {}, 0, ec});
  }

  void deliver(Message m) {
    if (on_message) {
      on_message(m);
    } else if (!messages.try_send(std::error_code{}, std::move(m))) {
      ++dropped;
    }
  }
  void emit(const SubscriptionEvent& e) {
    if (on_event) on_event(e);
  }

  // The wanted set a verb changes; `add`: whether it subscribes. nullptr for
  // anything that is not one of the six verbs.
  std::set<std::string>* set_for(std::string_view verb, bool& add) {
    add = verb == "SUBSCRIBE" || verb == "PSUBSCRIBE" || verb == "SSUBSCRIBE";
    if (verb == "SUBSCRIBE" || verb == "UNSUBSCRIBE") return &channels_;
    if (verb == "PSUBSCRIBE" || verb == "PUNSUBSCRIBE") return &patterns_;
    if (verb == "SSUBSCRIBE" || verb == "SUNSUBSCRIBE") return &shard_channels_;
    return nullptr;
  }
  std::size_t wanted() const noexcept { return channels_.size() + patterns_.size() + shard_channels_.size(); }

  // SUNSUBSCRIBE sent for `names` (all shard channels when empty): their
  // confirmations are answers, not the server dropping them.
  void sent_sunsubscribe(const std::vector<std::string>& names) {
    for (const auto& n : names) ++sunsubscribes_sent_[n];
  }

  // `keep` holds this core until the connection has run the completions
  // close() posts: restore_ is a request living in this object.
  void close(std::shared_ptr<SubscriberCore> keep) {
    if (closed_) return;
    closed_ = true;
    conn->set_push_handler(nullptr);
    conn->set_observer(nullptr);
    conn->close([keep = std::move(keep)] {});
    messages.close();
  }

  std::shared_ptr<Connection> conn;
  Subscriber::message_channel messages;
  std::function<void(const Message&)> on_message;
  std::function<void(const SubscriptionEvent&)> on_event;
  std::size_t dropped = 0;

 private:
  // A "sunsubscribe" nobody asked for: in a cluster the server drops the
  // shard channels of a slot that moved to another node. Such a channel is
  // not restored here after a reconnect (the slot's owner is elsewhere now).
  void forget_if_dropped(const std::string& name) {
    if (auto it = sunsubscribes_sent_.find(name); it != sunsubscribes_sent_.end()) {
      if (--it->second == 0) sunsubscribes_sent_.erase(it);
      return;
    }
    shard_channels_.erase(name);
  }

  // One SSUBSCRIBE per hash slot: in a cluster one command's shard channels
  // must share a slot (elsewhere the grouping changes nothing).
  static std::uint32_t append_by_slot(resp::Writer& w, std::string_view verb, const std::set<std::string>& names) {
    std::map<std::uint16_t, std::vector<const std::string*>> slots;
    for (const auto& n : names) slots[cluster::hash_slot(n)].push_back(&n);
    for (const auto& [slot, group] : slots) {
      w.begin_command(group.size() + 1);
      w.arg(verb);
      for (const std::string* n : group) w.arg(*n);
    }
    return static_cast<std::uint32_t>(slots.size());
  }

  static std::uint32_t append(resp::Writer& w, std::string_view verb, const std::set<std::string>& names) {
    if (names.empty()) return 0;
    w.begin_command(names.size() + 1);
    w.arg(verb);
    for (const auto& n : names) w.arg(n);
    return 1;
  }

  // The request that restores every subscription after a reconnect (the
  // confirmations arrive as pushes or RESP2 arrays; the trailing PING's reply
  // completes it).
  class Restore final : public SubscriptionRequest {
   public:
    explicit Restore(SubscriberCore& c) : core_(c) {}
    void set_connection(Connection& c) noexcept { attach(c); }
    void prepare(std::uint32_t n_verbs, std::size_t n) {
      reset_replies();
      verbs = n_verbs;
      count_ = n;
    }
    void on_complete(std::error_code ec) override {
      if (!ec && !error().empty()) ec = make_error_code(errc::server_error);
      if (ec) core_.emit({SubscriptionEvent::Kind::resubscribe_failed, {}, error(), 0, ec});
      else core_.emit({SubscriptionEvent::Kind::resubscribed, {}, {}, static_cast<std::int64_t>(count_), {}});
    }

   private:
    SubscriberCore& core_;
    std::size_t count_ = 0;
  };

  std::set<std::string> channels_, patterns_, shard_channels_;
  std::map<std::string, int> sunsubscribes_sent_;  // confirmations still to come, per shard channel
  ReplyBuilder builder_;
  Restore restore_;
  bool connected_once_ = false;
  bool closed_ = false;
};

std::error_code ChangeRequest::settle(std::error_code ec) {
  if (!ec && !error().empty()) {
    ec = make_error_code(errc::server_error);
    // Refused: the wanted set must not restore (or forget) what the server
    // never applied.
    if (wanted) {
      for (auto& n : changed) {
        if (added) wanted->erase(n);
        else wanted->insert(std::move(n));
      }
    }
  }
  return ec;
}

}  // namespace detail

Subscriber::Subscriber(AsyncClient& c, std::size_t capacity) : Subscriber(c.get_executor(), c.config(), capacity) {}

Subscriber::Subscriber(asio::any_io_executor ex, Config config, std::size_t capacity)
    : core_(std::make_shared<detail::SubscriberCore>(std::move(ex), std::move(config), capacity)) {}

Subscriber::~Subscriber() {
  if (core_) core_->close(core_);
}

void Subscriber::close() {
  if (core_) core_->close(core_);
}

void Subscriber::on_message(std::function<void(const Message&)> f) { core_->on_message = std::move(f); }
void Subscriber::on_event(std::function<void(const SubscriptionEvent&)> f) { core_->on_event = std::move(f); }
std::size_t Subscriber::dropped() const noexcept { return core_->dropped; }
std::size_t Subscriber::subscriptions() const noexcept { return core_->wanted(); }
Connection& Subscriber::connection() noexcept { return *core_->conn; }
Subscriber::message_channel& Subscriber::messages() noexcept { return core_->messages; }
Connection* Subscriber::core_connection(detail::SubscriberCore* core) noexcept { return core->conn.get(); }

void Subscriber::start_change(detail::SubscriberCore* core, detail::ChangeRequest& op, std::string_view verb,
                              Strings names) {
  bool add = true;
  std::set<std::string>* set = core->set_for(verb, add);
  if (!set || (add && names.empty())) return op.fail_later(make_error_code(errc::invalid_argument));
  std::string bytes;
  resp::Writer w(bytes);
  w.begin_command(names.size() + 1);
  w.arg(verb);
  names.for_each([&](std::string_view n) { w.arg(n); });
  // The confirmations are not replies (pushes in RESP3, arrays the pub/sub
  // mode routes away in RESP2); the PING's reply tells us the server has
  // applied the change.
  w.begin_command(1);
  w.arg(std::string_view{"PING"});

  if (auto timeout = core->conn->config().request_timeout; timeout.count() > 0)
    op.deadline = RequestBase::clock::now() + timeout;
  if (auto ec = core->conn->submit_encoded(op, bytes)) return op.fail_later(ec);

  // Recorded once submitted: what the next reconnect restores.
  op.wanted = set;
  op.added = add;
  if (verb == "SUNSUBSCRIBE") {
    std::vector<std::string> sent;
    if (names.empty()) sent.assign(set->begin(), set->end());
    else names.for_each([&](std::string_view n) { sent.emplace_back(n); });
    core->sent_sunsubscribe(sent);
  }
  if (add) {
    names.for_each([&](std::string_view n) {
      if (set->emplace(n).second) op.changed.emplace_back(n);
    });
  } else if (names.empty()) {  // UNSUBSCRIBE with no names: all of that kind
    op.changed.assign(set->begin(), set->end());
    set->clear();
  } else {
    names.for_each([&](std::string_view n) {
      if (auto it = set->find(std::string(n)); it != set->end()) {
        op.changed.push_back(*it);
        set->erase(it);
      }
    });
  }
}

}  // namespace valkey
