// The TLS fixture: generated CA and certificates, server with tls-port.
// Checked with asio::ssl, independently of the client under test.
#include <catch2/catch_test_macros.hpp>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <optional>

#include "support/server_process.hpp"

using valkey::test::ServerOptions;
using valkey::test::ServerProcess;

namespace {

struct ClientCert {
  std::string cert, key;
};

// Connects with TLS, verifying the server against `ca`, and sends PING.
// Returns the reply line, or the error text when the handshake or read fails.
std::string tls_ping(int port, const std::string& ca, std::optional<ClientCert> client = std::nullopt,
                     const std::string& host = "127.0.0.1") {
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(ca);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  if (client) {
    ctx.use_certificate_chain_file(client->cert);
    ctx.use_private_key_file(client->key, asio::ssl::context::pem);
  }
  asio::ssl::stream<asio::ip::tcp::socket> s(io, ctx);
  s.set_verify_callback(asio::ssl::host_name_verification(host));
  std::error_code ec;
  s.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
  if (ec) return "connect: " + ec.message();
  s.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return "handshake: " + ec.message();
  asio::write(s, asio::buffer(std::string("*1\r\n$4\r\nPING\r\n")), ec);
  if (ec) return "write: " + ec.message();
  std::string line;
  asio::read_until(s, asio::dynamic_buffer(line), "\r\n", ec);
  if (ec) return "read: " + ec.message();
  return line.substr(0, line.find("\r\n"));
}

}  // namespace

TEST_CASE("fixture: a TLS server accepts a connection verified with the generated CA", "[fixture][tls]") {
  ServerOptions o;
  o.tls = true;
  ServerProcess server(o);
  INFO(server.log());
  REQUIRE(server.tls_port() > 0);
  REQUIRE(server.tls_port() != server.port());
  REQUIRE(server.tls_files() != nullptr);
  CHECK(server.tls_url() == "valkeys://127.0.0.1:" + std::to_string(server.tls_port()));
  CHECK(tls_ping(server.tls_port(), server.tls_files()->ca_cert) == "+PONG");
  CHECK(tls_ping(server.tls_port(), server.tls_files()->ca_cert, std::nullopt, "localhost") == "+PONG");
  // The plain port stays open alongside, for fixture-side commands.
  CHECK(server.command({"PING"}).as_string() == "PONG");
}

TEST_CASE("fixture: the generated certificates fail verification where they must", "[fixture][tls]") {
  ServerOptions o;
  o.tls = true;
  ServerProcess server(o);
  // A CA that did not sign the server certificate.
  CHECK(tls_ping(server.tls_port(), server.tls_files()->other_ca_cert).rfind("handshake:", 0) == 0);
  // A name the certificate does not carry.
  CHECK(tls_ping(server.tls_port(), server.tls_files()->ca_cert, std::nullopt, "example.com").rfind("handshake:", 0) == 0);
}

TEST_CASE("fixture: tls-auth-clients yes requires the generated client certificate", "[fixture][tls]") {
  ServerOptions o;
  o.tls = true;
  o.tls_auth_clients = "yes";
  ServerProcess server(o);
  const auto& f = *server.tls_files();
  CHECK(tls_ping(server.tls_port(), f.ca_cert, ClientCert{f.client_cert, f.client_key}) == "+PONG");
  // Without one the server refuses: in TLS 1.3 that shows after the handshake.
  CHECK(tls_ping(server.tls_port(), f.ca_cert) != "+PONG");
}
