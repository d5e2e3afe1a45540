// expect: temporary string: name it
// The snippet of issue 12: a command struct whose key is a temporary
// std::string. The temporary dies at the end of the declaration and exec()
// would read freed memory; valkey::Arg makes it a compile error.
// Compiled as is (the control: the same code with the string named builds),
// and with VALKEY_COMPILE_FAIL, which must fail with the error above.
#include <string>

#include <valkey/valkey.hpp>

void issue_12_snippet(valkey::Client& db, int n) {
#ifdef VALKEY_COMPILE_FAIL
  valkey::cmd::Set s{.key = "k:" + std::to_string(n), .value = "v"};
#else
  const std::string key = "k:" + std::to_string(n);
  valkey::cmd::Set s{.key = key, .value = "v"};
#endif
  db.exec(s);
}
