#include "detail/handshake.hpp"

#include <valkey/error.hpp>

#ifndef VALKEY_CPP_VERSION
#define VALKEY_CPP_VERSION "0.0.0"
#endif

namespace valkey::detail {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

bool is_auth_refusal(std::string_view e) {
  return starts_with(e, "WRONGPASS") || starts_with(e, "NOAUTH") || starts_with(e, "NOPERM") ||
         contains(e, "invalid password") || contains(e, "invalid username") ||
         contains(e, "without any password configured") || contains(e, "no password is set");
}

}  // namespace

std::vector<HandshakeCommand> plan_handshake(const Config& c, bool resp2) {
  std::vector<HandshakeCommand> plan;
  if (!resp2) {
    HandshakeCommand hello{StepKind::hello, {"HELLO", "3"}};
    if (!c.password.empty()) {
      hello.args.insert(hello.args.end(), {"AUTH", c.user.empty() ? "default" : c.user, c.password});
    }
    if (!c.client_name.empty()) hello.args.insert(hello.args.end(), {"SETNAME", c.client_name});
    plan.push_back(std::move(hello));
  } else {
    if (!c.password.empty()) {
      HandshakeCommand auth{StepKind::auth, {"AUTH"}};
      if (!c.user.empty()) auth.args.push_back(c.user);
      auth.args.push_back(c.password);
      plan.push_back(std::move(auth));
    }
    if (!c.client_name.empty())
      plan.push_back({StepKind::setname, {"CLIENT", "SETNAME", c.client_name}});
  }
  plan.push_back({StepKind::setinfo, {"CLIENT", "SETINFO", "LIB-NAME", "valkey-cpp"}});
  plan.push_back({StepKind::setinfo, {"CLIENT", "SETINFO", "LIB-VER", VALKEY_CPP_VERSION}});
  if (c.database != 0) plan.push_back({StepKind::select, {"SELECT", std::to_string(c.database)}});
  return plan;
}

Verdict judge_handshake(const std::vector<StepResult>& results) {
  Verdict v;
  for (const StepResult& r : results) {
    if (!r.failed || r.kind == StepKind::setinfo) continue;  // SETINFO is new in 7.2: optional
    switch (r.kind) {
      case StepKind::hello:
        if (starts_with(r.error, "NOPROTO") || contains(r.error, "unknown command")) {
          v.retry_resp2 = true;
          return v;
        }
        if (is_auth_refusal(r.error)) {
          v.ec = make_error_code(errc::auth_failed);
        } else {
          v.ec = make_error_code(errc::handshake_failed);
        }
        v.message = "HELLO refused: " + r.error;
        return v;
      case StepKind::auth:
        v.ec = make_error_code(errc::auth_failed);
        v.message = "AUTH refused: " + r.error;
        return v;
      case StepKind::setname:
        v.ec = make_error_code(is_auth_refusal(r.error) ? errc::auth_failed : errc::handshake_failed);
        v.message = "CLIENT SETNAME refused: " + r.error;
        return v;
      case StepKind::select:
        v.ec = make_error_code(is_auth_refusal(r.error) ? errc::auth_failed : errc::handshake_failed);
        v.message = "SELECT refused: " + r.error;
        return v;
      default:
        v.ec = make_error_code(errc::handshake_failed);
        v.message = r.error;
        return v;
    }
  }
  return v;
}

}  // namespace valkey::detail
