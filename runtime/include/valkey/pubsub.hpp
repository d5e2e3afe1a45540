#pragma once
// valkey::Subscriber: SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE with messages
// delivered through RESP3 push messages.
//
//   valkey::Subscriber sub{c};                       // c: an AsyncClient (same server, executor)
//   co_await sub.subscribe(channels, asio::use_awaitable);
//   valkey::Message m = co_await sub.receive(asio::use_awaitable);   // or sub.on_message(callback)
//
// The subscriber owns a connection of its own (not the client's): the push
// handler and observer of a connection are single slots, and a subscribed
// connection's state (its channel set) must survive reconnects on its own
// terms. That connection always speaks RESP3 — also when the client is
// configured for RESP2 — because only RESP3 separates messages (push) from
// replies, so commands and PINGs keep working on it.
//
// After a reconnect every channel, pattern and shard channel is subscribed
// again; on_event() reports disconnected, then resubscribed.
//
// Threading: use it on its executor, like the AsyncClient.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include <asio/async_result.hpp>
#include <asio/experimental/channel.hpp>

#include <valkey/async_client.hpp>
#include <valkey/command.hpp>
#include <valkey/connection.hpp>
#include <valkey/view.hpp>

namespace valkey {

struct Message {
  enum class Kind : std::uint8_t { message, pmessage, smessage };
  Kind kind = Kind::message;
  std::string pattern;  // pmessage only
  std::string channel;
  std::string payload;
};

struct SubscriptionEvent {
  enum class Kind : std::uint8_t {
    subscribed,    // a confirmation: channel (or pattern) and the subscription count
    unsubscribed,  // same
    disconnected,  // the connection dropped (ec); it reconnects by the client's policy
    resubscribed,  // after a reconnect, every subscription was restored (count: how many)
    resubscribe_failed,  // restoring failed (ec); retried on the next reconnect
  };
  Kind kind;
  std::string kind_name;  // "subscribe", "psubscribe", "ssubscribe", ... for confirmations
  std::string channel;
  std::int64_t count = 0;
  std::error_code ec;
};

namespace detail {
class SubscriberCore;
}

class Subscriber {
 public:
  using message_channel = asio::experimental::channel<void(std::error_code, Message)>;

  // `queue_capacity` bounds the messages waiting for receive(); beyond it new
  // ones are dropped and counted (dropped()).
  explicit Subscriber(AsyncClient& c, std::size_t queue_capacity = 4096);
  Subscriber(asio::any_io_executor ex, Config config, std::size_t queue_capacity = 4096);
  ~Subscriber();
  Subscriber(Subscriber&&) noexcept = default;
  Subscriber& operator=(Subscriber&&) noexcept = default;

  // Each completes with void(std::error_code, Ok) once the server applied it.
  template <class Token>
  auto subscribe(Strings channels, Token&& token) {
    return change("SUBSCRIBE", channels, std::forward<Token>(token));
  }
  template <class Token>
  auto psubscribe(Strings patterns, Token&& token) {
    return change("PSUBSCRIBE", patterns, std::forward<Token>(token));
  }
  template <class Token>
  auto ssubscribe(Strings channels, Token&& token) {
    return change("SSUBSCRIBE", channels, std::forward<Token>(token));
  }
  template <class Token>
  auto unsubscribe(Strings channels, Token&& token) {
    return change("UNSUBSCRIBE", channels, std::forward<Token>(token));
  }
  template <class Token>
  auto punsubscribe(Strings patterns, Token&& token) {
    return change("PUNSUBSCRIBE", patterns, std::forward<Token>(token));
  }
  template <class Token>
  auto sunsubscribe(Strings channels, Token&& token) {
    return change("SUNSUBSCRIBE", channels, std::forward<Token>(token));
  }

  // The next message: void(std::error_code, Message). Fails with
  // asio::experimental::channel_errc::channel_closed after close().
  template <class Token>
  auto receive(Token&& token) {
    return messages().async_receive(std::forward<Token>(token));
  }
  // Delivers messages to `f` instead of the receive() queue (on the executor).
  void on_message(std::function<void(const Message&)> f);
  void on_event(std::function<void(const SubscriptionEvent&)> f);

  std::size_t dropped() const noexcept;
  // Channels + patterns + shard channels currently wanted.
  std::size_t subscriptions() const noexcept;
  Connection& connection() noexcept;

  // Closes the connection and the message queue.
  void close();

 private:
  template <class Token>
  auto change(std::string_view verb, Strings names, Token&& token) {
    auto encode = prepare(verb, names);  // records the wanted set, builds "VERB names... + PING"
    return asio::async_initiate<Token, void(std::error_code, Ok)>(
        detail::InitiateRequest<Ok>{&connection()}, token, std::move(encode), CommandFlag::none,
        static_cast<Diagnostics*>(nullptr));
  }

  struct EncodeBytes {
    std::string bytes;
    void operator()(resp::Writer& w) const { w.buffer().append(bytes); }
  };
  EncodeBytes prepare(std::string_view verb, Strings names);
  message_channel& messages() noexcept;

  std::shared_ptr<detail::SubscriberCore> core_;
};

}  // namespace valkey
