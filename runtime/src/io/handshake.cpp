#include "io/handshake.hpp"

#include <valkey/error.hpp>
#include <valkey/resp/writer.hpp>

#ifndef VALKEY_CPP_VERSION
#define VALKEY_CPP_VERSION "0.0.0"
#endif

namespace valkey::io {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

bool is_auth_refusal(std::string_view e) {
  return starts_with(e, "WRONGPASS") || starts_with(e, "NOAUTH") || starts_with(e, "NOPERM") ||
         contains(e, "invalid password") || contains(e, "invalid username") ||
         contains(e, "without any password configured") || contains(e, "no password is set");
}

}  // namespace

HandshakeCommand tracking_command(const CacheConfig& cache) {
  HandshakeCommand t{StepKind::tracking, {"CLIENT", "TRACKING", "ON"}};
  if (cache.mode == CacheMode::optin) {
    t.args.push_back("OPTIN");
  } else {
    t.args.push_back("BCAST");
    for (const std::string& p : cache.prefixes) t.args.insert(t.args.end(), {"PREFIX", p});
  }
  return t;
}

std::vector<HandshakeCommand> plan_handshake(const Config& c, bool resp2, bool tracking) {
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
  if (tracking && !resp2 && c.cache) plan.push_back(tracking_command(*c.cache));
  return plan;
}

Verdict judge_handshake(const std::vector<StepResult>& results) {
  Verdict v;
  for (const StepResult& r : results) {
    // SETINFO is new in 7.2, CLIENT CAPA in Valkey 8.0: both optional.
    if (!r.failed || r.kind == StepKind::setinfo || r.kind == StepKind::capa) continue;
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
      case StepKind::tracking:
        v.ec = make_error_code(errc::handshake_failed);
        v.message = "CLIENT TRACKING refused (client-side caching): " + r.error;
        return v;
      case StepKind::role:
        v.ec = make_error_code(is_auth_refusal(r.error) ? errc::auth_failed : errc::handshake_failed);
        v.message = "ROLE refused: " + r.error;
        return v;
      default:
        v.ec = make_error_code(errc::handshake_failed);
        v.message = r.error;
        return v;
    }
  }
  return v;
}

// ------------------------------------------------------------ the machine

Handshake::Handshake(const Config& config, std::string expected_role, bool tracking)
    : config_(config), expected_role_(std::move(expected_role)), parser_(config.limits), tracking_(tracking) {
  plan(config.protocol == Protocol::resp2);
}

void Handshake::plan(bool resp2) {
  resp2_ = resp2;
  std::string& out = resp2 ? resp2_bytes_ : resp3_bytes_;
  out.clear();
  results_.clear();
  replies_ = 0;
  resp::Writer w(out);
  std::vector<HandshakeCommand> commands = plan_handshake(config_, resp2, tracking_);
  if (!expected_role_.empty()) {
    // A primary named by the sentinels: once it is demoted it answers a
    // write, and a read too, with -REDIRECT host:port rather than READONLY
    // or a stale value, and the connection asks the sentinels again. Not for
    // a replica: with the capability it would redirect reads as well.
    if (expected_role_ == "master") commands.push_back({StepKind::capa, {"CLIENT", "CAPA", "redirect"}});
    commands.push_back({StepKind::role, {"ROLE"}});
  }
  role_.clear();
  role_seen_ = false;
  zone_.clear();
  hello_fields_ = 0;
  zone_next_ = false;
  for (const HandshakeCommand& c : commands) {
    w.begin_command(c.args.size());
    for (const std::string& a : c.args) w.arg(std::string_view{a});
    results_.push_back({c.kind, false, {}});
  }
}

void Handshake::on_node(const resp::Node& n) {
  if (n.depth == 0) in_push_ = n.type == resp::Type::push;
  if (in_push_ || replies_ >= results_.size()) return;
  StepResult& r = results_[replies_];
  if (n.depth == 0 && resp::is_error(n.type) && !r.failed) {
    r.failed = true;
    r.error.assign(n.value);
  }
  if (r.kind == StepKind::hello && n.depth == 1 && !r.failed) {
    // The map's keys and values alternate at depth 1 (a value's own
    // children, such as the modules list, are deeper).
    const bool is_key = hello_fields_++ % 2 == 0;
    if (is_key) {
      zone_next_ = n.value == "availability_zone";
    } else if (zone_next_) {
      zone_next_ = false;
      if (!resp::is_aggregate(n.type) && n.type != resp::Type::null) zone_.assign(n.value);
    }
  }
  if (r.kind == StepKind::role && n.depth == 1 && !role_seen_) {
    role_seen_ = true;
    role_.assign(n.value);
  }
}

void Handshake::on_message_end() {
  if (in_push_) {
    in_push_ = false;
    return;
  }
  ++replies_;
}

Handshake::Status Handshake::on_read(std::string_view in, std::size_t& used) {
  used = 0;
  while (status_ == Status::reading || status_ == Status::send_fallback) {
    if (status_ == Status::send_fallback) status_ = Status::reading;  // the driver sent it
    if (replies_ == results_.size()) {
      judge();
      if (status_ != Status::reading) return status_;
      continue;
    }
    if (used == in.size()) break;
    std::error_code ec;
    used += parser_.consume(in.substr(used), *this, ec);
    if (ec) {
      error_ = ec;
      status_ = Status::failed;
      return status_;
    }
    if (!parser_.message_complete()) break;
  }
  return status_;
}

void Handshake::judge() {
  Verdict v = judge_handshake(results_);
  if (v.retry_resp2 && !resp2_) {
    fell_back_ = true;
    plan(true);
    status_ = Status::send_fallback;
    return;
  }
  if (v.ec) {
    error_ = v.ec;
    message_ = std::move(v.message);
    status_ = Status::failed;
    return;
  }
  if (tracking_ && resp2_) {
    // The server refused HELLO 3: without push messages no invalidation
    // could reach the cache.
    error_ = make_error_code(errc::handshake_failed);
    message_ = "client-side caching needs RESP3, and the server refused HELLO 3";
    status_ = Status::failed;
    return;
  }
  if (!expected_role_.empty() && role_ != expected_role_) {
    error_ = make_error_code(errc::wrong_role);
    message_ = "ROLE reports " + (role_.empty() ? std::string("nothing") : role_) + " where the sentinel named a " +
               expected_role_;
    status_ = Status::failed;
    return;
  }
  status_ = Status::ready;
}

}  // namespace valkey::io
