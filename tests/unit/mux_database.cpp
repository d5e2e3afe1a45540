// Multiplexer: requests carry a database; SELECT goes before a request only
// when the connection's database changes, its +OK is swallowed, a refused one
// fails exactly the request it was for, and a new connection starts over from
// Options::database.
#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

#include "mux_support.hpp"

using valkey::Multiplexer;
using valkey::errc;
using valkey::test::encode_command;
using valkey::test::MuxRequest;
using valkey::test::t0;
using valkey::test::write_all;

namespace {

Multiplexer::Options db_options(std::int32_t database) {
  Multiplexer::Options o = valkey::test::mux_options();
  o.database = database;
  return o;
}

MuxRequest& in_db(MuxRequest& r, std::int32_t db) {
  r.database = db;
  return r;
}

std::string get(std::string_view key) { return encode_command({"GET", key}); }
std::string select(std::string_view db) { return encode_command({"SELECT", db}); }
std::string bulk(std::string_view v) { return "$" + std::to_string(v.size()) + "\r\n" + std::string(v) + "\r\n"; }

const std::string kOk = "+OK\r\n";
const std::string kRange = "-ERR DB index is out of range\r\n";

}  // namespace

TEST_CASE("mux database: no SELECT while every request runs in the connection's database", "[mux][database]") {
  Multiplexer mux{db_options(3)};
  mux.on_connected(false);
  MuxRequest a, b, c;
  mux.add_encoded(a, get("a"), t0());
  mux.add_encoded(in_db(b, 3), get("b"), t0());  // Options::database, spelled out
  mux.add_encoded(c, get("c"), t0());
  CHECK(write_all(mux) == get("a") + get("b") + get("c"));
  CHECK(mux.selects_written() == 0);
  CHECK(!mux.on_read(bulk("1") + bulk("2") + bulk("3")).drop);
  CHECK(b.nodes == std::vector<std::string>{"bulk_string@0:2", "END"});
  CHECK(mux.database() == -1);
}

TEST_CASE("mux database: SELECT only where the database changes; a new one is selected alone", "[mux][database]") {
  Multiplexer mux{db_options(0)};
  mux.on_connected(false);
  MuxRequest a, b, c, d, e;
  mux.add_encoded(a, get("a"), t0());
  mux.add_encoded(in_db(b, 2), get("b"), t0());
  mux.add_encoded(in_db(c, 2), get("c"), t0());
  mux.add_encoded(d, get("d"), t0());
  mux.add_encoded(in_db(e, 1), get("e"), t0());
  // Database 2 was never selected here: nothing is written behind its SELECT.
  CHECK(write_all(mux) == get("a") + select("2"));
  CHECK(mux.queued() == 4);
  CHECK(write_all(mux).empty());
  CHECK(!mux.on_read(bulk("A")).drop);
  CHECK(a.completions == 1);
  CHECK(write_all(mux).empty());  // still waiting for the SELECT's reply
  CHECK(!mux.on_read(kOk).drop);
  CHECK(mux.database() == 2);
  // Now 0..2 are known to exist: back to 0 and on to 1 within one batch.
  CHECK(write_all(mux) == get("b") + get("c") + select("0") + get("d") + select("1") + get("e"));
  CHECK(mux.selects_written() == 3);
  CHECK(!mux.on_read(bulk("B") + bulk("C") + kOk + bulk("D") + kOk + bulk("E")).drop);
  CHECK(b.nodes == std::vector<std::string>{"bulk_string@0:B", "END"});
  CHECK(c.nodes == std::vector<std::string>{"bulk_string@0:C", "END"});
  CHECK(d.nodes == std::vector<std::string>{"bulk_string@0:D", "END"});
  CHECK(e.nodes == std::vector<std::string>{"bulk_string@0:E", "END"});
  CHECK(mux.database() == 1);
  CHECK(mux.pending() == 0);
  CHECK(!mux.awaiting_reply());
}

TEST_CASE("mux database: a refused SELECT fails exactly its request, with the server's error", "[mux][database]") {
  Multiplexer mux{db_options(0)};
  mux.on_connected(false);
  MuxRequest bad{2}, next, later{1};
  mux.add_encoded(in_db(bad, 99), get("x") + get("y"), t0());  // a pipeline of two
  mux.add_encoded(next, get("n"), t0());
  mux.add_encoded(in_db(later, 99), get("z"), t0());
  CHECK(write_all(mux) == select("99"));
  CHECK(!mux.on_read(kRange).drop);
  // Never sent: each of its replies is the SELECT's error.
  CHECK(bad.completions == 1);
  CHECK(!bad.ec);
  CHECK(!bad.was_written());
  CHECK(bad.nodes == std::vector<std::string>{"simple_error@0:ERR DB index is out of range", "END",
                                              "simple_error@0:ERR DB index is out of range", "END"});
  CHECK(next.completions == 0);
  CHECK(mux.database() == -1);  // unchanged
  // The connection stayed where it was: no SELECT for the next request; the
  // later one for 99 gets its own attempt.
  CHECK(write_all(mux) == get("n") + select("99"));
  CHECK(!mux.on_read(bulk("N") + kRange).drop);
  CHECK(next.nodes == std::vector<std::string>{"bulk_string@0:N", "END"});
  CHECK(later.nodes == std::vector<std::string>{"simple_error@0:ERR DB index is out of range", "END"});
  CHECK(mux.pending() == 0);
}

TEST_CASE("mux database: a request gone while its SELECT was out leaves nobody to fail", "[mux][database]") {
  Multiplexer mux{db_options(0)};
  mux.on_connected(false);
  MuxRequest gone, other;
  mux.add_encoded(in_db(gone, 7), get("g"), t0());
  mux.add_encoded(other, get("o"), t0());
  CHECK(write_all(mux) == select("7"));
  Multiplexer::Completions done;
  REQUIRE(mux.cancel(gone, make_error_code(errc::cancelled), done));
  done.run();
  CHECK(gone.ec == errc::cancelled);
  CHECK(!mux.on_read(kRange).drop);
  CHECK(other.completions == 0);
  CHECK(write_all(mux) == get("o"));
  CHECK(!mux.on_read(bulk("O")).drop);
  CHECK(other.completions == 1);
}

TEST_CASE("mux database: a known database's SELECT refused mid-batch drops the connection", "[mux][database]") {
  Multiplexer mux{db_options(5)};  // 0..5 exist: the handshake selected 5
  mux.on_connected(false);
  MuxRequest a;
  mux.add_encoded(in_db(a, 1), get("a"), t0());
  CHECK(write_all(mux) == select("1") + get("a"));
  const Multiplexer::ReadResult res = mux.on_read(kRange);
  CHECK(res.drop == errc::connection_lost);
  Multiplexer::Completions lost = mux.on_connection_lost(res.drop, t0());
  lost.run();
  CHECK(a.ec == errc::connection_lost);
  CHECK(a.was_written());
}

TEST_CASE("mux database: a new connection starts in Options::database and selects again", "[mux][database]") {
  Multiplexer mux{db_options(0)};
  mux.on_connected(false);
  MuxRequest first, inflight, queued;
  mux.add_encoded(in_db(first, 2), get("f"), t0());
  CHECK(write_all(mux) == select("2"));
  CHECK(!mux.on_read(kOk).drop);
  CHECK(write_all(mux) == get("f"));
  CHECK(!mux.on_read(bulk("F")).drop);
  CHECK(mux.database() == 2);
  mux.add_encoded(in_db(inflight, 2), get("i"), t0());
  CHECK(write_all(mux) == get("i"));  // already in 2: no SELECT
  mux.add_encoded(in_db(queued, 2), get("q"), t0());
  Multiplexer::Completions lost = mux.on_connection_lost(make_error_code(errc::connection_lost), t0());
  lost.run();
  CHECK(inflight.ec == errc::connection_lost);
  CHECK(mux.database() == -1);
  mux.on_connected(false);
  // The handshake put the connection in database 0; 2 is unknown again.
  CHECK(write_all(mux) == select("2"));
  CHECK(!mux.on_read(kOk).drop);
  CHECK(write_all(mux) == get("q"));
  CHECK(!mux.on_read(bulk("Q")).drop);
  CHECK(queued.nodes == std::vector<std::string>{"bulk_string@0:Q", "END"});
  CHECK(mux.selects_written() == 2);
}

TEST_CASE("mux database: a health-check PING needs no SELECT", "[mux][database]") {
  Multiplexer mux{db_options(0)};
  mux.on_connected(false);
  MuxRequest a, ping;
  mux.add_encoded(in_db(a, 0), get("a"), t0());  // 0 is known
  mux.add_internal(ping, encode_command({"PING"}));
  CHECK(write_all(mux) == get("a") + encode_command({"PING"}));
  MuxRequest b;
  mux.add_encoded(in_db(b, 4), get("b"), t0());
  MuxRequest ping2;
  CHECK(!mux.on_read(bulk("A") + "+PONG\r\n").drop);
  CHECK(write_all(mux) == select("4"));
  CHECK(!mux.on_read(kOk).drop);
  mux.add_internal(ping2, encode_command({"PING"}));
  CHECK(write_all(mux) == get("b") + encode_command({"PING"}));
  CHECK(mux.selects_written() == 1);
}

TEST_CASE("mux database: replies split at every byte still reach their requests", "[mux][database]") {
  // Known databases (the handshake selected 5): SELECTs pipelined, then a
  // new one selected alone and refused.
  const std::string pipelined = bulk("a") + kOk + bulk("bb") + kOk + bulk("c");
  for (std::size_t cut = 0; cut <= pipelined.size() + kRange.size(); ++cut) {
    Multiplexer mux{db_options(5)};
    mux.on_connected(false);
    MuxRequest a, b, c, bad;
    mux.add_encoded(a, get("a"), t0());
    mux.add_encoded(in_db(b, 2), get("b"), t0());
    mux.add_encoded(c, get("c"), t0());
    mux.add_encoded(in_db(bad, 6), get("x"), t0());
    REQUIRE(write_all(mux) == get("a") + select("2") + get("b") + select("5") + get("c") + select("6"));
    const std::string wire = pipelined + kRange;
    // Two chunks cut at `cut`, then the second one byte at a time.
    REQUIRE(!mux.on_read(wire.substr(0, cut)).drop);
    for (std::size_t i = cut; i < wire.size(); ++i) REQUIRE(!mux.on_read(wire.substr(i, 1)).drop);
    CHECK(a.nodes == std::vector<std::string>{"bulk_string@0:a", "END"});
    CHECK(b.nodes == std::vector<std::string>{"bulk_string@0:bb", "END"});
    CHECK(c.nodes == std::vector<std::string>{"bulk_string@0:c", "END"});
    CHECK(bad.nodes == std::vector<std::string>{"simple_error@0:ERR DB index is out of range", "END"});
    CHECK(mux.database() == -1);  // back in 5 by its own spelling
    CHECK(mux.pending() == 0);
    CHECK(!mux.awaiting_reply());
  }
}
