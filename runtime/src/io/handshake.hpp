#pragma once
// What a connection sends right after connecting, and how it reads the
// answers: an I/O-free state machine. The driver writes request(), feeds the
// bytes it reads to on_read() and acts on the status:
//
//   reading        more replies are needed
//   send_fallback  HELLO was refused as unknown (or NOPROTO): write
//                  request() again, it now holds the RESP2 plan
//   ready          protocol() is settled; bytes after the last reply are
//                  not consumed (they belong to the multiplexer)
//   failed         error() and message() (the server's refusal; never the
//                  password)
//
// Internal, yet exported from the shared library (VALKEY_CPP_EXPORT): the
// unit tests drive it byte for byte (tests/unit/handshake_bytes.cpp).
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <valkey/config.hpp>
#include <valkey/export.hpp>
#include <valkey/resp/parser.hpp>
#include <valkey/resp/visitor.hpp>

namespace valkey::io {

enum class StepKind { hello, auth, setname, setinfo, select, capa, role, tracking, other };

struct HandshakeCommand {
  StepKind kind;
  std::vector<std::string> args;
};

// resp2 == false: HELLO 3 [AUTH user pass] [SETNAME name], CLIENT SETINFO
// LIB-NAME / LIB-VER, [SELECT db] — one round trip.
// resp2 == true: [AUTH [user] pass], [CLIENT SETNAME name], the SETINFOs,
// [SELECT db] (servers without HELLO, or protocol=resp2).
// tracking (a connection with a client-side cache, Config::cache): CLIENT
// TRACKING ON OPTIN, or BCAST [PREFIX p...], last; RESP3 only (the RESP2 plan
// leaves it out and the handshake fails: invalidations need push messages).
VALKEY_CPP_EXPORT std::vector<HandshakeCommand> plan_handshake(const Config& config, bool resp2, bool tracking = false);
// The CLIENT TRACKING command for Config::cache.
VALKEY_CPP_EXPORT HandshakeCommand tracking_command(const CacheConfig& cache);

struct StepResult {
  StepKind kind;
  bool failed;
  std::string error;  // the server's text when failed
};

struct Verdict {
  std::error_code ec;      // empty: ready
  std::string message;     // the server's refusal, for Error::what()
  bool retry_resp2 = false;  // HELLO unknown or NOPROTO: run the RESP2 plan
};

VALKEY_CPP_EXPORT Verdict judge_handshake(const std::vector<StepResult>& results);

class VALKEY_CPP_EXPORT Handshake final : private resp::Visitor {
 public:
  enum class Status { reading, send_fallback, ready, failed };

  // Plans RESP3 (HELLO first), or RESP2 when config.protocol asks for it.
  // expected_role ("master", "slave"; the address came from a sentinel):
  // ROLE goes last, and a server reporting another role fails the handshake
  // with errc::wrong_role. For "master", CLIENT CAPA redirect comes before
  // it (its refusal is ignored: Valkey 8.0 added it).
  // tracking: turn client-side caching's tracking on (plan_handshake).
  explicit Handshake(const Config& config, std::string expected_role = {}, bool tracking = false);
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  // The encoded commands of the current plan, all in one write. Stays valid
  // until the Handshake is destroyed (a fallback plan has its own buffer).
  std::string_view request() const noexcept { return resp2_ ? resp2_bytes_ : resp3_bytes_; }
  // Parses replies from `in`; `used` gets the bytes consumed.
  Status on_read(std::string_view in, std::size_t& used);
  Status status() const noexcept { return status_; }

  Protocol protocol() const noexcept { return resp2_ ? Protocol::resp2 : Protocol::resp3; }
  // True once HELLO was refused and the RESP2 plan ran instead.
  bool fell_back() const noexcept { return fell_back_; }
  std::error_code error() const noexcept { return error_; }
  const std::string& message() const noexcept { return message_; }
  // The server's availability zone from HELLO's `availability_zone` (Valkey
  // 8.1+ with availability-zone configured); empty otherwise.
  const std::string& zone() const noexcept { return zone_; }

 private:
  void plan(bool resp2);
  void judge();
  void on_node(const resp::Node& n) override;
  void on_message_end() override;

  const Config& config_;
  std::string expected_role_;
  std::string role_;          // ROLE's first element
  bool role_seen_ = false;
  std::string zone_;             // HELLO's availability_zone
  std::size_t hello_fields_ = 0;  // HELLO's map: children at depth 1 seen (keys and values)
  bool zone_next_ = false;        // the next value is availability_zone's
  resp::Parser parser_;
  std::string resp3_bytes_;
  std::string resp2_bytes_;
  std::vector<StepResult> results_;
  std::size_t replies_ = 0;  // replies of the current plan received
  bool resp2_ = false;
  bool fell_back_ = false;
  bool in_push_ = false;     // a push message arrived mid-handshake: not a reply
  bool tracking_ = false;
  Status status_ = Status::reading;
  std::error_code error_;
  std::string message_;
};

}  // namespace valkey::io
