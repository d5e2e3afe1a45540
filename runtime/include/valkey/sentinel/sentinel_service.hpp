#pragma once
/// \class valkey::sentinel::SentinelService
/// The Asio side of the sentinel client: an AddressSource that asks the
/// sentinels (resolver.hpp) before every connection attempt of the
/// connections made from its node Config, and follows the primary:
///
/// * a Subscriber on each configured sentinel listens for +switch-master
///   (the first to hear of a failover is the one that ran it; the others
///   learn it from its hello messages up to a second or two later); the new
///   address is checked with ROLE before any connection is moved;
/// * the sentinels are asked again when that event connection (re)connects,
///   every recheck_interval, and when a connection got a READONLY or
///   `-REDIRECT` reply;
/// * moving: every connection whose node is not the new primary is reset
///   (written requests fail with connection_lost, queued ones wait), and its
///   reconnect asks the sentinels, so it lands on the new primary and checks
///   its ROLE there.
///
/// Its state lives on a strand: of the executor given (AsyncClient), or of
/// an io_context it runs on a thread of its own (the sync Client).
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <valkey/export.hpp>
#include <valkey/sentinel/address_source.hpp>
#include <valkey/sentinel/resolver.hpp>
#include <valkey/sentinel/sentinel_config.hpp>

namespace valkey {
class Connection;
class Subscriber;
}  // namespace valkey

namespace valkey::sentinel {

class VALKEY_CPP_EXPORT SentinelService final : public AddressSource, public std::enable_shared_from_this<SentinelService> {
  struct Private {};

 public:
  /// Validates the configuration (throws valkey::Error, invalid_argument).
  /// Without an executor the service runs an io_context on its own thread.
  static std::shared_ptr<SentinelService> create(SentinelConfig config);
  /// The same, with its state on a strand of `ex`.
  static std::shared_ptr<SentinelService> create(SentinelConfig config, asio::any_io_executor ex);
  /// Internal: use create(), which validates the configuration first.
  SentinelService(Private, SentinelConfig config, std::optional<asio::any_io_executor> ex);
  /// Stops its own thread, if it runs one (shutdown() normally ran already).
  ~SentinelService() override;

  /// The node Config that carries this service: connections made from it
  /// (and from its copies) ask it for their address. Its host and port are
  /// `initial`'s, or the primary's name and the default port when that is
  /// empty (a placeholder: every attempt asks the source).
  Config node_config(const NodeAddress& initial = {}) const;
  /// One resolution, waited for (never on the service's own thread).
  Resolution resolve_now();
  /// Starts the event subscription and the recheck timer (idempotent).
  void start();
  /// Stops everything: events, timers, questions in flight; waiting
  /// resolutions fail with connection_closed. Joins its own thread.
  void shutdown();

  // AddressSource.
  void resolve(const std::shared_ptr<Connection>& conn, Resolved done) override;
  void attach(const std::shared_ptr<Connection>& conn) override;
  void on_readonly(Connection& conn) override;
  void on_wrong_role(const NodeAddress& address) override;
  const std::atomic<std::uint64_t>* moves() const noexcept override { return &moves_; }

  // Counters, for tests.
  /// Resolution rounds started (for tests).
  std::uint64_t rounds() const noexcept { return rounds_.load(); }
  /// Switches to a new primary acted on (for tests).
  std::uint64_t switches() const noexcept { return switches_.load(); }

 private:
  struct Waiter {
    asio::any_io_executor ex;
    Resolved done;
  };
  // All on the strand.
  void request_round(std::optional<Waiter> w);
  void ask(std::size_t i, bool legacy);
  void finish(Resolution r);
  void on_resolved(const NodeAddress& a);
  void verify_then_switch(NodeAddress a, std::optional<SentinelAddress> announcer = std::nullopt);
  void switch_to(const NodeAddress& primary);
  void open_events(std::size_t i);
  void events_lost(std::size_t i);
  void on_switch_message(std::string_view payload, std::size_t sentinel);
  void arm_recheck();
  void stop_here();

  SentinelConfig config_;
  Config node_;  // without the carrier: for ROLE checks
  std::unique_ptr<asio::io_context> own_ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  asio::any_io_executor strand_;

  Resolver resolver_;
  std::vector<SentinelAddress> order_;  // this round's
  bool round_running_ = false;
  bool round_again_ = false;
  std::vector<Waiter> waiters_;
  NodeAddress primary_;  // the last primary verified (or first resolved)
  NodeAddress promoted_;  // replica targets: the last +switch-master acted on
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};  // read off the strand by resolve()
  bool started_ = false;
  std::vector<std::weak_ptr<Connection>> questions_;  // in flight, closed on shutdown
  // One event subscription per configured sentinel (learned ones are not
  // subscribed: the count stays what the configuration says).
  struct EventLink {
    std::unique_ptr<Subscriber> sub;
    std::uint64_t gen = 0;
    std::unique_ptr<asio::steady_timer> timer;  // the pause before subscribing again
  };
  std::vector<EventLink> events_;
  asio::steady_timer recheck_timer_;

  std::mutex attached_mu_;
  std::vector<std::weak_ptr<Connection>> attached_;

  std::atomic<std::uint64_t> rounds_{0};
  std::atomic<std::uint64_t> switches_{0};
  std::atomic<std::uint64_t> moves_{0};
};

}  // namespace valkey::sentinel
