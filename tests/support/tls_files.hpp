#pragma once
// Test certificates made with the openssl CLI: a CA, a server certificate for
// 127.0.0.1/localhost and a client certificate, all signed by that CA.
#include <memory>
#include <string>

namespace valkey::test {

struct TlsFiles {
  std::string dir;
  std::string ca_cert;      // ca.crt
  std::string ca_key;       // ca.key
  std::string server_cert;  // server.crt, SAN IP:127.0.0.1, DNS:localhost
  std::string server_key;
  std::string client_cert;  // client.crt, CN=valkey-cpp-test-client
  std::string client_key;
  std::string other_ca_cert;  // other-ca.crt: a CA that signed nothing here, for "wrong CA" tests
};

// Writes the files into dir (which must exist) and returns their paths. EC
// P-256 keys keep it fast (~50 ms). Throws with openssl's output on failure.
TlsFiles generate_tls_files(const std::string& dir);

}  // namespace valkey::test
