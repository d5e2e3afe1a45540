// Subscriber: a dedicated RESP3 connection, push messages routed to a queue
// or a callback, subscriptions restored after every reconnect.
#include <valkey/pubsub.hpp>

#include <set>

#include <valkey/reply.hpp>

namespace valkey {

namespace detail {

class SubscriberCore final : public resp::Visitor, public ConnectionObserver {
 public:
  SubscriberCore(asio::any_io_executor ex, Config config, std::size_t capacity)
      : messages(ex, capacity), restore_(*this) {
    config.protocol = Protocol::resp3;  // push messages keep replies and messages apart
    conn = Connection::create(ex, std::move(config));
    conn->set_push_handler(this);
    conn->set_observer(this);
    conn->start();
  }

  // ---- push messages ----
  void on_node(const resp::Node& n) override { builder_.on_node(n); }
  void on_message_end() override {
    builder_.on_message_end();
    Reply r = builder_.take();
    if (!r.is_aggregate() || r.size() < 3) return;
    std::string_view kind = r[0].as_string();
    if (kind == "message" || kind == "smessage") {
      deliver({kind == "message" ? Message::Kind::message : Message::Kind::smessage, {}, std::string(r[1].as_string()),
               std::string(r[2].as_string())});
    } else if (kind == "pmessage" && r.size() >= 4) {
      deliver({Message::Kind::pmessage, std::string(r[1].as_string()), std::string(r[2].as_string()),
               std::string(r[3].as_string())});
    } else if (kind == "subscribe" || kind == "psubscribe" || kind == "ssubscribe" || kind == "unsubscribe" ||
               kind == "punsubscribe" || kind == "sunsubscribe") {
      SubscriptionEvent e{kind.find("unsub") != std::string_view::npos ? SubscriptionEvent::Kind::unsubscribed
                                                                       : SubscriptionEvent::Kind::subscribed,
                          std::string(kind), r[1].is_null() ? std::string{} : std::string(r[1].as_string()),
                          r[2].is_integer() ? r[2].as_integer() : 0, {}};
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
    append(w, "SUBSCRIBE", channels_);
    append(w, "PSUBSCRIBE", patterns_);
    append(w, "SSUBSCRIBE", shard_channels_);
    w.begin_command(1);
    w.arg(std::string_view{"PING"});
    restore_.error.clear();
    restore_.count = wanted();
    if (auto ec = conn->submit_encoded(restore_, bytes)) emit({SubscriptionEvent::Kind::resubscribe_failed, {}, {}, 0, ec});
  }
  void on_disconnected(Connection&, std::error_code ec) override {
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

  std::set<std::string>* set_for(std::string_view verb, bool& add) {
    add = verb.substr(0, 2) != "UN" && verb.substr(0, 3) != "PUN" && verb.substr(0, 3) != "SUN";
    if (verb == "SUBSCRIBE" || verb == "UNSUBSCRIBE") return &channels_;
    if (verb == "PSUBSCRIBE" || verb == "PUNSUBSCRIBE") return &patterns_;
    return &shard_channels_;
  }
  std::size_t wanted() const noexcept { return channels_.size() + patterns_.size() + shard_channels_.size(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    conn->set_push_handler(nullptr);
    conn->set_observer(nullptr);
    conn->close();
    messages.close();
  }

  std::shared_ptr<Connection> conn;
  Subscriber::message_channel messages;
  std::function<void(const Message&)> on_message;
  std::function<void(const SubscriptionEvent&)> on_event;
  std::size_t dropped = 0;

 private:
  static void append(resp::Writer& w, std::string_view verb, const std::set<std::string>& names) {
    if (names.empty()) return;
    w.begin_command(names.size() + 1);
    w.arg(verb);
    for (const auto& n : names) w.arg(n);
  }

  // The request that restores every subscription after a reconnect (the
  // confirmations arrive as pushes; the trailing PING's reply completes it).
  class Restore final : public RequestBase {
   public:
    explicit Restore(SubscriberCore& c) : core_(c) {}
    void on_node(const resp::Node& n) override {
      if (n.depth == 0 && resp::is_error(n.type) && error.empty()) error.assign(n.value);
    }
    void on_reply_end() override {}
    void on_complete(std::error_code ec) override {
      if (!ec && !error.empty()) ec = make_error_code(errc::server_error);
      if (ec) core_.emit({SubscriptionEvent::Kind::resubscribe_failed, {}, error, 0, ec});
      else core_.emit({SubscriptionEvent::Kind::resubscribed, {}, {}, static_cast<std::int64_t>(count), {}});
    }
    std::string error;
    std::size_t count = 0;

   private:
    SubscriberCore& core_;
  };

  std::set<std::string> channels_, patterns_, shard_channels_;
  ReplyBuilder builder_;
  Restore restore_;
  bool connected_once_ = false;
  bool closed_ = false;
};

}  // namespace detail

Subscriber::Subscriber(AsyncClient& c, std::size_t capacity) : Subscriber(c.get_executor(), c.config(), capacity) {}

Subscriber::Subscriber(asio::any_io_executor ex, Config config, std::size_t capacity)
    : core_(std::make_shared<detail::SubscriberCore>(std::move(ex), std::move(config), capacity)) {}

Subscriber::~Subscriber() {
  if (core_) core_->close();
}

void Subscriber::close() {
  if (core_) core_->close();
}

void Subscriber::on_message(std::function<void(const Message&)> f) { core_->on_message = std::move(f); }
void Subscriber::on_event(std::function<void(const SubscriptionEvent&)> f) { core_->on_event = std::move(f); }
std::size_t Subscriber::dropped() const noexcept { return core_->dropped; }
std::size_t Subscriber::subscriptions() const noexcept { return core_->wanted(); }
Connection& Subscriber::connection() noexcept { return *core_->conn; }
Subscriber::message_channel& Subscriber::messages() noexcept { return core_->messages; }

Subscriber::EncodeBytes Subscriber::prepare(std::string_view verb, Strings names) {
  bool add = true;
  auto* set = core_->set_for(verb, add);
  EncodeBytes e;
  resp::Writer w(e.bytes);
  w.begin_command(names.size() + 1);
  w.arg(verb);
  names.for_each([&](std::string_view n) {
    w.arg(n);
    if (add) set->emplace(n);
    else set->erase(std::string(n));
  });
  if (!add && names.empty()) set->clear();  // UNSUBSCRIBE with no names: all of that kind
  // In RESP3 the confirmations are pushes; the PING's reply tells us the
  // server has applied the change.
  w.begin_command(1);
  w.arg(std::string_view{"PING"});
  return e;
}

}  // namespace valkey
