// Bitmaps: daily active users as one bit per user id; users active on both
// days with BITOP AND.
#include <cstdio>
#include <string>

#include <valkey/valkey.hpp>

int main() try {
  using namespace valkey;
  Client db{Config::from_env()};
  db.del({"sample:active:mon", "sample:active:tue", "sample:active:both"});

  for (int user : {1, 5, 9, 200}) db.setbit("sample:active:mon", user, 1);
  for (int user : {5, 9, 42}) db.setbit("sample:active:tue", user, 1);
  const std::int64_t monday = db.bitcount("sample:active:mon");
  db.bitop(cmd::Bitop::And{}, "sample:active:both", {"sample:active:mon", "sample:active:tue"});
  const std::int64_t both = db.bitcount("sample:active:both");
  const std::int64_t first = db.bitpos("sample:active:both", 1);
  const bool user42_monday = db.getbit("sample:active:mon", 42);
  std::printf("monday %lld, both days %lld (first id %lld), user 42 on monday: %s\n", static_cast<long long>(monday),
              static_cast<long long>(both), static_cast<long long>(first), user42_monday ? "yes" : "no");
  return monday == 4 && both == 2 && first == 5 && !user42_monday ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bitmaps: %s\n", e.what());
  return 1;
}
