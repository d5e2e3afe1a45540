// HyperLogLog: unique visitors counted in 12 KB whatever their number, and
// two days merged.
#include <cstdio>
#include <string>
#include <vector>

#include <valkey/valkey.hpp>

int main() try {
  using namespace valkey;
  Client db{Config::from_env()};
  db.del({"sample:uv:mon", "sample:uv:tue", "sample:uv:week"});

  std::vector<std::string> visitors;
  for (int i = 0; i < 1000; ++i) visitors.push_back("visitor:" + std::to_string(i));
  std::vector<std::string_view> monday(visitors.begin(), visitors.begin() + 600);
  std::vector<std::string_view> tuesday(visitors.begin() + 400, visitors.end());
  db.pfadd("sample:uv:mon", {.elements = monday});
  db.pfadd("sample:uv:tue", {.elements = tuesday});
  db.pfmerge("sample:uv:week", {.source_keys = {"sample:uv:mon", "sample:uv:tue"}});
  const std::int64_t week = db.pfcount("sample:uv:week");
  std::printf("monday ~%lld, tuesday ~%lld, week ~%lld (exactly 1000)\n",
              static_cast<long long>(db.pfcount("sample:uv:mon")), static_cast<long long>(db.pfcount("sample:uv:tue")),
              static_cast<long long>(week));
  return week > 950 && week < 1050 ? 0 : 1;  // the estimate's standard error is 0.81 %
} catch (const std::exception& e) {
  std::fprintf(stderr, "hyperloglog: %s\n", e.what());
  return 1;
}
