#pragma once
// Where the fixtures find their binaries, and how they pick ports.
#include <string>

namespace valkey::test {

// The value of an environment variable such as VALKEY_SERVER, VALKEY_CLI or
// REDIS_SERVER; when unset, the same name from the env.sh that
// scripts/setup.sh writes ($VALKEY_CPP_CACHE or ~/.cache/valkey-cpp). Empty
// when neither has it.
std::string tool_path(const std::string& env_name);

// Like tool_path, but throws a message that says how to fix it when missing.
std::string require_tool(const std::string& env_name);

// A loopback TCP port that is free right now, from 16000-32767 (below the
// kernel's ephemeral range, so outgoing connections never take it). Another
// process may still take it before the server binds: ServerProcess retries.
int pick_free_port();

// True when nothing listens on 127.0.0.1:port and it can be bound.
bool port_is_free(int port);

}  // namespace valkey::test
