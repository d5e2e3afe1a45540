// Strings: set with a condition and an expiry, counters, appending, ranges,
// several keys in one round trip.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <valkey/valkey.hpp>

int main() try {
  using namespace valkey;
  using namespace std::chrono_literals;
  Client db{Config::from_env()};
  db.del({"sample:greeting", "sample:visits", "sample:lock", "sample:a", "sample:b"});

  db.set("sample:greeting", "hello");
  db.append("sample:greeting", " world");
  const std::string first_word = db.getrange("sample:greeting", 0, 4);
  std::printf("greeting: %s (%lld bytes), first word: %s\n", db.get("sample:greeting").value_or("?").c_str(),
              static_cast<long long>(db.strlen("sample:greeting")), first_word.c_str());

  // SET NX EX: a lock that frees itself; the second attempt finds it taken.
  const cmd::Set::Options lock{.condition = valkey::nx, .expiration = valkey::ex(30s)};
  const bool taken = db.set("sample:lock", "owner-1", lock);  // false: the condition kept it from writing
  const bool taken_again = db.set("sample:lock", "owner-2", lock);
  std::printf("lock: first %s, second %s\n", taken ? "taken" : "refused", taken_again ? "taken" : "refused");

  db.incr("sample:visits");
  const std::int64_t visits = db.incrby("sample:visits", 41);
  std::printf("visits: %lld\n", static_cast<long long>(visits));

  db.mset({{"sample:a", "1"}, {"sample:b", "2"}});
  const auto values = db.mget({"sample:a", "sample:b", "sample:missing"});
  std::printf("mget:");
  for (const auto& v : values) std::printf(" %s", v ? v->c_str() : "(nil)");
  std::printf("\n");

  const bool ok = first_word == "hello" && taken && !taken_again && visits == 42 && values.size() == 3 &&
                  values[0] == std::optional<std::string>{"1"} && !values[2];
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "strings: %s\n", e.what());
  return 1;
}
