#pragma once
/// \class valkey::SyncClusterSubscriber
/// Pub/sub on a Valkey Cluster for synchronous code, a blocking loop over
/// valkey::ClusterSubscriber (what SyncSubscriber is to Subscriber).
///
/// \code
///   valkey::SyncClusterSubscriber sub{"valkey://127.0.0.1:7000,127.0.0.1:7001"};
///   sub.ssubscribe({"{room1}:chat", "{room2}:chat"});   // each on its slot's owner
///   sub.subscribe({"news"});                            // classic: on one primary
///   while (auto m = sub.receive(std::chrono::seconds(1))) handle(*m);
///   sub.consume([&](const valkey::Message& m) { handle(m); });   // until sub.stop()
/// \endcode
///
/// It owns an AsyncClusterClient (for the topology; the subscriptions use
/// connections of their own, one per node they need) and an io_context that
/// runs only inside its own calls, on the calling thread: no thread of its
/// own. Messages queue up (up to queue_capacity, then they are dropped and
/// counted) while nobody is receiving; the topology, reconnects and moves
/// (a shard channel whose slot moved, a node that failed) progress while a
/// call runs, and on_event reports them as ClusterSubscriber's do.
///
/// The subscription calls return once every node involved applied them;
/// they throw valkey::Error (naming the command and the error), and their
/// error_code forms fill `ec` instead.
///
/// Threading: one thread at a time calls it; stop() may be called from any
/// thread (and from the consume() callback).
#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_config.hpp>
#include <valkey/cluster/cluster_subscriber.hpp>
#include <valkey/export.hpp>
#include <valkey/pubsub.hpp>
#include <valkey/view.hpp>

namespace valkey {

class ClusterClient;

class VALKEY_CPP_EXPORT SyncClusterSubscriber {
 public:
  /// `seeds`: valkey://h1:p1,h2:p2 as ClusterClient takes.
  explicit SyncClusterSubscriber(std::string_view seeds, std::size_t queue_capacity = 4096);
  /// The cluster and settings of `config` (connections of its own).
  explicit SyncClusterSubscriber(ClusterConfig config, std::size_t queue_capacity = 4096);
  /// The same cluster and settings as `client` (connections of its own).
  explicit SyncClusterSubscriber(const ClusterClient& client, std::size_t queue_capacity = 4096);
  /// Closes every connection (close()).
  ~SyncClusterSubscriber();
  SyncClusterSubscriber(const SyncClusterSubscriber&) = delete;
  SyncClusterSubscriber& operator=(const SyncClusterSubscriber&) = delete;

  /// SUBSCRIBE to classic `channels` (on one primary).
  void subscribe(Strings channels);
  /// SUBSCRIBE, filling `ec` instead of throwing.
  void subscribe(Strings channels, std::error_code& ec);
  /// PSUBSCRIBE to `patterns` (on the node of the classic channels).
  void psubscribe(Strings patterns);
  /// PSUBSCRIBE, filling `ec` instead of throwing.
  void psubscribe(Strings patterns, std::error_code& ec);
  /// SSUBSCRIBE to shard `channels` (each on its slot's owner).
  void ssubscribe(Strings channels);
  /// SSUBSCRIBE, filling `ec` instead of throwing.
  void ssubscribe(Strings channels, std::error_code& ec);
  /// UNSUBSCRIBE from classic `channels`. With no names: every subscription
  /// of that kind.
  void unsubscribe(Strings channels = {});
  /// UNSUBSCRIBE, filling `ec` instead of throwing.
  void unsubscribe(Strings channels, std::error_code& ec);
  /// PUNSUBSCRIBE from `patterns`. With no names: every pattern.
  void punsubscribe(Strings patterns = {});
  /// PUNSUBSCRIBE, filling `ec` instead of throwing.
  void punsubscribe(Strings patterns, std::error_code& ec);
  /// SUNSUBSCRIBE from shard `channels`. With no names: every shard channel.
  void sunsubscribe(Strings channels = {});
  /// SUNSUBSCRIBE, filling `ec` instead of throwing.
  void sunsubscribe(Strings channels, std::error_code& ec);

  /// The next message, waiting at most `timeout`; nullopt when none came in
  /// time or stop() was called. Throws valkey::Error(errc::connection_closed)
  /// after close().
  std::optional<Message> receive(std::chrono::milliseconds timeout);
  /// Calls `f` for each message, on this thread, until stop() (from `f` or
  /// any other thread). An exception from `f` ends the loop and propagates.
  void consume(const std::function<void(const Message&)>& f);
  /// Makes the receive() or consume() in progress return, or the next one if
  /// none is in progress. Safe from any thread.
  void stop();

  /// Subscription events (confirmations, disconnects, moves), called on the
  /// thread inside receive()/consume()/subscribe().
  void on_event(std::function<void(const ClusterSubscriptionEvent&)> f) { sub_.on_event(std::move(f)); }
  /// Messages dropped because queue_capacity were already waiting.
  std::size_t dropped() const noexcept { return dropped_; }
  /// Channels + patterns + shard channels currently wanted.
  std::size_t subscriptions() const noexcept { return sub_.subscriptions(); }
  /// "host:port" of the node holding shard channel `channel` ("" while it is
  /// being moved or not subscribed).
  std::string node_of(std::string_view channel) const { return sub_.node_of(channel); }

  /// Closes every connection; later calls fail with connection_closed.
  void close();

 private:
  using Verb = ClusterSubscriber::Verb;
  void change(Verb verb, Strings names, std::error_code& ec);
  void change_or_throw(Verb verb, Strings names);

  asio::io_context ioc_;
  // Keeps run_one() blocking while nothing is outstanding.
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  AsyncClusterClient client_;
  ClusterSubscriber sub_;
  std::deque<Message> queue_;
  std::size_t capacity_;
  std::size_t dropped_ = 0;
  std::atomic<bool> stop_{false};
  bool closed_ = false;
};

}  // namespace valkey
