// set_options.cpp written against redis-plus-plus (scripts/bench-compile.sh
// with BENCH_COMPILE_RPP). EXPIRE's GT has no typed form there, so it goes
// through the generic command().
#include <sw/redis++/redis++.h>

#include <chrono>
#include <iostream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

int main() {
  using namespace std::chrono_literals;
  auto db = sw::redis::Redis("tcp://127.0.0.1:6379");
  db.set("session", "token", 30s, sw::redis::UpdateType::NOT_EXIST);
  db.command<long long>("EXPIRE", "session", "60", "GT");
  db.zadd("board", {std::make_pair("ada", 10.0), std::make_pair("bob", 7.5)});
  std::vector<std::string> top;
  db.zrange("board", 0, -1, std::back_inserter(top));
  long long ttl = db.ttl("session");
  std::cout << top.size() << ' ' << ttl << '\n';
}
