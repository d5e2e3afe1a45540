// The Asio driver of a connection: socket, connect, handshake, reconnect,
// timers and handler memory around the I/O-free Multiplexer.
#include <valkey/connection.hpp>
#include <valkey/observe/probe.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include <poll.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include <valkey/cache/client_hooks.hpp>
#include <valkey/sentinel/address_source.hpp>

#include "detail/syscalls.hpp"
#include "detail/transport.hpp"
#include "io/handshake.hpp"

namespace valkey {

namespace {
// Errors a reconnect will not fix by itself: waiting requests fail with them.
bool is_configuration_error(std::error_code ec) {
  return ec == errc::auth_failed || ec == errc::handshake_failed || ec == errc::tls_error;
}

Multiplexer::Options mux_options(const Config& c) {
  Multiplexer::Options o;
  o.max_pending = c.max_pending;
  o.wait_timeout = c.connect_timeout;
  o.retry_readonly = c.retry_readonly;
  o.queue_timeout = c.queue_timeout;
  o.database = c.database;
  o.limits = c.limits;
  return o;
}

constexpr std::string_view kPing = "*1\r\n$4\r\nPING\r\n";
}  // namespace

// The idle health-check PING.
class Connection::Ping final : public RequestBase {
 public:
  void on_node(const resp::Node&) override {}
  void on_reply_end() override {}
  void on_complete(std::error_code) override {}
};

template <class T>
struct Connection::HandlerAllocator {
  using value_type = T;
  HandlerMemory* mem;
  explicit HandlerAllocator(HandlerMemory* m) noexcept : mem(m) {}
  template <class U>
  HandlerAllocator(const HandlerAllocator<U>& o) noexcept : mem(o.mem) {}
  T* allocate(std::size_t n) {
    const std::size_t bytes = sizeof(T) * n;
    if (!mem->in_use && bytes <= sizeof(mem->storage) && alignof(T) <= alignof(std::max_align_t)) {
      mem->in_use = true;
      return reinterpret_cast<T*>(mem->storage);
    }
    return static_cast<T*>(::operator new(bytes));
  }
  void deallocate(T* p, std::size_t) noexcept {
    if (reinterpret_cast<unsigned char*>(p) == mem->storage) mem->in_use = false;
    else ::operator delete(p);
  }
  template <class U>
  bool operator==(const HandlerAllocator<U>& o) const noexcept { return mem == o.mem; }
};

struct Connection::ReadHandler {
  std::shared_ptr<Connection> self;
  std::shared_ptr<detail::Transport> transport;  // alive until its operation returns
  std::uint64_t gen;
  using allocator_type = HandlerAllocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(&self->read_mem_); }
  void operator()(std::error_code ec, std::size_t n) { self->on_read(gen, ec, n); }
};

struct Connection::ReadableHandler {
  std::shared_ptr<Connection> self;
  std::shared_ptr<detail::Transport> transport;
  std::uint64_t gen;
  using allocator_type = HandlerAllocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(&self->read_mem_); }
  void operator()(std::error_code ec) { self->on_readable(gen, ec); }
};

struct Connection::WriteHandler {
  std::shared_ptr<Connection> self;
  std::shared_ptr<detail::Transport> transport;
  std::uint64_t gen;
  using allocator_type = HandlerAllocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(&self->write_mem_); }
  void operator()(std::error_code ec, std::size_t n) { self->on_write(gen, ec, n); }
};

std::shared_ptr<Connection> Connection::create(executor_type ex, Config config) {
  config.validate();  // every client, lease and cluster node connection comes through here
  auto c = std::make_shared<Connection>(Private{}, std::move(ex), std::move(config));
  if (const auto& source = c->config_.address_source) {
    c->address_source_ = source;
    c->source_moves_ = c->address_source_->moves();
    c->address_source_->attach(c);
  }
  return c;
}

Connection::Connection(Private, executor_type ex, Config config)
    : ex_(std::move(ex)),
      config_(std::move(config)),
      rng_(static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(this) ^
                                 static_cast<std::uintptr_t>(clock::now().time_since_epoch().count()))),
      mux_(mux_options(config_)),
      ping_(std::make_unique<Ping>()),
      connect_timer_(ex_),
      deadline_timer_(ex_),
      health_timer_(ex_) {
  protocol_ = config_.protocol;
  mux_.set_listener(this);
}

// Every asynchronous operation holds the connection, so nothing is pending
// here unless the executor was destroyed with handlers never run.
Connection::~Connection() = default;

void Connection::set_cache(std::shared_ptr<CacheStore> store) {
  invalidations_ = store ? std::make_unique<cache_detail::InvalidationHandler>(*store, config_) : nullptr;
  cache_ = std::move(store);
  mux_.set_push_handler(invalidations_.get());
}

void Connection::log(LogLevel level, const std::string& text) const {
  try {
    config_.logger(level, text);
  } catch (...) {
    // a logger that throws must not break the connection
  }
}

void Connection::on_error_reply(std::string_view message) {
  // READONLY, or -REDIRECT host:port from a node that got CLIENT CAPA
  // redirect: the node is a replica now.
  if (address_source_ && (message.substr(0, 8) == "READONLY" || message.substr(0, 9) == "REDIRECT "))
    address_source_->on_readonly(*this);
  if (observer_) observer_->on_error_reply(*this, message);
}

void Connection::on_retry_encode_failed() {
  if (config_.logger)
    log(LogLevel::warn, "a read-only request could not be re-encoded for its retry; it fails with connection_lost");
}

void Connection::complete_later(Multiplexer::Completions&& c) {
  if (c.empty()) return;
  asio::post(ex_, [self = shared_from_this(), c = std::move(c)]() mutable { c.run(); });
}

// ---------------------------------------------------------------- queueing

std::error_code Connection::admit(RequestBase& r) {
  if (r.active() || r.expected_replies == 0) return make_error_code(errc::invalid_argument);
  if (state_ == ConnectionState::closed) return closed_ec_;
  if (auto ec = mux_.admit(r, config_.on_queue_full == QueueFullPolicy::fail)) return ec;
  if (state_ != ConnectionState::ready && ever_connected_ &&
      config_.when_disconnected == DisconnectedPolicy::fail)
    return make_error_code(errc::not_connected);
  return {};
}

std::error_code Connection::submit_encoded(RequestBase& r, std::string_view bytes) {
  if (auto ec = admit(r)) return ec;
  mux_.add_encoded(r, bytes, enqueue_time());
  queued(r);
  return {};
}

void Connection::queued(RequestBase& r) {
  switch (state_) {
    case ConnectionState::ready:
      if (r.deadline != clock::time_point::max() || r.wait_deadline_ != clock::time_point::max()) sync_deadline_timer();
      if (source_moves_ && source_moves_->load(std::memory_order_relaxed) != moves_seen_) [[unlikely]] {
        // The node moved since this connection asked where to go: `r` and
        // the other queued requests go to the new one.
        reset(make_error_code(errc::connection_lost));
        break;
      }
      if (delivering_) {
        queued_in_delivery_ += r.expected_replies;
        if (queued_in_delivery_ >= kDeliveryWriteEvery) {
          queued_in_delivery_ = 0;
          write_queued(true);
        }
        break;
      }
      maybe_write();
      break;
    case ConnectionState::idle:
      start();
      if (r.deadline != clock::time_point::max()) sync_deadline_timer();
      break;
    default:
      sync_deadline_timer();  // its deadline, or how long it may wait for the connection
      break;
  }
}

void Connection::cancel(RequestBase& r, std::error_code ec) {
  Multiplexer::Completions done;
  if (!mux_.cancel(r, ec, done)) return;
  complete_later(std::move(done));
  maybe_write();  // a written request gone frees room under max_pending
}

// ------------------------------------------------------------------ output

void Connection::maybe_write(bool direct) {
  if (!delivering_) write_queued(direct);
}

void Connection::write_queued(bool direct) {
  if (writing_ || held_ || state_ != ConnectionState::ready) return;
  std::string_view bytes = mux_.next_write();
  if (bytes.empty()) return;
  if (direct) {
    const std::size_t n = transport_->try_write(asio::buffer(bytes.data(), bytes.size()));
    mux_.on_written(n);
    if (n == bytes.size()) {
      ++stats_.writes;
      return;
    }
    bytes = mux_.next_write();  // the rest (or all, on EAGAIN or an error) asynchronously
  }
  write_bytes(bytes);
}

void Connection::write_bytes(std::string_view bytes) {
  writing_ = true;
  ++stats_.writes;
  transport_->async_write(asio::buffer(bytes.data(), bytes.size()), WriteHandler{shared_from_this(), transport_, gen_});
}

void Connection::on_write(std::uint64_t gen, std::error_code ec, std::size_t n) {
  if (gen != gen_) return;
  writing_ = false;
  if (ec) return connection_lost(ec, false);
  if (write_is_handshake_) {
    write_is_handshake_ = false;
    if (handshake_pending_write_) {
      handshake_pending_write_ = false;
      return send_handshake();
    }
    // The replies may have come before this completion: requests queued
    // meanwhile go now.
    return maybe_write();
  }
  mux_.on_written(n);
  maybe_write();
}

// ------------------------------------------------------------------- input

void Connection::start_read() {
  if (single_reactor_ && transport_->can_wait_then_read()) {
    transport_->async_wait_readable(ReadableHandler{shared_from_this(), transport_, gen_});
    return;
  }
  std::span<char> room = mux_.read_space();
  transport_->async_read_some(asio::buffer(room.data(), room.size()), ReadHandler{shared_from_this(), transport_, gen_});
}

void Connection::on_read(std::uint64_t gen, std::error_code ec, std::size_t n) {
  if (gen != gen_) return;
  if (ec) return connection_lost(ec, false);
  if (take_read(n)) start_read();
}

// Readable: read what the socket holds.
void Connection::on_readable(std::uint64_t gen, std::error_code ec) {
  if (gen != gen_) return;
  if (ec) return connection_lost(ec, false);
  if (read_available()) start_read();
}

Connection::DirectRead Connection::read_directly(int wake_fd) {
  if (!single_reactor_ || state_ != ConnectionState::ready || writing_ || !transport_) return DirectRead::unavailable;
  const int fd = transport_->plain_fd();
  if (fd < 0) return DirectRead::unavailable;
  int timeout_ms = -1;
  if (const clock::time_point next = std::min(deadline_armed_, health_due_); next != clock::time_point::max()) {
    const clock::time_point now = clock::now();
    if (now >= next) return DirectRead::timer_due;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
    timeout_ms = ms > 86'400'000 ? 86'400'000 : static_cast<int>(ms);
  }
  pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  const int r = detail::sys::poll(fds, wake_fd >= 0 ? 2 : 1, timeout_ms);
  if (r == 0) return DirectRead::timer_due;
  if (r < 0) return DirectRead::woken;  // EINTR: look again
  if (fds[1].revents != 0) {
    std::uint64_t count;
    [[maybe_unused]] const auto got = ::read(wake_fd, &count, sizeof count);
  }
  if (fds[0].revents != 0) read_available();
  return fds[1].revents != 0 ? DirectRead::woken : DirectRead::read;
}

int Connection::socket_fd() const noexcept { return transport_ ? transport_->socket_fd() : -1; }

// Reads what the socket holds (plain sockets) until a read comes back short:
// one that fills the buffer may have left more behind, and no new readiness
// edge would announce it. False when the connection is gone or a completion
// reset it.
bool Connection::read_available() {
  for (;;) {
    const std::span<char> room = mux_.read_space();
    int err = 0;
    const long n = transport_->try_read(asio::buffer(room.data(), room.size()), err);
    if (n < 0 && err == EAGAIN) return true;
    if (n <= 0) {
      connection_lost(n == 0 ? std::error_code(asio::error::eof) : std::error_code(err, std::system_category()),
                      false);
      return false;
    }
    if (!take_read(static_cast<std::size_t>(n))) return false;
    if (static_cast<std::size_t>(n) < room.size()) return true;
  }
}

Multiplexer::ReadResult Connection::deliver(std::size_t n) {
  // Cleared even when a completion throws out of run(): a flag left set
  // would stop every later write.
  struct Delivering {
    Connection& c;
    explicit Delivering(Connection& conn) : c(conn) {
      c.delivering_ = true;
      c.queued_in_delivery_ = 0;
    }
    ~Delivering() { c.delivering_ = false; }
    Delivering(const Delivering&) = delete;
    Delivering& operator=(const Delivering&) = delete;
  } delivering{*this};
  return mux_.commit_read(n);
}

bool Connection::take_read(std::size_t n) {
  ++stats_.reads;
  if (state_ == ConnectionState::handshaking) {
    const std::uint64_t gen = gen_;
    mux_.commit_unprocessed(n);
    read_handshake();
    return gen == gen_ && state_ != ConnectionState::closed;
  }
  const Multiplexer::ReadResult res = deliver(n);
  if (res.interrupted) return false;  // a completion closed or reset the connection
  if (res.drop) {
    connection_lost(res.drop, false);
    return false;
  }
  maybe_write(true);  // what the completions queued; no posted write completion when the socket takes it all
  return true;
}

// ---------------------------------------------------------------- connect

void Connection::start() {
  if (state_ != ConnectionState::idle) return;
  connect();
}

void Connection::connect() {
  state_ = ConnectionState::connecting;
  ++gen_;
  last_error_.clear();
  if (config_.observer) connect_started_ = clock::now();
  arm_connect_timer();
  if (!address_source_) return open_transport();
  // Asked before every attempt: a reconnect never reuses the old address blindly.
  address_source_->resolve(shared_from_this(), [self = shared_from_this(), gen = gen_](
                                                   std::error_code ec, NodeAddress address, std::string why) {
    if (gen != self->gen_ || self->state_ != ConnectionState::connecting) return;
    if (ec) {
      self->last_error_ = std::move(why);
      return self->attempt_failed(ec, false);
    }
    self->config_.host = std::move(address.host);
    self->config_.port = address.port;
    self->config_.unix_path.clear();
    self->expected_role_ = std::move(address.role);
    self->moves_seen_ = address.epoch;
    self->open_transport();
  });
}

void Connection::open_transport() {
  transport_ = std::make_shared<detail::Transport>(ex_, config_);
  if (config_.logger) log(LogLevel::debug, "connecting to " + config_.endpoint());
  transport_->async_connect([self = shared_from_this(), gen = gen_](std::error_code ec) {
    self->on_transport_ready(gen, ec);
  });
}

void Connection::arm_connect_timer() {
  if (config_.connect_timeout.count() <= 0) return;
  connect_timer_.expires_after(config_.connect_timeout);
  connect_timer_.async_wait([self = shared_from_this(), gen = gen_](std::error_code ec) {
    if (ec || gen != self->gen_) return;
    if (self->state_ == ConnectionState::connecting || self->state_ == ConnectionState::handshaking) {
      self->last_error_ = "connect timeout to " + self->config_.endpoint();
      self->attempt_failed(make_error_code(errc::timeout), false);
    }
  });
}

void Connection::on_transport_ready(std::uint64_t gen, std::error_code ec) {
  if (gen != gen_) return;
  if (ec) {
    if (ec == errc::tls_error) last_error_ = "TLS: " + transport_->last_error_text();
    else last_error_ = ec.message() + " (" + config_.endpoint() + ")";
    return attempt_failed(ec, false);
  }
  state_ = ConnectionState::handshaking;
  handshake_ = std::make_unique<io::Handshake>(config_, expected_role_, cache_ != nullptr);
  start_read();
  send_handshake();
}

void Connection::send_handshake() {
  if (writing_) {
    // A fallback plan can be ready before the first plan's write completion
    // ran: send it from on_write.
    handshake_pending_write_ = true;
    return;
  }
  writing_ = true;
  write_is_handshake_ = true;
  ++stats_.writes;
  const std::string_view bytes = handshake_->request();
  transport_->async_write(asio::buffer(bytes.data(), bytes.size()), WriteHandler{shared_from_this(), transport_, gen_});
}

void Connection::read_handshake() {
  std::size_t used = 0;
  const auto status = handshake_->on_read(mux_.unread(), used);
  mux_.consume_unread(used);
  switch (status) {
    case io::Handshake::Status::reading:
      return;
    case io::Handshake::Status::send_fallback:
      if (config_.logger)
        log(LogLevel::info, "HELLO refused by " + config_.endpoint() + ": falling back to RESP2");
      return send_handshake();
    case io::Handshake::Status::failed:
      if (!handshake_->message().empty()) last_error_ = handshake_->message();
      if (address_source_ && handshake_->error() == errc::wrong_role)
        address_source_->on_wrong_role({config_.host, config_.port, expected_role_});
      return attempt_failed(handshake_->error(), false);
    case io::Handshake::Status::ready:
      return became_ready();
  }
}

void Connection::became_ready() {
  state_ = ConnectionState::ready;
  protocol_ = handshake_->protocol();
  server_zone_ = handshake_->zone();
  handshake_.reset();
  mux_.on_connected(pubsub_mode_ && protocol_ == Protocol::resp2);
  ever_connected_ = true;
  attempt_ = 0;
  ++stats_.connects;
  connect_timer_.cancel();
  health_bytes_ = mux_.bytes_read();
  health_head_ = ~0ull;
  arm_health_timer();
  if (config_.logger)
    log(LogLevel::info, "connected to " + config_.endpoint() + (protocol_ == Protocol::resp2 ? " (RESP2)" : " (RESP3)"));
  const std::uint64_t gen = gen_;
  if (config_.observer) observe::connected(config_, clock::now() - connect_started_);
  if (observer_) observer_->on_connected(*this);
  if (gen != gen_ || state_ != ConnectionState::ready) return;
  // Bytes that came after the handshake's last reply (a push, say).
  const Multiplexer::ReadResult res = mux_.process();
  if (res.interrupted) return;
  if (res.drop) return connection_lost(res.drop, false);
  maybe_write();
}

// ------------------------------------------------------------------ faults

void Connection::teardown() {
  ++gen_;
  if (transport_) transport_->close();
  writing_ = false;
  write_is_handshake_ = false;
  handshake_pending_write_ = false;
  handshake_.reset();
  connect_timer_.cancel();
  health_timer_.cancel();
  health_due_ = clock::time_point::max();
}

// user_call: reached from reset() (the user's own call): the failed
// requests complete from a posted handler. Otherwise (a read, a write, a
// timer) they complete here.
void Connection::connection_lost(std::error_code cause, bool user_call) {
  if (state_ == ConnectionState::closed) return;
  if (state_ != ConnectionState::ready) return attempt_failed(cause, user_call);
  if (config_.logger) log(LogLevel::warn, "connection to " + config_.endpoint() + " lost: " + cause.message());
  Multiplexer::Completions lost = mux_.on_connection_lost(cause, clock::now());
  teardown();
  // Invalidations sent meanwhile are lost with the connection: nothing cached
  // may be served until tracking is on again (the reconnect's handshake).
  if (cache_) flush_cache(cause);
  state_ = ConnectionState::reconnecting;
  sync_deadline_timer();  // queued requests wait at most connect_timeout
  if (config_.observer) observe::disconnected(config_, cause, true);
  if (observer_) observer_->on_disconnected(*this, cause);
  const std::uint64_t gen = gen_;
  if (user_call) complete_later(std::move(lost));
  else lost.run();
  if (gen == gen_ && state_ == ConnectionState::reconnecting) schedule_reconnect(user_call);
}

void Connection::attempt_failed(std::error_code ec, bool user_call) {
  if (state_ == ConnectionState::closed) return;
  mux_.on_attempt_failed();
  teardown();
  state_ = ConnectionState::reconnecting;
  if (config_.logger) {
    log(LogLevel::warn, "connection attempt to " + config_.endpoint() + " failed: " +
                            (last_error_.empty() ? ec.message() : last_error_));
  }
  if (config_.observer) observe::disconnected(config_, ec, false);
  if (observer_) observer_->on_disconnected(*this, ec);
  const std::uint64_t gen = gen_;
  // Never connected (a wrong address, password or certificate is the likely
  // cause) or a failure a retry will not fix: the waiting requests get the
  // reason now instead of hanging.
  // A wrong ROLE is the sentinels' view lagging a failover: worth the retry.
  if ((!ever_connected_ && ec != errc::wrong_role) || is_configuration_error(ec)) {
    Multiplexer::Completions failed = mux_.fail_queued(ec);
    if (user_call) complete_later(std::move(failed));
    else failed.run();
  }
  if (gen == gen_ && state_ == ConnectionState::reconnecting) schedule_reconnect(user_call);
}

void Connection::schedule_reconnect(bool user_call) {
  const ReconnectPolicy& p = config_.reconnect;
  if (!p.enabled || (p.max_attempts != 0 && attempt_ >= p.max_attempts)) {
    state_ = ConnectionState::closed;
    closed_ec_ = make_error_code(errc::not_connected);
    if (config_.logger) log(LogLevel::error, "giving up reconnecting to " + config_.endpoint());
    Multiplexer::Completions failed = mux_.fail_queued(closed_ec_);
    if (user_call) complete_later(std::move(failed));
    else failed.run();
    return;
  }
  double delay = static_cast<double>(p.initial_delay.count()) *
                 std::pow(p.multiplier, static_cast<double>(std::min(attempt_, 30u)));
  delay = std::min(delay, static_cast<double>(p.max_delay.count()));
  if (p.jitter > 0) {
    std::uniform_real_distribution<double> d(1.0 - p.jitter, 1.0 + p.jitter);
    delay *= d(rng_);
  }
  ++attempt_;
  const auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(delay));
  if (config_.logger) {
    log(LogLevel::info, "reconnecting to " + config_.endpoint() + " in " + std::to_string(wait.count()) +
                            " ms (attempt " + std::to_string(attempt_) + ")");
  }
  connect_timer_.expires_after(wait);
  connect_timer_.async_wait([self = shared_from_this(), gen = gen_, wait](std::error_code ec) {
    if (ec || gen != self->gen_ || self->state_ != ConnectionState::reconnecting) return;
    if (self->config_.observer) observe::reconnect_attempt(self->config_, self->attempt_, wait);
    self->connect();
  });
}

void Connection::retry_now() {
  if (state_ != ConnectionState::reconnecting) return;
  attempt_ = 0;
  connect();  // a new generation: the pending backoff wait is ignored
}

void Connection::reset(std::error_code why) {
  if (state_ == ConnectionState::ready || state_ == ConnectionState::connecting ||
      state_ == ConnectionState::handshaking)
    connection_lost(why, true);
}

// True when this thread may touch the connection now: it runs the
// connection's executor, or nobody can (the io_context is stopped). For an
// executor it cannot inspect, the documented contract (called on the
// executor) is taken as given.
bool Connection::running_here() const noexcept {
  using IoExecutor = asio::io_context::executor_type;
  const asio::io_context* ioc = nullptr;
  if (const auto* e = ex_.target<IoExecutor>()) {
    if (e->running_in_this_thread()) return true;
    ioc = &e->context();
  } else if (const auto* s = ex_.target<asio::strand<IoExecutor>>()) {
    if (s->running_in_this_thread()) return true;
    ioc = &s->get_inner_executor().context();
  } else if (const auto* s = ex_.target<asio::strand<asio::any_io_executor>>()) {
    return s->running_in_this_thread();
  } else {
    return true;
  }
  return ioc->stopped();
}

void Connection::close() {
  if (running_here()) return close_here();
  asio::post(ex_, [self = shared_from_this()] { self->close_here(); });
}

void Connection::flush_cache(std::error_code cause) {
  const bool health = cause == errc::health_check_failed;
  cache_->flush_all(health ? FlushReason::health_check_failed : FlushReason::disconnect);
  if (config_.observer) cache_detail::notify_cache(config_, CacheEvent{CacheEvent::Kind::flush, 1});
}

void Connection::close_here() {
  if (state_ == ConnectionState::closed) return;
  const bool was_open = state_ != ConnectionState::idle;
  state_ = ConnectionState::closed;
  closed_ec_ = make_error_code(errc::connection_closed);
  teardown();
  deadline_timer_.cancel();
  deadline_armed_ = clock::time_point::max();
  if (config_.logger && was_open) log(LogLevel::info, "closed the connection to " + config_.endpoint());
  complete_later(mux_.close(closed_ec_));
}

// --------------------------------------------------------------- deadlines

// Arms the deadline timer for the multiplexer's earliest deadline when that
// is earlier than what the timer waits for (a later one is found when the
// timer fires).
void Connection::sync_deadline_timer() {
  const clock::time_point t = mux_.next_deadline();
  if (t >= deadline_armed_) return;
  deadline_armed_ = t;
  deadline_timer_.expires_at(t);
  deadline_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec) return;
    self->deadline_armed_ = clock::time_point::max();
    self->on_deadline_timer();
  });
}

void Connection::on_deadline_timer() {
  if (state_ == ConnectionState::closed) return;
  Multiplexer::Completions expired = mux_.expire(clock::now());
  sync_deadline_timer();
  expired.run();
  if (state_ == ConnectionState::ready) maybe_write();  // written requests gone free room
}

// ------------------------------------------------------------ health check

void Connection::arm_health_timer() {
  if (config_.health_check_interval.count() <= 0) return;
  health_timer_.expires_after(config_.health_check_interval);
  health_due_ = health_timer_.expiry();
  health_timer_.async_wait([self = shared_from_this(), gen = gen_](std::error_code ec) {
    if (gen == self->gen_) self->health_due_ = clock::time_point::max();
    if (ec || gen != self->gen_ || self->state_ != ConnectionState::ready) return;
    self->on_health_tick();
  });
}

void Connection::on_health_tick() {
  const bool waiting = mux_.awaiting_reply();
  const bool progress = mux_.bytes_read() != health_bytes_;
  // The same reply has been awaited for a whole interval without a byte.
  if (waiting && !progress && health_head_ == mux_.head_seq()) {
    last_error_ = "health check failed: no reply from " + config_.endpoint();
    if (config_.logger) log(LogLevel::warn, last_error_);
    return connection_lost(make_error_code(errc::health_check_failed), false);
  }
  if (!waiting && !progress && health_writes_ == stats_.writes && !ping_->active()) {
    ++stats_.pings;
    mux_.add_internal(*ping_, kPing);
    maybe_write();
  }
  health_bytes_ = mux_.bytes_read();
  health_writes_ = stats_.writes;
  health_head_ = mux_.awaiting_reply() ? mux_.head_seq() : ~0ull;
  arm_health_timer();
}

}  // namespace valkey
