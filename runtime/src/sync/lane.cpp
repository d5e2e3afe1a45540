#include "sync/lane.hpp"
#include "sync/wait_list.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <new>
#include <system_error>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <asio/post.hpp>

namespace valkey::detail {

// The allocator of the one drain handler in flight: its storage is a member
// of the lane, so handing requests to the driver never allocates.
template <class T>
struct DrainAllocator {
  using value_type = T;
  SyncLane* owner;
  explicit DrainAllocator(SyncLane* c) noexcept : owner(c) {}
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

struct DrainHandler {
  SyncLane* lane;
  using allocator_type = DrainAllocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(lane); }
  void operator()() const { lane->drain_inbox(true); }
};

namespace {

// A lane with a client-side cache must read the invalidations that arrive on
// a connection nobody drives, so its idle thread watches the socket for bytes
// too; but not while callers drive, whose every reply would wake it. After
// such a wake it looks again this much later whether any caller drove
// meanwhile (activity_): a look that costs the callers nothing.
constexpr std::chrono::milliseconds kDataRecheck{50};

}  // namespace

SyncLane::SyncLane(const Config& config, std::shared_ptr<CacheStore> cache)
    : config_(config), watch_data_(cache != nullptr) {
  idle_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (idle_fd_ < 0) throw std::system_error(errno, std::system_category(), "eventfd for the sync client's idle thread");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);  // -1: drivers wait in the reactor instead
  conn_ = Connection::create(ioc_.get_executor(), config_);
  if (cache) conn_->set_cache(std::move(cache));
  conn_->set_single_reactor(true);  // one driver at a time runs ioc_
  idle_thread_ = std::thread([this] { idle_loop(); });
}

SyncLane::~SyncLane() {
  close();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  ::close(idle_fd_);
}

// Posts `f` for whoever drives; a driver blocked in poll() on the socket is
// woken. posts_ is bumped after the post and direct_waiting_ read after that,
// while the driver sets direct_waiting_ before it reads posts_ one last time:
// either the driver sees the new count or this thread sees it waiting.
template <class F>
void SyncLane::post_to_driver(F&& f) {
  asio::post(ioc_, std::forward<F>(f));
  posts_.fetch_add(1);
  if (direct_waiting_.load() && wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

void SyncLane::close() {
  std::unique_lock lk(mu_);
  if (closed_) {
    // Another thread is closing (say, this is the destructor): return only
    // once it is done, so nothing is destroyed under it.
    driver_cv_.wait(lk, [this] { return close_finished_; });
    return;
  }
  closed_ = true;
  update_attention();
  if (!try_take_role()) {
    // The driver (a caller, or the idle thread) runs this: every pending
    // request fails with connection_closed, its callers return, and the
    // role comes free.
    post_to_driver([this] {
      drain_inbox(false);
      conn_->close();
    });
    driver_cv_.wait(lk, [this] { return try_take_role(); });
  }
  // The role is ours for good: nobody else runs ioc_ from here on.
  lk.unlock();
  wake_idle();
  if (idle_thread_.joinable()) idle_thread_.join();
  drain_inbox(false);
  conn_->close();
  work_.reset();
  ioc_.poll();  // the closed socket's aborted operations release the connection
  ioc_.stop();
  lk.lock();
  close_finished_ = true;
  driver_cv_.notify_all();
}

Connection::Stats SyncLane::stats() {
  auto* self = this;
  std::unique_lock lk(mu_);
  if (closed_) return {};
  if (try_take_role()) {
    lk.unlock();
    Connection::Stats out = conn_->stats();
    self->release_driver();
    out.idle_wakes = idle_wakes_.load(std::memory_order_relaxed);
    return out;
  }
  // Read by the driver: the counters are not atomic. Should the driver leave
  // before it runs the handler, the kick makes the idle thread take over.
  Connection::Stats out;
  Waiter& w = Waiter::mine();
  self->post_to_driver([&] {
    out = conn_->stats();
    w.signal(Waiter::done);
  });
  self->idle_kick_ = true;
  update_attention();
  lk.unlock();
  self->wake_idle();
  w.wait();
  out.idle_wakes = idle_wakes_.load(std::memory_order_relaxed);
  return out;
}

void SyncLane::run(SyncOpBase& op) {
  op.lane_ = this;
  op.source_ = conn_.get();
  callers_.fetch_add(1, std::memory_order_relaxed);
  struct Leave {
    std::atomic<std::size_t>& n;
    ~Leave() { n.fetch_sub(1, std::memory_order_relaxed); }
  } leave{callers_};
  // Nobody drives and nothing needs attention: this thread drives, without
  // the lock.
  if (!attention_.load() && try_take_role()) return drive_own(op);
  std::unique_lock lk(mu_);
  if (closed_) {
    lk.unlock();
    op.fail_unsent(make_error_code(errc::connection_closed));
    return;
  }
  attention_.store(true);  // before trying the role: see driving_
  if (try_take_role()) {
    update_attention();
    lk.unlock();
    return drive_own(op);
  }
  // Somebody drives: queue the bytes for them and sleep.
  const std::size_t begin = inbox_bytes_.size();
  try {
    resp::Writer w(inbox_bytes_);
    op.encoder()(w);
    inbox_.push_back({&op, begin, inbox_bytes_.size()});
  } catch (...) {
    inbox_bytes_.resize(begin);
    update_attention();
    throw;
  }
  link_asleep(op);
  const bool post = !drain_posted_;
  drain_posted_ = true;
  lk.unlock();
  if (post) post_drain();
  if (op.waiter_->wait() == Waiter::lead) drive_until_done(op);
}

// This thread took the role: its request goes straight into the connection's
// buffer (requests still in the inbox have a drain posted; this thread runs
// it while driving), then it drives until its reply.
void SyncLane::drive_own(SyncOpBase& op) {
  {
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
  }
  drive_until_done(op);
}

// Runs the I/O on this thread until `op` completed, then gives the role away.
// While the connection allows it, the driver waits in poll() on the socket
// and reads the replies itself (Connection::read_directly); handlers posted
// by other threads and due timers send it through the reactor (ioc_.poll()),
// and so does anything the shortcut does not cover (reconnecting, a write in
// flight, TLS).
void SyncLane::drive_until_done(SyncOpBase& op) {
  while (!op.done_) {
    if (posts_.load() != posts_run_) {
      poll_ready();
      continue;
    }
    direct_waiting_.store(true);
    if (posts_.load() != posts_run_) {
      direct_waiting_.store(false);
      continue;
    }
    Connection::DirectRead r;
    try {
      r = conn_->read_directly(wake_fd_);
    } catch (...) {
      // A request's reply handling threw (as in run_one()).
      direct_waiting_.store(false, std::memory_order_relaxed);
      handler_failed(std::current_exception());
      continue;
    }
    direct_waiting_.store(false, std::memory_order_relaxed);
    switch (r) {
      case Connection::DirectRead::read:
        break;
      case Connection::DirectRead::woken:
      case Connection::DirectRead::timer_due:
        poll_ready();
        break;
      case Connection::DirectRead::unavailable:
        run_one();
        break;
    }
  }
  release_driver();
}

// Runs every handler that is ready, without blocking.
void SyncLane::poll_ready() noexcept {
  const std::uint64_t posted = posts_.load();
  try {
    ioc_.poll();
    if (ioc_.stopped()) ioc_.restart();
    posts_run_ = posted;
  } catch (...) {
    handler_failed(std::current_exception());  // as in run_one()
  }
}

// One handler on the driving thread. The work guard keeps run_one()
// blocking; it returns 0 only if the context was stopped, which close() does
// after the last driver left. A handler that throws (memory running out in a
// decoder, a user's SyncOpBase subclass) must neither leave the role taken
// nor leave requests linked to callers that unwound: the connection is
// dropped, every request in flight fails with connection_lost, and driving
// goes on.
void SyncLane::run_one() noexcept {
  try {
    if (ioc_.run_one() == 0) ioc_.restart();
  } catch (...) {
    handler_failed(std::current_exception());
  }
}

void SyncLane::handler_failed(std::exception_ptr failure) noexcept {
  // Said once here: the requests that fail for it only see connection_lost.
  if (config_.logger) {
    try {
      std::string what = "a handler threw while driving the connection to " + config_.endpoint();
      try {
        std::rethrow_exception(failure);
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

// Hands the role to the oldest sleeping caller (its request is still
// pending, so it drives until its reply), or frees it.
void SyncLane::release_driver() {
  // The fast path: nobody waits for anything, and the connection is ready,
  // idle and the one the idle thread watches: there is nothing to tell it,
  // so it is not woken (a sequential caller's every request ends here).
  if (!attention_.load() && conn_->state() == ConnectionState::ready && conn_->pending() == 0 &&
      conn_->generation() == watch_.generation) {
    driving_.store(false);
    activity_.fetch_add(1, std::memory_order_relaxed);
    if (!attention_.load()) return;
    // Somebody asked for attention meanwhile: take the role back to act on
    // it, unless another thread took it (it sees attention_ when it leaves).
    std::unique_lock lk(mu_);
    if (!try_take_role()) return;
    give_up_role(lk);
    return;
  }
  std::unique_lock lk(mu_);
  give_up_role(lk);
}

// With `lk` held by the driver: hands the role on or frees it; returns with
// `lk` unlocked.
void SyncLane::give_up_role(std::unique_lock<std::mutex>& lk) {
  if (SyncOpBase* next = asleep_head_) {
    unlink_asleep(*next);
    update_attention();
    lk.unlock();
    next->waiter_->signal(Waiter::lead);
    return;
  }
  if (closed_) {
    driving_.store(false);
    driver_cv_.notify_all();
    lk.unlock();
    return;
  }
  // Work nobody waits for (a reconnect to make, requests of callers that
  // gave up): the idle thread takes it. Without work it is woken only when
  // what it watches changed (a new socket) or when it waits for the role.
  if (has_work()) idle_kick_ = true;
  const bool moved = publish_watch();
  update_attention();
  driving_.store(false);
  activity_.fetch_add(1, std::memory_order_relaxed);
  const bool wake = idle_waiting_ || idle_kick_ || moved;
  lk.unlock();
  if (wake) wake_idle();
}

// With the role held: whether the connection needs a driver though no
// caller may come: requests in flight (of callers that gave up, or a health
// check's PING), a connection being opened again, a due health check.
bool SyncLane::has_work() const {
  switch (conn_->state()) {
    case ConnectionState::ready:
      return conn_->pending() > 0 || conn_->health_check_due() <= Connection::clock::now();
    case ConnectionState::connecting:
    case ConnectionState::handshaking:
    case ConnectionState::reconnecting:
      return true;
    default:
      return false;  // not started (a caller connects it), or closed for good
  }
}

// With mu_ and the role held: records what the idle thread watches; true
// when that changed in a way it must hear about now (another socket, an
// earlier health check). A connection that is not ready gets a generation
// of none, so that the first driver to leave it ready publishes it.
bool SyncLane::publish_watch() {
  Watch w;
  if (conn_->state() == ConnectionState::ready) {
    w.fd = conn_->socket_fd();
    w.generation = conn_->generation();
    w.due = conn_->health_check_due();
  }
  const bool moved = w.fd != watch_.fd || w.generation != watch_.generation || w.due < watch_.due;
  watch_ = w;
  return moved;
}

// Wakes the idle thread wherever it sleeps: in poll() (idle_fd_) or waiting
// for the role (idle_cv_).
void SyncLane::wake_idle() noexcept {
  idle_wakes_.fetch_add(1, std::memory_order_relaxed);
  idle_cv_.notify_one();
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(idle_fd_, &one, sizeof one);
}

// The idle thread's sleep, without the lock or the role: until `fd` hangs
// up (or, with `data`, has bytes), idle_fd_ is rung, or `due` (with
// `recheck`, kDataRecheck at most). Returns the socket's events.
short SyncLane::idle_sleep(int fd, Connection::clock::time_point due, bool data, bool recheck) {
  int timeout = -1;
  if (due != Connection::clock::time_point::max()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(due - Connection::clock::now()).count();
    timeout = static_cast<int>(std::clamp<decltype(left)>(left, 0, 86'400'000));
  }
  if (recheck && (timeout < 0 || timeout > kDataRecheck.count())) timeout = static_cast<int>(kDataRecheck.count());
  pollfd fds[2] = {{idle_fd_, POLLIN, 0}, {fd, static_cast<short>(POLLRDHUP | (data ? POLLIN : 0)), 0}};
  const int n = ::poll(fds, fd >= 0 ? 2 : 1, timeout);
  if (n <= 0) return 0;  // the time, or EINTR: the loop looks again
  if (fds[0].revents != 0) {
    std::uint64_t count;
    [[maybe_unused]] const auto got = ::read(idle_fd_, &count, sizeof count);
  }
  return fd >= 0 ? fds[1].revents : 0;
}

// The internal thread: drives the connection when it has work and no caller
// drives it. It never polls, and a caller that leaves nothing behind does
// not wake it: it sleeps in poll() on its eventfd and on the socket the last
// driver left ready, watched for a hang-up only (so a caller's replies do
// not wake it; with a cache, for bytes too while no caller drives), until
// the health check is due. A driver that leaves work behind (requests in
// flight, a reconnect, a stats() request) or another socket rings the
// eventfd. Woken while a caller drives, it waits for that caller to leave
// (it raises the attention flag, so the caller leaves through the slow path,
// which publishes what to watch and wakes it); the caller runs due timers and
// reads a hang-up itself meanwhile. With the role it drives, blocked in the
// reactor, until the work is done or a caller queues a request (the caller
// is handed the role), then sleeps again.
void SyncLane::idle_loop() {
  std::unique_lock lk(mu_);
  std::uint64_t hung_up = ~std::uint64_t{0};  // the generation whose socket hung up
  std::uint64_t seen = activity_.load(std::memory_order_relaxed);  // a cache's: as of the last look
  bool callers_read = false;  // a cache's: bytes came while a caller drove
  while (!closed_) {
    bool bytes_only = false;
    if (!idle_kick_) {
      const Watch w = watch_;
      const std::uint64_t now_seen = activity_.load(std::memory_order_relaxed);
      const bool data = watch_data_ && !callers_read && now_seen == seen;  // nobody drove since
      seen = now_seen;
      callers_read = false;
      lk.unlock();
      const short ev = idle_sleep(w.fd, w.due, data, watch_data_ && !data);
      lk.lock();
      if (closed_) break;
      const bool hangup = (ev & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
      const bool due = w.due <= Connection::clock::now();
      if (!idle_kick_ && !due && ev == 0) continue;  // rung for a new watch_, or a cache's look
      if (!idle_kick_) idle_wakes_.fetch_add(1, std::memory_order_relaxed);  // a kick counted when rung
      if (hangup) hung_up = w.generation;
      bytes_only = !idle_kick_ && !due && !hangup;
    }
    if (!try_take_role()) {
      if (bytes_only) {
        callers_read = true;  // a caller's replies: watch for bytes once callers stopped
        continue;
      }
      idle_waiting_ = true;
      update_attention();  // before reading driving_ again: a leaving driver then wakes this thread
      idle_cv_.wait(lk, [this] { return closed_ || !driving_.load(); });
      idle_waiting_ = false;
      update_attention();
      continue;
    }
    idle_kick_ = false;
    update_attention();
    lk.unlock();
    poll_ready();  // due timers, handlers posted for the driver, what the socket holds
    for (;;) {
      lk.lock();
      // A hang-up is handled once the reactor read it (the connection then
      // reconnects, a new generation).
      const bool hangup = hung_up == conn_->generation() && conn_->state() == ConnectionState::ready;
      if (closed_ || asleep_head_ || !(has_work() || hangup)) break;
      lk.unlock();
      run_one();
    }
    publish_watch();  // here, so that give_up_role() does not ring this thread for it
    give_up_role(lk);
    lk.lock();
    seen = activity_.load(std::memory_order_relaxed);
  }
}

// Called by the driver for every request it completes.
void SyncLane::completed(SyncOpBase& op) noexcept {
  if (!op.asleep_) {
    op.done_ = true;  // the driver's own request: its loop sees this
    return;
  }
  {
    std::lock_guard lk(mu_);
    unlink_asleep(op);
    update_attention();
  }
  op.done_ = true;
  op.waiter_->signal(Waiter::done);
}

void SyncLane::link_asleep(SyncOpBase& op) noexcept {
  link_back<&SyncOpBase::wprev_, &SyncOpBase::wnext_, &SyncOpBase::asleep_>(asleep_head_, asleep_tail_, op);
}

void SyncLane::unlink_asleep(SyncOpBase& op) noexcept {
  unlink<&SyncOpBase::wprev_, &SyncOpBase::wnext_, &SyncOpBase::asleep_>(asleep_head_, asleep_tail_, op);
}

void SyncLane::post_drain() { post_to_driver(DrainHandler{this}); }

// On the driver: moves what the sleeping callers queued into the connection,
// as one batch (one write).
void SyncLane::drain_inbox(bool posted) {
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

}  // namespace valkey::detail
