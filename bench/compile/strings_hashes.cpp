// Compile-time program 1 (scripts/bench-compile.sh): the sync Client with a
// handful of string and hash commands, as a first program from the README.
#include <valkey/client.hpp>

#include <iostream>
#include <map>
#include <string>

int main() {
  valkey::Client db{"valkey://127.0.0.1:6379"};
  db.set("greeting", "hello");
  std::optional<std::string> g = db.get("greeting");
  std::int64_t hits = db.incr("hits");
  db.hset("user:1", "name", "Ada");
  auto user = db.exec<std::map<std::string, std::string>>(valkey::cmd::Hgetall{.key = "user:1"});
  db.del("greeting");
  std::cout << g.value_or("") << ' ' << hits << ' ' << user.size() << '\n';
}
