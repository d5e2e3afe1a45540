// Geo: add places, measure a distance, search within a radius.
#include <cstdio>
#include <string>

#include <valkey/valkey.hpp>

int main() try {
  using namespace valkey;
  Client db{valkey::Config::from_env()};
  db.del({"sample:places"});
  db.geoadd("sample:places", {{13.361389, 38.115556, "Palermo"}, {15.087269, 37.502669, "Catania"}, {12.496366, 41.902782, "Rome"}});
  auto km = db.geodist("sample:places", "Palermo", "Catania", {.unit = valkey::kilometers});
  std::printf("Palermo-Catania: %s km\n", km.value_or("?").c_str());
  auto near = db.geosearch("sample:places", cmd::Geosearch::ByRadius{200, valkey::kilometers},
                           {.from = cmd::Geosearch::FromLonLat{15, 37}});
  std::printf("within 200 km of (15, 37):");
  for (const auto& p : near) std::printf(" %s", p.c_str());
  std::printf("\n");
  return km && near.size() == 2 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "geo: %s\n", e.what());
  return 1;
}
