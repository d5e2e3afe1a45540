#pragma once
/// \class valkey::ClusterSubscriber
/// Pub/sub on a Valkey Cluster, built from one valkey::Subscriber (a
/// connection of its own) per node it needs.
///
/// \code
///   valkey::ClusterSubscriber sub{cluster};            // cluster: an AsyncClusterClient
///   const std::vector<std::string_view> rooms{"{room1}:chat", "{room2}:chat"}, news{"news"};
///   co_await sub.ssubscribe(rooms, asio::use_awaitable);  // lists named: g++ 12 and braced lists in co_await
///   co_await sub.subscribe(news, asio::use_awaitable);
///   valkey::Message m = co_await sub.receive(asio::use_awaitable);
///   sub.on_event([](const valkey::ClusterSubscriptionEvent& e) { ... });  // moved: messages may be missed
/// \endcode
///
/// Classic channels and patterns (SUBSCRIBE, PSUBSCRIBE): a message published
/// on any node reaches every node, so they live on one node, a random
/// primary. When that node's connection drops they move to another primary at
/// once (event `moved`; messages published in between are missed).
///
/// Shard channels (SSUBSCRIBE): each lives on the primary that owns its slot,
/// one connection per such node, one SSUBSCRIBE per slot. When a slot moves,
/// the old owner drops its shard channels (the server's unsolicited
/// `sunsubscribe`): they are subscribed again at the new owner, found in the
/// slot map, a refresh, or the MOVED the old owner answers. When an owner's
/// connection drops, its channels stay there while it reconnects, and move to
/// the new owner once the topology names another (a failover). Each move is
/// reported as an event `moved` naming the channel and the new node; messages
/// published between the drop and the new subscription are lost, as pub/sub
/// promises nothing more.
///
/// Each call completes with `void(std::error_code, Ok)` once every node
/// concerned applied it: errc::server_error when a node refused it (its text
/// in the error's message is not kept: see on_event for the node's reply),
/// errc::invalid_argument for a subscribe with no names. A call that failed
/// leaves no subscription behind for the names it could not place.
///
/// Threading: use it on the cluster client's executor, like the client.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include <valkey/command.hpp>
#include <valkey/export.hpp>
#include <valkey/pubsub.hpp>
#include <valkey/view.hpp>

namespace valkey {

class AsyncClusterClient;

/// A change of a ClusterSubscriber's subscriptions or connections, as
/// ClusterSubscriber::on_event() reports it.
struct ClusterSubscriptionEvent {
  /// What happened.
  enum class Kind : std::uint8_t {
    subscribed,          ///< a node's confirmation: channel (or pattern) and that connection's count
    unsubscribed,        ///< same; also the server dropping a shard channel whose slot moved
    disconnected,        ///< a node's subscriber connection dropped (ec); it reconnects or moves
    resubscribed,        ///< restored on the same node after its reconnect (count)
    resubscribe_failed,  ///< restoring on the same node failed (ec)
    moved,               ///< subscribed again on another node (node): messages may have been missed
    move_failed,         ///< could not be placed on any node yet (ec); retried
  };
  /// What happened.
  Kind kind = Kind::subscribed;
  std::string kind_name;  ///< "subscribe", "ssubscribe", "sunsubscribe", ... for confirmations
  /// The channel or pattern the event is about.
  std::string channel;
  /// The connection's subscription count, where the Kind names it.
  std::int64_t count = 0;
  /// The error, where the Kind names it.
  std::error_code ec;
  std::string node;  ///< "host:port" the event is about (the new node for moved)
};

namespace cluster {

class Router;
class SubscriberHub;

/// A subscription call's completion, type-erased (non-template core).
class SubscribeCompletion {
 public:
  virtual void done(std::error_code ec) = 0;  ///< called once, on the hub's executor; deletes this

 protected:
  virtual ~SubscribeCompletion() = default;
};

/// The completion of one subscription call: posts `handler(ec, Ok{})` to the
/// handler's associated executor.
template <class Handler>
class SubscribeOp final : public SubscribeCompletion {
 public:
  /// Completes through `h`, posted to its associated executor (default: `ex`).
  SubscribeOp(Handler h, asio::any_io_executor ex) : handler_(std::move(h)), ex_(std::move(ex)) {}
  void done(std::error_code ec) override {
    Handler h = std::move(handler_);
    auto ex = asio::get_associated_executor(h, ex_);
    delete this;
    // Posted: the hub calls done() from its own bookkeeping.
    asio::post(ex, [h = std::move(h), ec]() mutable { std::move(h)(ec, Ok{}); });
  }

 private:
  Handler handler_;
  asio::any_io_executor ex_;
};

}  // namespace cluster

class VALKEY_CPP_EXPORT ClusterSubscriber {
 public:
  /// The queue receive() reads from.
  using message_channel = Subscriber::message_channel;

  /// `queue_capacity` bounds the messages waiting for receive(); beyond it
  /// new ones are dropped and counted (dropped()).
  explicit ClusterSubscriber(AsyncClusterClient& c, std::size_t queue_capacity = 4096);
  /// Closes every node connection and the message queue (close()).
  ~ClusterSubscriber();
  /// Takes over the other subscriber's subscriptions and connections.
  ClusterSubscriber(ClusterSubscriber&&) noexcept = default;
  /// Takes over the other subscriber's subscriptions and connections.
  ClusterSubscriber& operator=(ClusterSubscriber&&) noexcept = default;

  /// SUBSCRIBE to classic `channels`, on the one node that holds them.
  template <class Token>
  auto subscribe(Strings channels, Token&& token) {
    return change(Verb::subscribe, channels, std::forward<Token>(token));
  }
  /// PSUBSCRIBE to `patterns`, on the one node that holds the classic channels.
  template <class Token>
  auto psubscribe(Strings patterns, Token&& token) {
    return change(Verb::psubscribe, patterns, std::forward<Token>(token));
  }
  /// SSUBSCRIBE to shard `channels`, each on the primary that owns its slot.
  template <class Token>
  auto ssubscribe(Strings channels, Token&& token) {
    return change(Verb::ssubscribe, channels, std::forward<Token>(token));
  }
  /// UNSUBSCRIBE from classic `channels`. With no names: every subscription
  /// of that kind.
  template <class Token>
  auto unsubscribe(Strings channels, Token&& token) {
    return change(Verb::unsubscribe, channels, std::forward<Token>(token));
  }
  /// PUNSUBSCRIBE from `patterns`. With no names: every pattern.
  template <class Token>
  auto punsubscribe(Strings patterns, Token&& token) {
    return change(Verb::punsubscribe, patterns, std::forward<Token>(token));
  }
  /// SUNSUBSCRIBE from shard `channels`. With no names: every shard channel.
  template <class Token>
  auto sunsubscribe(Strings channels, Token&& token) {
    return change(Verb::sunsubscribe, channels, std::forward<Token>(token));
  }

  /// The next message: `void(std::error_code, Message)`; channel_closed after close().
  template <class Token>
  auto receive(Token&& token) {
    return messages().async_receive(std::forward<Token>(token));
  }
  /// Messages to `f` instead of the receive() queue (on the executor).
  void on_message(std::function<void(const Message&)> f);
  /// Subscription events (confirmations, disconnects, moves) to `f`, on the executor.
  void on_event(std::function<void(const ClusterSubscriptionEvent&)> f);

  /// Messages dropped because queue_capacity were already waiting.
  std::size_t dropped() const noexcept;
  /// Channels + patterns + shard channels currently wanted.
  std::size_t subscriptions() const noexcept;
  /// "host:port" of the node holding shard channel `channel` ("" when it is
  /// being moved or not subscribed).
  std::string node_of(std::string_view channel) const;
  /// "host:port" of the node holding the classic channels and patterns (""
  /// when there is none).
  std::string classic_node() const;

  /// Closes every node connection and the message queue.
  void close();

  /// The subscription commands (SyncClusterSubscriber uses them too).
  enum class Verb : std::uint8_t { subscribe, psubscribe, ssubscribe, unsubscribe, punsubscribe, sunsubscribe };

 private:
  template <class Token>
  auto change(Verb verb, Strings names, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, Ok)>(
        [this, verb, names](auto handler) {
          using Op = cluster::SubscribeOp<std::decay_t<decltype(handler)>>;
          start(verb, names, *new Op(std::move(handler), executor()));
        },
        token);
  }
  void start(Verb verb, Strings names, cluster::SubscribeCompletion& done);
  asio::any_io_executor executor() const;
  message_channel& messages() noexcept;

  std::shared_ptr<cluster::SubscriberHub> hub_;
};

}  // namespace valkey
