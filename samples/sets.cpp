// Sets: tags per article, membership, and the tags two articles share.
#include <algorithm>
#include <cstdio>
#include <string>

#include <valkey/valkey.hpp>

int main() try {
  using namespace valkey;
  Client db{Config::from_env()};
  db.del({"sample:tags:1", "sample:tags:2"});

  const std::int64_t added = db.sadd("sample:tags:1", {"cpp", "valkey", "cache", "cpp"});  // "cpp" once
  db.sadd("sample:tags:2", {"valkey", "cluster", "cache"});
  const bool has_cpp = db.sismember("sample:tags:1", "cpp");
  auto shared = db.sinter({"sample:tags:1", "sample:tags:2"});
  std::sort(shared.begin(), shared.end());  // a set has no order
  std::printf("%lld tags; cpp: %s; shared:", static_cast<long long>(db.scard("sample:tags:1")), has_cpp ? "yes" : "no");
  for (const auto& t : shared) std::printf(" %s", t.c_str());
  std::printf("\n");
  return added == 3 && has_cpp && shared == std::vector<std::string>{"cache", "valkey"} ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sets: %s\n", e.what());
  return 1;
}
