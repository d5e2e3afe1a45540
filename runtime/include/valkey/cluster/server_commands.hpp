#pragma once
// Command facts read from a server's COMMAND INFO (or COMMAND) reply, for
// commands the generated table does not know: module commands, and commands
// of a newer server. A router looks here after find_command() misses, so a
// module command with key specs is routed by its keys like a built-in one.
//
// The CommandInfo objects handed out stay valid (and unchanged) for the
// table's lifetime; adding more commands never moves them.
#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <valkey/command_info.hpp>
#include <valkey/export.hpp>
#include <valkey/reply.hpp>

namespace valkey::cluster {

class VALKEY_CPP_EXPORT ServerCommands {
 public:
  ServerCommands() = default;
  ServerCommands(const ServerCommands&) = delete;  // handed-out pointers point inside
  ServerCommands& operator=(const ServerCommands&) = delete;

  // Adds every command described by a COMMAND INFO / COMMAND reply, with its
  // subcommands ("container|sub" becomes "CONTAINER SUB"). A null entry
  // (COMMAND INFO of an unknown name) is skipped. A malformed entry is
  // skipped with its reason appended to `errors` (when given). A name already
  // present keeps its first description. Returns the number added.
  std::size_t add(const Reply& reply, std::vector<std::string>* errors = nullptr);

  // Like find_command(): "NAME SUB" first, then "NAME"; case-insensitive.
  const CommandInfo* find(std::string_view name, std::string_view subcommand = {}) const noexcept;
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    std::string name;                // upper case, "NAME" or "NAME SUB"
    std::deque<std::string> keywords;  // storage behind KeySpec::keyword
    std::vector<KeySpec> specs;
    CommandInfo info{};
  };
  void add_entry(const Reply& e, std::string_view parent, std::size_t& added, std::vector<std::string>* errors,
                 int depth);

  std::deque<Entry> entries_;
  std::map<std::string, const CommandInfo*, std::less<>> index_;
};

}  // namespace valkey::cluster
