#pragma once
// valkey::cluster::CacheRead: what a read through the client-side cache adds
// to its cluster job (internal; the cluster clients' cached(), cluster/cached.hpp).
//
// The router sends the job's first attempt framed: in one write on the
// connection to the read's slot owner (a primary, whatever read_from says),
//   OPTIN:  CLIENT CACHING YES, the read, [PTTL key]
//   BCAST:  the read, [PTTL key]
// so the connection that runs the read is the one the server tracks it on.
// The replies around the read's go to frame_node(); the nodes of the read's
// own reply are recorded (read_node()) while its decoder reads them. Once the
// job's reply decoded without error, commit() offers the recorded bytes to
// the store under the ticket taken before the write (the in-flight rule of
// CacheStore). An attempt after a MOVED or ASK goes plain (no frame) and
// nothing is stored: the router flushed the store at the redirection anyway.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <valkey/cache/read.hpp>
#include <valkey/cache/store.hpp>
#include <valkey/resp/node.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey::cluster {

class CacheRead {
 public:
  // `request`: the read as encoded (the entry's identity); `key`: its key.
  CacheRead(CacheStore& store, CacheStore::ReadTicket ticket, std::string_view request, std::string_view key,
            std::chrono::milliseconds ttl)
      : store_(store), ticket_(std::move(ticket)), request_(request), ttl_(ttl) {
    const CacheConfig& c = store.config();
    const cache_detail::ReadFrame frame{c.mode == CacheMode::optin, c.server_ttl, key};
    before_ = frame.optin ? 1u : 0u;
    after_ = frame.pttl ? 1u : 0u;
    resp::Writer w(framed_);
    frame.write(w, request_);
  }
  CacheRead(const CacheRead&) = delete;
  CacheRead& operator=(const CacheRead&) = delete;

  // The bytes of a framed attempt, and the replies it adds before and after
  // the read's.
  std::string_view framed() const noexcept { return framed_; }
  std::uint32_t before() const noexcept { return before_; }
  std::uint32_t after() const noexcept { return after_; }

  // A framed attempt starts: what an earlier one recorded is forgotten.
  void start() noexcept {
    reply_.clear();
    pttl_ms_ = -1;
    keep_ = true;
  }
  // A node of reply `index` of the attempt (0-based, the read's is before()).
  void frame_node(std::uint32_t index, const resp::Node& n) noexcept {
    if (index < before_) {
      if (resp::is_error(n.type)) keep_ = false;  // tracking is not on: the read is not tracked
    } else if (n.depth == 0) {
      if (n.type == resp::Type::integer) pttl_ms_ = n.integer;
      else keep_ = false;
    }
  }
  // A node of the read's reply (one that is not an error).
  void read_node(const resp::Node& n) { cache_detail::record_node(reply_, n); }

  // The framed attempt's reply decoded: stores it unless the key was
  // invalidated (or the store flushed) since the ticket was taken.
  CacheInsert commit() {
    if (!keep_ || reply_.empty() || !ticket_.tracked()) return CacheInsert::untracked;
    CacheEntryLimits limits;
    limits.ttl = ttl_;
    // -1: no TTL; -2: no key (the read answered nil; tracked all the same).
    if (after_ != 0 && pttl_ms_ >= 0) limits.server_deadline = ticket_.started() + std::chrono::milliseconds(pttl_ms_);
    return store_.complete_read(std::move(ticket_), request_, reply_, limits);
  }

 private:
  CacheStore& store_;
  CacheStore::ReadTicket ticket_;
  std::string request_;
  std::string framed_;
  std::string reply_;
  std::chrono::milliseconds ttl_;
  std::int64_t pttl_ms_ = -1;
  std::uint32_t before_ = 0;
  std::uint32_t after_ = 0;
  bool keep_ = true;
};

}  // namespace valkey::cluster
