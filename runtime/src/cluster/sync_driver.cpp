#include <valkey/cluster/sync_driver.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <asio/bind_allocator.hpp>
#include <asio/post.hpp>

#include "sync/wait_list.hpp"

namespace valkey::cluster {

using valkey::detail::Waiter;

struct SyncDriver::DrainHandler {
  SyncDriver* driver;
  void operator()() const noexcept { driver->drain(); }
};

SyncDriver::SyncDriver() {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);  // -1: drivers always wait in the reactor
  idle_thread_ = std::thread([this] { idle_loop(); });
}

SyncDriver::~SyncDriver() {
  // The owner calls both; a client whose constructor threw after this was
  // built did not.
  stop();
  finish();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void SyncDriver::note_post() noexcept {
  posts_.fetch_add(1);
  if (wake_fd_ >= 0 && direct_waiting_.load()) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

void SyncDriver::run(Job& job, Ticket& t) {
  t.waiter_ = &Waiter::mine();
  t.job_ = &job;
  // Nobody drives and nothing needs attention: this thread drives, without
  // the lock (a sequential caller's whole path).
  if (!attention_.load() && try_take_role()) return drive_own(job, t);
  std::unique_lock lk(mu_);
  attention_.store(true);  // before trying the role: see driving_
  if (try_take_role()) {
    update_attention();
    lk.unlock();
    return drive_own(job, t);
  }
  // Somebody drives: the job goes to them, and this thread sleeps until it
  // completed or it is handed the role.
  try {
    inbox_.push_back(&job);
  } catch (...) {
    update_attention();
    throw;
  }
  link_asleep(t);
  handed_over_.fetch_add(1, std::memory_order_relaxed);
  if (!drain_posted_) {
    drain_posted_ = true;
    asio::post(ioc_, asio::bind_allocator(HandOffAllocator<void>(drain_memory_), DrainHandler{this}));
    note_post();
  }
  lk.unlock();
  if (t.waiter_->wait() == Waiter::lead) {
    t.driving_ = true;
    drive_until(t);
  }
}

// This thread holds the role: the job goes to the router here (its bytes are
// written at once when the node's connection is idle), then this thread runs
// the I/O until the reply. A handler that throws ends the process, as it did
// when one thread ran the context for every caller.
void SyncDriver::drive_own(Job& job, Ticket& t) noexcept {
  t.driving_ = true;
  router_->submit(job);
  drive_until(t);
}

void SyncDriver::drive_until(Ticket& t) noexcept {
  using clock = std::chrono::steady_clock;
  while (!t.done_) {
    // With callers asleep their jobs are in flight too: no direct wait, and
    // run_one() below runs what they posted.
    std::shared_ptr<Connection> direct;
    if (wake_fd_ >= 0 && sleepers_.load(std::memory_order_relaxed) == 0) {
      // What other threads posted, and the reactor's turn, come first.
      if (posts_.load() != posts_run_ || clock::now() - reactor_ran_ >= reactor_period) {
        poll_ready();
        continue;
      }
      direct = router_->sole_connection(*t.job_);
    }
    if (direct) {
      direct_waiting_.store(true);
      if (posts_.load() != posts_run_) {
        direct_waiting_.store(false, std::memory_order_relaxed);
        continue;
      }
      const Connection::DirectRead r = direct->read_directly(wake_fd_);
      direct_waiting_.store(false, std::memory_order_relaxed);
      if (r != Connection::DirectRead::unavailable) {
        direct_waits_.fetch_add(1, std::memory_order_relaxed);
        if (r != Connection::DirectRead::read) poll_ready();  // woken, or a timer of the connection is due
        continue;
      }
    }
    // The work guard keeps run_one() blocking until a handler ran.
    reactor_ran_ = clock::now();
    if (ioc_.run_one() == 0) ioc_.restart();
  }
  leave(false);
}

void SyncDriver::poll_ready() noexcept {
  const std::uint64_t posted = posts_.load();
  reactor_ran_ = std::chrono::steady_clock::now();
  ioc_.poll();
  if (ioc_.stopped()) ioc_.restart();
  posts_run_ = posted;
}

void SyncDriver::completed(Ticket& t) noexcept {
  if (t.driving_) {
    t.done_ = true;  // its own thread completes it and looks next
    return;
  }
  Waiter* w = t.waiter_;
  {
    std::lock_guard lk(mu_);
    t.done_ = true;
    if (t.asleep_) {
      unlink_asleep(t);
      update_attention();
    }
  }
  w->signal(Waiter::done);  // thread_local: outlives the caller's frame
}

// Frees the role, or passes it on while callers sleep with their jobs
// pending: to the one caller asleep, which then drives its own job (and its
// next calls, on the fast path); with several asleep, to the internal
// thread, which drives for all of them until one is left (handing the role
// from caller to caller would make each of them wait while it moves).
void SyncDriver::leave(bool internal) noexcept {
  if (!attention_.load()) {
    driving_.store(false);
    activity_.fetch_add(1, std::memory_order_relaxed);
    if (!attention_.load()) return;
    // Something asked for attention meanwhile: take the role back to act on
    // it, unless whoever asked took it already.
    if (!try_take_role()) return;
  }
  std::unique_lock lk(mu_);
  if (Ticket* next = asleep_head_) {
    if (!internal && !stopping_ && next->next_) {
      handed_ = true;  // the role passes to the internal thread
      lk.unlock();
      idle_cv_.notify_all();
      return;
    }
    unlink_asleep(*next);
    update_attention();
    Waiter* w = next->waiter_;
    lk.unlock();
    w->signal(Waiter::lead);  // it drives from here on
    return;
  }
  driving_.store(false);
  activity_.fetch_add(1, std::memory_order_relaxed);
  const bool tell = stopping_ || idle_waiting_ || kick_;
  lk.unlock();
  if (tell) {
    idle_cv_.notify_all();
    stop_cv_.notify_all();
  }
}

// On the driving thread: the jobs of callers that found a driver go to the
// router.
void SyncDriver::drain() noexcept {
  {
    std::lock_guard lk(mu_);
    drain_posted_ = false;
    draining_.swap(inbox_);
  }
  for (Job* j : draining_) router_->submit(*j);
  draining_.clear();
}

void SyncDriver::kick() {
  {
    std::lock_guard lk(mu_);
    kick_ = true;
    update_attention();
  }
  note_post();  // kick() follows a post: a driver waiting on a socket runs it
  idle_cv_.notify_all();
}

void SyncDriver::idle_loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    if (!handed_) {
      if (stopping_) break;
      if (!kick_) {
        // Callers that drove during the grace period keep the context
        // running; look again one grace period later.
        const std::uint64_t seen = activity_.load(std::memory_order_relaxed);
        idle_cv_.wait_for(lk, grace);
        if (handed_ || stopping_) continue;
        if (!kick_ && activity_.load(std::memory_order_relaxed) != seen) continue;
      }
      idle_waiting_ = true;
      update_attention();
      bool took = false;
      while (!stopping_ && !handed_ && !(took = try_take_role())) idle_cv_.wait(lk);
      idle_waiting_ = false;
      update_attention();
      if (!took) continue;  // stopping, or handed the role meanwhile
    }
    handed_ = false;
    kick_ = false;
    update_attention();
    lk.unlock();
    internal_drives_.fetch_add(1, std::memory_order_relaxed);
    drive_for_others();
    leave(true);
    lk.lock();
  }
}

// The internal thread's turn: while several callers sleep (then until one
// is left, which leave() hands the role), after the grace period until a
// caller comes, or until stop().
void SyncDriver::drive_for_others() noexcept {
  bool served = false;
  while (!stop_requested_.load()) {
    const std::size_t asleep = sleepers_.load();
    if (asleep == 1) return;
    if (asleep > 1) served = true;
    else if (served) return;
    if (ioc_.run_one() == 0) ioc_.restart();
  }
}

void SyncDriver::stop() {
  std::unique_lock lk(mu_);
  if (!idle_thread_.joinable()) return;
  stopping_ = true;
  stop_requested_.store(true);
  update_attention();
  lk.unlock();
  asio::post(ioc_, [] {});  // a driver waiting in the reactor looks at attention_
  note_post();
  idle_cv_.notify_all();
  lk.lock();
  stop_cv_.wait(lk, [this] { return try_take_role(); });
  lk.unlock();
  idle_thread_.join();
}

void SyncDriver::finish() {
  if (!work_.owns_work()) return;
  work_.reset();
  ioc_.restart();
  ioc_.run();
}

void SyncDriver::link_asleep(Ticket& t) noexcept {
  sleepers_.fetch_add(1);
  valkey::detail::link_back<&Ticket::prev_, &Ticket::next_, &Ticket::asleep_>(asleep_head_, asleep_tail_, t);
}

void SyncDriver::unlink_asleep(Ticket& t) noexcept {
  sleepers_.fetch_sub(1);
  valkey::detail::unlink<&Ticket::prev_, &Ticket::next_, &Ticket::asleep_>(asleep_head_, asleep_tail_, t);
}

}  // namespace valkey::cluster
