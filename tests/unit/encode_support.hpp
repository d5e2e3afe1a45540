#pragma once
// The bytes a command struct encodes to, for unit tests that compare
// encodings.
#include <string>

#include <valkey/resp/writer.hpp>

namespace valkey::test {

template <class C>
std::string encoded(const C& c) {
  std::string out;
  valkey::resp::Writer w(out);
  encode(c, w);
  return out;
}

}  // namespace valkey::test
