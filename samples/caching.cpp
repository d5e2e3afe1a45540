// Client-side caching: reads answered from the client's memory, kept right by
// the server's invalidations (RESP3 CLIENT TRACKING; docs/caching.md).
//
//   VALKEY_URL=valkey://127.0.0.1:6379 ./caching
#include <chrono>
#include <iostream>

#include <valkey/valkey.hpp>

using namespace std::chrono_literals;

int main() {
  try {
    valkey::Config config = valkey::Config::from_env();
    config.cache = valkey::CacheConfig{.max_bytes = 8u << 20, .max_ttl = 10min};
    valkey::Client db{config};
    valkey::Client other{valkey::Config::from_env()};  // a client without a cache, to change things behind our back

    db.set("caching:flags", "dark-mode=on");
    // The first read goes to the server and is kept; the second one is a hit:
    // no request leaves the process.
    std::cout << "cached GET -> " << db.cached(30s).get("caching:flags").value_or("(nil)") << "\n";
    std::cout << "cached GET -> " << db.cached(30s).get("caching:flags").value_or("(nil)") << "\n";

    // Another client changes the key: the server tells us, and the entry goes.
    // Any round trip on our connection (a PING here) brings the news along.
    other.set("caching:flags", "dark-mode=off");
    db.ping();
    std::cout << "after another client's SET -> " << db.cached(30s).get("caching:flags").value_or("(nil)") << "\n";

    // Our own writes evict at once (read-your-writes).
    db.set("caching:flags", "dark-mode=auto");
    std::cout << "after our SET -> " << db.cached(30s).get("caching:flags").value_or("(nil)") << "\n";

    // Other cacheable reads, and MGET (hits locally, the misses in one MGET).
    db.hset("caching:user:1", "name", "Ada");
    std::cout << "cached HGET -> " << db.cached(30s).hget("caching:user:1", "name").value_or("(nil)") << "\n";
    auto both = db.cached(30s).mget({"caching:flags", "caching:missing"});
    std::cout << "cached MGET -> " << both[0].value_or("(nil)") << ", " << both[1].value_or("(nil)") << "\n";

    const valkey::CacheStats s = db.cache_stats();
    std::cout << "hits " << s.hits << ", misses " << s.misses << ", invalidations " << s.invalidations
              << ", entries " << s.entries << ", bytes " << s.bytes << "\n";
    db.del({"caching:flags", "caching:user:1"});
    return 0;
  } catch (const valkey::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
