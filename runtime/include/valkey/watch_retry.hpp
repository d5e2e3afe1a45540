#pragma once
// valkey::watch_retry(): the optimistic-transaction loop. WATCH the keys on a
// connection of their own, let `fn` read and queue its MULTI ... EXEC, and
// when EXEC answers that a watched key changed (errc::exec_aborted), WATCH
// again and run `fn` again, up to `attempts` times:
//
//   auto [ok] = valkey::watch_retry(db, {"balance"}, [](valkey::Watch& w) {
//     std::int64_t cur = std::stoll(w.get("balance").value_or("0"));
//     return w.multi().set("balance", std::to_string(cur + 10)).exec();
//   });
//
// `fn` takes the Watch (reads run on the watched connection) and returns
// what the transaction's exec() returns; it may run several times, so it
// must not have effects outside the transaction that cannot be repeated.
// An aborted EXEC ran none of the queued commands: running `fn` again is
// always safe for the data. After the last attempt the exec_aborted Error
// propagates; any other failure propagates at once. One connection serves
// every attempt (EXEC ends a WATCH, so each attempt sends WATCH again).
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <valkey/client.hpp>
#include <valkey/error.hpp>
#include <valkey/transaction.hpp>
#include <valkey/view.hpp>

namespace valkey {

template <class Fn>
auto watch_retry(Client& db, Strings keys, Fn&& fn, int attempts = 10) -> std::invoke_result_t<Fn&, Watch&> {
  if (attempts < 1) throw Error(make_error_code(errc::invalid_argument), "watch_retry: attempts must be at least 1");
  Watch w{db, keys};
  std::vector<std::string_view> rewatch;
  for (int attempt = 1;; ++attempt) {
    try {
      return fn(w);
    } catch (const Error& e) {
      if (e.code() != errc::exec_aborted || attempt >= attempts) throw;
    }
    if (rewatch.empty()) {
      rewatch.reserve(keys.size() + 1);
      rewatch.emplace_back("WATCH");
      keys.for_each([&](std::string_view k) { rewatch.push_back(k); });
    }
    w.call(rewatch);
  }
}

}  // namespace valkey
