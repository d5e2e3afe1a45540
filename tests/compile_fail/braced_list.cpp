// expect: braced list: name a container
// A command struct whose list member is a braced list: the array behind the
// list dies at the end of the declaration and exec() would read it;
// valkey::ArgList makes it a compile error (db.mget({"a", "b"}) stays fine).
// Compiled as is (the control: the same code with a named array builds),
// and with VALKEY_COMPILE_FAIL, which must fail with the error above.
#include <string_view>

#include <valkey/valkey.hpp>

void stored_braced_list(valkey::Client& db) {
#ifdef VALKEY_COMPILE_FAIL
  valkey::cmd::Mget m{.keys = {"a", "b"}};
#else
  const std::string_view keys[] = {"a", "b"};
  valkey::cmd::Mget m{.keys = keys};
#endif
  db.exec(m);
}
