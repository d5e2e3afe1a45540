// WATCH sessions: the dedicated connection they run on.
#include <valkey/async_watch.hpp>
#include <valkey/transaction.hpp>

namespace valkey {

namespace detail {

Config watch_config(const Config& base) {
  Config c = base;
  // The user may take their time between WATCH and EXEC; an idle PING is
  // harmless, but a request timeout or a reconnect would silently drop the
  // WATCH, so a lost connection must fail the transaction instead.
  c.reconnect.enabled = false;
  c.when_disconnected = DisconnectedPolicy::fail;
  // No resends either: the connection cannot come back, and watch_retry()
  // is the loop that makes sense around an optimistic transaction.
  c.retry.reset();
  return c;
}

}  // namespace detail

Watch::Watch(const Client& db, Strings keys) : Watch(db.config(), keys) {}

Watch::Watch(const Config& config, Strings keys) : db_(std::make_unique<Client>(detail::watch_config(config))) {
  std::vector<std::string_view> argv;
  argv.reserve(keys.size() + 1);
  argv.emplace_back("WATCH");
  keys.for_each([&](std::string_view k) { argv.push_back(k); });
  db_->call(argv);
}

}  // namespace valkey
