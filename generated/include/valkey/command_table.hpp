#pragma once
// Run-time lookup of command facts by name, for commands sent without a typed
// struct (Client::call): flags, key specs and tips of every command the
// generator knew, containers ("CLIENT") included. Generated; do not edit.
#include <span>
#include <string_view>

#include <valkey/command_info.hpp>
#include <valkey/export.hpp>

namespace valkey {

// Bit i of CommandInfo::acl_categories is acl_category_names[i].
inline constexpr std::string_view acl_category_names[] = {
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
};

// "GET", "get", "CLIENT KILL" (one space) -> its facts; nullptr when unknown.
VALKEY_CPP_EXPORT const CommandInfo* find_command(std::string_view name) noexcept;

// argv[0] and argv[1] of an untyped command: tries "NAME SUB" first, then
// "NAME" (so {"CLIENT", "KILL", ...} and {"GET", "k"} both resolve).
VALKEY_CPP_EXPORT const CommandInfo* find_command(std::string_view name, std::string_view subcommand) noexcept;

// Every known command, sorted by name.
VALKEY_CPP_EXPORT std::span<const CommandInfo* const> all_commands() noexcept;

}  // namespace valkey
