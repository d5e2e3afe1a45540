#pragma once
/// \struct valkey::ServerCommandInfo
/// valkey::ServerCommandInfo: one command as the server describes it in
/// COMMAND INFO (db.command_info(...) answers a std::vector of
/// `std::optional<ServerCommandInfo>`: nullopt for a name the server does not
/// know). Unlike valkey::CommandInfo (`<valkey/command_info.hpp>`), the facts
/// compiled into the library from the command specs, this is what the server
/// answering says, module commands and subcommands included.
///
/// The server answers positional arrays ([name, arity, flags, first key, last
/// key, step, ACL categories, tips, key specs, subcommands]); the decoder
/// reads RESP2 and RESP3 alike (sets or arrays; key specs as maps or flat
/// arrays), skips key spec fields and trailing elements it does not know (a
/// newer server's), and leaves what an older server does not send (ACL
/// categories before Redis 6, tips, key specs and subcommands before Redis 7)
/// empty. Another shape fails with errc::unexpected_reply_type.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <valkey/export.hpp>

namespace valkey {

class Reply;

struct VALKEY_CPP_EXPORT ServerCommandInfo {
  /// One key spec, as the server sends it: where the search for keys begins
  /// and how the keys are found from there.
  struct KeySpec {
    /// The spec's notes.
    std::string notes;
    std::vector<std::string> flags;  ///< "RW", "access", "update", ...
    /// Where the search for keys begins.
    struct BeginSearch {
      std::string type;             ///< "index", "keyword" or "unknown"
      std::int64_t index = 0;       ///< "index": argv position
      std::string keyword;          ///< "keyword": the keyword to look for...
      std::int64_t startfrom = 0;   ///< ...starting there (negative: from the end)
      /// Member-wise equality.
      friend bool operator==(const BeginSearch&, const BeginSearch&) = default;
    } begin_search;  ///< Where the search for keys begins.
    /// How the keys are found from there.
    struct FindKeys {
      std::string type;             ///< "range", "keynum" or "unknown"
      std::int64_t lastkey = 0;     ///< "range": last key, relative to the first
      std::int64_t keystep = 0;     ///< "range", "keynum"
      std::int64_t limit = 0;       ///< "range"
      std::int64_t keynumidx = 0;   ///< "keynum": where the key count is
      std::int64_t firstkey = 0;    ///< "keynum": the first key, after the count
      /// Member-wise equality.
      friend bool operator==(const FindKeys&, const FindKeys&) = default;
    } find_keys;  ///< How the keys are found from there.
    /// Member-wise equality.
    friend bool operator==(const KeySpec&, const KeySpec&) = default;
  };

  std::string name;                          ///< lowercase; "config|get" for a subcommand
  std::int64_t arity = 0;                    ///< negative: at least -arity words
  std::vector<std::string> flags;            ///< "write", "readonly", "fast", "movablekeys", ...
  std::int64_t first_key = 0;                ///< argv position of the first key (0: none)
  std::int64_t last_key = 0;                 ///< argv position of the last key (negative: from the end)
  std::int64_t key_step = 0;                 ///< argv step between keys
  std::vector<std::string> acl_categories;   ///< `"@read"`, `"@string"`, ...
  std::vector<std::string> tips;             ///< "nondeterministic_output", "request_policy:all_shards", ...
  /// The command's key specs.
  std::vector<KeySpec> key_specs;
  /// Its subcommands, described alike ("config|get", ...).
  std::vector<ServerCommandInfo> subcommands;

  /// Member-wise equality.
  friend bool operator==(const ServerCommandInfo&, const ServerCommandInfo&) = default;

  /// For the decoder (adapt/decoder.hpp): fills `out` from one element of
  /// COMMAND INFO's reply; false when it has another shape.
  static bool from_reply(const Reply& reply, ServerCommandInfo& out);
  /// The type's name in decoding error messages.
  static constexpr std::string_view record_name = "valkey::ServerCommandInfo";
};

}  // namespace valkey
