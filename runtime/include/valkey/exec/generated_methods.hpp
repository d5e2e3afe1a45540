#pragma once
// The generated command methods (valkey::Commands<Derived>, one per server
// command) that every executor derives from, when the generated headers are
// on the include path; VALKEY_HAS_COMMANDS says they are. A build of the
// runtime before the first generation goes without them: exec() and call()
// still work.
#if __has_include(<valkey/commands.hpp>)
#include <valkey/commands.hpp>
#define VALKEY_HAS_COMMANDS 1
#endif
