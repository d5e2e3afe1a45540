// Config::from_env: the URL and its overrides from environment variables.
#include <valkey/config.hpp>
#include <valkey/error.hpp>

#include <charconv>
#include <cstdlib>
#include <string>

namespace valkey {
namespace {

class Environment {
 public:
  explicit Environment(std::string_view prefix) : prefix_(prefix) {}

  // The variable's value, or empty when unset.
  std::string_view get(std::string_view name) {
    key_.assign(prefix_);
    key_ += name;
    const char* v = std::getenv(key_.c_str());
    return v ? std::string_view(v) : std::string_view{};
  }
  // The full name of the variable get() read last.
  const std::string& key() const noexcept { return key_; }

 private:
  std::string_view prefix_;
  std::string key_;
};

// Messages name the variable, never its value (it may be a password or a
// URL holding one).
std::error_code read(std::string_view prefix, Config& c, std::string& why) {
  Environment env(prefix);
  const std::string_view url = env.get("URL");
  std::error_code ec;
  c = Config::from_url(url.empty() ? std::string_view("valkey://127.0.0.1:6379") : url, ec);
  if (ec) {
    try {
      (void)Config::from_url(url);
    } catch (const Error& e) {
      why = env.key() + ": " + e.what();  // says what is wrong, without the URL
    }
    return ec;
  }
  auto text = [&](std::string_view name, std::string& field) {
    if (auto v = env.get(name); !v.empty()) field.assign(v);
  };
  text("USER", c.user);
  text("PASSWORD", c.password);
  text("CLIENT_NAME", c.client_name);
  text("TLS_CA_FILE", c.tls.ca_file);
  text("TLS_CERT_FILE", c.tls.cert_file);
  text("TLS_KEY_FILE", c.tls.key_file);
  text("TLS_SNI", c.tls.sni);
  if (auto v = env.get("DB"); !v.empty()) {
    auto r = std::from_chars(v.data(), v.data() + v.size(), c.database);
    if (r.ec != std::errc{} || r.ptr != v.data() + v.size() || c.database < 0) {
      why = env.key() + " must be a non-negative integer";
      return make_error_code(errc::invalid_url);
    }
  }
  for (auto [name, field] : {std::pair{"CONNECT_TIMEOUT", &c.connect_timeout}, std::pair{"REQUEST_TIMEOUT", &c.request_timeout}}) {
    if (auto v = env.get(name); !v.empty() && !parse_duration(v, *field)) {
      why = env.key() + " wants a duration like 500ms or 5s";
      return make_error_code(errc::invalid_url);
    }
  }
  return {};
}

}  // namespace

Config Config::from_env(std::string_view prefix, std::error_code& ec) {
  Config c;
  std::string why;
  ec = read(prefix, c, why);
  return ec ? Config{} : c;
}

Config Config::from_env(std::string_view prefix) {
  Config c;
  std::string why;
  if (auto ec = read(prefix, c, why)) {
    // The URL's message already ends with the code's; the others get it here.
    if (why.find(ec.message()) == std::string::npos) why += ": " + ec.message();
    throw Error(ec, std::move(why), ErrorContext{});
  }
  return c;
}

}  // namespace valkey
