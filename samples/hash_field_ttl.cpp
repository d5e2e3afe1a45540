// Hash fields with their own expiry (Valkey 9.0): a session hash whose token
// field expires while the rest of the record stays.
#include <chrono>
#include <cstdio>
#include <string>

#include <valkey/valkey.hpp>

int main() try {
  using namespace valkey;
  using namespace std::chrono_literals;
  Client db{Config::from_env()};
  db.del("sample:session");

  db.hset("sample:session", {{"user", "ada"}, {"token", "t0k3n"}});
  // HEXPIRE answers one code per field: 1 = expiry set, -2 = no such field.
  const auto set = db.hexpire("sample:session", Seconds{60}, {"token", "missing"});
  const auto ttl = db.httl("sample:session", {"token", "user"});  // -1: no expiry
  std::printf("hexpire: %lld %lld, httl token=%lld user=%lld\n", static_cast<long long>(set.at(0)),
              static_cast<long long>(set.at(1)), static_cast<long long>(ttl.at(0)), static_cast<long long>(ttl.at(1)));

  // HSETEX sets fields and their expiry in one command.
  db.hsetex("sample:session", {{"csrf", "x1"}}, {.expiration = cmd::Hsetex::Px{1500ms}});
  const auto csrf_ttl = db.httl("sample:session", "csrf");
  db.hpersist("sample:session", "token");
  const auto token_ttl = db.httl("sample:session", "token");
  std::printf("csrf ttl %lld s, token ttl after HPERSIST %lld\n", static_cast<long long>(csrf_ttl.at(0)),
              static_cast<long long>(token_ttl.at(0)));

  const bool ok = set.at(0) == 1 && set.at(1) == -2 && ttl.at(0) > 0 && ttl.at(0) <= 60 && ttl.at(1) == -1 &&
                  csrf_ttl.at(0) >= 0 && csrf_ttl.at(0) <= 2 && token_ttl.at(0) == -1;
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "hash_field_ttl: %s\n", e.what());
  return 1;
}
