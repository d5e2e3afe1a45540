#include <valkey/memory_stats.hpp>

#include <array>
#include <charconv>
#include <system_error>
#include <utility>

#include <valkey/reply.hpp>

#include "record_support.hpp"

namespace valkey {

namespace {

using detail::records::for_each_field;
using detail::records::integer;
using detail::records::real;

using M = MemoryStats;

constexpr std::array<std::pair<std::string_view, std::int64_t M::*>, 28> kIntegers{{
    {"peak.allocated", &M::peak_allocated},
    {"total.allocated", &M::total_allocated},
    {"startup.allocated", &M::startup_allocated},
    {"replication.backlog", &M::replication_backlog},
    {"replicas.repl.buffer", &M::replicas_repl_buffer},
    {"clients.slaves", &M::clients_replicas},
    {"clients.normal", &M::clients_normal},
    {"cluster.links", &M::cluster_links},
    {"cluster.slot_import", &M::cluster_slot_import},
    {"cluster.slot_export", &M::cluster_slot_export},
    {"aof.buffer", &M::aof_buffer},
    {"lua.caches", &M::lua_caches},
    {"functions.caches", &M::functions_caches},
    {"overhead.db.hashtable.lut", &M::overhead_db_hashtable_lut},
    {"overhead.db.hashtable.rehashing", &M::overhead_db_hashtable_rehashing},
    {"overhead.total", &M::overhead_total},
    {"db.dict.rehashing.count", &M::db_dict_rehashing_count},
    {"keys.count", &M::keys_count},
    {"keys.bytes-per-key", &M::keys_bytes_per_key},
    {"dataset.bytes", &M::dataset_bytes},
    {"allocator.allocated", &M::allocator_allocated},
    {"allocator.active", &M::allocator_active},
    {"allocator.resident", &M::allocator_resident},
    {"allocator.muzzy", &M::allocator_muzzy},
    {"allocator-fragmentation.bytes", &M::allocator_fragmentation_bytes},
    {"allocator-rss.bytes", &M::allocator_rss_bytes},
    {"rss-overhead.bytes", &M::rss_overhead_bytes},
    {"fragmentation.bytes", &M::fragmentation_bytes},
}};

constexpr std::array<std::pair<std::string_view, double M::*>, 6> kReals{{
    {"dataset.percentage", &M::dataset_percentage},
    {"peak.percentage", &M::peak_percentage},
    {"allocator-fragmentation.ratio", &M::allocator_fragmentation_ratio},
    {"allocator-rss.ratio", &M::allocator_rss_ratio},
    {"rss-overhead.ratio", &M::rss_overhead_ratio},
    {"fragmentation", &M::fragmentation},
}};

// "db.<n>" with n a decimal number: n; -1 for another name.
std::int64_t db_index(std::string_view name) {
  constexpr std::string_view prefix = "db.";
  if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return -1;
  const std::string_view digits = name.substr(prefix.size());
  std::int64_t n = -1;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc{} || p != digits.data() + digits.size() || n < 0) return -1;
  return n;
}

bool read_db(const Reply& r, MemoryStats::Db& out) {
  return for_each_field(r, [&](std::string_view name, const Reply& v) {
    if (name == "overhead.hashtable.main") return integer(v, out.overhead_hashtable_main);
    if (name == "overhead.hashtable.expires") return integer(v, out.overhead_hashtable_expires);
    return true;  // Redis's overhead.hashtable.slot-to-keys, a newer server's
  });
}

}  // namespace

bool MemoryStats::from_reply(const Reply& reply, MemoryStats& out) {
  out = MemoryStats{};
  return for_each_field(reply, [&](std::string_view name, const Reply& v) {
    for (const auto& [n, member] : kIntegers)
      if (n == name) return integer(v, out.*member);
    for (const auto& [n, member] : kReals)
      if (n == name) return real(v, out.*member);
    if (const std::int64_t index = db_index(name); index >= 0) {
      Db db;
      db.index = index;
      if (!read_db(v, db)) return false;
      out.dbs.push_back(db);
    }
    return true;  // a newer server's field
  });
}

}  // namespace valkey
