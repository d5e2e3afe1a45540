// TLS set-up costs paid once per configuration, and a TLS URL aimed at a
// plaintext port failing fast with a reason a user can act on.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include <valkey/valkey.hpp>

#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using valkey::test::ServerOptions;
using valkey::test::ServerProcess;

namespace {

// Commands until one succeeds: the first after a kill may meet the dead socket.
bool get_eventually(valkey::Client& db, const std::string& key) {
  for (int i = 0; i < 100; ++i) {
    std::error_code ec;
    auto v = db.get(key, ec);
    if (!ec) return v == std::optional<std::string>("v");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("tls: one context per configuration, reused by reconnects and new clients", "[tls]") {
  ServerOptions o;
  o.tls = true;
  ServerProcess server{o};
  valkey::test::TempDir dir{"ca"};
  const std::string ca = dir.file("ca.crt");
  std::filesystem::copy_file(server.tls_files()->ca_cert, ca);

  valkey::Config c = valkey::Config::from_url(server.tls_url());
  c.tls.ca_file = ca;
  auto first = std::make_unique<valkey::Client>(c);
  first->set("k", "v");
  const std::string id = std::to_string(first->call({"CLIENT", "ID"}).as_integer());

  // The CA file is gone: anything that loaded it again would fail.
  std::filesystem::remove(ca);
  server.command({"CLIENT", "KILL", "ID", id});
  CHECK(get_eventually(*first, "k"));  // reconnected with the same context

  {
    valkey::Client second{c};  // a second client of the same configuration
    CHECK(second.get("k") == std::optional<std::string>("v"));
  }
  first.reset();
  {
    valkey::Client third{c};  // the configuration still holds the context
    CHECK(third.get("k") == std::optional<std::string>("v"));
  }

  // A configuration built anew reads the files again (how rotated
  // certificates are picked up), and says which file it could not read.
  valkey::Config fresh = valkey::Config::from_url(server.tls_url());
  fresh.tls.ca_file = ca;
  try {
    valkey::Client fourth{fresh};
    FAIL("a new configuration connected without its CA file");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::tls_error);
    CHECK(std::string(e.what()).find("cannot load ca_file") != std::string::npos);
  }
}

TEST_CASE("tls: a TLS URL against a plaintext port fails within the handshake timeout", "[tls]") {
  ServerProcess server;  // no TLS on its port
  valkey::Config c = valkey::Config::from_url("valkeys://127.0.0.1:" + std::to_string(server.port()));
  c.connect_timeout = std::chrono::seconds(30);
  c.tls.handshake_timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  try {
    valkey::Client db{c};
    FAIL("a TLS handshake with a plaintext server succeeded");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::tls_error);
    const std::string expected =
        "no TLS handshake from 127.0.0.1:" + std::to_string(server.port()) + ": is the server TLS-enabled?";
    CHECK(std::string(e.what()).find(expected) != std::string::npos);
  }
  // Bounded by the handshake timeout, not the 30 s connect timeout.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));
}
