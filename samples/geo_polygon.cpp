// Geo search inside a polygon (Valkey 9.0, GEOSEARCH ... BYPOLYGON): which
// places lie inside a quadrilateral drawn around Sicily's east coast.
#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <valkey/valkey.hpp>

int main() try {
  using namespace valkey;
  Client db{Config::from_env()};
  db.del("sample:places");
  db.geoadd("sample:places",
            {{13.361389, 38.115556, "Palermo"}, {15.087269, 37.502669, "Catania"}, {15.554, 38.193, "Messina"},
             {12.496366, 41.902782, "Rome"}});
  // Vertices as (longitude, latitude); BYPOLYGON takes no FROMMEMBER/FROMLONLAT.
  const std::vector<std::pair<double, double>> east_coast{{14.8, 37.0}, {16.0, 37.0}, {16.0, 38.5}, {14.8, 38.5}};
  auto inside = db.geosearch("sample:places", cmd::Geosearch::ByPolygon{east_coast});
  std::sort(inside.begin(), inside.end());
  std::printf("inside the polygon:");
  for (const auto& p : inside) std::printf(" %s", p.c_str());
  std::printf("\n");
  return inside == std::vector<std::string>{"Catania", "Messina"} ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "geo_polygon: %s\n", e.what());
  return 1;
}
