#pragma once
// A tiny blocking RESP client for the test fixtures only: starting, probing
// and wiring up servers (PING, CLUSTER MEET, INFO...). It is deliberately
// independent of the library under test, so a broken codec cannot make the
// fixtures lie about the server's state.
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace valkey::test {

// A parsed reply. RESP3 types are folded into the RESP2 ones they resemble
// (map/set/push -> array, double/bignum/verbatim -> bulk, boolean -> integer).
struct RespValue {
  enum class Type { simple, error, integer, bulk, array, null };
  Type type = Type::null;
  std::string str;                  // simple, error, bulk
  std::int64_t integer = 0;         // integer
  std::vector<RespValue> elements;  // array

  bool is_error() const { return type == Type::error; }
  bool is_null() const { return type == Type::null; }
  // The text of a simple/bulk/error reply, the number of an integer; throws on
  // an array or null so that a surprising reply shows up in the test output.
  std::string as_string() const;
  // Debug rendering, e.g. [+OK, :3, $"abc", (nil)].
  std::string to_string() const;
};

// Thrown for socket errors and timeouts (not for error replies).
struct RespIoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class RespConnection {
 public:
  // Connects to host:port over TCP (or to a unix socket path when port == 0).
  RespConnection(const std::string& host, int port,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~RespConnection();
  RespConnection(const RespConnection&) = delete;
  RespConnection& operator=(const RespConnection&) = delete;
  RespConnection(RespConnection&& other) noexcept;
  RespConnection& operator=(RespConnection&& other) noexcept;

  // Sends one command and reads its reply.
  RespValue command(const std::vector<std::string>& args);
  // Reads one more reply (pub/sub pushes, MONITOR lines).
  RespValue read_reply();
  void send(const std::vector<std::string>& args);

 private:
  void fill();
  RespValue parse();
  std::string read_line();
  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buf_;
  std::size_t pos_ = 0;
};

// One-shot: connect to 127.0.0.1:port, optionally AUTH, send, read, close.
RespValue send_command(int port, const std::vector<std::string>& args,
                       const std::string& password = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

// "key:value" lines of an INFO reply; empty when absent.
std::string info_field(const std::string& info, const std::string& key);

}  // namespace valkey::test
