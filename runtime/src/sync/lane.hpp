#pragma once
// One connection of a sync valkey::Client and the leader/follower scheme that
// drives it (docs/runtime.md): a calling thread that finds nobody driving the
// connection drives it itself — it writes its request and reads the reply on
// its own thread, with no hand-off — and any thread that calls meanwhile
// queues its request and sleeps until its reply came or it is handed the
// driver's role. An internal thread drives when there is work and no caller
// to do it (health checks, reconnects, requests whose callers gave up, a peer
// that closes the idle connection); it never polls, and a caller that leaves
// nothing behind does not wake it.
//
// A Client owns one lane or a few (Config::max_connections): threads that
// call at the same time each find a lane nobody else uses, so they rarely
// wait on each other.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <valkey/config.hpp>
#include <valkey/connection.hpp>
#include <valkey/exec/sync.hpp>

namespace valkey::detail {

class SyncLane {
 public:
  // Creates the connection and starts connecting; does not wait. `cache`:
  // the Client's client-side cache (Connection::set_cache), or null.
  explicit SyncLane(const Config& config, std::shared_ptr<CacheStore> cache = nullptr);
  ~SyncLane();  // close() and release the eventfd
  SyncLane(const SyncLane&) = delete;
  SyncLane& operator=(const SyncLane&) = delete;

  // Blocks until `op` completed (this thread may drive the I/O meanwhile).
  void run(SyncOpBase& op);
  // Closes for good: pending requests fail with connection_closed; joins the
  // idle thread. Idempotent; safe from any thread but a driving one.
  void close();
  Connection::Stats stats();

  // Callers inside run() right now (a hint for picking a lane).
  std::size_t callers() const noexcept { return callers_.load(std::memory_order_relaxed); }

  // Called by the driver for every request it completes (SyncOpBase).
  void completed(SyncOpBase& op) noexcept;

 private:
  void drive_until_done(SyncOpBase& op);
  void run_one() noexcept;
  void poll_ready() noexcept;
  void handler_failed(std::exception_ptr failure) noexcept;
  void release_driver();
  bool try_take_role() noexcept {
    bool free = false;
    return driving_.compare_exchange_strong(free, true);
  }
  // With mu_ held: whether a leaving driver must take the slow path.
  void update_attention() noexcept {
    attention_.store(asleep_head_ != nullptr || closed_ || idle_waiting_ || idle_kick_);
  }
  void drive_own(SyncOpBase& op);
  void give_up_role(std::unique_lock<std::mutex>& lk);
  bool has_work() const;
  bool publish_watch();
  void wake_idle() noexcept;
  short idle_sleep(int fd, Connection::clock::time_point due, bool data, bool recheck);
  void idle_loop();
  void drain_inbox(bool posted);
  void post_drain();
  template <class F>
  void post_to_driver(F&& f);
  void link_asleep(SyncOpBase& op) noexcept;
  void unlink_asleep(SyncOpBase& op) noexcept;

  struct Inbox {
    SyncOpBase* op;
    std::size_t begin, end;
  };
  template <class>
  friend struct DrainAllocator;
  friend struct DrainHandler;

  // The single posted drain handler lives here, not on the heap (declared
  // before ioc_, which may still hold it when destroyed).
  alignas(std::max_align_t) unsigned char drain_storage_[256];
  std::atomic<bool> drain_storage_used_{false};

  const Config& config_;  // the Client's
  // Only the driver touches the socket and timers (one thread at a time, the
  // role passed on under mu_ or through a Waiter), so Asio's per-descriptor
  // locking is pure cost; its scheduler stays locked, as other threads post.
  asio::io_context ioc_{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::shared_ptr<Connection> conn_;

  std::atomic<std::size_t> callers_{0};

  // The driver's role: taken by compare-and-swap of driving_, with or
  // without mu_. A caller that finds attention_ clear takes and gives back
  // the role without the lock (a sequential caller's whole path); everything
  // that needs a driver to act when it leaves (callers asleep, close(), the
  // idle thread waiting for the role, a kick) sets attention_ under mu_
  // first and then tries to take the role itself, while a leaving driver
  // clears driving_ first and then reads attention_: one of them always sees
  // the other (both sequentially consistent).
  std::atomic<bool> driving_{false};    // some thread runs ioc_ (only one at a time)
  std::atomic<bool> attention_{false};  // a leaving driver must take the slow path
  std::atomic<std::uint64_t> activity_{0};  // bumped whenever a driver gives up the role
  std::atomic<std::uint64_t> idle_wakes_{0};  // Connection::Stats::idle_wakes

  mutable std::mutex mu_;
  bool closed_ = false;
  bool close_finished_ = false;
  bool drain_posted_ = false;
  bool idle_kick_ = false;        // work for the idle thread: it takes the role
  bool idle_waiting_ = false;     // the idle thread sleeps until the role is given up
  // What the idle thread watches while nobody drives, as the last driver to
  // leave through the slow path (or the idle thread) saw the connection:
  // written under mu_ with the role held. A driver leaving through the fast
  // path checks generation against it (a reconnect it made itself must be
  // published); the health check can only move later.
  struct Watch {
    int fd = -1;
    std::uint64_t generation = ~std::uint64_t{0};  // none: no connection has it
    Connection::clock::time_point due = Connection::clock::time_point::max();
  } watch_;
  const bool watch_data_;  // a client-side cache: invalidations arrive on an idle connection
  SyncOpBase* asleep_head_ = nullptr;  // callers waiting, oldest first
  SyncOpBase* asleep_tail_ = nullptr;
  std::condition_variable idle_cv_;    // the idle thread waits here for the role
  std::condition_variable driver_cv_;  // close() waits here for the driver to leave
  std::string inbox_bytes_;        // encoded by threads that found a driver
  std::vector<Inbox> inbox_;
  std::string drain_bytes_;        // swapped in by the driver
  std::vector<Inbox> draining_;

  // A driving caller blocks in poll() on the socket (Connection::read_directly)
  // rather than in the reactor; handlers other threads post for it count in
  // posts_ and, while it waits there, ring wake_fd_ (an eventfd).
  int wake_fd_ = -1;
  int idle_fd_ = -1;  // an eventfd that wakes the idle thread from its poll()
  std::atomic<bool> direct_waiting_{false};
  std::atomic<std::uint64_t> posts_{0};
  std::uint64_t posts_run_ = 0;  // the driver's: posts_ as of its last ioc_.poll()

  std::thread idle_thread_;
};

}  // namespace valkey::detail
