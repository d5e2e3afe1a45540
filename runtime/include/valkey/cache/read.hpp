#pragma once
/// \file
/// How a cached read travels (internal to the cached command surface,
/// cached.hpp): the bytes it writes, the decoder that reads its replies and
/// hands the read's reply to the store, and the replay of a stored reply into
/// a C++ value.
///
/// On the wire, one request (one write, so nothing can come between):
/// \code{.unparsed}
///   OPTIN:  CLIENT CACHING YES, the read, [PTTL key]
///   BCAST:  the read, [PTTL key]
/// \endcode
/// PTTL (CacheConfig::server_ttl) bounds the entry by the key's TTL.
///
/// The reply's bytes are recorded while its nodes are decoded: each node is
/// written back as RESP (record_node), which for a RESP3 reply gives the bytes
/// the server sent. No hook in the read path is needed, and the request's
/// decoder sees the nodes exactly as for an uncached read.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <valkey/adapt/response.hpp>
#include <valkey/cache/store.hpp>
#include <valkey/command.hpp>
#include <valkey/exec/decoders.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/export.hpp>
#include <valkey/resp/node.hpp>
#include <valkey/resp/parser.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey::cache_detail {

/// Appends `n` as RESP3 (the inverse of the parser, node by node).
VALKEY_CPP_EXPORT void record_node(std::string& out, const resp::Node& n);

/// The first key of a command (cacheable commands have exactly one).
template <class Cmd>
std::string_view key_of(const Cmd& cmd) {
  std::string_view key;
  bool seen = false;
  auto take = [&](std::string_view k) {
    if (!seen) key = k;
    seen = true;
  };
  KeyCallback cb(take);
  for_each_key(cmd, cb);
  return key;
}

/// Decodes a stored reply into `out` with the decoder an uncached read uses.
/// False when the bytes do not decode as T (the caller then reads from the
/// server, which reports the error the usual way).
template <class T>
bool replay(std::string_view bytes, T& out) {
  adapt::ResponseVisitor<T> v;
  resp::Parser parser;
  std::error_code ec;
  const std::size_t used = parser.consume(bytes, v, ec);
  if (ec || used != bytes.size() || !parser.message_complete()) return false;
  if (v.error_code()) return false;
  out = v.take();
  return true;
}

/// Writes the commands of one cached read around the read's own encoding.
struct ReadFrame {
  bool optin = false;
  bool pttl = false;
  std::string_view key;

  std::uint32_t replies() const noexcept { return 1u + (optin ? 1u : 0u) + (pttl ? 1u : 0u); }
  void write(resp::Writer& w, std::string_view read) const {
    if (optin) w.buffer().append("*3\r\n$6\r\nCLIENT\r\n$7\r\nCACHING\r\n$3\r\nYES\r\n");
    w.buffer().append(read);
    if (pttl) {
      w.begin_command(2);
      w.arg(std::string_view{"PTTL"});
      w.arg(key);
    }
  }
};

/// What a tracked read hands to the store when its replies are in.
struct Insert {
  CacheStore* store = nullptr;
  CacheStore::ReadTicket ticket;
  std::string owned;        ///< the request's bytes, when the caller's frame does not outlive the read
  std::string_view request;
  std::chrono::milliseconds ttl{0};
};

/// The decoder of a cached read: the read's reply goes to SingleReply<T> and
/// is recorded; CLIENT CACHING's +OK and PTTL's integer are taken apart. At
/// finish() the recorded reply is offered to the store (which refuses it if
/// the key was invalidated meanwhile).
template <class T>
class CachedRead {
 public:
  using result_type = T;
  explicit CachedRead(std::uint32_t = 1) noexcept {}

  void arm(const ReadFrame& frame, Insert insert) {
    optin_ = frame.optin;
    pttl_ = frame.pttl;
    insert_ = std::move(insert);
    if (!insert_.owned.empty()) insert_.request = insert_.owned;
  }

  void on_node(const resp::Node& n) {
    const std::uint32_t read_at = optin_ ? 1 : 0;
    if (index_ == read_at) {
      read_.on_node(n);
      if (n.depth == 0 && resp::is_error(n.type)) keep_ = false;
      if (keep_) record_node(reply_, n);
    } else if (index_ < read_at) {
      if (resp::is_error(n.type)) keep_ = false;  // tracking is not on: the read is not tracked
    } else if (n.depth == 0) {
      if (n.type == resp::Type::integer) pttl_ms_ = n.integer;
      else keep_ = false;
    }
  }
  void on_reply_end() {
    if (index_ == (optin_ ? 1u : 0u)) read_.on_reply_end();
    ++index_;
  }

  std::error_code finish(T& out, exec::Reason& why) {
    const std::error_code ec = read_.finish(out, why);
    if (!ec && keep_ && insert_.store && insert_.ticket.tracked()) {
      CacheEntryLimits limits;
      limits.ttl = insert_.ttl;
      // -1: no TTL; -2: no key (the read answered nil; tracked all the same).
      if (pttl_ && pttl_ms_ >= 0) limits.server_deadline = insert_.ticket.started() + std::chrono::milliseconds(pttl_ms_);
      last_ = insert_.store->complete_read(std::move(insert_.ticket), insert_.request, reply_, limits);
    }
    return ec;
  }
  void reset() {
    read_.reset();
    reply_.clear();
    index_ = 0;
    pttl_ms_ = -1;
    keep_ = true;
  }
  CacheInsert last() const noexcept { return last_; }

 private:
  exec::SingleReply<T> read_;
  std::string reply_;
  Insert insert_;
  std::int64_t pttl_ms_ = -1;
  std::uint32_t index_ = 0;
  bool optin_ = false;
  bool pttl_ = false;
  bool keep_ = true;
  CacheInsert last_ = CacheInsert::untracked;
};

}  // namespace valkey::cache_detail
