// The asynchronous program written against redis-plus-plus's AsyncRedis,
// whose calls return futures (scripts/bench-compile.sh with
// BENCH_COMPILE_RPP): the same four commands as async_coroutines.cpp.
#include <sw/redis++/async_redis++.h>

#include <iostream>

int main() {
  sw::redis::AsyncRedis r{"tcp://127.0.0.1:6379"};
  r.set("k", "v").get();
  auto v = r.get("k").get();
  auto n = r.incr("n").get();
  auto len = r.rpush("list", {"a", "b"}).get();
  std::cout << v.value_or("") << ' ' << n << ' ' << len << '\n';
}
