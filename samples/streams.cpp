// Streams with a consumer group: produce, read as a group member, acknowledge,
// then read the group's state back (XINFO's records).
#include <cstdio>
#include <string>

#include <valkey/valkey.hpp>

int main() try {
  using namespace valkey;
  Client db{valkey::Config::from_env()};
  db.del({"sample:orders"});
  db.xgroup_create("sample:orders", "billing", cmd::XgroupCreate::Id{"$"}, {.mk_stream = true});
  for (int i = 1; i <= 3; ++i)
    db.xadd("sample:orders", cmd::Xadd::AutoId{}, {{"order", std::to_string(i)}, {"amount", std::to_string(i * 10)}});

  auto batch = db.xreadgroup("billing", "worker-1", {"sample:orders"}, {">"}, {.count = 10});
  std::size_t handled = 0;
  if (batch) {
    for (const auto& [stream, entries] : *batch) {
      for (const auto& [id, fields] : entries) {
        std::printf("%s %s:", stream.c_str(), id.c_str());
        for (const auto& [f, v] : fields) std::printf(" %s=%s", f.c_str(), v.c_str());
        std::printf("\n");
        handled += db.xack("sample:orders", "billing", {id});
      }
    }
  }
  std::printf("acknowledged %zu\n", handled);

  // XINFO answers records: the group's state after the acknowledgements.
  for (const auto& g : db.xinfo_groups("sample:orders"))
    std::printf("group %s: %lld consumers, %lld pending, last delivered %s\n", g.name.c_str(),
                static_cast<long long>(g.consumers), static_cast<long long>(g.pending), g.last_delivered_id.c_str());
  const auto info = db.xinfo_stream("sample:orders");
  std::printf("stream: %lld entries, %lld groups\n", static_cast<long long>(info.length),
              static_cast<long long>(info.groups));
  return handled == 3 && info.length == 3 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "streams: %s\n", e.what());
  return 1;
}
