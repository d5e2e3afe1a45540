#pragma once
/// \class valkey::Connection
/// valkey::Connection: one socket (TCP, Unix or TLS) to one server, shared by
/// any number of concurrent requests. The building block under AsyncClient and
/// Client, and under the rest (a cluster router keeps one per node, a
/// sentinel resolver swaps the address, pipelines and transactions submit
/// multi-reply requests).
///
/// It is a thin Asio driver: the request queue, batches, reply routing,
/// deadlines and backpressure live in a valkey::Multiplexer (no I/O), the
/// handshake in an I/O-free state machine; the Connection moves bytes between
/// them and the socket, runs the timers (connect, deadline, health check,
/// reconnect backoff) and owns the memory of its read/write handlers.
///
/// * Auto-pipelining: requests encode straight into one output buffer; all that
///   queued up while a write was in flight leaves in the next single write.
/// * Replies are matched in order; RESP3 push messages go to the push handler
///   (and, in the opt-in pub/sub mode on RESP2, the subscribed-mode arrays).
/// * Connects, authenticates (HELLO/AUTH/SELECT...), health-checks and
///   reconnects on its own; see docs/runtime.md for every policy.
///
/// Threading: every member function must be called on get_executor() (a
/// single-threaded io_context, or a strand), except close(), which may be
/// called from any thread. The object is held by shared_ptr because its own
/// asynchronous operations keep it alive until they return.
///
/// Completions never re-enter the caller: close(), cancel(), reset() and
/// submit() never run a request's on_complete() inside the call; a request they
/// finish completes from a handler posted to get_executor(). Only the read path
/// and the connection's own timers complete requests inline.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <valkey/config.hpp>
#include <valkey/connection_stats.hpp>
#include <valkey/error.hpp>
#include <valkey/export.hpp>
#include <valkey/mux/multiplexer.hpp>
#include <valkey/policy/jitter_engine.hpp>
#include <valkey/request.hpp>
#include <valkey/resp/parser.hpp>
#include <valkey/resp/visitor.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey {

class AddressSource;
class CacheStore;
namespace detail {
class Transport;
}
namespace cache_detail {
class InvalidationHandler;
}
namespace io {
class Handshake;
}

/// Where a Connection is in its life (Connection::state()).
enum class ConnectionState : std::uint8_t {
  idle,          ///< not started
  connecting,    ///< resolving, connecting, TLS handshake
  handshaking,   ///< HELLO/AUTH/SELECT in flight
  ready,         ///< requests flow
  reconnecting,  ///< lost; waiting for the next attempt
  closed,        ///< close() called, or reconnection given up
};

/// Topology and fault events, for routers and resolvers that sit on top.
class ConnectionObserver {
 public:
  /// The handshake completed: the connection is ready.
  virtual void on_connected(Connection&) {}
  /// The connection dropped or an attempt failed; it will retry unless closed.
  virtual void on_disconnected(Connection&, std::error_code) {}
  /// A depth-0 error reply (MOVED, ASK, LOADING, TRYAGAIN...), seen before the
  /// request it answers gets it.
  virtual void on_error_reply(Connection&, std::string_view /*message*/) {}

 protected:
  ~ConnectionObserver() = default;
};

class VALKEY_CPP_EXPORT Connection : public std::enable_shared_from_this<Connection>, private Multiplexer::Listener {
  struct Private {};

 public:
  /// The type of the executor every member function is called on.
  using executor_type = asio::any_io_executor;
  /// The clock of deadlines and health checks.
  using clock = std::chrono::steady_clock;

  /// A connection on `ex` with `config`; start() or the first submit() connects it.
  static std::shared_ptr<Connection> create(executor_type ex, Config config);
  Connection(Private, executor_type ex, Config config);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// The executor the connection runs on.
  const executor_type& get_executor() const noexcept { return ex_; }
  /// The configuration it was created with.
  const Config& config() const noexcept { return config_; }
  /// Where the connection is in its life.
  ConnectionState state() const noexcept { return state_; }
  /// Requests queued or awaiting replies.
  std::size_t pending() const noexcept { return mux_.pending(); }
  /// The protocol the handshake settled on.
  Protocol protocol() const noexcept { return protocol_; }
  /// The availability zone the server named in its HELLO reply at the last
  /// handshake (Valkey 8.1+ with availability-zone set); empty otherwise. On
  /// the connection's executor.
  const std::string& server_zone() const noexcept { return server_zone_; }
  /// Why the last connection attempt failed, in words (the server's refusal,
  /// the TLS reason); never holds the password. Empty when none failed.
  const std::string& last_error() const noexcept { return last_error_; }

  /// Starts connecting (idempotent; submit() also starts it).
  void start();
  /// Closes for good: every request fails with connection_closed (completed
  /// from a posted handler, never inside this call). Safe from any thread:
  /// off the executor the closing itself is posted to it.
  void close();
  /// The same, then `done()` runs on the executor once every request closed
  /// here has completed (never inside this call).
  template <class Done>
  void close(Done&& done) {
    auto after = [self = shared_from_this(), d = std::forward<Done>(done)]() mutable {
      // Posted after the completions close_here() posted: they run first.
      asio::post(self->ex_, [self, d = std::move(d)]() mutable { std::move(d)(); });
    };
    if (running_here()) {
      close_here();
      after();
    } else {
      asio::post(ex_, [self = shared_from_this(), after = std::move(after)]() mutable {
        self->close_here();
        after();
      });
    }
  }
  /// Drops the socket as if the peer vanished (pending requests fail with
  /// connection_lost, from a posted handler) and reconnects by the policy; for
  /// tests and for routers that learned the node moved.
  void reset(std::error_code why = make_error_code(errc::connection_lost));
  /// A connection waiting to reconnect tries now, its backoff forgotten (an
  /// address source learned where to go). No effect in any other state.
  void retry_now();

  /// Queues `r`, encoding its commands with `encode(resp::Writer&)` into the
  /// output buffer now (so the arguments need not outlive this call). Returns
  /// an error — and leaves `r` untouched, its on_complete not called — when
  /// the request is refused: connection_closed, queue_full, not_connected.
  template <class Encode>
  std::error_code submit(RequestBase& r, Encode&& encode) {
    if (auto ec = admit(r)) return ec;
    mux_.add(r, std::forward<Encode>(encode), enqueue_time());
    queued(r);
    return {};
  }
  /// Same with bytes encoded elsewhere.
  std::error_code submit_encoded(RequestBase& r, std::string_view bytes);

  /// Completes `r` with `ec` (cancelled, timeout...) from a posted handler.
  /// Not yet written: it is removed and never sent. Written: its replies are
  /// discarded on arrival. No effect on a request that is not active.
  void cancel(RequestBase& r, std::error_code ec = make_error_code(errc::cancelled));

  /// While held, queued requests are not written: submit a batch, then
  /// release (which writes them in one go).
  void hold_writes() noexcept { held_ = true; }
  /// Writes what was held. When no write is in flight the batch is first
  /// written straight to the socket (TCP, Unix), skipping the asynchronous
  /// write's posted completion; whatever the socket does not take at once
  /// goes through async_write as usual.
  void release_writes() {
    held_ = false;
    maybe_write(true);
  }

  /// RESP3 push messages (depth-0 `>`): pub/sub messages, client-side caching
  /// invalidations. nullptr (the default) discards them.
  void set_push_handler(resp::Visitor* v) noexcept { mux_.set_push_handler(v); }

  /// Pub/sub mode, for a connection dedicated to subscriptions (valkey::Subscriber
  /// turns it on; off by default). It matters only once the handshake settled
  /// on RESP2: a RESP2 server in subscribed mode sends messages and
  /// (un)subscribe confirmations as ordinary arrays interleaved with replies.
  /// With the mode on, a top-level array whose first element is
  ///   message (3 elements), pmessage (4), smessage (3),
  ///   subscribe, psubscribe, ssubscribe, unsubscribe, punsubscribe, sunsubscribe (3)
  /// goes to the push handler instead of the oldest request; anything else
  /// (errors, PING's ["pong", ""] in subscribed mode, +PONG outside it) is a
  /// reply as usual. Off, such an array is a reply (an LRANGE may well return
  /// ["message", "a", "b"]), which is why it is never on for shared connections.
  /// On RESP3 the mode changes nothing: those arrive as pushes anyway, and the
  /// reading path is the very same. Set it before start(); a change takes
  /// effect when the next connection's handshake completes.
  void set_pubsub_mode(bool on) noexcept { pubsub_mode_ = on; }
  /// Whether pub/sub mode is on (set_pubsub_mode()).
  bool pubsub_mode() const noexcept { return pubsub_mode_; }

  /// For a request that learns while reading a reply that its commands will
  /// produce more replies than it said (a SUBSCRIBE answered with an error
  /// instead of confirmations, followed by its PING's reply): raises the number
  /// of replies `r` waits for by `n`. Call it only from r.on_node() or
  /// r.on_reply_end(), while `r` is receiving a reply; otherwise no effect.
  void expect_more_replies(RequestBase& r, std::uint32_t n) noexcept { mux_.expect_more_replies(r, n); }
  /// Sends topology and fault events to `o` (null: none, the default).
  void set_observer(ConnectionObserver* o) noexcept { observer_ = o; }

  /// Client-side caching (docs/caching.md): every handshake of this connection,
  /// reconnects included, turns tracking on as Config::cache says; the
  /// server's invalidation pushes go to `store` (which takes the push handler);
  /// a loss of the connection, a failed health check included, flushes it
  /// before any request completes. Set before start(); the store is shared by
  /// the client's connections. Null: none (the default).
  void set_cache(std::shared_ptr<CacheStore> store);
  /// The store set with set_cache(), or null.
  CacheStore* cache() const noexcept { return cache_.get(); }

  /// For owners that run the executor on one thread at a time (the sync
  /// Client, a leased connection): on plain sockets the connection then waits
  /// for readability and reads after it, instead of keeping a read posted.
  /// That saves the read that returns EAGAIN after every reply (Asio retries a
  /// posted read speculatively), a syscall per request on a sequential client.
  /// With several threads in the reactor a readiness edge could reach another
  /// thread before the wait is posted again, so it stays off by default. Set
  /// it before start().
  void set_single_reactor(bool on) noexcept { single_reactor_ = on; }

  /// What read_directly() answers.
  ///
  /// The synchronous driver's shortcut (single reactor, plain sockets, ready,
  /// no asynchronous write in flight): blocks in poll() until the socket is
  /// readable, `wake_fd` (an eventfd, or -1) is signalled, or the next timer
  /// (a deadline, the health check) is due, and reads what the socket holds
  /// right away, completing requests on this thread. A sequential request
  /// then costs send, poll and recv, with none of the reactor's bookkeeping.
  /// The caller runs the executor when the answer is not `read`: `woken` for
  /// handlers other threads posted, `timer_due` for timers, `unavailable`
  /// when the shortcut does not apply (connecting, TLS, a write in flight).
  enum class DirectRead { read, woken, timer_due, unavailable };
  /// The synchronous driver's shortcut described at DirectRead.
  DirectRead read_directly(int wake_fd);

  // For the sync Client's idle thread, which watches a connection nobody
  // drives without running its executor:
  /// The attempt's number (bumped by every connect).
  std::uint64_t generation() const noexcept { return gen_; }
  /// Its socket's descriptor (-1 without one; not to be read from).
  int socket_fd() const noexcept;
  /// When the armed health check is due (max: none).
  clock::time_point health_check_due() const noexcept { return health_due_; }

  /// Counters for tests and metrics (connection_stats.hpp).
  using Stats = ConnectionStats;
  /// The connection's counters.
  const Stats& stats() const noexcept {
    stats_.requests_written = mux_.requests_written();
    return stats_;
  }

 private:
  class Ping;

  std::error_code admit(RequestBase& r);
  void queued(RequestBase& r);
  // The multiplexer reads the time of a submission only while disconnected
  // (how long the request may wait): the ready path skips the clock.
  // With Config::queue_timeout it reads it always (a wait for room is timed).
  clock::time_point enqueue_time() const noexcept {
    if (state_ != ConnectionState::ready || config_.queue_timeout.count() > 0) [[unlikely]]
      return clock::now();
    return clock::time_point{};
  }
  // Runs `c` from a handler posted to the executor (for user calls).
  void complete_later(Multiplexer::Completions&& c);
  void on_error_reply(std::string_view message) override;
  void on_retry_encode_failed() override;
  void log(LogLevel level, const std::string& text) const;
  bool running_here() const noexcept;
  void close_here();
  void flush_cache(std::error_code cause);

  // Connect / handshake / reconnect.
  void connect();
  void open_transport();
  void on_transport_ready(std::uint64_t gen, std::error_code ec);
  void send_handshake();
  void read_handshake();
  void became_ready();
  void attempt_failed(std::error_code ec, bool user_call);
  void connection_lost(std::error_code ec, bool user_call);
  void schedule_reconnect(bool user_call);
  void teardown();
  void arm_connect_timer();

  // I/O.
  void start_read();
  void on_read(std::uint64_t gen, std::error_code ec, std::size_t n);
  void on_readable(std::uint64_t gen, std::error_code ec);
  bool read_available();
  // Takes `n` bytes read; false when the connection is gone or a completion
  // reset it, so reading stops.
  bool take_read(std::size_t n);
  // Hands `n` bytes read to the multiplexer, which completes what they
  // answer; requests those completions submit are written as described at
  // `delivering_`.
  Multiplexer::ReadResult deliver(std::size_t n);
  // Writes what is queued unless a write is in flight, writes are held, or
  // replies are being delivered (deliver() writes for them).
  void maybe_write(bool direct = false);
  // The same, also while replies are being delivered.
  void write_queued(bool direct);
  void write_bytes(std::string_view bytes);
  void on_write(std::uint64_t gen, std::error_code ec, std::size_t n);

  // Memory for the one read and the one write in flight: their handlers'
  // allocator hands it out, so steady-state I/O never reaches malloc (Asio's
  // per-thread cache holds only two blocks, and requests use those).
  struct HandlerMemory {
    alignas(std::max_align_t) unsigned char storage[1024];
    bool in_use = false;
  };
  template <class T>
  struct HandlerAllocator;
  struct ReadHandler;
  struct ReadableHandler;
  struct WriteHandler;

  // Deadlines and health.
  void sync_deadline_timer();
  void on_deadline_timer();
  void arm_health_timer();
  void on_health_tick();

  executor_type ex_;
  Config config_;
  ConnectionState state_ = ConnectionState::idle;
  Protocol protocol_ = Protocol::resp3;
  std::string server_zone_;
  std::shared_ptr<detail::Transport> transport_;  // one per attempt; its handlers hold it
  std::error_code closed_ec_ = make_error_code(errc::connection_closed);
  std::string last_error_;
  std::uint64_t gen_ = 0;          // bumped per connection attempt: stale handlers bail out
  bool ever_connected_ = false;
  unsigned attempt_ = 0;
  policy::JitterEngine rng_;

  Multiplexer mux_;
  std::unique_ptr<io::Handshake> handshake_;  // while handshaking
  bool writing_ = false;           // an async_write is in flight
  bool write_is_handshake_ = false;
  bool handshake_pending_write_ = false;  // a fallback plan waits for the write in flight
  bool held_ = false;
  // Replies are being delivered. The requests their completions submit (a
  // coroutine's next command) are not written one by one as they come:
  // the first would go alone and start a pipeline of its own, and a read
  // of 256 replies would split into ever more small pipelines. Nor are they
  // all kept for the end of the read: the server would sit idle while the
  // client runs every completion. They go every kDeliveryWriteEvery
  // commands, straight to the socket, so the server works on one part
  // while the client completes the next; the rest when the read is done.
  bool delivering_ = false;
  std::size_t queued_in_delivery_ = 0;
  static constexpr std::size_t kDeliveryWriteEvery = 64;
  bool pubsub_mode_ = false;
  bool single_reactor_ = false;

  HandlerMemory read_mem_;
  HandlerMemory write_mem_;

  // Health checks.
  std::unique_ptr<Ping> ping_;
  std::uint64_t health_bytes_ = 0;
  std::uint64_t health_head_ = ~0ull;
  std::uint64_t health_writes_ = 0;

  asio::steady_timer connect_timer_;  // connect deadline, then reconnect backoff
  asio::steady_timer deadline_timer_;
  clock::time_point deadline_armed_ = clock::time_point::max();
  asio::steady_timer health_timer_;
  clock::time_point health_due_ = clock::time_point::max();  // when the armed health timer fires

  ConnectionObserver* observer_ = nullptr;
  clock::time_point connect_started_{};  // read only with Config::observer set
  mutable Stats stats_;
  // Supplies the address of every attempt (sentinel/address_source.hpp),
  // taken from the Config by create(); and the ROLE the handshake then checks.
  std::shared_ptr<AddressSource> address_source_;
  std::string expected_role_;
  const std::atomic<std::uint64_t>* source_moves_ = nullptr;  // AddressSource::moves()
  std::uint64_t moves_seen_ = 0;
  std::shared_ptr<CacheStore> cache_;  // set_cache()
  std::unique_ptr<cache_detail::InvalidationHandler> invalidations_;
};

}  // namespace valkey
