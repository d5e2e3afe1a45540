// strings_hashes.cpp written against redis-plus-plus, for the compile-time
// comparison (scripts/bench-compile.sh with BENCH_COMPILE_RPP): the same
// commands, in the spelling that library's README teaches.
#include <sw/redis++/redis++.h>

#include <iostream>
#include <iterator>
#include <map>
#include <string>

int main() {
  auto db = sw::redis::Redis("tcp://127.0.0.1:6379");
  db.set("greeting", "hello");
  sw::redis::OptionalString g = db.get("greeting");
  long long hits = db.incr("hits");
  db.hset("user:1", "name", "Ada");
  std::map<std::string, std::string> user;
  db.hgetall("user:1", std::inserter(user, user.begin()));
  db.del("greeting");
  std::cout << g.value_or("") << ' ' << hits << ' ' << user.size() << '\n';
}
