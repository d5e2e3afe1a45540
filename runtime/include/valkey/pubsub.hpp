#pragma once
/// \class valkey::Subscriber
/// valkey::Subscriber: SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE, messages delivered
/// to a queue or a callback.
///
/// \code
///   valkey::Subscriber sub{c};                       // c: an AsyncClient (same server, settings, executor)
///   co_await sub.subscribe(channels, asio::use_awaitable);
///   valkey::Message m = co_await sub.receive(asio::use_awaitable);   // or sub.on_message(callback)
/// \endcode
///
/// The subscriber owns a connection of its own (not the client's): the push
/// handler and observer of a connection are single slots, and a subscribed
/// connection's state (its channel set) must survive reconnects on its own
/// terms.
///
/// Protocol: the subscriber's connection follows the configuration, like any
/// other connection. RESP3 (the default) delivers messages and (un)subscribe
/// confirmations as push messages, apart from replies. On RESP2 — configured
/// (protocol=resp2), or a server that refuses HELLO 3 so the handshake falls
/// back — the connection is in the server's "subscribed mode": messages and
/// confirmations are plain arrays interleaved with replies, and PING answers
/// ["pong", ""]. The subscriber turns on the connection's pub/sub mode
/// (Connection::set_pubsub_mode), which routes those arrays to it; everything
/// it offers works the same on both protocols.
///
/// Each (un)subscribe call sends "VERB names..." then PING and completes on
/// the PING's reply, i.e. once the server applied it (the confirmations, one
/// per name, arrive before it and are reported as events). A refused command
/// (ACL, CROSSSLOT, a server without SSUBSCRIBE) completes the call with
/// errc::server_error (the text in Diagnostics) and undoes its bookkeeping;
/// subscribe/psubscribe/ssubscribe with no names fail with
/// errc::invalid_argument without sending anything. The server must allow
/// PING to the user (the health check needs it too).
///
/// After a reconnect every channel, pattern and shard channel is subscribed
/// again (both protocols); on_event() reports disconnected, then resubscribed.
///
/// Threading: use it on its executor, like the AsyncClient.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/experimental/channel.hpp>
#include <asio/post.hpp>

#include <valkey/async_client.hpp>
#include <valkey/command.hpp>
#include <valkey/connection.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/export.hpp>
#include <valkey/view.hpp>

namespace valkey {

/// A message received on a subscription.
struct Message {
  /// The subscription that delivered it: SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE.
  enum class Kind : std::uint8_t { message, pmessage, smessage };
  /// Which kind of subscription delivered it.
  Kind kind = Kind::message;
  std::string pattern;  ///< the pattern that matched; pmessage only
  /// The channel it was published to.
  std::string channel;
  /// The published message.
  std::string payload;
};

/// A change in the subscriptions, reported through Subscriber::on_event().
struct SubscriptionEvent {
  /// What happened.
  enum class Kind : std::uint8_t {
    subscribed,    ///< a confirmation: channel (or pattern) and the subscription count
    unsubscribed,  ///< a confirmation, as for subscribed
    disconnected,  ///< the connection dropped (ec); it reconnects by the client's policy
    resubscribed,  ///< after a reconnect, every subscription was restored (count: how many)
    resubscribe_failed,  ///< restoring failed (ec); retried on the next reconnect
  };
  /// What happened.
  Kind kind;
  std::string kind_name;  ///< "subscribe", "psubscribe", "ssubscribe", ... for confirmations
  /// The channel or pattern of a confirmation.
  std::string channel;
  /// The subscription count of a confirmation; for resubscribed, how many.
  std::int64_t count = 0;
  /// The error of disconnected and resubscribe_failed.
  std::error_code ec;
};

namespace detail {
class SubscriberCore;

// One request on the subscriber's connection: k commands that answer with
// confirmations (not replies) or with one error reply each, then a PING whose
// reply completes it. Each error reply asks the connection for one more reply
// (at most k), so a refused SUBSCRIBE never leaves the PING's reply
// unclaimed. Works on RESP3 and in RESP2 subscribed mode alike.
class VALKEY_CPP_EXPORT SubscriptionRequest : public RequestBase {
 public:
  explicit SubscriptionRequest(Connection* c = nullptr) noexcept : conn_(c) {}
  void on_node(const resp::Node& n) override;
  void on_reply_end() override;

  Connection& conn() const noexcept { return *conn_; }
  // The first error reply's text, without the '-'.
  const std::string& error() const noexcept { return error_; }
  std::uint32_t verbs = 1;  // commands before the PING

 protected:
  ~SubscriptionRequest() = default;
  void attach(Connection& c) noexcept { conn_ = &c; }
  void reset_replies() noexcept {
    errors_ = 0;
    reply_is_error_ = false;
    error_.clear();
  }

 private:
  Connection* conn_;
  std::uint32_t errors_ = 0;
  bool reply_is_error_ = false;
  std::string error_;
};

// subscribe() and friends: the bookkeeping of one call (non-template, in the
// .cpp) and, in ChangeOp, the caller's handler.
class VALKEY_CPP_EXPORT ChangeRequest : public SubscriptionRequest {
 public:
  using SubscriptionRequest::SubscriptionRequest;
  // Fails the call from inside its initiation: posted, never inline.
  virtual void fail_later(std::error_code ec) = 0;

  // Filled by Subscriber::start_change once submitted.
  std::set<std::string>* wanted = nullptr;  // the wanted set the call changed
  bool added = false;
  std::vector<std::string> changed;        // names it added (or removed)

 protected:
  ~ChangeRequest() = default;
  // The call's outcome: the connection's error, or server_error when the
  // server refused a command; a refusal undoes the change to the wanted set.
  std::error_code settle(std::error_code ec);
};

template <class Handler>
class ChangeOp final : public ChangeRequest {
 public:
  ChangeOp(Handler h, Connection& c, Diagnostics* d) : ChangeRequest(&c), handler_(std::move(h)), diag_(d) {}
  void on_complete(std::error_code ec) override { finish(settle(ec), false); }
  void fail_later(std::error_code ec) override { finish(ec, true); }

 private:
  void finish(std::error_code ec, bool post) {
    if (diag_) {
      if (ec == errc::server_error) diag_->server_message = error();
      else diag_->server_message.clear();
    }
    Handler h = std::move(handler_);
    auto ex = asio::get_associated_executor(h, conn().get_executor());
    delete this;
    auto f = [h = std::move(h), ec]() mutable { std::move(h)(ec, Ok{}); };
    if (post) asio::post(ex, std::move(f));
    else asio::dispatch(ex, std::move(f));
  }

  Handler handler_;
  Diagnostics* diag_;
};

}  // namespace detail

class VALKEY_CPP_EXPORT Subscriber {
 public:
  /// The queue receive() reads from.
  using message_channel = asio::experimental::channel<void(std::error_code, Message)>;

  /// On a connection of its own to `c`'s server, with its settings and executor.
  /// `queue_capacity` bounds the messages waiting for receive(); beyond it new
  /// ones are dropped and counted (dropped()).
  explicit Subscriber(AsyncClient& c, std::size_t queue_capacity = 4096);
  /// The same, on executor `ex` with the settings in `config`.
  Subscriber(asio::any_io_executor ex, Config config, std::size_t queue_capacity = 4096);
  /// Closes the connection and the message queue.
  ~Subscriber();
  /// Takes over another subscriber's connection.
  Subscriber(Subscriber&&) noexcept = default;
  /// Move assignment: takes over another subscriber's connection.
  Subscriber& operator=(Subscriber&&) noexcept = default;

  /// SUBSCRIBE to `channels`.
  /// Each completes with void(std::error_code, Ok) once the server applied it.
  /// errc::server_error when the server refused it (its text in `diag`),
  /// errc::invalid_argument for a subscribe with no names. The un* forms with
  /// no names drop every subscription of that kind. The names need to stay
  /// valid only until the call is initiated.
  template <class Token>
  auto subscribe(Strings channels, Token&& token) {
    return change("SUBSCRIBE", channels, nullptr, std::forward<Token>(token));
  }
  /// The same, with the server's refusal text in `diag`.
  template <class Token>
  auto subscribe(Strings channels, Diagnostics& diag, Token&& token) {
    return change("SUBSCRIBE", channels, &diag, std::forward<Token>(token));
  }
  /// PSUBSCRIBE to `patterns` (see subscribe()).
  template <class Token>
  auto psubscribe(Strings patterns, Token&& token) {
    return change("PSUBSCRIBE", patterns, nullptr, std::forward<Token>(token));
  }
  /// The same, with the server's refusal text in `diag`.
  template <class Token>
  auto psubscribe(Strings patterns, Diagnostics& diag, Token&& token) {
    return change("PSUBSCRIBE", patterns, &diag, std::forward<Token>(token));
  }
  /// SSUBSCRIBE to shard `channels` (see subscribe()).
  template <class Token>
  auto ssubscribe(Strings channels, Token&& token) {
    return change("SSUBSCRIBE", channels, nullptr, std::forward<Token>(token));
  }
  /// The same, with the server's refusal text in `diag`.
  template <class Token>
  auto ssubscribe(Strings channels, Diagnostics& diag, Token&& token) {
    return change("SSUBSCRIBE", channels, &diag, std::forward<Token>(token));
  }
  /// UNSUBSCRIBE from `channels`; with none, from every channel.
  template <class Token>
  auto unsubscribe(Strings channels, Token&& token) {
    return change("UNSUBSCRIBE", channels, nullptr, std::forward<Token>(token));
  }
  /// The same, with the server's refusal text in `diag`.
  template <class Token>
  auto unsubscribe(Strings channels, Diagnostics& diag, Token&& token) {
    return change("UNSUBSCRIBE", channels, &diag, std::forward<Token>(token));
  }
  /// PUNSUBSCRIBE from `patterns`; with none, from every pattern.
  template <class Token>
  auto punsubscribe(Strings patterns, Token&& token) {
    return change("PUNSUBSCRIBE", patterns, nullptr, std::forward<Token>(token));
  }
  /// The same, with the server's refusal text in `diag`.
  template <class Token>
  auto punsubscribe(Strings patterns, Diagnostics& diag, Token&& token) {
    return change("PUNSUBSCRIBE", patterns, &diag, std::forward<Token>(token));
  }
  /// SUNSUBSCRIBE from shard `channels`; with none, from every shard channel.
  template <class Token>
  auto sunsubscribe(Strings channels, Token&& token) {
    return change("SUNSUBSCRIBE", channels, nullptr, std::forward<Token>(token));
  }
  /// The same, with the server's refusal text in `diag`.
  template <class Token>
  auto sunsubscribe(Strings channels, Diagnostics& diag, Token&& token) {
    return change("SUNSUBSCRIBE", channels, &diag, std::forward<Token>(token));
  }

  /// The next message: void(std::error_code, Message). Fails with
  /// asio::experimental::channel_errc::channel_closed after close().
  template <class Token>
  auto receive(Token&& token) {
    return messages().async_receive(std::forward<Token>(token));
  }
  /// Delivers messages to `f` instead of the receive() queue (on the executor).
  void on_message(std::function<void(const Message&)> f);
  /// Delivers subscription events (confirmations, disconnects, resubscriptions)
  /// to `f` (on the executor).
  void on_event(std::function<void(const SubscriptionEvent&)> f);

  /// Messages dropped because `queue_capacity` were already waiting.
  std::size_t dropped() const noexcept;
  /// Channels + patterns + shard channels currently wanted.
  std::size_t subscriptions() const noexcept;
  /// The subscriber's own connection.
  Connection& connection() noexcept;

  /// Closes the connection and the message queue.
  void close();

 private:
  template <class Token>
  auto change(std::string_view verb, Strings names, Diagnostics* diag, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, Ok)>(
        [core = core_.get(), verb, names, diag](auto handler) {
          using Op = detail::ChangeOp<std::decay_t<decltype(handler)>>;
          start_change(core, *new Op(std::move(handler), *core_connection(core), diag), verb, names);
        },
        token);
  }
  // Validates, encodes "VERB names... + PING", records the wanted set and
  // submits; a refusal fails `op` through fail_later().
  static void start_change(detail::SubscriberCore* core, detail::ChangeRequest& op, std::string_view verb,
                           Strings names);
  static Connection* core_connection(detail::SubscriberCore* core) noexcept;
  message_channel& messages() noexcept;

  std::shared_ptr<detail::SubscriberCore> core_;
};

}  // namespace valkey
