// A program that uses an installed (or sub-project) valkey-cpp the way an
// application would: it is compiled with the consumer's strict warnings and
// run against a real server. Prints one line "consumer ok <version>" and
// exits 0 when every step gave the expected reply.
//
//   consumer valkey://127.0.0.1:PORT
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include <valkey/valkey.hpp>
#include <valkey/version.hpp>

// The library's own build definitions stay its own.
#ifdef ASIO_NO_DEPRECATED
#error "ASIO_NO_DEPRECATED reached a consumer of valkey-cpp"
#endif
#if !defined(VALKEY_CPP_VERSION_MAJOR) || !defined(VALKEY_CPP_VERSION)
#error "valkey/version.hpp does not define the version macros"
#endif
static_assert(valkey::version.major == VALKEY_CPP_VERSION_MAJOR);

namespace {

int fail(const std::string& what) {
  std::cerr << "consumer: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    return fail("usage: consumer valkey://host:port");
  }
  try {
    valkey::Client db{argv[1]};
    const std::string key = "valkey-cpp:consumer:" + std::to_string(VALKEY_CPP_VERSION_NUMBER);
    db.set(key, "installed");
    const std::optional<std::string> value = db.get(key);
    if (value != std::optional<std::string>{"installed"}) {
      return fail("GET returned " + value.value_or("(nil)"));
    }
    db.del({key});
    if (db.get(key).has_value()) {
      return fail("the key survived DEL");
    }
    const valkey::Reply pong = db.call({"PING", "consumer"});
    if (pong.as_string() != "consumer") {
      return fail("PING did not echo its argument");
    }
    std::cout << "consumer ok " << valkey::version_string << "\n";
    return 0;
  } catch (const valkey::Error& e) {
    return fail(std::string{"error: "} + e.what());
  }
}
