// Quickstart: connect with the synchronous client, set, get and increment.
//
//   VALKEY_URL=valkey://127.0.0.1:6379 ./quickstart
//
// The URL may carry credentials, a database and options:
// valkey://user:password@host:port/db, valkeys://... for TLS, unix:///path.
#include <iostream>

#include <valkey/valkey.hpp>

int main() {
  try {
    // VALKEY_URL (default valkey://127.0.0.1:6379), VALKEY_PASSWORD, ...: see Config::from_env.
    valkey::Client db{valkey::Config::from_env()};
    std::cout << "connected to " << db.config().to_string() << "\n";  // the password shows as ***

    db.set("quickstart:greeting", "hello from valkey-cpp");
    std::optional<std::string> greeting = db.get("quickstart:greeting");
    std::cout << "GET quickstart:greeting -> " << greeting.value_or("(nil)") << "\n";

    std::optional<std::string> missing = db.get("quickstart:missing");
    std::cout << "GET quickstart:missing -> " << (missing ? *missing : "(nil)") << "\n";

    db.del({"quickstart:hits"});
    for (int i = 0; i < 3; ++i) {
      std::int64_t hits = db.incr("quickstart:hits");
      std::cout << "INCR quickstart:hits -> " << hits << "\n";
    }

    // Any command without a typed struct: call() returns a generic Reply.
    valkey::Reply pong = db.call({"PING", "quickstart"});
    std::cout << "PING -> " << pong.as_string() << "\n";

    // Errors from the server keep their prefix and message.
    db.call({"LPUSH", "quickstart:list", "x"});
    try {
      (void)db.get("quickstart:list");
    } catch (const valkey::ServerError& e) {
      std::cout << "GET on a list -> " << e.prefix() << " (" << e.message() << ")\n";
    }
    db.del({"quickstart:greeting", "quickstart:hits", "quickstart:list"});
    return 0;
  } catch (const valkey::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
