#pragma once
/// \file
/// What the clients do with their cache besides cached reads (internal):
/// evicting the keys of the writes they send, and turning the server's
/// invalidation pushes into store calls. docs/caching.md, "What the client adds".
#include <memory>
#include <string_view>

#include <valkey/cache/store.hpp>
#include <valkey/export.hpp>
#include <valkey/resp/visitor.hpp>

namespace valkey {
struct Config;
struct CacheEvent;
}  // namespace valkey

namespace valkey::cache_detail {

/// `encoded`: one or more commands as the client writes them (RESP arrays of
/// bulk strings: a command, a pipeline, a transaction). Each command that is
/// not read-only has its keys (from the generated key specs) evicted with
/// evict_written(); FLUSHALL, FLUSHDB and SWAPDB flush the whole store.
/// Unknown (module) commands evict nothing: their keys are not known; the
/// server's invalidation still comes.
VALKEY_CPP_EXPORT void evict_written_in(CacheStore& store, std::string_view encoded);

/// The push handler of a tracking connection: `>2 invalidate [keys]` calls
/// store.invalidate(key) per key, a null key list flush_all(null_invalidation);
/// other pushes are ignored. One per connection (it keeps the parse state of
/// the push being read).
class VALKEY_CPP_EXPORT InvalidationHandler final : public resp::Visitor {
 public:
  InvalidationHandler(CacheStore& store, const Config& config) noexcept : store_(store), config_(config) {}
  void on_node(const resp::Node& n) override;
  void on_message_end() override;

 private:
  CacheStore& store_;
  const Config& config_;
  std::size_t keys_ = 0;
  bool is_invalidate_ = false;
  bool first_ = true;
  bool flush_ = false;
};

/// Observer::on_cache, with the hook's failures caught (config.observer set).
VALKEY_CPP_EXPORT void notify_cache(const Config& config, const CacheEvent& event) noexcept;

/// A client's store for config.cache (null without one). The entries it
/// drops on its own (LRU evictions, expirations) reach config.observer as
/// CacheEvent eviction/expiration.
VALKEY_CPP_EXPORT std::shared_ptr<CacheStore> make_store(const Config& config);

}  // namespace valkey::cache_detail
