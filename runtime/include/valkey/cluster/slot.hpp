#pragma once
/// \file
/// Hash slots of Valkey Cluster: a key belongs to slot CRC16(key) mod 16384,
/// where only the hash tag is hashed when the key has one (the part between the
/// first '{' and the next '}', if that part is not empty), so keys sharing a
/// tag share a slot.
#include <cstdint>
#include <string_view>

#include <valkey/export.hpp>

namespace valkey::cluster {

/// The number of hash slots of a Valkey Cluster.
inline constexpr int slot_count = 16384;

/// CRC16-CCITT in the XMODEM variant (polynomial 0x1021, initial value 0, no
/// reflection, no final xor), as the cluster specification defines it.
VALKEY_CPP_EXPORT std::uint16_t crc16(std::string_view bytes) noexcept;

/// The part of `key` that is hashed: its non-empty hash tag, or the whole key.
VALKEY_CPP_EXPORT std::string_view hash_tag(std::string_view key) noexcept;

/// The slot of `key`, 0..16383.
VALKEY_CPP_EXPORT std::uint16_t hash_slot(std::string_view key) noexcept;

}  // namespace valkey::cluster
