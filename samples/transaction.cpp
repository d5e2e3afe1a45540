// Transactions: MULTI/EXEC with typed results, and optimistic locking with
// WATCH on a dedicated connection (a compare-and-set retry loop).
#include <cstdio>
#include <string>

#include <valkey/transaction.hpp>
#include <valkey/valkey.hpp>

int main() try {
  valkey::Client db{valkey::Config::from_env()};
  db.set("sample:balance", "100");
  auto [ok, n] = valkey::transaction(db).set("sample:tx:last", "deposit").incr("sample:tx:count").exec();
  std::printf("transaction: count=%lld\n", static_cast<long long>(n));

  // withdraw 30 atomically: WATCH, read, MULTI/EXEC; retry when aborted
  for (int attempt = 1;; ++attempt) {
    valkey::Watch w{db, {"sample:balance"}};
    long long balance = std::stoll(w.get("sample:balance").value_or("0"));
    if (attempt == 1) db.incrby("sample:balance", 1);  // a concurrent writer: the first attempt aborts
    std::error_code ec;
    w.multi().set("sample:balance", std::to_string(balance - 30)).exec(ec);
    if (ec == valkey::errc::exec_aborted) {
      std::printf("attempt %d: balance changed, retrying\n", attempt);
      continue;
    }
    if (ec) throw valkey::Error(ec);
    std::printf("attempt %d: committed\n", attempt);
    break;
  }
  auto final_balance = db.get("sample:balance");
  std::printf("balance: %s\n", final_balance.value_or("(nil)").c_str());
  return final_balance == std::optional<std::string>("71") ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "transaction: %s\n", e.what());
  return 1;
}
