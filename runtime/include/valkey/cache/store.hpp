#pragma once
/// \class valkey::CacheStore
/// The in-memory part of the client-side cache: cached replies by request,
/// grouped by key so the server's invalidations find them, with LRU eviction,
/// expiry and the in-flight rule. No I/O: the client feeds it replies,
/// invalidations and connection events.
///
/// What an entry holds. The identity of an entry is the request as the client
/// writes it (the RESP encoding of a cacheable command, e.g.
/// "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), so GET k, HGETALL k and LRANGE k 0 -1 are
/// separate entries of the same key. The value is the raw RESP bytes of the
/// reply, exactly as read from the socket: any decoder replays them into any C++
/// type, and the store stays independent of reply types. Error replies ('-', '!')
/// are never stored.
///
/// The in-flight rule. A read that may be cached takes a ReadTicket before its
/// request is written (begin_read) and hands the reply in when it arrives
/// (complete_read). If the key was invalidated, evicted by a write of ours or
/// the whole cache flushed between the two, the reply is not stored: it is
/// still returned to the caller (it answered the read), but a later hit could
/// otherwise serve a value the server already announced as changed.
///
/// Memory. stats().bytes counts every entry as entry_overhead + request +
/// reply and every key that has entries as key_overhead + key; it never exceeds
/// max_bytes: an insert first evicts least-recently-used entries, and an entry
/// that cannot fit even in an empty store is not cached. Keys with reads in
/// flight but no entries are not counted (their number is bounded by the
/// requests in flight).
///
/// Expiry. An entry expires at the earliest of begin_read + max_ttl,
/// begin_read + the per-read TTL and the server's deadline (from PTTL), all
/// optional. Counting from begin_read, not from the reply, keeps an entry from
/// outliving its bound whatever the round trip took. Expired entries are
/// dropped when looked up or when they reach the LRU tail.
///
/// Threads. Every member function may be called from any thread: one mutex
/// guards the whole store. The critical section of a hit is a hash lookup, an
/// LRU splice and the copy (or visit) of the reply, so application threads
/// reading through the cache and the connection thread inserting and
/// invalidating contend only briefly. A ReadTicket is used by one thread at a
/// time and must not outlive its store.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <valkey/cache/clock.hpp>
#include <valkey/cache/config.hpp>
#include <valkey/export.hpp>

namespace valkey {

/// The counters of a CacheStore (CacheStore::stats()).
struct CacheStats {
  std::uint64_t hits = 0;             ///< lookups that found an entry
  std::uint64_t misses = 0;           ///< lookups that found nothing (expired ones included)
  std::uint64_t evictions = 0;        ///< entries dropped to stay within max_bytes
  std::uint64_t expirations = 0;      ///< entries dropped because their deadline passed
  std::uint64_t invalidations = 0;    ///< entries dropped by the server's invalidations
  std::uint64_t write_evictions = 0;  ///< entries dropped because this client wrote their key
  std::uint64_t flushes = 0;          ///< flush_all calls
  std::uint64_t stale_reads = 0;      ///< replies not stored: invalidated while in flight
  std::size_t bytes = 0;              ///< current accounted memory, <= max_bytes
  std::size_t entries = 0;            ///< current number of entries
};

/// Why the whole cache is dropped; every one of them means the client can no
/// longer know which entries are still right.
enum class FlushReason : std::uint8_t {
  null_invalidation,    ///< the server's invalidation with a null key list (FLUSHALL, FLUSHDB)
  disconnect,           ///< tracking ended with the connection
  health_check_failed,  ///< the connection may have missed invalidations
  user,                 ///< the application asked
  topology_changed,     ///< a cluster slot changed owner: its keys are tracked by another node
};

/// What complete_read did with a reply.
enum class CacheInsert : std::uint8_t {
  stored,       ///< the reply is cached
  stale,        ///< invalidated, evicted by our write or flushed while in flight
  untracked,    ///< the ticket was empty: BCAST key outside the prefixes
  too_large,    ///< the entry alone exceeds max_bytes
  expired,      ///< its deadline had already passed
  error_reply,  ///< error replies are not cached
};

/// An entry the store dropped on its own (not on a server's invalidation,
/// a write of ours or a flush, which the client sees happen).
enum class CacheDrop : std::uint8_t {
  eviction,    ///< to stay within max_bytes
  expiration,  ///< its deadline had passed (found on lookup or at the LRU tail)
};

/// Bounds of one read's entry, besides CacheConfig::max_ttl.
struct CacheEntryLimits {
  std::chrono::milliseconds ttl{0};  ///< per-call TTL from begin_read; 0: none; negative: not stored
  std::optional<CacheClock::time_point> server_deadline = {};  ///< from the key's PTTL; none: no TTL
};

class VALKEY_CPP_EXPORT CacheStore {
  struct KeyNode;

 public:
  /// Fixed accounting per entry and per key, covering the store's own
  /// bookkeeping (structs, hash nodes, bucket slots, allocation headers);
  /// checked against the real sizes in the implementation.
  static constexpr std::size_t entry_overhead = 224;
  /// The same per key that has entries.
  static constexpr std::size_t key_overhead = 144;

  /// A read in flight whose reply may be stored. Move-only; destroying it
  /// without complete_read abandons the read (a failed or cancelled request).
  class ReadTicket {
   public:
    ReadTicket() = default;
    ReadTicket(ReadTicket&& other) noexcept { take(other); }
    ReadTicket& operator=(ReadTicket&& other) noexcept {
      if (this != &other) {
        release();
        take(other);
      }
      return *this;
    }
    ReadTicket(const ReadTicket&) = delete;
    ReadTicket& operator=(const ReadTicket&) = delete;
    ~ReadTicket() { release(); }

    /// False for a key the cache does not keep (BCAST, outside the prefixes)
    /// and after completion: the read then goes out plain.
    bool tracked() const noexcept { return node_ != nullptr; }
    /// When begin_read took it: a PTTL read in the same round trip counts from
    /// here (CacheEntryLimits::server_deadline).
    CacheClock::time_point started() const noexcept { return started_; }

   private:
    friend class CacheStore;
    void take(ReadTicket& other) noexcept {
      store_ = std::exchange(other.store_, nullptr);
      node_ = std::exchange(other.node_, nullptr);
      generation_ = other.generation_;
      flush_epoch_ = other.flush_epoch_;
      started_ = other.started_;
    }
    void release() noexcept;

    CacheStore* store_ = nullptr;
    KeyNode* node_ = nullptr;
    std::uint64_t generation_ = 0;
    std::uint64_t flush_epoch_ = 0;
    CacheClock::time_point started_{};
  };

  /// Throws valkey::Error(errc::invalid_argument) when validate(config) does.
  /// `clock` must outlive the store.
  explicit CacheStore(CacheConfig config, const CacheClock& clock = steady_cache_clock());
  CacheStore(const CacheStore&) = delete;
  CacheStore& operator=(const CacheStore&) = delete;
  ~CacheStore();

  /// The configuration it was built with.
  const CacheConfig& config() const noexcept { return config_; }

  /// Called with the entries each lookup or insert dropped (a count per kind),
  /// after the store's lock is released: the listener may call back into the
  /// store. Set it before the store is shared with other threads.
  using DropListener = std::function<void(CacheDrop, std::size_t count)>;
  /// Sets the listener of the entries the store drops on its own.
  void on_drop(DropListener listener) { drop_listener_ = std::move(listener); }

  /// Whether `key` is one the cache keeps: every key in OPTIN mode and in BCAST
  /// mode without prefixes, else only keys under a prefix.
  bool keeps(std::string_view key) const noexcept;

  /// The hit path. Copies the cached reply of `request` into `out` (no
  /// allocation when out's capacity suffices) and marks it most recently used.
  /// False when nothing is cached for `request`.
  bool lookup(std::string_view request, std::string& out);
  /// Calls f(std::string_view reply) with the cached reply, under the store's
  /// lock: f must be short and must not call back into the store. False when
  /// nothing is cached for `request`.
  template <class F>
  bool visit(std::string_view request, F&& f) {
    Drops drops;
    {
      std::lock_guard lock(mutex_);
      const std::string* reply = hit_locked(request, drops);
      if (reply != nullptr) {
        std::forward<F>(f)(std::string_view(*reply));
        return true;
      }
    }
    if (drops.any()) [[unlikely]]
      report(drops);
    return false;
  }

  /// Before writing a read of `key`: the ticket that lets its reply be stored.
  ReadTicket begin_read(std::string_view key);
  /// When the reply arrives: stores `reply` under `request` unless the key was
  /// invalidated (or the cache flushed) since begin_read. The ticket is used up.
  /// Throws valkey::Error(errc::invalid_argument) for another store's ticket.
  CacheInsert complete_read(ReadTicket&& ticket, std::string_view request, std::string_view reply,
                            const CacheEntryLimits& limits = {});

  /// The server's invalidation of keys: drops their entries and makes the reads
  /// of them in flight stale.
  void invalidate(std::string_view key);
  /// The same for several keys.
  void invalidate(std::span<const std::string_view> keys);
  /// The same for several keys.
  void invalidate(std::initializer_list<std::string_view> keys) {
    invalidate(std::span<const std::string_view>(keys.begin(), keys.size()));
  }
  /// The keys of a write this client sends (at submission and again when its
  /// reply arrives): same effect as invalidate, counted as write_evictions.
  void evict_written(std::span<const std::string_view> keys);
  /// The same for a list of keys.
  void evict_written(std::initializer_list<std::string_view> keys) {
    evict_written(std::span<const std::string_view>(keys.begin(), keys.size()));
  }
  /// Drops every entry and makes every read in flight stale.
  void flush_all(FlushReason reason);

  /// The counters, with the current bytes and entries.
  CacheStats stats() const;

 private:
  struct Entry;
  // The keys are short RESP requests ("*2\r\n$3\r\nGET\r\n$5\r\nuser:\r\n")
  // hashed on every hit: eight bytes per multiply instead of libstdc++'s
  // byte-oriented murmur (about 50 instructions against 150 for a 30-byte
  // request). Not seeded, like std::hash.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;
      std::uint64_t h = s.size() * k;
      const char* p = s.data();
      std::size_t n = s.size();
      auto mix = [&h](std::uint64_t w) {
        h = (h ^ w) * k;
        h ^= h >> 29;
      };
      for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        mix(w);
      }
      if (n != 0) {
        std::uint64_t w = 0;
        std::memcpy(&w, p, n);
        mix(w);
      }
      return static_cast<std::size_t>(h ^ (h >> 32));
    }
  };
  using EntryMap = std::unordered_map<std::string, Entry*, Hash, std::equal_to<>>;
  using KeyMap = std::unordered_map<std::string, KeyNode*, Hash, std::equal_to<>>;

  // What one call dropped, reported once the lock is released.
  struct Drops {
    std::size_t evicted = 0;
    std::size_t expired = 0;
    bool any() const noexcept { return evicted != 0 || expired != 0; }
  };
  CacheInsert insert_read(ReadTicket&& ticket, std::string_view request, std::string_view reply,
                          const CacheEntryLimits& limits, Drops& drops);
  void report(const Drops& drops) const;
  const std::string* hit_locked(std::string_view request, Drops& drops);
  void drop_key_locked(KeyNode* node, std::uint64_t& counter);
  void remove_entry_locked(Entry* e);
  void maybe_erase_node_locked(KeyNode* node);
  void evict_tail_locked(Drops& drops);
  void release_ticket(ReadTicket& t) noexcept;

  CacheConfig config_;
  const CacheClock* clock_;
  mutable std::mutex mutex_;
  EntryMap entries_;
  KeyMap keys_;
  Entry* lru_head_ = nullptr;  // most recently used
  Entry* lru_tail_ = nullptr;  // next to evict
  std::uint64_t flush_epoch_ = 0;
  CacheStats stats_;
  DropListener drop_listener_;
};

}  // namespace valkey
