// TLS: a self-signed CA, mutual TLS, verification failures.
#include <catch2/catch_test_macros.hpp>

#include <valkey/valkey.hpp>

#include "support/server_process.hpp"

using valkey::test::ServerOptions;
using valkey::test::ServerProcess;

namespace {
valkey::Config tls_config(const ServerProcess& s) {
  valkey::Config c = valkey::Config::from_url(s.tls_url());
  c.tls.ca_file = s.tls_files()->ca_cert;
  c.connect_timeout = std::chrono::seconds(5);
  return c;
}
}  // namespace

TEST_CASE("tls: verified connection with the test CA", "[tls]") {
  ServerOptions o;
  o.tls = true;
  ServerProcess server{o};
  valkey::Client db{tls_config(server)};
  db.set("k", "secure");
  CHECK(db.get("k") == std::optional<std::string>("secure"));
  // also through the URL
  valkey::Client db2{server.tls_url() + "?ca_file=" + server.tls_files()->ca_cert};
  CHECK(db2.get("k") == std::optional<std::string>("secure"));
}

TEST_CASE("tls: mutual TLS", "[tls]") {
  ServerOptions o;
  o.tls = true;
  o.tls_auth_clients = "yes";
  ServerProcess server{o};
  auto c = tls_config(server);
  SECTION("with a client certificate") {
    c.tls.cert_file = server.tls_files()->client_cert;
    c.tls.key_file = server.tls_files()->client_key;
    valkey::Client db{c};
    CHECK(db.incr("n") == 1);
  }
  SECTION("without one the server refuses") {
    CHECK_THROWS_AS(valkey::Client{c}, valkey::Error);
  }
}

TEST_CASE("tls: verification failures", "[tls]") {
  ServerOptions o;
  o.tls = true;
  ServerProcess server{o};
  SECTION("host name mismatch") {
    auto c = tls_config(server);
    c.tls.sni = "not-the-server.example";  // the certificate names 127.0.0.1 and localhost
    try {
      valkey::Client db{c};
      FAIL("connected to a server whose name does not match");
    } catch (const valkey::Error& e) {
      CHECK(e.code() == valkey::errc::tls_error);
      CHECK(std::string(e.what()).find("certificate verify failed") != std::string::npos);
    }
    // the explicit opt-out connects
    c.tls.verify_hostname = false;
    valkey::Client db{c};
    CHECK(db.incr("n") == 1);
  }
  SECTION("unknown CA") {
    auto c = tls_config(server);
    c.tls.ca_file = server.tls_files()->other_ca_cert;
    try {
      valkey::Client db{c};
      FAIL("connected to a server signed by an unknown CA");
    } catch (const valkey::Error& e) {
      CHECK(e.code() == valkey::errc::tls_error);
    }
    c.tls.verify_peer = false;
    valkey::Client db{c};
    CHECK(db.incr("n") == 1);
  }
  SECTION("localhost by name verifies") {
    auto c = tls_config(server);
    c.host = "localhost";
    valkey::Client db{c};
    CHECK(db.incr("m") == 1);
  }
}
