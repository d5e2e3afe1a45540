#include <valkey/client.hpp>

#include <new>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>

namespace valkey {

// ------------------------------------------------------------------ waiter

namespace detail {

void Waiter::wait() noexcept {
  // A short spin first: replies on loopback often arrive within microseconds,
  // and a futex sleep/wake pair costs more than that.
  for (int i = 0; i < 64; ++i) {
    if (done.load(std::memory_order_acquire)) break;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  while (!done.load(std::memory_order_acquire)) done.wait(0, std::memory_order_acquire);
  done.store(0, std::memory_order_relaxed);
}

void Waiter::signal() noexcept {
  // The Waiter outlives the request (it is thread_local), so notifying after
  // the store is safe even if the caller already returned.
  done.store(1, std::memory_order_release);
  done.notify_one();
}

Waiter& Waiter::mine() noexcept {
  thread_local Waiter w;
  return w;
}

}  // namespace detail

// The allocator of the one drain handler in flight: its storage is a member
// of the Client, so handing requests to the I/O thread never allocates.
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

}  // namespace

// ------------------------------------------------------------------ client

Client::Client(std::string_view url) : Client(Config::from_url(url)) {}

Client::Client(Config config) : config_(std::move(config)) {
  conn_ = Connection::create(ioc_.get_executor(), config_);
  io_thread_ = std::thread([this] {
    auto work = asio::make_work_guard(ioc_);
    ioc_.run();
  });
  // The first PING carries the first handshake's outcome.
  struct FirstPing final : detail::SyncOpBase {
    using SyncOpBase::SyncOpBase;
    Connection* conn = nullptr;
    std::string why;
    void on_node(const resp::Node&) override {}
    void on_reply_end() override {}
    void on_complete(std::error_code ec) override {
      if (ec) why = conn->last_error();
      SyncOpBase::on_complete(ec);
    }
  };
  FirstPing op{{nullptr, [](const void*, resp::Writer& w) {
                  w.begin_command(1);
                  w.arg(std::string_view{"PING"});
                }}};
  op.conn = conn_.get();
  run(op);
  if (auto ec = op.transport_error()) {
    close();
    std::string what = "cannot connect to " + config_.endpoint();
    if (!op.why.empty()) what += ": " + op.why;
    throw Error(ec, what);
  }
}

Client::~Client() { close(); }

void Client::close() {
  {
    std::lock_guard lk(mu_);
    if (closed_) return;
    closed_ = true;
  }
  if (io_thread_.joinable()) {
    asio::post(ioc_, [this] {
      drain();  // hand over what is already queued, so it fails cleanly
      conn_->close();
      ioc_.stop();
    });
    io_thread_.join();
  }
  conn_.reset();
}

Connection::Stats Client::stats() const {
  // Read on the I/O thread: the counters are not atomic.
  {
    std::lock_guard lk(mu_);
    if (closed_ || !conn_) return {};
  }
  Connection::Stats out;
  detail::Waiter& w = detail::Waiter::mine();
  asio::post(const_cast<asio::io_context&>(ioc_), [&] {
    out = conn_->stats();
    w.signal();
  });
  w.wait();
  return out;
}

void Client::run(detail::SyncOpBase& op) {
  if (auto t = config_.request_timeout; t.count() > 0) op.deadline = RequestBase::clock::now() + t;
  bool post = false;
  {
    std::unique_lock lk(mu_);
    if (closed_) {
      lk.unlock();
      op.on_complete(make_error_code(errc::connection_closed));
      op.wait();
      return;
    }
    const std::size_t begin = inbox_bytes_.size();
    try {
      resp::Writer w(inbox_bytes_);
      op.encoder()(w);
    } catch (...) {
      inbox_bytes_.resize(begin);
      throw;
    }
    inbox_.push_back({&op, begin, inbox_bytes_.size()});
    if (!drain_posted_) drain_posted_ = post = true;
  }
  if (post) post_drain();
  op.wait();
}

void Client::post_drain() { asio::post(ioc_, DrainHandler{this, &Client::drain}); }

// On the I/O thread: moves what the callers queued into the connection, as
// one batch (one write).
void Client::drain() {
  {
    std::lock_guard lk(mu_);
    drain_posted_ = false;
    drain_bytes_.swap(inbox_bytes_);
    draining_.swap(inbox_);
  }
  if (draining_.empty()) return;
  conn_->hold_writes();
  for (const Inbox& in : draining_) {
    std::string_view bytes{drain_bytes_.data() + in.begin, in.end - in.begin};
    if (auto ec = conn_->submit_encoded(*in.op, bytes)) in.op->on_complete(ec);
  }
  draining_.clear();
  drain_bytes_.clear();
  conn_->release_writes();
}

std::error_code Client::outcome(const detail::SyncOpBase& op, const adapt::ResponseBase& v, Diagnostics* diag) {
  std::error_code ec = op.transport_error();
  if (!ec) ec = v.error_code();
  if (diag) {
    if (ec == errc::server_error) diag->server_message = v.server_message();
    else diag->server_message.clear();
  }
  return ec;
}

void Client::throw_error(const detail::SyncOpBase& op, const adapt::ResponseBase& v) {
  if (auto ec = op.transport_error()) throw Error(ec);
  if (v.error_code() == errc::server_error) throw ServerError(v.server_message());
  throw Error(v.error_code());
}

Reply Client::call(Strings args) {
  struct Ctx {
    Strings args;
  } ctx{args};
  detail::SyncOp<Reply> op{{&ctx, [](const void* c, resp::Writer& w) {
                              const Strings& a = static_cast<const Ctx*>(c)->args;
                              w.begin_command(a.size());
                              a.for_each([&](std::string_view s) { w.arg(s); });
                            }}};
  run(op);
  throw_if_failed(op, op.visitor());
  return op.visitor().take();
}

Reply Client::call(Strings args, std::error_code& ec) {
  Diagnostics* none = nullptr;
  struct Ctx {
    Strings args;
  } ctx{args};
  detail::SyncOp<Reply> op{{&ctx, [](const void* c, resp::Writer& w) {
                              const Strings& a = static_cast<const Ctx*>(c)->args;
                              w.begin_command(a.size());
                              a.for_each([&](std::string_view s) { w.arg(s); });
                            }}};
  run(op);
  ec = outcome(op, op.visitor(), none);
  return ec ? Reply{} : op.visitor().take();
}

Reply Client::call(Strings args, std::error_code& ec, Diagnostics& diag) {
  struct Ctx {
    Strings args;
  } ctx{args};
  detail::SyncOp<Reply> op{{&ctx, [](const void* c, resp::Writer& w) {
                              const Strings& a = static_cast<const Ctx*>(c)->args;
                              w.begin_command(a.size());
                              a.for_each([&](std::string_view s) { w.arg(s); });
                            }}};
  run(op);
  ec = outcome(op, op.visitor(), &diag);
  return ec ? Reply{} : op.visitor().take();
}

}  // namespace valkey
