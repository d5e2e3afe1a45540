#pragma once
/// \class valkey::AddressSource
/// Where a Connection's next attempt goes, asked before every attempt (the
/// first and each reconnect) instead of reusing the configured host and
/// port. The sentinel client is one; a Connection without a source connects
/// to Config::host/port as always.
///
/// A Config carries its source (Config::address_source) along to every
/// connection made from it or from its copies (the sync Client's connections,
/// leased connections for blocking commands, WATCH connections, a
/// Subscriber's).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include <valkey/config.hpp>

namespace valkey {

class Connection;

/// A node's address as an AddressSource gives it.
struct NodeAddress {
  /// The node's host name or IP address.
  std::string host;
  /// The node's port.
  std::uint16_t port = 0;
  /// What ROLE must report there ("master", "slave"); empty: no check.
  std::string role;
  /// The source's moves() count when it gave this address.
  std::uint64_t epoch = 0;
  friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
  /// "host:port".
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

class AddressSource {
 public:
  virtual ~AddressSource() = default;
  /// The completion of resolve(). ec empty: connect to `address`. Otherwise
  /// the attempt fails with ec, and `why` says why in words (never a password).
  using Resolved = std::function<void(std::error_code ec, NodeAddress address, std::string why)>;

  /// Called on the connection's executor before each attempt. `done` must run
  /// on that executor, never inside this call.
  virtual void resolve(const std::shared_ptr<Connection>& conn, Resolved done) = 0;
  /// A counter bumped whenever connections should leave the node they are on
  /// (a failover): a connection that resolved under an older count is reset
  /// before it writes the next request. nullptr: never.
  virtual const std::atomic<std::uint64_t>* moves() const noexcept { return nullptr; }
  /// A connection made from a Config carrying this source; any thread.
  virtual void attach(const std::shared_ptr<Connection>&) {}
  /// The connection got a READONLY or -REDIRECT error reply (it reached a
  /// replica, or its node was demoted): on its executor.
  virtual void on_readonly(Connection&) {}
  /// The handshake found another role at `address` than it said: on the
  /// connection's executor, before the connection waits and asks again.
  virtual void on_wrong_role(const NodeAddress& /*address*/) {}
};

}  // namespace valkey
