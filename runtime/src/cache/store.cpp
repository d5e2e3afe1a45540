#include <valkey/cache/store.hpp>

#include <algorithm>

#include <valkey/error.hpp>

namespace valkey {

// One cached reply. Owned by the store (allocated on insert, deleted on
// removal); `request` points at its key in entries_, whose nodes do not move.
struct CacheStore::Entry {
  const std::string* request = nullptr;
  std::string reply;
  KeyNode* node = nullptr;
  Entry* lru_prev = nullptr;
  Entry* lru_next = nullptr;
  Entry* key_prev = nullptr;
  Entry* key_next = nullptr;
  CacheClock::time_point deadline = CacheClock::time_point::max();
  std::size_t cost = 0;
};

// One key with entries or reads in flight. `generation` changes on every
// invalidation of the key, so a ticket taken before it is recognised as stale.
// The node lives while it has entries or readers.
struct CacheStore::KeyNode {
  const std::string* key = nullptr;
  Entry* entries = nullptr;  // list through key_prev/key_next
  std::uint32_t readers = 0;
  bool charged = false;  // key_overhead + key counted in bytes (while it has entries)
  std::uint64_t generation = 0;
};

namespace {
// t + d, without overflowing the clock's range for very long durations; a
// negative d gives a deadline already past.
CacheClock::time_point after(CacheClock::time_point t, std::chrono::milliseconds d) {
  if (d.count() < 0) return CacheClock::time_point::min();
  const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(CacheClock::time_point::max() - t);
  return d >= room ? CacheClock::time_point::max() - std::chrono::nanoseconds(1) : t + d;
}
}  // namespace

CacheStore::CacheStore(CacheConfig config, const CacheClock& clock) : config_(std::move(config)), clock_(&clock) {
  validate(config_);
  // The fixed overheads cover the real bookkeeping: the struct, its map node
  // (the pair, the next pointer, the cached hash) with its bucket slot, and a
  // malloc header per allocation (struct, map node, and the strings: request
  // and reply for an entry, the key for a key).
  constexpr std::size_t map_node = sizeof(std::pair<const std::string, void*>) + 3 * sizeof(void*);
  constexpr std::size_t malloc_header = 16;
  static_assert(sizeof(Entry) + map_node + 4 * malloc_header <= entry_overhead);
  static_assert(sizeof(KeyNode) + map_node + 3 * malloc_header <= key_overhead);
}

CacheStore::~CacheStore() {
  for (auto& [request, e] : entries_) delete e;
  for (auto& [key, node] : keys_) delete node;
}

bool CacheStore::keeps(std::string_view key) const noexcept {
  if (config_.mode != CacheMode::bcast || config_.prefixes.empty()) return true;
  return std::any_of(config_.prefixes.begin(), config_.prefixes.end(),
                     [key](const std::string& p) { return key.starts_with(p); });
}

const std::string* CacheStore::hit_locked(std::string_view request, Drops& drops) {
  auto it = entries_.find(request);
  if (it == entries_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  Entry* e = it->second;
  if (e->deadline != CacheClock::time_point::max() && clock_->now() >= e->deadline) {
    ++stats_.expirations;
    ++drops.expired;
    ++stats_.misses;
    remove_entry_locked(e);
    return nullptr;
  }
  if (e != lru_head_) {  // move to the front: e has a predecessor
    e->lru_prev->lru_next = e->lru_next;
    if (e->lru_next != nullptr) e->lru_next->lru_prev = e->lru_prev;
    else lru_tail_ = e->lru_prev;
    e->lru_prev = nullptr;
    e->lru_next = lru_head_;
    lru_head_->lru_prev = e;
    lru_head_ = e;
  }
  ++stats_.hits;
  return &e->reply;
}

bool CacheStore::lookup(std::string_view request, std::string& out) {
  return visit(request, [&out](std::string_view reply) { out.assign(reply); });
}

CacheStore::ReadTicket CacheStore::begin_read(std::string_view key) {
  ReadTicket t;
  if (!keeps(key)) return t;
  const CacheClock::time_point started = clock_->now();
  std::lock_guard lock(mutex_);
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    auto* node = new KeyNode;
    try {
      it = keys_.emplace(std::string(key), node).first;
    } catch (...) {
      delete node;
      throw;
    }
    node->key = &it->first;
  }
  KeyNode* node = it->second;
  ++node->readers;
  t.store_ = this;
  t.node_ = node;
  t.generation_ = node->generation;
  t.flush_epoch_ = flush_epoch_;
  t.started_ = started;
  return t;
}

void CacheStore::ReadTicket::release() noexcept {
  if (store_ != nullptr) store_->release_ticket(*this);
}

void CacheStore::release_ticket(ReadTicket& t) noexcept {
  std::lock_guard lock(mutex_);
  KeyNode* node = std::exchange(t.node_, nullptr);
  t.store_ = nullptr;
  --node->readers;
  maybe_erase_node_locked(node);
}

CacheInsert CacheStore::complete_read(ReadTicket&& ticket, std::string_view request, std::string_view reply,
                                      const CacheEntryLimits& limits) {
  Drops drops;
  try {
    const CacheInsert result = insert_read(std::move(ticket), request, reply, limits, drops);
    if (drops.any()) report(drops);
    return result;
  } catch (...) {
    // The entries evicted to make room are gone even though the insert failed
    // (out of memory): they are still reported.
    if (drops.any()) report(drops);
    throw;
  }
}

void CacheStore::report(const Drops& drops) const {
  if (!drop_listener_) return;
  if (drops.evicted != 0) drop_listener_(CacheDrop::eviction, drops.evicted);
  if (drops.expired != 0) drop_listener_(CacheDrop::expiration, drops.expired);
}

CacheInsert CacheStore::insert_read(ReadTicket&& ticket, std::string_view request, std::string_view reply,
                                    const CacheEntryLimits& limits, Drops& drops) {
  if (ticket.store_ == nullptr) return CacheInsert::untracked;
  if (ticket.store_ != this)
    throw Error(make_error_code(errc::invalid_argument), "CacheStore::complete_read: the ticket is another store's");
  ReadTicket t(std::move(ticket));  // released (under the lock) on every return below

  const bool is_error = !reply.empty() && (reply.front() == '-' || reply.front() == '!');
  CacheClock::time_point deadline = CacheClock::time_point::max();
  if (config_.max_ttl.count() > 0) deadline = std::min(deadline, after(t.started_, config_.max_ttl));
  if (limits.ttl.count() != 0) deadline = std::min(deadline, after(t.started_, limits.ttl));
  if (limits.server_deadline) deadline = std::min(deadline, *limits.server_deadline);
  const bool expired = deadline != CacheClock::time_point::max() && clock_->now() >= deadline;

  std::lock_guard lock(mutex_);
  KeyNode* node = t.node_;
  // The ticket's reader is dropped by this guard, under the lock, after the
  // insert: until then the node cannot be erased by the evictions below.
  t.store_ = nullptr;
  t.node_ = nullptr;
  struct DropReader {
    CacheStore* s;
    KeyNode* n;
    ~DropReader() {
      --n->readers;
      s->maybe_erase_node_locked(n);
    }
  } drop_reader{this, node};

  if (node->generation != t.generation_ || flush_epoch_ != t.flush_epoch_) {
    ++stats_.stale_reads;
    return CacheInsert::stale;
  }
  if (is_error) return CacheInsert::error_reply;
  if (expired) return CacheInsert::expired;
  const std::size_t cost = entry_overhead + request.size() + reply.size();
  const std::size_t key_cost = key_overhead + node->key->size();
  if (cost + key_cost > config_.max_bytes) return CacheInsert::too_large;

  // A second reply to the same request (two misses raced) replaces the first.
  if (auto it = entries_.find(request); it != entries_.end()) remove_entry_locked(it->second);
  while (stats_.bytes + cost + (node->charged ? 0 : key_cost) > config_.max_bytes && lru_tail_ != nullptr)
    evict_tail_locked(drops);

  auto* e = new Entry;
  try {
    e->reply.assign(reply);
    auto [it, inserted] = entries_.emplace(std::string(request), e);
    (void)inserted;  // any previous entry of this request was removed above
    e->request = &it->first;
  } catch (...) {
    delete e;
    throw;
  }
  e->node = node;
  e->deadline = deadline;
  e->cost = cost;
  e->key_next = node->entries;
  if (node->entries != nullptr) node->entries->key_prev = e;
  node->entries = e;
  e->lru_next = lru_head_;
  if (lru_head_ != nullptr) lru_head_->lru_prev = e;
  lru_head_ = e;
  if (lru_tail_ == nullptr) lru_tail_ = e;
  if (!node->charged) {
    node->charged = true;
    stats_.bytes += key_cost;
  }
  stats_.bytes += cost;
  ++stats_.entries;
  return CacheInsert::stored;
}

void CacheStore::remove_entry_locked(Entry* e) {
  if (e->lru_prev != nullptr) e->lru_prev->lru_next = e->lru_next;
  else lru_head_ = e->lru_next;
  if (e->lru_next != nullptr) e->lru_next->lru_prev = e->lru_prev;
  else lru_tail_ = e->lru_prev;

  KeyNode* node = e->node;
  if (e->key_prev != nullptr) e->key_prev->key_next = e->key_next;
  else node->entries = e->key_next;
  if (e->key_next != nullptr) e->key_next->key_prev = e->key_prev;

  stats_.bytes -= e->cost;
  --stats_.entries;
  if (node->entries == nullptr && node->charged) {
    node->charged = false;
    stats_.bytes -= key_overhead + node->key->size();
  }
  entries_.erase(*e->request);
  delete e;
  maybe_erase_node_locked(node);
}

void CacheStore::maybe_erase_node_locked(KeyNode* node) {
  if (node->entries != nullptr || node->readers != 0) return;
  keys_.erase(*node->key);
  delete node;
}

void CacheStore::evict_tail_locked(Drops& drops) {
  Entry* e = lru_tail_;
  if (e->deadline != CacheClock::time_point::max() && clock_->now() >= e->deadline) {
    ++stats_.expirations;
    ++drops.expired;
  } else {
    ++stats_.evictions;
    ++drops.evicted;
  }
  remove_entry_locked(e);
}

void CacheStore::drop_key_locked(KeyNode* node, std::uint64_t& counter) {
  ++node->generation;  // reads of the key in flight are stale now
  // Removing the last entry erases a node without readers: stop before
  // touching it again.
  while (Entry* e = node->entries) {
    const bool last = e->key_next == nullptr;
    ++counter;
    remove_entry_locked(e);
    if (last) break;
  }
}

void CacheStore::invalidate(std::string_view key) {
  std::lock_guard lock(mutex_);
  if (auto it = keys_.find(key); it != keys_.end()) drop_key_locked(it->second, stats_.invalidations);
}

void CacheStore::invalidate(std::span<const std::string_view> keys) {
  std::lock_guard lock(mutex_);
  for (std::string_view key : keys)
    if (auto it = keys_.find(key); it != keys_.end()) drop_key_locked(it->second, stats_.invalidations);
}

void CacheStore::evict_written(std::span<const std::string_view> keys) {
  std::lock_guard lock(mutex_);
  for (std::string_view key : keys)
    if (auto it = keys_.find(key); it != keys_.end()) drop_key_locked(it->second, stats_.write_evictions);
}

void CacheStore::flush_all(FlushReason) {
  std::lock_guard lock(mutex_);
  ++flush_epoch_;
  ++stats_.flushes;
  while (lru_tail_ != nullptr) remove_entry_locked(lru_tail_);
}

CacheStats CacheStore::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace valkey
