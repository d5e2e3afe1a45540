// CRC16 (XMODEM) by tables built at compile time, four bytes a step
// (slicing-by-4), and the hash-tag rule of the cluster specification. Every
// routed key is hashed on the caller's thread.
#include <valkey/cluster/slot.hpp>

#include <array>
#include <cstddef>
#include <cstring>

namespace valkey::cluster {
namespace {

// tables[k][b]: the CRC of byte b followed by k zero bytes. The CRC is
// linear, so four bytes x0..x3 (the first two XORed with the CRC so far)
// give tables[3][x0] ^ tables[2][x1] ^ tables[1][x2] ^ tables[0][x3]: one
// step per four bytes instead of four dependent ones.
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

// Four bytes into the CRC so far.
inline unsigned step4(unsigned crc, const unsigned char* p) noexcept {
  return tables[3][((crc >> 8) ^ p[0]) & 0xFFu] ^ tables[2][(crc ^ p[1]) & 0xFFu] ^ tables[1][p[2]] ^ tables[0][p[3]];
}

inline unsigned step1(unsigned crc, unsigned char c) noexcept {
  return ((crc << 8) ^ tables[0][((crc >> 8) ^ c) & 0xFFu]) & 0xFFFFu;
}

// Whether any byte of `w` is '{' (the classic test for a zero byte, on w
// XOR '{' in every byte; exact as a yes or no).
constexpr bool has_brace(std::uint64_t w) noexcept {
  const std::uint64_t t = w ^ 0x7B7B7B7B7B7B7B7Bull;
  return ((t - 0x0101010101010101ull) & ~t & 0x8080808080808080ull) != 0;
}

constexpr int kBrace = -1;  // a key's CRC was not finished: it has a '{'

// The CRC of all of `bytes`; with Check, kBrace when they hold a '{'.
template <bool Check>
int crc_of(std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size();
  unsigned crc = 0;
  for (; n >= 8; n -= 8, p += 8) {
    if constexpr (Check) {
      std::uint64_t w;
      std::memcpy(&w, p, sizeof w);
      if (has_brace(w)) [[unlikely]]
        return kBrace;
    }
    crc = step4(step4(crc, p), p + 4);
  }
  if (n >= 4) {
    if constexpr (Check) {
      std::uint32_t w;
      std::memcpy(&w, p, sizeof w);
      if (has_brace(w)) [[unlikely]]  // its four zero bytes are no '{'
        return kBrace;
    }
    crc = step4(crc, p);
    p += 4;
    n -= 4;
  }
  for (; n > 0; --n, ++p) {
    if (Check && *p == '{') [[unlikely]]
      return kBrace;
    crc = step1(crc, *p);
  }
  return static_cast<int>(crc);
}

}  // namespace

std::uint16_t crc16(std::string_view bytes) noexcept { return static_cast<std::uint16_t>(crc_of<false>(bytes)); }

std::string_view hash_tag(std::string_view key) noexcept {
  const auto open = key.find('{');
  if (open == std::string_view::npos) return key;
  const auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;  // no '}', or "{}": the whole key
  return key.substr(open + 1, close - open - 1);
}

std::uint16_t hash_slot(std::string_view key) noexcept {
  // Most keys have no '{': hashed whole in one pass that looks for one, and
  // hashed again by the tag rule only when one turns up.
  int crc = crc_of<true>(key);
  if (crc == kBrace) [[unlikely]]
    crc = crc16(hash_tag(key));
  return static_cast<std::uint16_t>(crc & (slot_count - 1));
}

}  // namespace valkey::cluster
