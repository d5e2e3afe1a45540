#pragma once
// One question and its answers on a connection of its own: the sentinel
// client asks sentinels (and checks a node's ROLE) this way, never on a
// connection that carries user requests.
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <asio/any_io_executor.hpp>

#include <valkey/config.hpp>
#include <valkey/export.hpp>
#include <valkey/reply.hpp>

namespace valkey {
class Connection;
}

namespace valkey::sentinel {

// ec empty: one Reply per command (error replies included, as Reply errors).
// Otherwise the connection failed: `why` says how (never a password).
using QueryDone = std::function<void(std::error_code ec, std::vector<Reply> replies, std::string why)>;

// Connects to config.host:port (one attempt, no reconnect), sends
// `commands` in one write, and calls `done` on `ex` once, never inside this
// call. The whole exchange is bounded by config.connect_timeout (twice it:
// once to connect, once to answer). Returns the connection, so that the
// caller can close it early (done then gets connection_closed).
VALKEY_CPP_EXPORT std::shared_ptr<Connection> query(asio::any_io_executor ex, Config config,
                                  const std::vector<std::vector<std::string>>& commands, QueryDone done);

}  // namespace valkey::sentinel
