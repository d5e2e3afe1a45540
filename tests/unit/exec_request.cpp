// The request path without a server: a request's decoders reset between
// attempts while its bytes stay; the failure text reads once per fact.
#include <catch2/catch_test_macros.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <valkey/error.hpp>
#include <valkey/exec/async.hpp>
#include <valkey/exec/decoders.hpp>
#include <valkey/exec/encoded_command.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/exec/plan.hpp>

namespace {

using valkey::resp::Node;
using valkey::resp::Type;

struct Probe final : valkey::exec::OwnedRequest<valkey::exec::SingleReply<std::optional<std::string>>> {
  using OwnedRequest::OwnedRequest;
  void on_complete(std::error_code) override {}
};

}  // namespace

TEST_CASE("exec: reset() forgets a failed attempt's replies and keeps the bytes", "[exec][resubmit]") {
  const std::vector<std::string_view> args{"GET", "k"};
  valkey::exec::ArgsPlan<valkey::Reply> plan{args};
  Probe p{plan.take_bytes(), 1, {}};
  const std::string wire(p.bytes());
  CHECK(wire == "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  CHECK(p.command() == "GET");

  // First attempt: a MOVED-style error reply.
  p.on_node(Node{Type::simple_error, 1, 0, "MOVED 3999 127.0.0.1:7001"});
  p.on_reply_end();
  std::optional<std::string> out;
  valkey::exec::Reason why;
  CHECK(p.decoder().finish(out, why) == valkey::errc::server_error);
  CHECK(why.server_message == "MOVED 3999 127.0.0.1:7001");

  // Resubmitted: the decoder starts over; the bytes go out unchanged.
  p.reset();
  std::string resent;
  valkey::resp::Writer w(resent);
  CHECK(p.reencode(w));
  CHECK(resent == wire);
  p.on_node(Node{Type::bulk_string, 1, 0, "v"});
  p.on_reply_end();
  why = {};
  CHECK_FALSE(p.decoder().finish(out, why));
  CHECK(out == std::optional<std::string>("v"));
}

TEST_CASE("exec: collectors reset between attempts", "[exec][resubmit]") {
  valkey::exec::TupleCollector<std::int64_t, std::string> t;
  t.on_node(Node{Type::simple_error, 1, 0, "TRYAGAIN"});
  t.on_reply_end();
  t.reset();
  t.on_node(Node{Type::integer, 1, 0, "7", 7});
  t.on_reply_end();
  t.on_node(Node{Type::bulk_string, 1, 0, "x"});
  t.on_reply_end();
  std::tuple<std::int64_t, std::string> out;
  valkey::exec::Reason why;
  CHECK_FALSE(t.finish(out, why));
  CHECK(out == std::tuple<std::int64_t, std::string>{7, "x"});

  valkey::exec::VectorCollector<std::int64_t> v{2};
  v.on_node(Node{Type::bulk_string, 1, 0, "nan"});
  v.on_reply_end();
  v.reset();
  v.on_node(Node{Type::integer, 1, 0, "1", 1});
  v.on_reply_end();
  v.on_node(Node{Type::integer, 1, 0, "2", 2});
  v.on_reply_end();
  std::vector<std::int64_t> nums;
  CHECK_FALSE(v.finish(nums, why));
  CHECK(nums == std::vector<std::int64_t>{1, 2});
}

TEST_CASE("exec: the failure sentence says each fact once", "[exec][errors]") {
  using valkey::exec::Failure;
  valkey::exec::Reason why;
  why.server_message = "WRONGTYPE Operation against a key holding the wrong kind of value";
  CHECK(valkey::exec::describe(Failure{valkey::make_error_code(valkey::errc::server_error), &why, "GET",
                                       "127.0.0.1:6379", {}}) ==
        "GET on 127.0.0.1:6379: WRONGTYPE Operation against a key holding the wrong kind of value");

  // The connection's reason repeats neither the code's words nor the address.
  const auto refused = std::make_error_code(std::errc::connection_refused);
  const std::string conn_error = refused.message() + " (127.0.0.1:1)";
  CHECK(valkey::exec::describe(Failure{refused, nullptr, "GET", "127.0.0.1:1", conn_error}) ==
        "GET on 127.0.0.1:1: " + refused.message());
  CHECK(valkey::exec::describe(Failure{valkey::make_error_code(valkey::errc::not_connected), nullptr, "GET",
                                       "127.0.0.1:1", conn_error}) ==
        "GET on 127.0.0.1:1: not connected: " + refused.message());

  // A handshake refusal: the server's words become the server message.
  const Failure auth{valkey::make_error_code(valkey::errc::auth_failed), nullptr, "GET", "127.0.0.1:6379",
                     "HELLO refused: WRONGPASS invalid username-password pair or user is disabled."};
  CHECK(valkey::exec::describe(auth) ==
        "GET on 127.0.0.1:6379: authentication failed: HELLO refused: WRONGPASS invalid username-password pair or "
        "user is disabled.");
  valkey::Diagnostics d;
  valkey::exec::fill(d, auth);
  CHECK(d.prefix() == "WRONGPASS");
  CHECK(d.command == "GET");
  CHECK(d.endpoint == "127.0.0.1:6379");

  // The exception carries the same sentence and parts.
  try {
    valkey::exec::raise(auth);
  } catch (const valkey::Error& e) {
    CHECK(std::string(e.what()) == valkey::exec::describe(auth));
    CHECK(e.prefix() == "WRONGPASS");
    CHECK(e.code() == valkey::errc::auth_failed);
  }
}

TEST_CASE("exec: the command name read back from encoded bytes", "[exec]") {
  CHECK(valkey::exec::first_command("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") == "GET");
  CHECK(valkey::exec::first_command("*1\r\n$10\r\nJSON.DEBUG\r\n") == "JSON.DEBUG");
  CHECK(valkey::exec::first_command("") == "");
  CHECK(valkey::exec::first_command("*1\r\n$99\r\nGET\r\n") == "");
}

TEST_CASE("exec: a command's arguments read back from encoded bytes", "[exec]") {
  using valkey::exec::parse_command;
  using valkey::exec::parse_first_command;
  std::vector<std::string_view> argv;
  REQUIRE(parse_command("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", argv));
  REQUIRE(argv.size() == 3);
  CHECK(argv[0] == "SET");
  CHECK(argv[1] == "k");
  CHECK(argv[2].empty());
  CHECK_FALSE(parse_command("*2\r\n$3\r\nGET\r\n", argv));  // an argument missing
  CHECK_FALSE(parse_command("+OK\r\n", argv));              // not an array
  CHECK_FALSE(parse_command("*1\r\n$9\r\nGET\r\n", argv));  // length past the end
  CHECK_FALSE(parse_command("*1\r\n$3\r\nGETxx", argv));    // no CRLF after the bytes
  CHECK_FALSE(parse_command("*99999999999\r\n", argv));     // a count the bytes cannot hold
  REQUIRE(parse_command("*1\r\n$0\r\n\r\n", argv));          // one empty argument: the smallest one
  CHECK(argv == std::vector<std::string_view>{""});
  CHECK_FALSE(parse_command("*2\r\n$0\r\n\r\n", argv));    // two do not fit in what is left
  CHECK(valkey::exec::first_command("*1\r\n$18446744073709551615\r\nGET\r\n") == "");  // no wrap-around
  CHECK_FALSE(parse_command("*1\r\n$3\rGET\r\n", argv));     // a length line without LF
  CHECK_FALSE(parse_command("*1\r\n$\r\nGET\r\n", argv));      // a length without digits
  CHECK_FALSE(parse_command("*1\r\n$-3\r\nGET\r\n", argv));    // a sign
  CHECK_FALSE(parse_command("*1\r\n$3x\r\nGET\r\n", argv));    // a stray byte after the digits
  CHECK_FALSE(parse_command("*1\r\n$3\r\nGET\rx", argv));     // the argument's CR without LF
  CHECK_FALSE(parse_command("*1\r\n$3\r\nGET\r", argv));      // cut inside the last CRLF
  REQUIRE(parse_command("*01\r\n$003\r\nGET\r\n", argv));    // leading zeros, as the server takes them
  CHECK(argv == std::vector<std::string_view>{"GET"});

  // Pipelined bytes: the first command and where the next one starts.
  const std::string_view two = "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n";
  const std::size_t n = parse_first_command(two, argv);
  REQUIRE(n == 20);
  CHECK(argv == std::vector<std::string_view>{"GET", "a"});
  CHECK_FALSE(parse_command(two, argv));  // more than one command
  REQUIRE(parse_command(two.substr(n), argv));
  CHECK(argv == std::vector<std::string_view>{"PING"});
}
