#pragma once
// valkey::Diagnostics: where the non-throwing APIs put a server error's text.
// Pass one before the completion token (async) or with the std::error_code
// (sync): when the request fails with errc::server_error, server_message holds
// the reply without its '-' ("WRONGTYPE Operation against a key ..."); it is
// cleared otherwise.
#include <string>
#include <string_view>

namespace valkey {

struct Diagnostics {
  std::string server_message;

  // The first word: WRONGTYPE, NOSCRIPT, MOVED, ASK, LOADING, BUSY, NOAUTH, ERR...
  std::string_view prefix() const noexcept {
    std::string_view m = server_message;
    return m.substr(0, m.find(' '));
  }
  bool empty() const noexcept { return server_message.empty(); }
};

}  // namespace valkey
