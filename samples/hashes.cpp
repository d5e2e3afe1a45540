// Hashes: a record as fields, one field incremented, the whole record read
// back into a std::map.
#include <cstdio>
#include <map>
#include <string>

#include <valkey/valkey.hpp>

int main() try {
  using namespace valkey;
  Client db{Config::from_env()};
  db.del("sample:user:1");

  db.hset("sample:user:1", {{"name", "Ada"}, {"lang", "C++"}, {"logins", "0"}});
  db.hincrby("sample:user:1", "logins", 3);
  const auto name = db.hget("sample:user:1", "name");
  // Any reply can be decoded into the container the caller names.
  const auto user = db.exec<std::map<std::string, std::string>>(cmd::Hgetall{.key = "sample:user:1"});
  for (const auto& [field, value] : user) std::printf("%s = %s\n", field.c_str(), value.c_str());
  return name == std::optional<std::string>{"Ada"} && user.size() == 3 && user.at("logins") == "3" ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "hashes: %s\n", e.what());
  return 1;
}
