// LeasePool and BlockingClient: dedicated connections for blocking commands.
#include <valkey/lease.hpp>

#include <algorithm>

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
  if (!reusable || closed_ || idle_.size() >= max_idle_ || conn->state() != ConnectionState::ready) {
    conn->close();
    return;
  }
  idle_.push_back(std::move(conn));
}

void LeasePool::close() {
  closed_ = true;
  idle_.clear();
  for (auto& w : all_)
    if (auto c = w.lock()) c->close();
  all_.clear();
}

namespace detail {

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

// The lease settings, except that an idle dedicated Client reconnects and
// lets requests wait for it (by the base settings): it has its own thread,
// so a connection the server dropped while it sat in the pool is revived
// instead of failing the next blocking call. A connection lost during a call
// still fails that call, and the client is then dropped, not reused.
Config sync_lease_config(Config base) {
  Config c = LeasePool::lease_config(base);
  c.reconnect = base.reconnect;
  c.when_disconnected = base.when_disconnected;
  return c;
}

}  // namespace

SyncBlockingClient::SyncBlockingClient(Config config, std::size_t max_idle)
    : config_(sync_lease_config(std::move(config))), max_idle_(max_idle) {}

SyncBlockingClient::~SyncBlockingClient() { close(); }

void SyncBlockingClient::run(detail::SyncOpBase& op) {
  std::unique_ptr<Client> c;
  try {
    c = acquire();
  } catch (const Error& e) {  // no dedicated connection could be opened
    // Keep the reason; the caller's message names the endpoint itself.
    std::string why = e.what();
    const std::string lead = "cannot connect to " + config_.endpoint() + ": ";
    if (why.rfind(lead, 0) == 0) why.erase(0, lead.size());
    return op.fail_unsent(e.code(), std::move(why));
  }
  // The borrowed client must not lease again: it is the dedicated one.
  op.flags = static_cast<CommandFlag>(static_cast<std::uint32_t>(op.flags) &
                                      ~static_cast<std::uint32_t>(CommandFlag::blocking));
  try {
    c->run(op);
  } catch (...) {
    release(std::move(c), true);  // encoding failed: nothing was sent
    throw;
  }
  release(std::move(c), detail::lease_reusable(op.transport_error()));
}

std::unique_ptr<Client> SyncBlockingClient::acquire() {
  std::unique_ptr<Client> c;
  {
    std::lock_guard lock(mu_);
    if (closed_) throw Error(make_error_code(errc::connection_closed));
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
      leased_.push_back(c.get());
      return c;
    }
    ++opened_;
  }
  c = std::make_unique<Client>(config_);  // connects outside the lock
  std::lock_guard lock(mu_);
  if (closed_) throw Error(make_error_code(errc::connection_closed));
  leased_.push_back(c.get());
  return c;
}

void SyncBlockingClient::release(std::unique_ptr<Client> c, bool reusable) {
  std::unique_lock lock(mu_);  // also waits for a close() in progress
  std::erase(leased_, c.get());
  if (reusable && !closed_ && idle_.size() < max_idle_) {
    idle_.push_back(std::move(c));
    return;
  }
  lock.unlock();
  c.reset();  // its connection closes
}

void SyncBlockingClient::close() {
  std::vector<std::unique_ptr<Client>> idle;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    idle.swap(idle_);
    // A leased client is closed while its borrower is blocked in it: the
    // call fails with connection_closed, and the borrower's release() waits
    // for this lock, so the client is not destroyed under close().
    for (Client* c : leased_) c->close();
  }
}

std::size_t SyncBlockingClient::opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

std::size_t SyncBlockingClient::idle() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

}  // namespace valkey
