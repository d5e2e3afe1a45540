// Config::from_env: the URL, its overrides, and errors that name the variable
// but never its value.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include <valkey/config.hpp>
#include <valkey/error.hpp>

using namespace std::chrono_literals;
using Catch::Matchers::ContainsSubstring;
using valkey::Config;

namespace {

// Sets variables under a prefix no real deployment uses, and unsets them
// again however the test ends.
class ScopedEnv {
 public:
  ScopedEnv& set(const std::string& name, const char* value) {
    ::setenv(name.c_str(), value, 1);
    names_.push_back(name);
    return *this;
  }
  ~ScopedEnv() {
    for (const auto& n : names_) ::unsetenv(n.c_str());
  }

 private:
  std::vector<std::string> names_;
};

constexpr const char* kPrefix = "VKCPP_TEST_";

}  // namespace

TEST_CASE("config env: nothing set gives the local default", "[config][env]") {
  Config c = Config::from_env(kPrefix);
  CHECK(c.host == "127.0.0.1");
  CHECK(c.port == 6379);
  CHECK(c.password.empty());
}

TEST_CASE("config env: the URL and its overrides", "[config][env]") {
  ScopedEnv env;
  env.set("VKCPP_TEST_URL", "valkeys://h.example:6390/1?client_name=from-url")
      .set("VKCPP_TEST_USER", "app")
      .set("VKCPP_TEST_PASSWORD", "s3cret")
      .set("VKCPP_TEST_DB", "4")
      .set("VKCPP_TEST_CONNECT_TIMEOUT", "750ms")
      .set("VKCPP_TEST_REQUEST_TIMEOUT", "2s")
      .set("VKCPP_TEST_TLS_CA_FILE", "/etc/ca.pem")
      .set("VKCPP_TEST_TLS_SNI", "cache.internal")
      .set("VKCPP_TEST_CLIENT_NAME", "");  // empty: ignored
  Config c = Config::from_env(kPrefix);
  CHECK(c.host == "h.example");
  CHECK(c.port == 6390);
  CHECK(c.tls.enabled);
  CHECK(c.user == "app");
  CHECK(c.password == "s3cret");
  CHECK(c.database == 4);
  CHECK(c.connect_timeout == 750ms);
  CHECK(c.request_timeout == 2s);
  CHECK(c.tls.ca_file == "/etc/ca.pem");
  CHECK(c.tls.sni == "cache.internal");
  CHECK(c.client_name == "from-url");
  CHECK(c.to_string().find("s3cret") == std::string::npos);
}

TEST_CASE("config env: errors name the variable, never the value", "[config][env]") {
  struct Case {
    const char* name;
    const char* value;
  };
  for (auto [name, value] : {Case{"VKCPP_TEST_URL", "http://u:hunter2@h"}, Case{"VKCPP_TEST_DB", "hunter2"},
                             Case{"VKCPP_TEST_CONNECT_TIMEOUT", "hunter2"}}) {
    INFO(name);
    ScopedEnv env;
    env.set(name, value);
    std::error_code ec;
    (void)Config::from_env(kPrefix, ec);
    CHECK(ec == valkey::errc::invalid_url);
    try {
      (void)Config::from_env(kPrefix);
      FAIL("parsed");
    } catch (const valkey::Error& e) {
      CHECK(e.code() == valkey::errc::invalid_url);
      CHECK_THAT(e.what(), ContainsSubstring(name));
      CHECK_THAT(e.what(), !ContainsSubstring("hunter2"));
    }
  }
}
