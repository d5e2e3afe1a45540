#pragma once
// Cluster error replies that tell the client where to go or when to come
// back. All of them mean the command did not run on that node, so sending it
// again (elsewhere, or later) never runs a write twice.
//
//   MOVED <slot> <host>:<port>   the slot lives elsewhere now: update the map, resend
//   ASK <slot> <host>:<port>     this one request: ASKING + command at that node
//   TRYAGAIN                     a multi-key command during a slot migration: back off
//   CLUSTERDOWN                  the cluster cannot serve the slot: back off, refresh
//   LOADING                      the node is loading its dataset: back off
//   MASTERDOWN                   a replica lost its primary: back off
//   READONLY                     a write reached a replica (a demoted primary): refresh
#include <cstdint>
#include <string_view>

#include <valkey/export.hpp>

namespace valkey::cluster {

enum class ClusterError : std::uint8_t {
  none,  // not a cluster condition (or not an error reply's text)
  moved,
  ask,
  tryagain,
  clusterdown,
  loading,
  masterdown,
  readonly,
};
VALKEY_CPP_EXPORT std::string_view to_string(ClusterError e) noexcept;

// By the first word of an error reply's text (without the leading '-').
VALKEY_CPP_EXPORT ClusterError classify_error(std::string_view message) noexcept;

struct Redirect {
  enum class Kind : std::uint8_t { moved, ask };
  Kind kind = Kind::moved;
  std::uint16_t slot = 0;
  // Without brackets for IPv6 ("::1"). Empty: the target has no endpoint
  // the server can name (":port" with cluster-preferred-endpoint-type
  // unknown-endpoint, "?:port" when host names are preferred but unset): use
  // the host the request was sent to, or the topology's node on that port.
  std::string_view host;
  std::uint16_t port = 0;
};

// Parses "MOVED 3999 127.0.0.1:6381", "ASK 3999 [::1]:7000", "MOVED 3999
// ::1:7000", "MOVED 3999 node-1.example:7000", "MOVED 3999 :7000", "MOVED
// 3999 ?:7000". Returns
// false for anything else (slot past 16383, port 0 or past 65535, missing
// port, extra words), with the reason in *why (static text). `out.host`
// views into `message`.
VALKEY_CPP_EXPORT bool parse_redirect(std::string_view message, Redirect& out, std::string_view* why = nullptr) noexcept;

// Splits "host:port", "[v6]:port" or "v6:port" (the last ':' separates the
// port). Used for redirects and seed lists.
VALKEY_CPP_EXPORT bool parse_host_port(std::string_view text, std::string_view& host, std::uint16_t& port,
                     std::string_view* why = nullptr) noexcept;

}  // namespace valkey::cluster
