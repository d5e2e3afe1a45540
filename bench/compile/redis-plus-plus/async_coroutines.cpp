// async_coroutines.cpp written against redis-plus-plus's coroutine interface
// (scripts/bench-compile.sh with BENCH_COMPILE_RPP). That interface brings
// no coroutine type of its own, so the program writes the smallest one; INCR
// and RPUSH have no typed coroutine form and go through command().
#include <sw/redis++/co_redis++.h>

#include <coroutine>
#include <exception>
#include <future>
#include <iostream>

struct Task {
  struct promise_type {
    Task get_return_object() { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};

Task run(sw::redis::CoRedis& r, std::promise<void>& done) {
  co_await r.set("k", "v");
  auto v = co_await r.get("k");
  auto n = co_await r.command<long long>("INCR", "n");
  auto len = co_await r.command<long long>("RPUSH", "list", "a", "b");
  std::cout << v.value_or("") << ' ' << n << ' ' << len << '\n';
  done.set_value();
}

int main() {
  sw::redis::CoRedis r{"tcp://127.0.0.1:6379"};
  std::promise<void> done;
  run(r, done);
  done.get_future().wait();
}
