// TLS: connect with a CA bundle and (optionally) a client certificate.
//   VALKEY_URL=valkeys://host:port  VALKEY_TLS_CA=ca.crt
//   [VALKEY_TLS_CERT=client.crt VALKEY_TLS_KEY=client.key]
#include <cstdio>
#include <cstdlib>
#include <string>

#include <valkey/valkey.hpp>

static std::string env(const char* name, const char* fallback = "") {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

int main() try {
  valkey::Config config = valkey::Config::from_url(env("VALKEY_URL", "valkeys://127.0.0.1:6379"));
  config.tls.enabled = true;
  if (auto ca = env("VALKEY_TLS_CA"); !ca.empty()) config.tls.ca_file = ca;
  if (auto cert = env("VALKEY_TLS_CERT"); !cert.empty()) config.tls.cert_file = cert;
  if (auto key = env("VALKEY_TLS_KEY"); !key.empty()) config.tls.key_file = key;
  std::printf("connecting to %s\n", config.to_string().c_str());
  valkey::Client db{config};
  db.set("sample:tls", "encrypted");
  auto v = db.get("sample:tls");
  std::printf("over TLS: %s\n", v.value_or("(nil)").c_str());
  return v == std::optional<std::string>("encrypted") ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "tls: %s\n", e.what());
  return 1;
}
