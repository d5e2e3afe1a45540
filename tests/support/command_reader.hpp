#pragma once
// For the scripted fake servers of the fault tests: takes one complete
// client command ("*N\r\n$len\r\narg\r\n...") off the front of a byte buffer.
#include <string>
#include <vector>

namespace valkey::test {

// True and the command's arguments in `out` when `buf` starts with a whole
// command (which is then erased from it); false when more bytes are needed.
bool take_command(std::string& buf, std::vector<std::string>& out);

}  // namespace valkey::test
