// flags_of(): the generated command table applied to an untyped command.
#include <valkey/command.hpp>
#include <valkey/command_table.hpp>

namespace valkey {

CommandFlag flags_of(Strings args) noexcept {
  std::string_view name, sub;
  std::size_t i = 0;
  args.for_each([&](std::string_view a) {
    if (i == 0) name = a;
    else if (i == 1) sub = a;
    ++i;
  });
  if (name.empty()) return CommandFlag::none;
  const CommandInfo* info = i > 1 ? find_command(name, sub) : find_command(name);
  return info ? info->flags : CommandFlag::none;
}

}  // namespace valkey
