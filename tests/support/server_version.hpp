#pragma once
// Which server the tests run against (the VALKEY_SERVER binary), so a test of
// a feature an older server lacks skips with a reason instead of failing.
// docs/compatibility.md lists what each version supports.
//
//   require_server(valkey_at_least<9, 0>, "MSETEX is new in Valkey 9.0");
#include <string>

namespace valkey::test {

// The Valkey version the committed generated/ code comes from (its specs:
// scripts/setup.sh). Checks of the generated surface against a server mean
// that server only.
inline constexpr const char* kGeneratedFromValkey = "9.1.2";

struct ServerVersion {
  bool valkey = false;  // else Redis
  int major = 0, minor = 0, patch = 0;
  std::string text;  // "valkey 8.0.1", "redis 7.0.15"

  bool at_least(int ma, int mi, int pa = 0) const {
    if (major != ma) return major > ma;
    if (minor != mi) return minor > mi;
    return patch >= pa;
  }
};

// The version of the VALKEY_SERVER binary the fixtures start (its
// --version line), read once.
const ServerVersion& server_version();

// SKIPs the running test with `why` and the server's version unless `ok`.
void require_server(bool (*ok)(const ServerVersion&), const std::string& why);

// Predicates for require_server.
bool is_generated_from(const ServerVersion& v);  // valkey kGeneratedFromValkey
template <int Major, int Minor>
bool valkey_at_least(const ServerVersion& v) {
  return v.valkey && v.at_least(Major, Minor);
}
// CLIENT SETINFO: every Valkey, Redis from 7.2.
bool has_client_setinfo(const ServerVersion& v);

}  // namespace valkey::test
