// expect: is not an alternative of this choice
// Asking a choice for a type that is none of its alternatives (EXPIRE's
// condition is NX | XX | GT | LT, not KEEPTTL) is a compile error naming the
// mistake, not an answer of false. Compiled as is (the control asks for GT),
// and with VALKEY_COMPILE_FAIL, which must fail with the error above.
#include <valkey/valkey.hpp>

bool asks_for_an_alternative() {
  const valkey::cmd::Expire e{.key = "k", .seconds = 1, .condition = valkey::gt};
#ifdef VALKEY_COMPILE_FAIL
  return valkey::holds_alternative<valkey::token::KeepTtl>(*e.condition);
#else
  return valkey::holds_alternative<valkey::token::Gt>(*e.condition);
#endif
}
