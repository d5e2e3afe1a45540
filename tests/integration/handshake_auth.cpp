// The connection handshake: ACL users, passwords, database, client name,
// RESP2, Redis 7, Unix sockets; refusals map to auth_failed/handshake_failed.
#include <catch2/catch_test_macros.hpp>

#include <valkey/valkey.hpp>

#include "client_test_util.hpp"
#include "support/redis7.hpp"
#include "support/server_process.hpp"
#include "support/server_version.hpp"

using valkey::test::ServerOptions;
using valkey::test::ServerProcess;

namespace {
std::string with_credentials(const ServerProcess& s, const std::string& userinfo, const std::string& tail = "") {
  return "valkey://" + userinfo + "@127.0.0.1:" + std::to_string(s.port()) + tail;
}
}  // namespace

TEST_CASE("handshake: ACL user and password, database and client name", "[handshake]") {
  ServerOptions o;
  o.password = "adminpw";
  o.users = {{"alice", "alicepw"}};
  ServerProcess server{o};
  valkey::Client db{with_credentials(server, "alice:alicepw", "/3?client_name=tester")};
  db.set("k", "in-db-3");
  valkey::Reply who = db.call({"ACL", "WHOAMI"});
  CHECK(who.as_string() == "alice");
  valkey::Reply name = db.call({"CLIENT", "GETNAME"});
  CHECK(name.as_string() == "tester");
  // the key landed in database 3
  valkey::test::RespConnection raw{"127.0.0.1", server.port()};
  CHECK(raw.command({"AUTH", "adminpw"}).as_string() == "OK");
  CHECK(raw.command({"SELECT", "3"}).as_string() == "OK");
  CHECK(raw.command({"GET", "k"}).as_string() == "in-db-3");
  // the library announced itself (CLIENT SETINFO; a server without it ignores
  // the refusal in the handshake)
  valkey::Reply info = db.call({"CLIENT", "INFO"});
  if (valkey::test::has_client_setinfo(valkey::test::server_version()))
    CHECK(std::string(info.as_string()).find("lib-name=valkey-cpp") != std::string::npos);
  CHECK(db.config().to_string().find("alicepw") == std::string::npos);
}

TEST_CASE("handshake: password of the default user", "[handshake]") {
  ServerOptions o;
  o.password = "s3cret";
  ServerProcess server{o};
  valkey::Client db{with_credentials(server, ":s3cret")};
  CHECK(db.incr("n") == 1);
}

TEST_CASE("handshake: wrong password or unknown user -> auth_failed with the server's words", "[handshake]") {
  ServerOptions o;
  o.password = "right";
  o.users = {{"bob", "bobpw"}};
  ServerProcess server{o};
  for (std::string userinfo : {":wrong", "bob:wrong", "nobody:right"}) {
    INFO(userinfo);
    try {
      valkey::Client db{with_credentials(server, userinfo)};
      FAIL("connected with bad credentials");
    } catch (const valkey::Error& e) {
      CHECK(e.code() == valkey::errc::auth_failed);
      std::string what = e.what();
      CHECK(what.find("WRONGPASS") != std::string::npos);
      CHECK(what.find("wrong") == std::string::npos);  // the password is not echoed
    }
  }
  // no password at all on a protected server: HELLO answers NOAUTH
  try {
    valkey::Client db{server.url()};
    FAIL("connected without a password");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::auth_failed);
    CHECK(std::string(e.what()).find("NOAUTH") != std::string::npos);
  }
}

TEST_CASE("handshake: async first connection failure reaches the waiting requests", "[handshake][async]") {
  ServerOptions o;
  o.password = "right";
  ServerProcess server{o};
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), with_credentials(server, ":wrong")};
  std::error_code got;
  bool done = false;
  c.get("k", [&](std::error_code ec, std::optional<std::string>) {
    got = ec;
    done = true;
  });
  valkey::test::run_until(ioc, [&] { return done; }, std::chrono::seconds(5));
  CHECK(done);
  CHECK(got == valkey::errc::auth_failed);
  CHECK(c.connection().last_error().find("WRONGPASS") != std::string::npos);
}

TEST_CASE("handshake: bad database -> handshake_failed", "[handshake]") {
  ServerProcess server;
  try {
    valkey::Client db{server.url() + "/99999"};
    FAIL("connected to a database that does not exist");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::handshake_failed);
    CHECK(std::string(e.what()).find("SELECT") != std::string::npos);
  }
}

TEST_CASE("handshake: RESP2 mode", "[handshake]") {
  ServerOptions o;
  o.users = {{"carol", "carolpw"}};
  ServerProcess server{o};
  valkey::Client db{with_credentials(server, "carol:carolpw", "/2?protocol=resp2&client_name=r2")};
  valkey::Reply info = db.call({"CLIENT", "INFO"});
  CHECK(std::string(info.as_string()).find("resp=2") != std::string::npos);
  CHECK(std::string(info.as_string()).find("name=r2") != std::string::npos);
  CHECK(std::string(info.as_string()).find("db=2") != std::string::npos);
  db.set("x", "1");
  CHECK(db.incr("x") == 2);
  // the server sends a flat array; call() hands it out as the RESP3 map
  // (docs/commands.md), and the typed decoder reads the flat array itself
  db.call({"HSET", "h", "a", "1", "b", "2"});
  valkey::Reply h = db.call({"HGETALL", "h"});
  CHECK(h.is_map());
  CHECK(h.size() == 2);
  CHECK(h["b"].as_string() == "2");
  CHECK(db.hgetall("h").size() == 2);
}

TEST_CASE("handshake: RESP3 is the default", "[handshake]") {
  ServerProcess server;
  valkey::Client db{server.url()};
  valkey::Reply info = db.call({"CLIENT", "INFO"});
  CHECK(std::string(info.as_string()).find("resp=3") != std::string::npos);
  db.call({"HSET", "h", "a", "1"});
  valkey::Reply h = db.call({"HGETALL", "h"});
  CHECK(h.is_map());
}

TEST_CASE("handshake: Redis 7 compatibility", "[handshake][redis]") {
  ServerOptions o;
  o.password = "pw7";
  valkey::test::Redis7 redis{o};
  valkey::Client db{with_credentials(redis, ":pw7", "/1")};
  db.set("k", "v");
  CHECK(db.get("k") == std::optional<std::string>("v"));
  CHECK(db.incr("n") == 1);
  try {
    valkey::Client bad{with_credentials(redis, ":nope")};
    FAIL("connected with a wrong password");
  } catch (const valkey::Error& e) {
    CHECK(e.code() == valkey::errc::auth_failed);
  }
}

TEST_CASE("handshake: Unix socket", "[handshake]") {
  ServerProcess server;
  REQUIRE_FALSE(server.unix_socket_path().empty());
  valkey::Client db{"unix://" + server.unix_socket_path() + "?db=1"};
  db.set("u", "over unix");
  CHECK(db.get("u") == std::optional<std::string>("over unix"));
  valkey::Reply info = db.call({"CLIENT", "INFO"});
  CHECK(std::string(info.as_string()).find("db=1") != std::string::npos);
}

TEST_CASE("handshake: nothing listening -> the constructor throws", "[handshake]") {
  int port;
  {
    ServerProcess s;
    port = s.port();
  }
  valkey::Config c;
  c.port = static_cast<std::uint16_t>(port);
  c.connect_timeout = std::chrono::seconds(2);
  CHECK_THROWS_AS(valkey::Client{c}, valkey::Error);
}
