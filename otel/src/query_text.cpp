// db.query.text: what a request sent, with every value that is not a key
// replaced by "?" (keys too with mask_keys), capped in length. Commands that
// carry credentials show their name alone.
#include <string>
#include <string_view>
#include <vector>

#include <valkey/cluster/key_specs.hpp>
#include <valkey/command_table.hpp>
#include <valkey/otel/observer.hpp>

namespace valkey::otel {

namespace {

bool carries_credentials(const CommandInfo& info) {
  const std::string_view n = info.name;
  return n == "AUTH" || n == "HELLO" || n == "MIGRATE" || n.substr(0, 3) == "ACL";
}

std::size_t words(std::string_view name) { return name.find(' ') == std::string_view::npos ? 1 : 2; }

void append_command(std::string& out, const std::vector<std::string_view>& argv, const CommandInfo* hint,
                    bool mask_keys) {
  if (argv.empty()) return;
  const CommandInfo* info = hint;
  if (!info) info = argv.size() > 1 ? find_command(argv[0], argv[1]) : find_command(argv[0]);
  if (!out.empty()) out += "; ";
  if (!info) {
    // Unknown (a module's): its name as sent, nothing else is known to be safe.
    out += argv[0];
    return;
  }
  out += info->name;
  if (carries_credentials(*info)) return;
  std::vector<bool> key(argv.size(), false);
  if (!mask_keys) {
    auto mark = [&](int pos, const KeySpec&) {
      if (pos > 0 && static_cast<std::size_t>(pos) < key.size()) key[static_cast<std::size_t>(pos)] = true;
    };
    cluster::walk_key_specs(*info, argv, mark);
  }
  for (std::size_t i = words(info->name); i < argv.size(); ++i) {
    out += ' ';
    if (key[i]) out += argv[i];
    else out += '?';
  }
}

}  // namespace

std::string sanitized_query(const RequestInfo& info, bool mask_keys, std::size_t limit) {
  std::string out;
  if (!info.arguments) return std::string(info.name);
  std::vector<std::string_view> argv;
  std::size_t current = 0;
  // A single command's metadata is known; a batch's commands are looked up.
  const CommandInfo* hint = info.kind == RequestInfo::Kind::command ? info.command : nullptr;
  info.arguments->for_each([&](std::size_t command, std::size_t, std::string_view arg) {
    if (command != current) {
      append_command(out, argv, hint, mask_keys);
      argv.clear();
      current = command;
    }
    argv.push_back(arg);
  });
  append_command(out, argv, hint, mask_keys);
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace valkey::otel
