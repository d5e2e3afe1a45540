#pragma once
// What a connection sends right after connecting, and how it reads the
// answers. Pure functions: the Connection does the I/O.
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <valkey/config.hpp>

namespace valkey::detail {

enum class StepKind { hello, auth, setname, setinfo, select, other };

struct HandshakeCommand {
  StepKind kind;
  std::vector<std::string> args;
};

// resp2 == false: HELLO 3 [AUTH user pass] [SETNAME name], CLIENT SETINFO
// LIB-NAME / LIB-VER, [SELECT db] — one round trip.
// resp2 == true: [AUTH [user] pass], [CLIENT SETNAME name], the SETINFOs,
// [SELECT db] (servers without HELLO, or protocol=resp2).
std::vector<HandshakeCommand> plan_handshake(const Config& config, bool resp2);

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

Verdict judge_handshake(const std::vector<StepResult>& results);

}  // namespace valkey::detail
