#pragma once
// How valkey-cpp-cli prints a reply: redis-cli's style, or JSON.
#include <string>

#include <valkey/reply.hpp>

namespace cli {

// redis-cli-like text: "value" in quotes, (integer) 1, (nil), numbered
// array elements, "key" => value for maps, (error) for error replies.
std::string to_text(const valkey::Reply& r);

}  // namespace cli
