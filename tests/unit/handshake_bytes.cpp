// The handshake state machine, byte for byte: the commands it sends and how
// it reads scripted replies (fed whole and split at every byte).
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

Config sample_config() {
  Config c;
  c.password = "pw-secret";
  c.client_name = "me";
  c.database = 2;
  return c;
}

const std::string kSetinfo =
    encode_command({"CLIENT", "SETINFO", "LIB-NAME", "valkey-cpp"}) +
    encode_command({"CLIENT", "SETINFO", "LIB-VER", VALKEY_CPP_VERSION});

// Feeds `wire` split at `cut`; returns the last status and the bytes used.
Handshake::Status feed(Handshake& h, std::string_view wire, std::size_t cut, std::size_t& used_total) {
  std::string buf;
  used_total = 0;
  Handshake::Status st = Handshake::Status::reading;
  for (std::string_view part : {wire.substr(0, cut), wire.substr(cut)}) {
    buf.append(part);
    std::size_t used = 0;
    st = h.on_read(buf, used);
    buf.erase(0, used);
    used_total += used;
    if (st != Handshake::Status::reading) break;
  }
  return st;
}

}  // namespace

TEST_CASE("handshake: HELLO 3 with AUTH and SETNAME, SETINFO, SELECT in one request", "[handshake-fsm]") {
  const Config c = sample_config();
  Handshake h{c};
  CHECK(h.request() == encode_command({"HELLO", "3", "AUTH", "default", "pw-secret", "SETNAME", "me"}) + kSetinfo +
                           encode_command({"SELECT", "2"}));
  Config bare;
  Handshake plain{bare};
  CHECK(plain.request() == encode_command({"HELLO", "3"}) + kSetinfo);
  bare.user = "alice";
  bare.password = "x";
  Handshake acl{bare};
  CHECK(acl.request() == encode_command({"HELLO", "3", "AUTH", "alice", "x"}) + kSetinfo);
}

TEST_CASE("handshake: accepted replies, split at every byte, settle RESP3", "[handshake-fsm]") {
  const Config c = sample_config();
  const std::string replies =
      "%2\r\n$6\r\nserver\r\n$6\r\nvalkey\r\n$5\r\nproto\r\n:3\r\n"
      "+OK\r\n-ERR unknown subcommand 'SETINFO'\r\n+OK\r\n";
  const std::string after = ">2\r\n$10\r\ninvalidate\r\n_\r\n";  // belongs to the multiplexer
  const std::string wire = replies + after;
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    INFO("cut at " << cut);
    Handshake h{c};
    std::size_t used = 0;
    CHECK(feed(h, wire, cut, used) == Handshake::Status::ready);
    CHECK(used == replies.size());
    CHECK(h.protocol() == Protocol::resp3);
    CHECK(!h.fell_back());
    CHECK(!h.error());
  }
}

TEST_CASE("handshake: the zone HELLO names is kept, past a nested modules list", "[handshake-fsm]") {
  Config bare;
  // Valkey 8.1+ with availability-zone set; a field whose value is an
  // aggregate comes first, and a value equal to the key's name is not a key.
  const std::string hello =
      "%4\r\n$6\r\nserver\r\n$6\r\nvalkey\r\n$7\r\nmodules\r\n*1\r\n%1\r\n$4\r\nname\r\n"
      "$17\r\navailability_zone\r\n$4\r\nrole\r\n$17\r\navailability_zone\r\n"
      "$17\r\navailability_zone\r\n$10\r\neu-west-1a\r\n";
  const std::string wire = hello + "+OK\r\n+OK\r\n";
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    INFO("cut at " << cut);
    Handshake h{bare};
    std::size_t used = 0;
    REQUIRE(feed(h, wire, cut, used) == Handshake::Status::ready);
    CHECK(h.zone() == "eu-west-1a");
  }
  // No such field (older servers, or none configured): no zone.
  Handshake h{bare};
  std::size_t used = 0;
  REQUIRE(feed(h, "%1\r\n$5\r\nproto\r\n:3\r\n+OK\r\n+OK\r\n", 0, used) == Handshake::Status::ready);
  CHECK(h.zone().empty());
}

TEST_CASE("handshake: HELLO unknown falls back to the RESP2 plan", "[handshake-fsm]") {
  const Config c = sample_config();
  const std::string first =
      "-ERR unknown command 'HELLO', with args beginning with: '3'\r\n"
      "-ERR unknown command 'CLIENT'\r\n-ERR unknown command 'CLIENT'\r\n+OK\r\n";
  for (std::size_t cut = 0; cut <= first.size(); ++cut) {
    INFO("cut at " << cut);
    Handshake h{c};
    std::size_t used = 0;
    REQUIRE(feed(h, first, cut, used) == Handshake::Status::send_fallback);
    CHECK(used == first.size());
    CHECK(h.fell_back());
    CHECK(h.request() == encode_command({"AUTH", "pw-secret"}) + encode_command({"CLIENT", "SETNAME", "me"}) +
                             kSetinfo + encode_command({"SELECT", "2"}));
    const std::string second = "+OK\r\n+OK\r\n-ERR unknown\r\n-ERR unknown\r\n+OK\r\n";
    CHECK(feed(h, second, cut % (second.size() + 1), used) == Handshake::Status::ready);
    CHECK(h.protocol() == Protocol::resp2);
  }
}

TEST_CASE("handshake: NOPROTO also falls back; protocol=resp2 starts there", "[handshake-fsm]") {
  Config c;
  Handshake h{c};
  std::size_t used = 0;
  CHECK(feed(h, "-NOPROTO unsupported protocol version\r\n+OK\r\n+OK\r\n", 0, used) ==
        Handshake::Status::send_fallback);
  CHECK(h.request() == kSetinfo);
  c.protocol = Protocol::resp2;
  c.user = "bob";
  c.password = "bobpw";
  Handshake r2{c};
  CHECK(r2.request() == encode_command({"AUTH", "bob", "bobpw"}) + kSetinfo);
  CHECK(feed(r2, "+OK\r\n+OK\r\n+OK\r\n", 3, used) == Handshake::Status::ready);
  CHECK(r2.protocol() == Protocol::resp2);
  CHECK(!r2.fell_back());
}

TEST_CASE("handshake: refusals are judged, with the server's words and never the password", "[handshake-fsm]") {
  const Config c = sample_config();
  struct Case {
    std::string wire;
    errc code;
    std::string message;
  };
  const Case cases[] = {
      {"-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n+OK\r\n+OK\r\n", errc::auth_failed,
       "HELLO refused: WRONGPASS invalid username-password pair or user is disabled."},
      {"%0\r\n+OK\r\n+OK\r\n-ERR DB index is out of range\r\n", errc::handshake_failed,
       "SELECT refused: ERR DB index is out of range"},
      {"-ERR something else\r\n+OK\r\n+OK\r\n+OK\r\n", errc::handshake_failed, "HELLO refused: ERR something else"},
  };
  for (const Case& k : cases) {
    INFO(k.wire);
    Handshake h{c};
    std::size_t used = 0;
    CHECK(feed(h, k.wire, k.wire.size() / 2, used) == Handshake::Status::failed);
    CHECK(h.error() == k.code);
    CHECK(h.message() == k.message);
    CHECK(h.message().find("pw-secret") == std::string::npos);
  }
}

TEST_CASE("handshake: a malformed reply fails with the protocol error", "[handshake-fsm]") {
  Config c;
  Handshake h{c};
  std::size_t used = 0;
  CHECK(feed(h, "?what\r\n", 0, used) == Handshake::Status::failed);
  CHECK(h.error() == errc::protocol_error);
}

TEST_CASE("handshake: a push before the replies is not counted as one", "[handshake-fsm]") {
  Config c;
  Handshake h{c};
  std::size_t used = 0;
  CHECK(feed(h, ">2\r\n$7\r\nmessage\r\n$1\r\nx\r\n%0\r\n+OK\r\n+OK\r\n", 9, used) == Handshake::Status::ready);
}
