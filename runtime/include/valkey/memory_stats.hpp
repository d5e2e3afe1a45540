#pragma once
/// \struct valkey::MemoryStats
/// valkey::MemoryStats: the reply of MEMORY STATS (db.memory_stats()), typed.
/// The server answers a map of named figures plus one `"db.<n>"` entry per
/// database holding keys. The decoder reads the RESP3 map and the RESP2 flat
/// array alike (ratios are doubles in RESP3, strings in RESP2), skips fields
/// it does not list (a newer server's) and leaves the members of fields the
/// server does not send (an older server's, or Redis's) at 0. Another shape
/// fails with errc::unexpected_reply_type.
#include <cstdint>
#include <string_view>
#include <vector>

#include <valkey/export.hpp>

namespace valkey {

class Reply;

struct VALKEY_CPP_EXPORT MemoryStats {
  /// One `"db.<n>"` entry: the overhead of a database's hash tables.
  struct Db {
    std::int64_t index = 0;                       ///< the database number n
    std::int64_t overhead_hashtable_main = 0;     ///< "overhead.hashtable.main"
    std::int64_t overhead_hashtable_expires = 0;  ///< "overhead.hashtable.expires"
    /// Member-wise equality.
    friend bool operator==(const Db&, const Db&) = default;
  };

  /// \name Figures
  /// Bytes unless named otherwise; each brief is the server's spelling.
  /// @{
  std::int64_t peak_allocated = 0;                   ///< "peak.allocated"
  std::int64_t total_allocated = 0;                  ///< "total.allocated"
  std::int64_t startup_allocated = 0;                ///< "startup.allocated"
  std::int64_t replication_backlog = 0;              ///< "replication.backlog"
  std::int64_t replicas_repl_buffer = 0;             ///< "replicas.repl.buffer"
  std::int64_t clients_replicas = 0;                 ///< "clients.slaves"
  std::int64_t clients_normal = 0;                   ///< "clients.normal"
  std::int64_t cluster_links = 0;                    ///< "cluster.links"
  std::int64_t cluster_slot_import = 0;              ///< "cluster.slot_import"
  std::int64_t cluster_slot_export = 0;              ///< "cluster.slot_export"
  std::int64_t aof_buffer = 0;                       ///< "aof.buffer"
  std::int64_t lua_caches = 0;                       ///< "lua.caches"
  std::int64_t functions_caches = 0;                 ///< "functions.caches"
  std::int64_t overhead_db_hashtable_lut = 0;        ///< "overhead.db.hashtable.lut"
  std::int64_t overhead_db_hashtable_rehashing = 0;  ///< "overhead.db.hashtable.rehashing"
  std::int64_t overhead_total = 0;                   ///< "overhead.total"
  std::int64_t db_dict_rehashing_count = 0;          ///< "db.dict.rehashing.count" (a count)
  std::int64_t keys_count = 0;                       ///< "keys.count" (a count)
  std::int64_t keys_bytes_per_key = 0;               ///< "keys.bytes-per-key"
  std::int64_t dataset_bytes = 0;                    ///< "dataset.bytes"
  double dataset_percentage = 0;                     ///< "dataset.percentage" (of the net memory)
  double peak_percentage = 0;                        ///< "peak.percentage" (of the peak)
  std::int64_t allocator_allocated = 0;              ///< "allocator.allocated"
  std::int64_t allocator_active = 0;                 ///< "allocator.active"
  std::int64_t allocator_resident = 0;               ///< "allocator.resident"
  std::int64_t allocator_muzzy = 0;                  ///< "allocator.muzzy"
  double allocator_fragmentation_ratio = 0;          ///< "allocator-fragmentation.ratio"
  std::int64_t allocator_fragmentation_bytes = 0;    ///< "allocator-fragmentation.bytes"
  double allocator_rss_ratio = 0;                    ///< "allocator-rss.ratio"
  std::int64_t allocator_rss_bytes = 0;              ///< "allocator-rss.bytes"
  double rss_overhead_ratio = 0;                     ///< "rss-overhead.ratio"
  std::int64_t rss_overhead_bytes = 0;               ///< "rss-overhead.bytes"
  double fragmentation = 0;                          ///< "fragmentation" (a ratio)
  std::int64_t fragmentation_bytes = 0;              ///< "fragmentation.bytes"
  /// @}
  std::vector<Db> dbs;                               ///< `"db.<n>"`, in the server's order

  /// Member-wise equality.
  friend bool operator==(const MemoryStats&, const MemoryStats&) = default;

  /// For the decoder (adapt/decoder.hpp): fills `out` from MEMORY STATS'
  /// reply; false when it has another shape.
  static bool from_reply(const Reply& reply, MemoryStats& out);
  /// The type's name in decoding error messages.
  static constexpr std::string_view record_name = "valkey::MemoryStats";
};

}  // namespace valkey
