// pipeline_transaction.cpp written against redis-plus-plus
// (scripts/bench-compile.sh with BENCH_COMPILE_RPP).
#include <sw/redis++/redis++.h>

#include <iostream>

int main() {
  auto db = sw::redis::Redis("tcp://127.0.0.1:6379");
  auto pipe = db.pipeline();
  auto replies = pipe.get("a").incr("b").exec();
  auto a = replies.get<sw::redis::OptionalString>(0);
  auto b = replies.get<long long>(1);
  auto tx = db.transaction();
  auto results = tx.set("x", "1").incr("x").exec();
  auto ok = results.get<bool>(0);
  auto n = results.get<long long>(1);
  std::cout << a.value_or("") << ' ' << b << ' ' << ok << ' ' << n << '\n';
}
