// Hash slots: CRC16 vectors and the hash-tag rule's edge cases.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include <valkey/cluster/slot.hpp>

namespace vc = valkey::cluster;

TEST_CASE("cluster: CRC16 XMODEM vectors", "[cluster]") {
  CHECK(vc::crc16("123456789") == 0x31C3);
  CHECK(vc::crc16("") == 0);
  CHECK(vc::crc16(std::string(1, '\0')) == 0);
  CHECK(vc::crc16("A") == 0x58E5);
  // Bytes above 0x7F are hashed as unsigned.
  CHECK(vc::crc16("\xff") == 0x1EF0);
}

TEST_CASE("cluster: CRC16 four bytes a step equals the bitwise definition at every length", "[cluster]") {
  auto bitwise = [](std::string_view s) {
    unsigned crc = 0;
    for (unsigned char c : s) {
      crc ^= static_cast<unsigned>(c) << 8;
      for (int b = 0; b < 8; ++b) crc = (crc & 0x8000u) ? ((crc << 1) ^ 0x1021u) & 0xFFFFu : (crc << 1) & 0xFFFFu;
    }
    return static_cast<std::uint16_t>(crc);
  };
  std::string s;
  unsigned x = 12345;
  for (int len = 0; len <= 70; ++len) {
    INFO("length " << len);
    CHECK(vc::crc16(s) == bitwise(s));
    x = x * 1103515245u + 12345u;
    s.push_back(static_cast<char>(x >> 16));
  }
}

TEST_CASE("cluster: slots of plain keys", "[cluster]") {
  CHECK(vc::hash_slot("123456789") == (0x31C3 & 16383));
  // Known slots (CLUSTER KEYSLOT on a server).
  CHECK(vc::hash_slot("foo") == 12182);
  CHECK(vc::hash_slot("bar") == 5061);
  CHECK(vc::hash_slot("key:1") == 6657);
  CHECK(vc::hash_slot("") == 0);
  for (const char* k : {"a", "user:1000", "\x01\x02\x03", "very long key with spaces and {"})
    CHECK(vc::hash_slot(k) < vc::slot_count);
}

TEST_CASE("cluster: hash tags", "[cluster]") {
  // Keys sharing a tag share the tag's slot.
  CHECK(vc::hash_slot("{a}b") == vc::hash_slot("{a}c"));
  CHECK(vc::hash_slot("{a}b") == vc::hash_slot("a"));
  CHECK(vc::hash_slot("{user1000}.following") == vc::hash_slot("{user1000}.followers"));
  CHECK(vc::hash_tag("x{tag}y") == "tag");
  // "{}": empty tag, the whole key is hashed.
  CHECK(vc::hash_tag("{}") == "{}");
  CHECK(vc::hash_tag("foo{}{bar}") == "foo{}{bar}");
  CHECK(vc::hash_slot("{}") == vc::crc16("{}") % 16384);
  // "{{a}}": the tag starts after the first '{' and ends at the next '}'.
  CHECK(vc::hash_tag("{{a}}") == "{a");
  CHECK(vc::hash_slot("{{a}}") == vc::hash_slot("{a"));
  // "a{}{b}": the first '{' opens an empty tag, so the whole key is hashed
  // (the later "{b}" is not a tag).
  CHECK(vc::hash_tag("a{}{b}") == "a{}{b}");
  CHECK(vc::hash_slot("a{}{b}") == vc::crc16("a{}{b}") % 16384);
  CHECK(vc::hash_slot("a{}{b}") != vc::hash_slot("b"));
  // No closing brace: the whole key.
  CHECK(vc::hash_tag("a{b") == "a{b");
  CHECK(vc::hash_tag("}a{") == "}a{");
  // Only the first tag counts.
  CHECK(vc::hash_tag("{a}{b}") == "a");
  CHECK(vc::hash_tag("foo{bar}{zap}") == "bar");
  CHECK(vc::hash_tag("foo{{bar}}zap") == "{bar");
  CHECK(vc::hash_tag("") == "");
}

TEST_CASE("cluster: a key's slot is its tag's CRC wherever its braces fall", "[cluster]") {
  // hash_slot() hashes a key without '{' in one pass, eight bytes a step;
  // a '{' at any position, in either half of a step or in the tail, sends it
  // to the tag rule.
  for (std::size_t len = 0; len <= 40; ++len) {
    std::string key;
    for (std::size_t i = 0; i < len; ++i) key.push_back(static_cast<char>('a' + (i * 7) % 26));
    INFO("length " << len);
    CHECK(vc::hash_slot(key) == (vc::crc16(key) & 16383));
    for (std::size_t open = 0; open < len; ++open) {
      for (std::size_t close : {open + 1, open + 2, open + 5, len}) {
        std::string k = key;
        k[open] = '{';
        if (close < len) k[close] = '}';
        INFO("key " << k);
        CHECK(vc::hash_slot(k) == (vc::crc16(vc::hash_tag(k)) & 16383));
      }
    }
  }
}
