#pragma once
// Encoders with two arguments of the same type written in the wrong order:
// the generated encoder's body, swapped by hand. The verification of the
// generated commands must catch them (tests/unit/generated_examples_test.cpp
// without a server, tests/integration/spec_check_commands.cpp against one).
#include <string>

#include <valkey/cmd/all.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey::test {

template <class Sink>
void write_getrange_swapped(const cmd::Getrange& c, Sink& s) {
  s.arg("GETRANGE");
  s.arg(c.key);
  s.arg(c.end);  // swapped with start
  s.arg(c.start);
}

template <class Sink>
void write_lmove_swapped(const cmd::Lmove& c, Sink& s) {
  s.arg("LMOVE");
  s.arg(c.destination);  // swapped with source
  s.arg(c.source);
  s.arg(valkey::holds_alternative<cmd::Lmove::Left>(c.where_from) ? "LEFT" : "RIGHT");
  s.arg(valkey::holds_alternative<cmd::Lmove::Left>(c.where_to) ? "LEFT" : "RIGHT");
}

// The wire bytes `write` produces for `c`.
template <class C, class Write>
std::string wire_with(const C& c, Write write) {
  resp::ArgCounter n;
  write(c, n);
  std::string wire;
  resp::Writer w{wire};
  w.begin_command(n.count());
  write(c, w);
  return wire;
}

}  // namespace valkey::test
