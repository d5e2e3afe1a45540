// Sorted sets: a leaderboard; scores raised, the top three with their
// scores, one player's rank.
#include <cstdio>
#include <string>

#include <valkey/valkey.hpp>

int main() try {
  using namespace valkey;
  Client db{Config::from_env()};
  db.del("sample:board");

  db.zadd("sample:board", {{120, "ada"}, {95, "grace"}, {130, "linus"}, {80, "ken"}});
  const double grace = db.zincrby("sample:board", 50, "grace");  // 145: now first
  const auto top = db.zrange_withscores("sample:board", 0, 2, {.rev = true});
  for (const auto& [player, score] : top) std::printf("%-6s %g\n", player.c_str(), score);
  const auto ken = db.zrank("sample:board", "ken");  // 0-based, lowest score first
  std::printf("ken's rank from the bottom: %lld\n", static_cast<long long>(ken.value_or(-1)));
  return grace == 145 && top.size() == 3 && top[0].first == "grace" && top[2].first == "ada" && ken == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sorted_sets: %s\n", e.what());
  return 1;
}
