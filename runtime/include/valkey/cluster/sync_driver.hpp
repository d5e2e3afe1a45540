#pragma once
// Who runs a sync ClusterClient's I/O: the calling threads, one at a time
// (leader/follower, as a single-node Client's lane does), and an internal
// thread when nobody calls or several callers wait (docs/cluster.md,
// "Threads").
//
// A caller that finds nobody driving takes the driver's role: it hands its
// job to the router and runs the io_context itself until the job completed,
// with no thread hand-off. A caller that finds a driver queues its job for
// that driver, sleeps, and is woken when its job completed or when it is
// handed the role. A driver whose own job finished hands the role to the one
// caller asleep, or, with several asleep, to the internal thread, which
// drives for them until one is left. The internal thread also takes the
// role when nobody has driven for a grace period (timers, a refresh still in
// flight, a connection that drops between calls); while calls keep coming
// it only looks every grace period whether they stopped. Only the driver
// touches the router, its connections and its timers.
//
// A driver whose job is all the router has in flight waits on that job's
// socket alone (Connection::read_directly, as the single-node lane does):
// send, poll, recv per sequential request instead of the reactor's four
// system calls. Anything posted from another thread wakes it through an
// eventfd, and it runs the reactor at least every reactor_period so the
// router's and the other connections' timers are never held back longer
// than that plus one reply.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <thread>
#include <utility>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <valkey/cluster/router.hpp>
#include <valkey/exec/sync.hpp>
#include <valkey/export.hpp>

namespace valkey::cluster {

// Memory for one handler at a time posted to an io_context from a thread
// that does not run it (asio::post allocates with the handler's allocator,
// from the heap on such a thread): SyncDriver's drain handler.
class HandOffMemory {
 public:
  void* allocate(std::size_t n, std::size_t align) {
    if (!used_ && n <= sizeof(buffer_) && align <= alignof(std::max_align_t)) {
      used_ = true;
      return buffer_;
    }
    return ::operator new(n, std::align_val_t(align));
  }
  void deallocate(void* p, std::size_t align) noexcept {
    if (p == buffer_) used_ = false;
    else ::operator delete(p, std::align_val_t(align));
  }

 private:
  alignas(std::max_align_t) unsigned char buffer_[128];
  bool used_ = false;
};

template <class T>
struct HandOffAllocator {
  using value_type = T;
  explicit HandOffAllocator(HandOffMemory& m) noexcept : memory(&m) {}
  template <class U>
  HandOffAllocator(const HandOffAllocator<U>& o) noexcept : memory(o.memory) {}
  T* allocate(std::size_t n) { return static_cast<T*>(memory->allocate(n * sizeof(T), alignof(T))); }
  void deallocate(T* p, std::size_t) noexcept { memory->deallocate(p, alignof(T)); }
  template <class U>
  bool operator==(const HandOffAllocator<U>& o) const noexcept {
    return memory == o.memory;
  }
  HandOffMemory* memory;
};

class VALKEY_CPP_EXPORT SyncDriver {
 public:
  // A caller's place while its job runs (in the caller's frame, with the job).
  class Ticket {
   private:
    friend class SyncDriver;
    valkey::detail::Waiter* waiter_ = nullptr;
    Job* job_ = nullptr;
    Ticket* next_ = nullptr;  // the list of callers asleep, oldest first
    Ticket* prev_ = nullptr;
    bool done_ = false;
    bool driving_ = false;  // its own thread drives: completion needs no signal
    bool asleep_ = false;
  };

  // How long nobody may drive before the internal thread takes the role.
  static constexpr std::chrono::milliseconds grace{10};
  // How long a driver may wait on sockets directly before it runs the
  // reactor again (due timers, other connections' events).
  static constexpr std::chrono::milliseconds reactor_period{5};

  SyncDriver();
  // stop() and finish() must have run (the owner calls them in order).
  ~SyncDriver();
  SyncDriver(const SyncDriver&) = delete;
  SyncDriver& operator=(const SyncDriver&) = delete;

  asio::io_context& context() noexcept { return ioc_; }
  // ClusterStats::handed_over_calls and internal_drives.
  std::uint64_t handed_over_calls() const noexcept { return handed_over_.load(std::memory_order_relaxed); }
  std::uint64_t internal_drives() const noexcept { return internal_drives_.load(std::memory_order_relaxed); }
  // The router every job goes to; set once, before the first run().
  void attach(Router& router) noexcept { router_ = &router; }

  // Submits `job` and blocks until it completed (its complete() called
  // completed(ticket)); this thread may drive the I/O meanwhile.
  void run(Job& job, Ticket& ticket);
  // Called by a job's complete(), on the driving thread; the caller may
  // destroy the job and the ticket from here on.
  void completed(Ticket& ticket) noexcept;

  // Makes sure something posted to context() from a thread that does not
  // drive runs soon: the internal thread takes the role as soon as it is
  // free (without waiting for the grace period).
  void kick();
  // Runs `f` on the driving thread soon, from a thread that does not drive:
  // posted to context(), then kick().
  template <class F>
  void post(F&& f) {
    asio::post(ioc_, std::forward<F>(f));
    kick();
  }
  // ClusterStats::direct_waits: how often a driver waited on a socket alone
  // (the shortcut above) rather than in the reactor.
  std::uint64_t direct_waits() const noexcept { return direct_waits_.load(std::memory_order_relaxed); }

  // Ends the internal thread and keeps the role for this thread: after it,
  // only this thread runs the io_context. No run() may be in progress.
  void stop();
  // After stop(): drops the work guard and runs the io_context until every
  // handler, connection and timer finished.
  void finish();

 private:
  bool try_take_role() noexcept {
    bool free = false;
    return driving_.compare_exchange_strong(free, true);
  }
  // With mu_ held: whether a leaving driver must take the slow path.
  void update_attention() noexcept {
    attention_.store(asleep_head_ != nullptr || stopping_ || idle_waiting_ || kick_);
  }
  void drive_own(Job& job, Ticket& ticket) noexcept;
  void drive_until(Ticket& ticket) noexcept;
  // Runs what is ready (handlers, due timers) without blocking.
  void poll_ready() noexcept;
  // After a post to ioc_ from another thread: a driver waiting on a socket
  // directly comes back to the reactor.
  void note_post() noexcept;
  void leave(bool internal) noexcept;
  void drive_for_others() noexcept;
  void drain() noexcept;
  void idle_loop();
  void link_asleep(Ticket& t) noexcept;
  void unlink_asleep(Ticket& t) noexcept;

  struct DrainHandler;

  // Only the driver touches sockets and timers (one thread at a time, the
  // role passed on under mu_ or through a Waiter), so Asio's per-descriptor
  // locking is pure cost; its scheduler stays locked, as other threads post.
  asio::io_context ioc_{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  Router* router_ = nullptr;

  // The role, taken by compare-and-swap; the same protocol as the
  // single-node lane's (runtime/src/sync/lane.hpp): anything a leaving
  // driver must act on sets attention_ under mu_ before it tries the role,
  // and a leaving driver clears driving_ before it reads attention_.
  std::atomic<bool> driving_{false};
  std::atomic<bool> attention_{false};
  std::atomic<std::uint64_t> activity_{0};  // bumped by every driver that leaves
  std::atomic<std::size_t> sleepers_{0};    // callers asleep (written under mu_)
  std::atomic<bool> stop_requested_{false};  // stopping_, for the driving internal thread
  std::atomic<std::uint64_t> handed_over_{0};
  std::atomic<std::uint64_t> internal_drives_{0};
  std::atomic<std::uint64_t> direct_waits_{0};

  // The direct wait's wake-up (see post_to_driver in runtime/src/sync/lane.cpp
  // for the same protocol): posts_ is bumped after every post from another
  // thread and direct_waiting_ read after that, while the driver sets
  // direct_waiting_ before it reads posts_ one last time: either the driver
  // sees the new count or the poster sees it waiting and signals wake_fd_.
  int wake_fd_ = -1;  // an eventfd; -1: no direct waits
  std::atomic<std::uint64_t> posts_{0};
  std::uint64_t posts_run_ = 0;  // by the driver: posts_ when it last polled
  std::atomic<bool> direct_waiting_{false};
  std::chrono::steady_clock::time_point reactor_ran_{};  // by the driver

  std::mutex mu_;
  bool stopping_ = false;
  bool kick_ = false;          // the internal thread takes the role once it is free
  bool idle_waiting_ = false;  // the internal thread waits for the role
  bool handed_ = false;        // a leaving caller passed the role to the internal thread
  bool drain_posted_ = false;
  Ticket* asleep_head_ = nullptr;
  Ticket* asleep_tail_ = nullptr;
  std::vector<Job*> inbox_;  // jobs of callers that found a driver
  std::vector<Job*> draining_;
  std::condition_variable idle_cv_;  // the internal thread sleeps here
  std::condition_variable stop_cv_;  // stop() waits here for the role
  // The one drain handler in flight lives here (asio::post from a thread
  // that does not run the context would allocate); free again once the
  // handler started, before it locks mu_.
  HandOffMemory drain_memory_;

  std::thread idle_thread_;
};

}  // namespace valkey::cluster
