// CRC16 (XMODEM) by tables built at compile time, four bytes a step
// (slicing-by-4), and the hash-tag rule of the cluster specification.
#include <valkey/cluster/slot.hpp>

#include <array>
#include <cstddef>

namespace valkey::cluster {
namespace {

// tables[k][b]: the CRC of byte b followed by k zero bytes. The CRC is
// linear, so four bytes x0..x3 (the first two XORed with the CRC so far)
// give tables[3][x0] ^ tables[2][x1] ^ tables[1][x2] ^ tables[0][x3]: one
// step per four bytes instead of four dependent ones (every routed key is
// hashed on the caller's thread).
using Table = std::array<std::uint16_t, 256>;

constexpr std::array<Table, 4> make_tables() {
  std::array<Table, 4> t{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned crc = i << 8;
    for (int b = 0; b < 8; ++b) crc = (crc & 0x8000u) ? (crc << 1) ^ 0x1021u : crc << 1;
    t[0][i] = static_cast<std::uint16_t>(crc & 0xFFFFu);
  }
  for (std::size_t k = 1; k < 4; ++k)
    for (unsigned i = 0; i < 256; ++i) {
      const unsigned prev = t[k - 1][i];
      t[k][i] = static_cast<std::uint16_t>(((prev << 8) ^ t[0][prev >> 8]) & 0xFFFFu);
    }
  return t;
}

constexpr std::array<Table, 4> tables = make_tables();

}  // namespace

std::uint16_t crc16(std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size();
  unsigned crc = 0;
  for (; n >= 4; n -= 4, p += 4)
    crc = tables[3][((crc >> 8) ^ p[0]) & 0xFFu] ^ tables[2][(crc ^ p[1]) & 0xFFu] ^ tables[1][p[2]] ^ tables[0][p[3]];
  for (; n > 0; --n, ++p) crc = ((crc << 8) ^ tables[0][((crc >> 8) ^ *p) & 0xFFu]) & 0xFFFFu;
  return static_cast<std::uint16_t>(crc);
}

std::string_view hash_tag(std::string_view key) noexcept {
  const auto open = key.find('{');
  if (open == std::string_view::npos) return key;
  const auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;  // no '}', or "{}": the whole key
  return key.substr(open + 1, close - open - 1);
}

std::uint16_t hash_slot(std::string_view key) noexcept {
  return static_cast<std::uint16_t>(crc16(hash_tag(key)) & (slot_count - 1));
}

}  // namespace valkey::cluster
