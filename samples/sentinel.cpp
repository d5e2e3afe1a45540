// Sentinel: find the primary through the sentinels, write to it, read from a
// replica, and keep working across a failover.
//
//   VALKEY_SENTINEL_URL=valkey+sentinel://127.0.0.1:26379,127.0.0.1:26380/mymaster ./sentinel
//
// The client asks the sentinels before every connection attempt and checks
// the node's ROLE, so a failover costs the requests in flight at that moment
// (connection_lost) and nothing else. See docs/sentinel.md.
#include <cstdlib>
#include <iostream>
#include <string>
#include <system_error>

#include <valkey/valkey.hpp>

int main() {
  const char* env = std::getenv("VALKEY_SENTINEL_URL");
  const std::string url = env && *env ? env : "valkey+sentinel://127.0.0.1:26379/mymaster";
  try {
    // The URL's form, passwords shown as ***.
    valkey::SentinelConfig config = valkey::SentinelConfig::from_url(url);
    std::cout << "sentinels: " << config.to_string() << "\n";

    valkey::Client db{config};
    std::cout << "primary at " << db.config().endpoint() << "\n";
    db.set("sample:sentinel", "written to the primary");
    std::cout << "INCR sample:sentinel:hits -> " << db.incr("sample:sentinel:hits") << "\n";

    // A second client on a replica (role=replica). Replication is
    // asynchronous: WAIT makes the write visible there first.
    config.role = valkey::SentinelRole::replica;
    try {
      valkey::Client replica{config};
      db.call({"WAIT", "1", "1000"});
      std::cout << "replica at " << replica.config().endpoint() << " reads "
                << replica.get("sample:sentinel").value_or("(nil)") << "\n";
    } catch (const valkey::Error& e) {
      // no_replica when none is up
      std::cout << "no replica: " << e.what() << "\n";
    }

    // Writes during a failover: the ones in flight when the primary goes
    // fail with connection_lost (they may or may not have run); the next
    // ones wait for the new primary.
    std::error_code ec;
    db.incr("sample:sentinel:hits", ec);
    std::cout << "another INCR -> " << (ec ? ec.message() : "ok") << "\n";
    return 0;
  } catch (const valkey::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
