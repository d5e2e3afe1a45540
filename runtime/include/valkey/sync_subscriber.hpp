#pragma once
/// \class valkey::SyncSubscriber
/// valkey::SyncSubscriber: pub/sub for synchronous code, a blocking loop over
/// valkey::Subscriber.
///
/// \code
///   valkey::SyncSubscriber sub{"valkey://127.0.0.1:6379"};
///   sub.subscribe({"news", "alerts"});
///   while (auto m = sub.receive(std::chrono::seconds(1))) handle(*m);  // nullopt: a second without messages
///   sub.consume([&](const valkey::Message& m) { handle(m); });         // until sub.stop()
/// \endcode
///
/// It owns its connection and an io_context that runs only inside its own
/// calls, on the calling thread: no thread of its own, and messages queue up
/// (up to queue_capacity, then they are dropped and counted) while nobody is
/// receiving. Everything Subscriber promises holds: the connection reconnects
/// and subscribes again by itself, events report it (on_event), RESP3 and
/// RESP2 behave alike.
///
/// Threading: one thread at a time calls it; stop() may be called from any
/// thread (and from the consume() callback).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string_view>
#include <system_error>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <valkey/config.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/export.hpp>
#include <valkey/pubsub.hpp>

namespace valkey {

class Client;

class VALKEY_CPP_EXPORT SyncSubscriber {
 public:
  /// A subscriber on a connection of its own to `url` (Config::from_url()).
  /// `queue_capacity` bounds the messages waiting to be received.
  explicit SyncSubscriber(std::string_view url, std::size_t queue_capacity = 4096);
  /// The same, with the settings in `config`.
  explicit SyncSubscriber(Config config, std::size_t queue_capacity = 4096);
  /// The same server and settings as `client` (a connection of its own).
  explicit SyncSubscriber(const Client& client, std::size_t queue_capacity = 4096);
  /// Closes the connection.
  ~SyncSubscriber();
  /// Not copyable.
  SyncSubscriber(const SyncSubscriber&) = delete;
  /// Not copy-assignable.
  SyncSubscriber& operator=(const SyncSubscriber&) = delete;

  /// SUBSCRIBE to `channels`.
  /// Each returns once the server applied it. Throws valkey::Error
  /// (errc::server_error with the server's words when it refused, as an ACL
  /// does); the error_code forms fill `ec` instead (and `diag` when given).
  void subscribe(Strings channels);
  /// The same, filling `ec` (and `diag` when given) instead of throwing.
  void subscribe(Strings channels, std::error_code& ec, Diagnostics* diag = nullptr);
  /// PSUBSCRIBE to `patterns` (see subscribe()).
  void psubscribe(Strings patterns);
  /// The same, filling `ec` (and `diag` when given) instead of throwing.
  void psubscribe(Strings patterns, std::error_code& ec, Diagnostics* diag = nullptr);
  /// SSUBSCRIBE to shard `channels` (see subscribe()).
  void ssubscribe(Strings channels);
  /// The same, filling `ec` (and `diag` when given) instead of throwing.
  void ssubscribe(Strings channels, std::error_code& ec, Diagnostics* diag = nullptr);
  /// UNSUBSCRIBE from `channels`.
  /// With no names: every subscription of that kind.
  void unsubscribe(Strings channels = {});
  /// The same, filling `ec` (and `diag` when given) instead of throwing.
  void unsubscribe(Strings channels, std::error_code& ec, Diagnostics* diag = nullptr);
  /// PUNSUBSCRIBE from `patterns`; with none, from every pattern.
  void punsubscribe(Strings patterns = {});
  /// The same, filling `ec` (and `diag` when given) instead of throwing.
  void punsubscribe(Strings patterns, std::error_code& ec, Diagnostics* diag = nullptr);
  /// SUNSUBSCRIBE from shard `channels`; with none, from every shard channel.
  void sunsubscribe(Strings channels = {});
  /// The same, filling `ec` (and `diag` when given) instead of throwing.
  void sunsubscribe(Strings channels, std::error_code& ec, Diagnostics* diag = nullptr);

  /// The next message, waiting at most `timeout`; nullopt when none came in
  /// time or stop() was called. Throws valkey::Error(errc::connection_closed)
  /// after close().
  std::optional<Message> receive(std::chrono::milliseconds timeout);
  /// Calls `f` for each message, on this thread, until stop() (from `f` or
  /// any other thread). An exception from `f` ends the loop and propagates.
  void consume(const std::function<void(const Message&)>& f);
  /// Makes the receive() or consume() in progress return, or the next one if
  /// none is in progress (so a stop() that races with the start of a
  /// consume() is never lost). Safe from any thread.
  void stop();

  /// Subscription events (confirmations, disconnects, resubscriptions), called
  /// on the thread inside receive()/consume()/subscribe().
  void on_event(std::function<void(const SubscriptionEvent&)> f) { sub_.on_event(std::move(f)); }
  /// Messages dropped because queue_capacity were already waiting.
  std::size_t dropped() const noexcept { return dropped_; }
  /// Channels + patterns + shard channels currently wanted.
  std::size_t subscriptions() const noexcept { return sub_.subscriptions(); }

  /// Closes the connection; later calls fail with connection_closed.
  void close();

 private:
  // Starts one (un)subscribe on sub_ with the handler it is given, runs it
  // to completion; fills `ec` and `diag`.
  template <class Start>
  void change(const Start& start, std::error_code& ec, Diagnostics* diag);
  template <class Start>
  void change_or_throw(const char* verb, const Start& start);
  // The next message or nullopt (deadline, stop); consumes a stop request.
  std::optional<Message> next(std::chrono::steady_clock::time_point deadline, bool& stopped);

  asio::io_context ioc_;
  // Keeps run_one() blocking (not returning at once) while the connection
  // has nothing outstanding, say, after it gave up reconnecting.
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  Subscriber sub_;
  // Filled by the subscriber's message callback while our calls run the
  // io_context; a callback, not Subscriber::receive(), so a timeout or a
  // stop() leaves no pending wait to cancel.
  std::deque<Message> queue_;
  std::size_t capacity_;
  std::size_t dropped_ = 0;
  std::atomic<bool> stop_{false};
  bool closed_ = false;
};

}  // namespace valkey
