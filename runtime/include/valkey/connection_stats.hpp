#pragma once
/// \struct valkey::ConnectionStats
/// A connection's counters, for tests and metrics (Connection::stats(),
/// Client::stats() sums them over its connections). Apart from connection.hpp
/// so that the synchronous Client's header needs no Asio header.
#include <cstdint>

namespace valkey {

struct ConnectionStats {
  std::uint64_t writes = 0;  ///< async_write calls (batches)
  /// Requests written to the socket.
  std::uint64_t requests_written = 0;
  /// Reads from the socket.
  std::uint64_t reads = 0;
  std::uint64_t connects = 0;  ///< successful handshakes
  std::uint64_t pings = 0;     ///< health-check PINGs sent
  /// Sync Client only: times its idle thread was woken (by a timer, a hang-up,
  /// or a caller that left work behind); 0 for other owners.
  std::uint64_t idle_wakes = 0;
};

}  // namespace valkey
