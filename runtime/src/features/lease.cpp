// LeasePool and BlockingClient: dedicated connections for blocking commands.
#include <valkey/lease.hpp>

#include <algorithm>

#include <asio/io_context.hpp>

namespace valkey {

Config LeasePool::lease_config(Config base) {
  base.health_check_interval = std::chrono::milliseconds{0};  // would kill a long BLPOP
  base.request_timeout = std::chrono::milliseconds{0};        // the command's own timeout rules
  base.reconnect.enabled = false;                             // a lost lease is dropped, not revived
  base.when_disconnected = DisconnectedPolicy::fail;
  return base;
}

LeasePool::LeasePool(asio::any_io_executor ex, Config config, std::size_t max_idle)
    : ex_(std::move(ex)), config_(lease_config(std::move(config))), max_idle_(max_idle) {}

LeasePool::~LeasePool() { close(); }

std::shared_ptr<Connection> LeasePool::acquire() {
  // A closed pool still hands out (closed) connections: the call fails with
  // connection_closed, which says more than the bound would.
  if (!closed_ && config_.max_leases != 0 && leased_ >= config_.max_leases) return nullptr;
  ++leased_;
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    auto s = c->state();
    if (s == ConnectionState::ready || s == ConnectionState::connecting || s == ConnectionState::handshaking) return c;
    c->close();
  }
  auto c = Connection::create(ex_, config_);
  ++opened_;
  std::erase_if(all_, [](const std::weak_ptr<Connection>& w) { return w.expired(); });
  all_.push_back(c);
  if (closed_) c->close();  // requests fail with connection_closed
  return c;
}

void LeasePool::release(std::shared_ptr<Connection> conn, bool reusable) {
  if (!conn) return;
  if (leased_ > 0) --leased_;
  if (!reusable || closed_ || idle_.size() >= max_idle_ || conn->state() != ConnectionState::ready) {
    conn->close();
    return;
  }
  idle_.push_back(std::move(conn));
}

std::string LeasePool::refusal() const { return detail::lease_refusal(config_.max_leases); }

Connection& LeasePool::refusals() {
  if (!refusals_) {
    Config c = config_;
    c.address_source = nullptr;  // never opened: nothing to resolve or follow
    refusals_ = Connection::create(ex_, std::move(c));
  }
  return *refusals_;
}

void LeasePool::close() {
  closed_ = true;
  idle_.clear();
  if (refusals_) refusals_->close();
  for (auto& w : all_)
    if (auto c = w.lock()) c->close();
  all_.clear();
}

namespace detail {

std::string lease_refusal(std::size_t max_leases) {
  return std::to_string(max_leases) + " blocking calls hold a leased connection already, the bound set by " +
         "Config::max_leases; nothing was sent";
}

bool lease_reusable(std::error_code ec) noexcept {
  // A server error reply or a decode mismatch leave the connection in sync;
  // a cancelled or timed-out request may still be blocked server-side.
  return !ec || ec == errc::server_error || ec == errc::unexpected_reply_type || ec == errc::unexpected_null ||
         ec == errc::invalid_number;
}

}  // namespace detail

BlockingClient::BlockingClient(AsyncClient& c, std::size_t max_idle)
    : BlockingClient(c.get_executor(), c.config(), max_idle) {}

BlockingClient::BlockingClient(asio::any_io_executor ex, Config config, std::size_t max_idle)
    : pool_(std::make_shared<LeasePool>(std::move(ex), std::move(config), max_idle)) {}

BlockingClient::~BlockingClient() {
  if (pool_) pool_->close();
}

}  // namespace valkey

namespace valkey {

SyncBlockingClient::SyncBlockingClient(const Client& db, std::size_t max_idle)
    : SyncBlockingClient(db.config(), max_idle) {}

namespace {

// The lease settings, except that an idle leased connection reconnects and
// lets requests wait for it (by the base settings): a connection the server
// dropped while it sat in the pool is noticed when it is taken out and
// revived, instead of failing the next blocking call. A connection lost
// during a call still fails that call, and is then dropped, not reused.
Config sync_lease_config(Config base) {
  Config c = LeasePool::lease_config(base);
  c.reconnect = base.reconnect;
  c.when_disconnected = base.when_disconnected;
  return c;
}

}  // namespace

// One dedicated connection and the io_context it runs on. Only the thread
// that borrowed it drives it (or the one destroying it), so the context
// skips Asio's per-descriptor locking, as the Client's does.
class SyncBlockingClient::Lease {
 public:
  explicit Lease(const Config& config) : conn_(Connection::create(ioc_.get_executor(), config)) {
    conn_->set_single_reactor(true);
    conn_->start();
  }
  ~Lease() {
    conn_->close();
    drive_ready();  // the close and the completions it posts
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  Connection& connection() noexcept { return *conn_; }

  // Runs what is ready without waiting: an idle connection notices a peer
  // that closed it (and starts reconnecting) before a request is written.
  void drive_ready() {
    ioc_.restart();
    ioc_.poll();
  }

  // Drives the connection on this thread until `op` completed.
  void drive_until_done(detail::SyncOpBase& op) {
    while (!op.done_) {
      if (ioc_.run_one() == 0) {
        // Nothing left to wait for, yet `op` is pending: cannot happen while
        // the connection holds it, but never hang on it.
        ioc_.restart();
        if (!op.done_) {
          conn_->close();
          drive_ready();
        }
      }
    }
  }

  // From any thread: the borrower's call fails with connection_closed.
  void close() { conn_->close(); }

 private:
  asio::io_context ioc_{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::shared_ptr<Connection> conn_;  // destroyed before ioc_, whose handlers may still hold it
};

SyncBlockingClient::SyncBlockingClient(Config config, std::size_t max_idle)
    : config_(sync_lease_config(std::move(config))), max_idle_(max_idle) {}

SyncBlockingClient::~SyncBlockingClient() { close(); }

void SyncBlockingClient::run(detail::SyncOpBase& op) {
  std::unique_ptr<Lease> l;
  try {
    l = acquire();
  } catch (const Error& e) {  // closed
    return op.fail_unsent(e.code());
  }
  if (!l) return op.fail_unsent(make_error_code(errc::queue_full), detail::lease_refusal(config_.max_leases));
  // The leased connection must not lease again: it is the dedicated one.
  op.flags = static_cast<CommandFlag>(static_cast<std::uint32_t>(op.flags) &
                                      ~static_cast<std::uint32_t>(CommandFlag::blocking));
  op.lane_ = nullptr;
  op.source_ = &l->connection();
  std::error_code ec;
  try {
    l->drive_ready();
    ec = l->connection().submit(op, op.encoder());
  } catch (...) {
    release(std::move(l), !op.active());  // encoding failed: nothing was sent
    throw;
  }
  if (ec) {
    op.fail_unsent(ec, l->connection().last_error());
  } else {
    try {
      l->drive_until_done(op);
    } catch (...) {
      // A decoder threw while reading: drop the connection, finish `op`.
      l->close();
      l->drive_until_done(op);
    }
  }
  release(std::move(l), detail::lease_reusable(op.transport_error()));
}

std::unique_ptr<SyncBlockingClient::Lease> SyncBlockingClient::acquire() {
  std::lock_guard lock(mu_);
  if (closed_) throw Error(make_error_code(errc::connection_closed));
  if (config_.max_leases != 0 && leased_.size() >= config_.max_leases) return nullptr;  // the bulkhead
  std::unique_ptr<Lease> l;
  if (!idle_.empty()) {
    l = std::move(idle_.back());
    idle_.pop_back();
  } else {
    l = std::make_unique<Lease>(config_);  // connects when first driven
    ++opened_;
  }
  leased_.push_back(l.get());
  return l;
}

void SyncBlockingClient::release(std::unique_ptr<Lease> l, bool reusable) {
  std::unique_lock lock(mu_);  // also waits for a close() in progress
  std::erase(leased_, l.get());
  if (reusable && !closed_ && idle_.size() < max_idle_) {
    idle_.push_back(std::move(l));
    return;
  }
  lock.unlock();
  l.reset();  // its connection closes
}

void SyncBlockingClient::close() {
  std::vector<std::unique_ptr<Lease>> idle;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    idle.swap(idle_);
    // A leased connection is closed while its borrower drives it: the call
    // fails with connection_closed, and the borrower's release() waits for
    // this lock, so the lease is not destroyed under close().
    for (Lease* l : leased_) l->close();
  }
}

std::size_t SyncBlockingClient::opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

std::size_t SyncBlockingClient::leased() const {
  std::lock_guard lock(mu_);
  return leased_.size();
}

std::size_t SyncBlockingClient::idle() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

}  // namespace valkey
