// The handshake of a connection whose address came from the sentinels, byte
// for byte: CLIENT CAPA redirect (primaries only; its refusal ignored) and
// ROLE last, checked against the role the sentinel named.
#include <catch2/catch_test_macros.hpp>

#include <valkey/error.hpp>

#include "../../runtime/src/io/handshake.hpp"
#include "mux_support.hpp"

using valkey::Config;
using valkey::Protocol;
using valkey::errc;
using valkey::io::Handshake;
using valkey::test::encode_command;

namespace {

const std::string kSetinfo = encode_command({"CLIENT", "SETINFO", "LIB-NAME", "valkey-cpp"}) +
                             encode_command({"CLIENT", "SETINFO", "LIB-VER", VALKEY_CPP_VERSION});
const std::string kCapa = encode_command({"CLIENT", "CAPA", "redirect"});
const std::string kRole = encode_command({"ROLE"});

const std::string kHello = "%1\r\n$5\r\nproto\r\n:3\r\n";
const std::string kPrimaryRole = "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n";
const std::string kReplicaRole = "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:10\r\n";

// Feeds `wire` split at `cut`.
Handshake::Status feed(Handshake& h, std::string_view wire, std::size_t cut) {
  std::string buf;
  Handshake::Status st = Handshake::Status::reading;
  for (std::string_view part : {wire.substr(0, cut), wire.substr(cut)}) {
    buf.append(part);
    std::size_t used = 0;
    st = h.on_read(buf, used);
    buf.erase(0, used);
    if (st != Handshake::Status::reading) break;
  }
  return st;
}

}  // namespace

TEST_CASE("sentinel handshake: a primary gets CLIENT CAPA redirect, then ROLE", "[handshake-fsm][sentinel]") {
  Config c;
  Handshake h{c, "master"};
  CHECK(h.request() == encode_command({"HELLO", "3"}) + kSetinfo + kCapa + kRole);
  // RESP2: the same two after the RESP2 plan.
  c.protocol = Protocol::resp2;
  c.password = "pw";
  Handshake r2{c, "master"};
  CHECK(r2.request() == encode_command({"AUTH", "pw"}) + kSetinfo + kCapa + kRole);
}

TEST_CASE("sentinel handshake: a replica gets ROLE without CLIENT CAPA redirect", "[handshake-fsm][sentinel]") {
  // A replica with the capability would redirect reads too.
  Config c;
  Handshake h{c, "slave"};
  CHECK(h.request() == encode_command({"HELLO", "3"}) + kSetinfo + kRole);
  // Without a role to check (a plain connection): neither.
  Handshake plain{c};
  CHECK(plain.request() == encode_command({"HELLO", "3"}) + kSetinfo);
}

TEST_CASE("sentinel handshake: a server without CLIENT CAPA is still a primary", "[handshake-fsm][sentinel]") {
  Config c;
  // Valkey 8.0+ answers +OK; Redis 7 refuses the subcommand.
  for (const char* capa : {"+OK\r\n", "-ERR unknown subcommand 'CAPA'. Try CLIENT HELP.\r\n"}) {
    const std::string wire = kHello + "+OK\r\n+OK\r\n" + capa + kPrimaryRole;
    for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
      INFO(capa << "cut at " << cut);
      Handshake h{c, "master"};
      CHECK(feed(h, wire, cut) == Handshake::Status::ready);
      CHECK(!h.error());
    }
  }
}

TEST_CASE("sentinel handshake: a replica where the sentinel named a primary fails with wrong_role",
          "[handshake-fsm][sentinel]") {
  Config c;
  Handshake h{c, "master"};
  CHECK(feed(h, kHello + "+OK\r\n+OK\r\n+OK\r\n" + kReplicaRole, 7) == Handshake::Status::failed);
  CHECK(h.error() == errc::wrong_role);
  CHECK(h.message() == "ROLE reports slave where the sentinel named a master");
  Handshake r{c, "slave"};
  CHECK(feed(r, kHello + "+OK\r\n+OK\r\n" + kReplicaRole, 3) == Handshake::Status::ready);
}
