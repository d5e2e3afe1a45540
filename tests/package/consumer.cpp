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
    // A pipeline and a transaction: clang 14 once rejected both (a batch
    // builder's constraint checked while the builder was incomplete).
    const std::string counter = key + ":n";
    db.del({counter});
    const auto [count, again] = db.pipeline().incr(counter).get(key).exec();
    if (count != 1 || again != std::optional<std::string>{"installed"}) {
      return fail("the pipeline's replies were not INCR's 1 and GET's value");
    }
    const auto [second, third] = db.transaction().incr(counter).incr(counter).exec();
    if (second != 2 || third != 3) {
      return fail("the transaction's replies were not 2 and 3");
    }
    // A reply record holding other records: clang once could not decode it
    // (the inner records were defined inside the command's struct).
    const auto stats = db.function_stats();
    if (stats.engines.empty()) {
      return fail("FUNCTION STATS listed no engine");
    }
    db.del({key, counter});
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
