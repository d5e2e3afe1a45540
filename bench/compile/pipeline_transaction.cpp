// Compile-time program 3 (scripts/bench-compile.sh): a pipeline and a
// transaction on the sync Client.
#include <valkey/client.hpp>
#include <valkey/pipeline.hpp>
#include <valkey/transaction.hpp>

#include <iostream>

int main() {
  valkey::Client db{"valkey://127.0.0.1:6379"};
  auto [a, b] = db.pipeline().get("a").incr("b").exec();
  auto [ok, n] = db.transaction().set("x", "1").incr("x").exec();
  std::cout << a.value_or("") << ' ' << b << ' ' << ok << ' ' << n << '\n';
}
