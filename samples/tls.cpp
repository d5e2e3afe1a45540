// TLS: connect with a CA bundle and (optionally) a client certificate.
//   VALKEY_URL=valkeys://host:port  VALKEY_TLS_CA_FILE=ca.crt
//   [VALKEY_TLS_CERT_FILE=client.crt VALKEY_TLS_KEY_FILE=client.key]
// Config::from_env() reads these variables; the sample turns TLS on even for
// a valkey:// URL, since TLS is its point.
#include <cstdio>
#include <string>

#include <valkey/valkey.hpp>

int main() try {
  valkey::Config config = valkey::Config::from_env();
  config.tls.enabled = true;
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
