// Lists: a work queue (push on one end, pop on the other) and an atomic move
// to an in-progress list, the reliable-queue pattern.
#include <cstdio>
#include <string>

#include <valkey/valkey.hpp>

int main() try {
  using namespace valkey;
  Client db{Config::from_env()};
  db.del({"sample:jobs", "sample:working"});

  db.rpush("sample:jobs", {"resize", "thumbnail", "upload"});
  const auto job = db.lmove("sample:jobs", "sample:working", valkey::left, valkey::right);
  const auto waiting = db.lrange("sample:jobs", 0, -1);
  std::printf("working on %s; waiting:", job.value_or("(none)").c_str());
  for (const auto& j : waiting) std::printf(" %s", j.c_str());
  std::printf("\n");
  db.lpush("sample:jobs", "urgent");  // jumps the queue
  const auto next = db.lpop("sample:jobs");
  std::printf("next: %s, %lld left\n", next.value_or("(none)").c_str(), static_cast<long long>(db.llen("sample:jobs")));
  return job == std::optional<std::string>{"resize"} && waiting.size() == 2 &&
                 next == std::optional<std::string>{"urgent"} && db.llen("sample:working") == 1
             ? 0
             : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "lists: %s\n", e.what());
  return 1;
}
