#include <valkey/async_client.hpp>

#include <valkey/cache/client_hooks.hpp>
#include <valkey/sentinel/sentinel_service.hpp>

namespace valkey {

AsyncClient::AsyncClient(executor_type ex, Config config)
    : conn_(Connection::create(std::move(ex), std::move(config))),
      guard_(std::make_shared<policy::Guard>(conn_->config())),
      guard_configured_(guard_->configured()) {
  cache_ = cache_detail::make_store(conn_->config());
  if (cache_) conn_->set_cache(cache_);
  // Start on the executor: the constructor may run on another thread.
  asio::dispatch(conn_->get_executor(), [c = conn_] { c->start(); });
}

namespace {
// The sentinel service runs on the client's executor.
std::shared_ptr<sentinel::SentinelService> sentinel_for(const asio::any_io_executor& ex, SentinelConfig c) {
  return sentinel::SentinelService::create(std::move(c), ex);
}
}  // namespace

AsyncClient::AsyncClient(executor_type ex, std::string_view url)
    : AsyncClient(SentinelConfig::is_sentinel_url(url) ? AsyncClient(ex, SentinelConfig::from_url(url))
                                                       : AsyncClient(ex, Config::from_url(url))) {}

AsyncClient::AsyncClient(executor_type ex, SentinelConfig config)
    : AsyncClient(ex, Config{}, sentinel_for(ex, std::move(config))) {}

AsyncClient::AsyncClient(executor_type ex, Config config, std::shared_ptr<sentinel::SentinelService> sentinel)
    : AsyncClient(std::move(ex), sentinel ? sentinel->node_config() : std::move(config)) {
  sentinel_ = std::move(sentinel);
}

AsyncClient::~AsyncClient() { close(); }

AsyncClient& AsyncClient::operator=(AsyncClient&& other) noexcept {
  if (this != &other) {
    close();
    conn_ = std::move(other.conn_);
    cache_ = std::move(other.cache_);
    guard_ = std::move(other.guard_);
    guard_configured_ = other.guard_configured_;
    leases_ = std::move(other.leases_);
    sentinel_ = std::move(other.sentinel_);
  }
  return *this;
}

void AsyncClient::close() {
  if (conn_) conn_->close();
  if (leases_) leases_->close();  // blocking calls in progress fail with connection_closed
  if (sentinel_) sentinel_->shutdown();
}

std::shared_ptr<LeasePool> AsyncClient::leases() {
  if (!leases_) {
    leases_ = std::make_shared<LeasePool>(conn_->get_executor(), conn_->config());
    if (conn_->state() == ConnectionState::closed) leases_->close();
  }
  return leases_;
}

}  // namespace valkey
