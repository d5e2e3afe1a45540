#include <valkey/client.hpp>

#include <chrono>
#include <valkey/lease.hpp>

#include <exception>
#include <new>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>

namespace valkey {

// ------------------------------------------------------------------ waiter

namespace detail {

std::uint32_t Waiter::wait() noexcept {
  std::uint32_t s;
  while ((s = state.load(std::memory_order_acquire)) == none) state.wait(none, std::memory_order_acquire);
  state.store(none, std::memory_order_relaxed);
  return s;
}

void Waiter::signal(std::uint32_t what) noexcept {
  // The Waiter outlives the request (it is thread_local), so notifying after
  // the store is safe even if the caller already returned.
  state.store(what, std::memory_order_release);
  state.notify_one();
}

Waiter& Waiter::mine() noexcept {
  thread_local Waiter w;
  return w;
}

void SyncOpBase::on_complete(std::error_code ec) {
  ec_ = ec;
  // On the driving thread, the only one that may read the connection: keep
  // why it failed for the caller's error message.
  if (exec::is_connection_failure(ec) && source_) connection_error_ = source_->last_error();
  if (client_) {
    client_->completed(*this);  // the caller may destroy *this from here on
  } else {
    done_ = true;  // its caller drives the connection itself and sees this
  }
}

}  // namespace detail

// The allocator of the one drain handler in flight: its storage is a member
// of the Client, so handing requests to the driver never allocates.
template <class T>
struct DrainAllocator {
  using value_type = T;
  Client* owner;
  explicit DrainAllocator(Client* c) noexcept : owner(c) {}
  template <class U>
  DrainAllocator(const DrainAllocator<U>& o) noexcept : owner(o.owner) {}
  T* allocate(std::size_t n) {
    if (sizeof(T) * n <= sizeof(owner->drain_storage_) && alignof(T) <= alignof(std::max_align_t) &&
        !owner->drain_storage_used_.exchange(true, std::memory_order_acquire))
      return reinterpret_cast<T*>(owner->drain_storage_);
    return static_cast<T*>(::operator new(sizeof(T) * n));
  }
  void deallocate(T* p, std::size_t) noexcept {
    if (reinterpret_cast<unsigned char*>(p) == owner->drain_storage_) {
      owner->drain_storage_used_.store(false, std::memory_order_release);
    } else {
      ::operator delete(p);
    }
  }
  template <class U>
  bool operator==(const DrainAllocator<U>& o) const noexcept { return owner == o.owner; }
};

namespace {

struct DrainHandler {
  Client* client;
  void (Client::*fn)();
  using allocator_type = DrainAllocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(client); }
  void operator()() const { (client->*fn)(); }
};

// How long the role must stay free before the idle thread takes it: at
// first short, so that an idle connection is watched (a server that closes it
// is noticed at once, not by the next request); doubled each time a caller
// took the role back within it, so that a client in steady use wakes the idle
// thread a few times a second at most instead of after every request.
constexpr std::chrono::milliseconds kMinGrace{2};
constexpr std::chrono::milliseconds kMaxGrace{128};

}  // namespace

// ------------------------------------------------------------------ client

Client::Client(std::string_view url) : Client(Config::from_url(url)) {}

Client::Client(Config config) : config_(std::move(config)) {
  conn_ = Connection::create(ioc_.get_executor(), config_);
  idle_thread_ = std::thread([this] { idle_loop(); });
  // The first PING carries the first handshake's outcome.
  const exec::PingPlan ping;
  detail::SyncOp<exec::PingPlan::decoder_type> op{detail::EncodeRef::of(ping), 1};
  exec::apply_deadline(op, config_);
  try {
    run(op);
  } catch (...) {
    close();
    throw;
  }
  if (auto ec = op.transport_error()) {
    close();
    const std::string endpoint = config_.endpoint();
    const exec::Failure f{ec, nullptr, {}, endpoint, op.connection_error()};
    throw Error(ec, "cannot connect to " + endpoint + ": " + exec::reason(f), exec::context_of(f));
  }
}

Client::~Client() { close(); }

void Client::close() {
  std::unique_lock lk(mu_);
  if (closed_) {
    // Another thread is closing (say, this is the destructor): return only
    // once it is done, so nothing is destroyed under it.
    driver_cv_.wait(lk, [this] { return close_finished_; });
    return;
  }
  closed_ = true;
  if (driving_) {
    // The driver (a caller, or the idle thread) runs this: every pending
    // request fails with connection_closed, its callers return, and the
    // role comes free.
    asio::post(ioc_, [this] {
      drain_inbox(false);
      conn_->close();
    });
    driver_cv_.wait(lk, [this] { return !driving_; });
  }
  driving_ = true;  // ours for good: nobody else runs ioc_ from here on
  lk.unlock();
  idle_cv_.notify_all();
  if (idle_thread_.joinable()) idle_thread_.join();
  drain_inbox(false);
  conn_->close();
  work_.reset();
  ioc_.poll();  // the closed socket's aborted operations release the connection
  ioc_.stop();
  std::shared_ptr<SyncBlockingClient> leases;
  {
    std::lock_guard l(lease_mu_);
    leases_closed_ = true;
    leases = std::move(leases_);
  }
  if (leases) leases->close();  // blocking calls in progress fail with connection_closed
  lk.lock();
  close_finished_ = true;
  driver_cv_.notify_all();
}

Connection::Stats Client::stats() const {
  auto* self = const_cast<Client*>(this);
  std::unique_lock lk(mu_);
  if (closed_) return {};
  if (!driving_) {
    self->driving_ = true;
    lk.unlock();
    Connection::Stats out = conn_->stats();
    self->release_driver();
    return out;
  }
  // Read by the driver: the counters are not atomic. Should the driver leave
  // before it runs the handler, the kick makes the idle thread take over.
  Connection::Stats out;
  detail::Waiter& w = detail::Waiter::mine();
  asio::post(self->ioc_, [&] {
    out = conn_->stats();
    w.signal(detail::Waiter::done);
  });
  self->idle_kick_ = true;
  lk.unlock();
  self->idle_cv_.notify_one();
  w.wait();
  return out;
}

void Client::run(detail::SyncOpBase& op) {
  if (has(op.flags, CommandFlag::blocking)) return run_leased(op);
  op.client_ = this;
  op.source_ = conn_.get();
  std::unique_lock lk(mu_);
  if (closed_) {
    lk.unlock();
    op.fail_unsent(make_error_code(errc::connection_closed));
    return;
  }
  if (!driving_) {
    // Nobody drives: this thread does, and its request goes straight into
    // the connection's buffer. (Requests still in the inbox have a drain
    // posted; this thread runs it while driving.)
    driving_ = true;
    lk.unlock();
    std::error_code ec;
    try {
      conn_->hold_writes();  // released below: a direct write, no posted completion
      ec = conn_->submit(op, op.encoder());
      conn_->release_writes();
    } catch (...) {
      // Encoding failed (nothing queued), or memory ran out after the
      // request was queued: then it must still run to completion before
      // this frame may go, and its outcome is the answer.
      try {
        conn_->release_writes();
      } catch (...) {
        conn_->reset(make_error_code(errc::connection_lost));
      }
      if (!op.active() && !op.done_) {
        release_driver();
        throw;
      }
    }
    if (ec) op.fail_unsent(ec);
    drive_until_done(op);
    return;
  }
  // Somebody drives: queue the bytes for them and sleep.
  const std::size_t begin = inbox_bytes_.size();
  try {
    resp::Writer w(inbox_bytes_);
    op.encoder()(w);
    inbox_.push_back({&op, begin, inbox_bytes_.size()});
  } catch (...) {
    inbox_bytes_.resize(begin);
    throw;
  }
  link_asleep(op);
  const bool post = !drain_posted_;
  drain_posted_ = true;
  lk.unlock();
  if (post) post_drain();
  if (op.waiter_->wait() == detail::Waiter::lead) drive_until_done(op);
}

// Runs the I/O on this thread until `op` completed, then gives the role away.
void Client::drive_until_done(detail::SyncOpBase& op) {
  while (!op.done_) run_one();
  release_driver();
}

// One handler on the driving thread. The work guard keeps run_one()
// blocking; it returns 0 only if the context was stopped, which close() does
// after the last driver left. A handler that throws (memory running out in a
// decoder, a user's SyncOpBase subclass) must neither leave the role taken
// nor leave requests linked to callers that unwound: the connection is
// dropped, every request in flight fails with connection_lost, and driving
// goes on.
void Client::run_one() noexcept {
  try {
    if (ioc_.run_one() == 0) ioc_.restart();
  } catch (...) {
    // Said once here: the requests that fail for it only see connection_lost.
    if (config_.logger) {
      try {
        std::string what = "a handler threw while driving the connection to " + config_.endpoint();
        try {
          throw;
        } catch (const std::exception& e) {
          what += ": ";
          what += e.what();
        } catch (...) {
        }
        what += "; the connection is reset and its requests fail with connection_lost";
        config_.logger(LogLevel::error, what);
      } catch (...) {
        // neither running out of memory nor a logger that throws may break the driver
      }
    }
    try {
      conn_->reset(make_error_code(errc::connection_lost));
    } catch (...) {
    }
  }
}

// Hands the role to the oldest sleeping caller (its request is still
// pending, so it drives until its reply), or frees it.
void Client::release_driver() {
  std::unique_lock lk(mu_);
  give_up_role(lk);
}

// With `lk` held by the driver: hands the role on or frees it; returns with
// `lk` unlocked.
void Client::give_up_role(std::unique_lock<std::mutex>& lk) {
  if (detail::SyncOpBase* next = asleep_head_) {
    unlink_asleep(*next);
    lk.unlock();
    next->waiter_->signal(detail::Waiter::lead);
    return;
  }
  driving_ = false;
  if (closed_) {
    driver_cv_.notify_all();
    lk.unlock();
    return;
  }
  // Work nobody waits for (a reconnect to make, requests of callers that
  // gave up): the idle thread takes it without waiting for its grace period.
  if (conn_->pending() > 0 || conn_->state() != ConnectionState::ready) idle_kick_ = true;
  ++activity_;
  const bool wake = idle_waiting_ || idle_kick_;
  lk.unlock();
  if (wake) idle_cv_.notify_one();
}

// The internal thread: drives the connection while no caller does, so that
// timers, health checks, reconnects and a peer that closes the connection are
// handled when the client is idle. It never polls: while a caller drives it
// sleeps until the role is given up; then it gives callers a grace period to
// take the role back (one timed wait, which grows while the client is busy)
// before it drives, blocked in the reactor until an event or a caller comes.
// It gives the role to the first caller that queues a request (the caller then
// drives until its reply, with no further hand-off).
void Client::idle_loop() {
  auto grace = kMinGrace;
  std::unique_lock lk(mu_);
  while (!closed_) {
    if (driving_) {
      idle_waiting_ = true;
      idle_cv_.wait(lk, [this] { return closed_ || !driving_; });
      idle_waiting_ = false;
      continue;
    }
    if (!idle_kick_) {
      const std::uint64_t seen = activity_;
      if (idle_cv_.wait_for(lk, grace, [&] { return closed_ || driving_ || activity_ != seen || idle_kick_; })) {
        if (!idle_kick_) grace = std::min(grace * 2, kMaxGrace);
        continue;
      }
    }
    idle_kick_ = false;
    grace = kMinGrace;
    driving_ = true;
    lk.unlock();
    for (;;) {
      run_one();
      lk.lock();
      if (closed_ || asleep_head_) break;
      lk.unlock();
    }
    give_up_role(lk);
    lk.lock();
  }
}

// Called by the driver for every request it completes.
void Client::completed(detail::SyncOpBase& op) noexcept {
  if (!op.asleep_) {
    op.done_ = true;  // the driver's own request: its loop sees this
    return;
  }
  {
    std::lock_guard lk(mu_);
    unlink_asleep(op);
  }
  op.done_ = true;
  op.waiter_->signal(detail::Waiter::done);
}

void Client::link_asleep(detail::SyncOpBase& op) noexcept {
  op.asleep_ = true;
  op.wnext_ = nullptr;
  op.wprev_ = asleep_tail_;
  if (asleep_tail_) asleep_tail_->wnext_ = &op;
  else asleep_head_ = &op;
  asleep_tail_ = &op;
}

void Client::unlink_asleep(detail::SyncOpBase& op) noexcept {
  if (!op.asleep_) return;
  op.asleep_ = false;
  if (op.wprev_) op.wprev_->wnext_ = op.wnext_;
  else asleep_head_ = op.wnext_;
  if (op.wnext_) op.wnext_->wprev_ = op.wprev_;
  else asleep_tail_ = op.wprev_;
  op.wprev_ = op.wnext_ = nullptr;
}

void Client::post_drain() { asio::post(ioc_, DrainHandler{this, &Client::on_drain_posted}); }

void Client::on_drain_posted() { drain_inbox(true); }

// On the driver: moves what the sleeping callers queued into the connection,
// as one batch (one write).
void Client::drain_inbox(bool posted) {
  {
    std::lock_guard lk(mu_);
    if (posted) drain_posted_ = false;
    drain_bytes_.swap(inbox_bytes_);
    draining_.swap(inbox_);
  }
  if (draining_.empty()) return;
  conn_->hold_writes();
  for (const Inbox& in : draining_) {
    std::string_view bytes{drain_bytes_.data() + in.begin, in.end - in.begin};
    std::error_code ec;
    try {
      ec = conn_->submit_encoded(*in.op, bytes);
    } catch (...) {
      // Out of memory: a request the connection did not take fails here; one
      // it did take completes the usual way.
      if (!in.op->active()) ec = std::make_error_code(std::errc::not_enough_memory);
    }
    if (ec) in.op->on_complete(ec);
  }
  draining_.clear();
  drain_bytes_.clear();
  try {
    conn_->release_writes();
  } catch (...) {
    conn_->reset(make_error_code(errc::connection_lost));
  }
}

// ------------------------------------------------------------ blocking commands

void Client::run_leased(detail::SyncOpBase& op) {
  std::shared_ptr<SyncBlockingClient> pool;
  {
    std::lock_guard lk(lease_mu_);
    if (!leases_closed_ && !leases_) leases_ = std::make_shared<SyncBlockingClient>(config_);
    pool = leases_;
  }
  if (!pool) return op.fail_unsent(make_error_code(errc::connection_closed));
  pool->run(op);
}

}  // namespace valkey
