// Compile-time program 4 (scripts/bench-compile.sh): commands with options
// and expirations, sorted sets, as a user reaches for after the basics.
#include <valkey/client.hpp>

#include <chrono>
#include <iostream>

int main() {
  using namespace std::chrono_literals;
  valkey::Client db{"valkey://127.0.0.1:6379"};
  db.set("session", "token", {.condition = valkey::nx, .expiration = valkey::cmd::Set::Ex{30s}});
  db.expire("session", 60, {.condition = valkey::gt});
  db.zadd("board", {{10.0, "ada"}, {7.5, "bob"}});
  auto top = db.zrange("board", 0, -1);
  auto ttl = db.ttl("session");
  std::cout << top.size() << ' ' << ttl << '\n';
}
