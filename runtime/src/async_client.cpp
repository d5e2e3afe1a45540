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
  }
  return *this;
}

void AsyncClient::close() {
  if (conn_) conn_->close();
}

}  // namespace valkey
