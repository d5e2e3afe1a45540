#include <valkey/client.hpp>

#include <valkey/cache/client_hooks.hpp>
#include <valkey/lease.hpp>
#include <valkey/sentinel/sentinel_service.hpp>

#include "sync/lane.hpp"
#include "sync/pick_lane.hpp"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace valkey {

// ------------------------------------------------------------------ waiter

namespace detail {

#if defined(__linux__)
namespace {

// A fourth state besides none, done and lead: wait() is blocked in the
// futex, so signal() must wake it. std::atomic::wait (the other platforms'
// path) first spins through four sched_yield calls, which on a machine
// whose cores are all busy cost more than the wait they would save: a
// caller handed over to the driver waits a whole round trip anyway.
constexpr std::uint32_t asleep = 3;
static_assert(asleep != Waiter::none && asleep != Waiter::done && asleep != Waiter::lead);

// The state word as a private futex: wait while it holds `expected`
// (returns at once when it no longer does; spurious returns are rechecked
// by the caller), and wake its one waiter.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word) noexcept {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

// The caller announces that it sleeps (none -> asleep) before it blocks, so
// signal() makes the wake-up system call only when somebody sleeps: a
// signal that comes first is found by the exchange and costs no call.
std::uint32_t Waiter::wait() noexcept {
  std::uint32_t s = none;
  if (!state.compare_exchange_strong(s, asleep, std::memory_order_acq_rel, std::memory_order_acquire)) {
    state.store(none, std::memory_order_relaxed);  // signalled before we slept
    return s;
  }
  do {
    futex_wait(state, asleep);
    s = state.load(std::memory_order_acquire);
  } while (s == asleep);
  state.store(none, std::memory_order_relaxed);
  return s;
}

void Waiter::signal(std::uint32_t what) noexcept {
  // The Waiter outlives the request (it is thread_local), so waking after
  // the exchange is safe even if the caller already returned.
  if (state.exchange(what, std::memory_order_acq_rel) == asleep) futex_wake(state);
}
#else
std::uint32_t Waiter::wait() noexcept {
  std::uint32_t s;
  while ((s = state.load(std::memory_order_acquire)) == none) state.wait(none, std::memory_order_acquire);
  state.store(none, std::memory_order_relaxed);
  return s;
}

void Waiter::signal(std::uint32_t what) noexcept {
  state.store(what, std::memory_order_release);
  state.notify_one();
}
#endif

Waiter& Waiter::mine() noexcept {
  thread_local Waiter w;
  return w;
}

void SyncOpBase::on_complete(std::error_code ec) {
  ec_ = ec;
  // On the driving thread, the only one that may read the connection: keep
  // why it failed for the caller's error message.
  if (exec::is_connection_failure(ec) && source_) connection_error_ = source_->last_error();
  if (wants_protocol_ && source_) resp2_ = source_->protocol() == Protocol::resp2;
  if (lane_) {
    lane_->completed(*this);  // the caller may destroy *this from here on
  } else {
    done_ = true;  // its caller drives the connection itself and sees this
  }
}

}  // namespace detail

// ------------------------------------------------------------------ client

Client::Client(std::string_view url) : Client(prepare(url)) {}

Client::Client(Config config) : Client(Prepared{std::move(config), nullptr}) {}

Client::Client(SentinelConfig config) : Client(prepare(std::move(config))) {}

Client::Prepared Client::prepare(std::string_view url) {
  if (SentinelConfig::is_sentinel_url(url)) return prepare(SentinelConfig::from_url(url));
  return Prepared{Config::from_url(url), nullptr};
}

// The first resolution is waited for here, so that a client that cannot
// reach the sentinels says so, with every sentinel and why, and the
// configuration it hands out names the node it reached.
Client::Prepared Client::prepare(SentinelConfig config) {
  auto service = sentinel::SentinelService::create(std::move(config));
  sentinel::Resolution first = service->resolve_now();
  if (first.ec) {
    service->shutdown();
    throw Error(first.ec, "cannot connect through the sentinels: " + first.why, ErrorContext{{}, {}, {}});
  }
  Config node = service->node_config(first.address);
  return Prepared{std::move(node), std::move(service)};
}

Client::Client(Prepared p) : config_(std::move(p.config)), sentinel_(std::move(p.sentinel)) {
  static_assert(kMaxLanes == 64, "Config::validate() checks max_connections against the same bound");
  // Connection::create validates too, but only after the lane opened its
  // eventfd and thread: refuse a bad Config before any of that.
  config_.validate();
  cache_ = cache_detail::make_store(config_);
  guard_ = std::make_unique<policy::Guard>(config_);
  if (guard_->configured()) active_guard_ = guard_.get();
  lanes_[0] = std::make_unique<detail::SyncLane>(config_, cache_);
  lane_count_.store(1, std::memory_order_release);
  // The first PING carries the first handshake's outcome.
  const exec::PingPlan ping;
  detail::SyncOp<exec::PingPlan::decoder_type> op{detail::EncodeRef::of(ping), 1};
  exec::apply_deadline(op, config_);
  try {
    lanes_[0]->run(op);
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
  std::size_t n;
  {
    std::lock_guard lk(lanes_mu_);
    closed_ = true;
    n = lane_count_.load(std::memory_order_relaxed);
  }
  for (std::size_t i = 0; i < n; ++i) lanes_[i]->close();
  std::shared_ptr<SyncBlockingClient> leases;
  {
    std::lock_guard l(lease_mu_);
    leases_closed_ = true;
    leases = std::move(leases_);
  }
  if (leases) leases->close();  // blocking calls in progress fail with connection_closed
  if (sentinel_) sentinel_->shutdown();
}

Connection::Stats Client::stats() const {
  Connection::Stats sum;
  const std::size_t n = lane_count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < n; ++i) {
    const Connection::Stats s = lanes_[i]->stats();
    sum.writes += s.writes;
    sum.requests_written += s.requests_written;
    sum.reads += s.reads;
    sum.connects += s.connects;
    sum.pings += s.pings;
    sum.idle_wakes += s.idle_wakes;
  }
  return sum;
}

std::size_t Client::connections() const noexcept { return lane_count_.load(std::memory_order_acquire); }

void Client::run(detail::SyncOpBase& op) {
  if (cache_) [[unlikely]] return run_evicting(op);
  if (has(op.flags, CommandFlag::blocking)) return run_leased(op);
  pick_lane().run(op);
}

void Client::run_evicting(detail::SyncOpBase& op) {
  // Read-only commands write nothing; batches (flags none) are looked into.
  const bool writes = !has(op.flags, CommandFlag::readonly);
  thread_local std::string encoded;
  if (writes) {
    encoded.clear();
    resp::Writer w(encoded);
    op.encoder()(w);
    cache_detail::evict_written_in(*cache_, encoded);
  }
  if (has(op.flags, CommandFlag::blocking)) run_leased(op);
  else pick_lane().run(op);
  // The caller sees the reply only after this: a read it makes next cannot
  // find an entry stored from a read that ran before the write.
  if (writes) cache_detail::evict_written_in(*cache_, encoded);
}

// A lane no other caller is in, else a new one while there are fewer than
// max_connections, else the least busy (sync/pick_lane.hpp).
detail::SyncLane& Client::pick_lane() {
  const std::size_t n = lane_count_.load(std::memory_order_acquire);
  auto callers = [](const detail::SyncLane& l) { return l.callers(); };
  return detail::pick_lane(lanes_, n, callers, [&](std::size_t& at) -> detail::SyncLane* {
    if (n >= config_.max_connections) return nullptr;
    std::lock_guard lk(lanes_mu_);
    at = lane_count_.load(std::memory_order_relaxed);
    if (closed_ || at >= config_.max_connections) return nullptr;
    lanes_[at] = std::make_unique<detail::SyncLane>(config_, cache_);
    lane_count_.store(at + 1, std::memory_order_release);
    return lanes_[at].get();
  });
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
