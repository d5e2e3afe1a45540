#pragma once
// Reading back a command a request has already encoded (RESP: an array of
// bulk strings). The runtime keeps a request as its encoded bytes, so the
// places that need its name or arguments afterwards (error messages, the
// RESP2 reply shapes, cluster routing of call() and pipelines) read them
// here; the views point into the bytes.
#include <cstddef>
#include <string_view>
#include <vector>

#include <valkey/export.hpp>

namespace valkey::exec {

// The name of the first command in `bytes` ("*2\r\n$3\r\nGET..." -> "GET");
// empty when `bytes` does not start with a command.
VALKEY_CPP_EXPORT std::string_view first_command(std::string_view bytes) noexcept;

// The arguments of the first command in `bytes` and its length in bytes (0
// when `bytes` does not start with one array of bulk strings).
VALKEY_CPP_EXPORT std::size_t parse_first_command(std::string_view bytes, std::vector<std::string_view>& argv);

// The arguments of `bytes`; false unless `bytes` is exactly one command.
VALKEY_CPP_EXPORT bool parse_command(std::string_view bytes, std::vector<std::string_view>& argv);

}  // namespace valkey::exec
