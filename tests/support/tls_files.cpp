#include "tls_files.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

namespace valkey::test {
namespace {

// Runs a shell command, throwing with its output when it fails.
void run(const std::string& cmd) {
  std::string full = cmd + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed for: " + cmd);
  std::string out;
  std::array<char, 512> buf;
  while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  int status = ::pclose(p);
  if (status != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("certificate generation failed: " + cmd + "\n" + out);
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TlsFiles generate_tls_files(const std::string& dir) {
  TlsFiles f;
  f.dir = dir;
  f.ca_cert = dir + "/ca.crt";
  f.ca_key = dir + "/ca.key";
  f.server_cert = dir + "/server.crt";
  f.server_key = dir + "/server.key";
  f.client_cert = dir + "/client.crt";
  f.client_key = dir + "/client.key";
  f.other_ca_cert = dir + "/other-ca.crt";
  const std::string ossl = "openssl";
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

  run(ossl + " req -x509" + ec + " -days 2 -subj /CN=valkey-cpp-test-ca -keyout " + quote(f.ca_key) +
      " -out " + quote(f.ca_cert));
  run(ossl + " req -x509" + ec + " -days 2 -subj /CN=valkey-cpp-other-ca -keyout " + quote(dir + "/other-ca.key") +
      " -out " + quote(f.other_ca_cert));

  // clientAuth too: replication and the cluster bus present the server's cert.
  std::ofstream(dir + "/server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                        "extendedKeyUsage=serverAuth,clientAuth\n";
  std::ofstream(dir + "/client.ext") << "extendedKeyUsage=clientAuth\n";
  for (const char* who : {"server", "client"}) {
    std::string w = who;
    run(ossl + " req" + ec + " -subj /CN=valkey-cpp-test-" + w + " -keyout " + quote(dir + "/" + w + ".key") +
        " -out " + quote(dir + "/" + w + ".csr"));
    run(ossl + " x509 -req -days 2 -in " + quote(dir + "/" + w + ".csr") + " -CA " + quote(f.ca_cert) + " -CAkey " +
        quote(f.ca_key) + " -CAcreateserial -extfile " + quote(dir + "/" + w + ".ext") + " -out " +
        quote(dir + "/" + w + ".crt"));
  }
  return f;
}

}  // namespace valkey::test
