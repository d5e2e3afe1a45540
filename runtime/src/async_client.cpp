#include <valkey/async_client.hpp>

namespace valkey {

AsyncClient::AsyncClient(executor_type ex, Config config)
    : conn_(Connection::create(std::move(ex), std::move(config))) {
  // Start on the executor: the constructor may run on another thread.
  asio::dispatch(conn_->get_executor(), [c = conn_] { c->start(); });
}

AsyncClient::AsyncClient(executor_type ex, std::string_view url)
    : AsyncClient(std::move(ex), Config::from_url(url)) {}

AsyncClient::~AsyncClient() { close(); }

AsyncClient& AsyncClient::operator=(AsyncClient&& other) noexcept {
  if (this != &other) {
    close();
    conn_ = std::move(other.conn_);
    leases_ = std::move(other.leases_);
  }
  return *this;
}

void AsyncClient::close() {
  if (conn_) conn_->close();
  if (leases_) leases_->close();  // blocking calls in progress fail with connection_closed
}

std::shared_ptr<LeasePool> AsyncClient::leases() {
  if (!leases_) {
    leases_ = std::make_shared<LeasePool>(conn_->get_executor(), conn_->config());
    if (conn_->state() == ConnectionState::closed) leases_->close();
  }
  return leases_;
}

}  // namespace valkey
