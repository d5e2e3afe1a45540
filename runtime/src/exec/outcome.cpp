#include <valkey/exec/outcome.hpp>


#include <valkey/exec/plan.hpp>
#include <valkey/policy/outcome.hpp>

namespace valkey::exec {

namespace {

bool contains(std::string_view text, std::string_view part) noexcept {
  return !part.empty() && text.find(part) != std::string_view::npos;
}

// Drops " (<endpoint>)" from a connection's error text: the sentence names
// the endpoint once, up front.
std::string without_endpoint(std::string_view text, std::string_view endpoint) {
  std::string out(text);
  if (endpoint.empty()) return out;
  const std::string tag = " (" + std::string(endpoint) + ")";
  for (auto at = out.find(tag); at != std::string::npos; at = out.find(tag)) out.erase(at, tag.size());
  return out;
}

// The handshake's refusals read "<STEP> refused: <the server's words>".
std::string_view server_words(std::string_view connection_error) noexcept {
  constexpr std::string_view marker = " refused: ";
  auto at = connection_error.find(marker);
  return at == std::string_view::npos ? std::string_view{} : connection_error.substr(at + marker.size());
}

}  // namespace

std::string reason(const Failure& f) {
  const errc code = f.ec.category() == category() ? static_cast<errc>(f.ec.value()) : errc{};
  if (code == errc::invalid_argument && is_select(f.command))
    return f.ec.message() + " (SELECT would move a shared connection to another database: use database(n), "
                            "or Config::database for the client's own)";
  if (f.ec.category() == category() && f.reason) {
    if (code == errc::server_error && !f.reason->server_message.empty()) return f.reason->server_message;
    if (!f.reason->detail.empty()) return f.ec.message() + " (" + f.reason->detail + ")";
  }
  std::string reason = f.ec.message();
  // A request refused by a bound before it reached a connection (the lease
  // bulkhead) carries the bound's sentence where a connection's error goes.
  if (code == errc::queue_full && !f.connection_error.empty())
    return reason + " (" + std::string(f.connection_error) + ")";
  if (!f.connection_error.empty() && is_connection_failure(f.ec)) {
    std::string why = without_endpoint(f.connection_error, f.endpoint);
    // "Connection refused" already says what the code says: say it once.
    if (contains(why, reason)) reason = std::move(why);
    else reason += ": " + why;
  }
  return reason;
}

bool is_connection_failure(std::error_code ec) noexcept {
  if (!ec) return false;
  if (ec.category() != category()) return true;  // a socket error
  switch (static_cast<errc>(ec.value())) {
    case errc::not_connected:
    case errc::connection_lost:
    case errc::timeout:
    case errc::handshake_failed:
    case errc::auth_failed:
    case errc::health_check_failed:
    case errc::tls_error:
    case errc::sentinel_unreachable:
    case errc::sentinel_unknown_primary:
    case errc::no_replica:
    case errc::wrong_role:
      return true;
    default:
      return false;
  }
}

ErrorContext context_of(const Failure& f) {
  ErrorContext c;
  if (f.ec == errc::server_error && f.reason) c.server_message = f.reason->server_message;
  else if ((f.ec == errc::auth_failed || f.ec == errc::handshake_failed))
    c.server_message = std::string(server_words(f.connection_error));
  c.command = std::string(f.command);
  c.endpoint = std::string(f.endpoint);
  return c;
}

std::string describe(const Failure& f) {
  std::string out;
  if (!f.command.empty()) out += f.command;
  if (!f.endpoint.empty()) {
    if (!out.empty()) out += " on ";
    out += f.endpoint;
  }
  if (!out.empty()) out += ": ";
  out += reason(f);
  return out;
}

void fill(Diagnostics& diag, const Failure& f) {
  ErrorContext c = context_of(f);
  diag.server_message = std::move(c.server_message);
  diag.command = std::move(c.command);
  diag.endpoint = std::move(c.endpoint);
  diag.message = describe(f);
  diag.outcome = policy::outcome_of(f.ec, f.written);
}

void raise(const Failure& f) {
  if (f.ec == errc::server_error) throw ServerError(describe(f), context_of(f));
  throw Error(f.ec, describe(f), context_of(f));
}

std::exception_ptr to_exception(const Failure& f) {
  try {
    raise(f);
  } catch (...) {
    return std::current_exception();
  }
}

void raise(std::error_code ec, const Diagnostics& d) {
  std::string text = d.message.empty() ? ec.message() : d.message;
  ErrorContext c{d.server_message, d.command, d.endpoint};
  if (ec == errc::server_error) throw ServerError(std::move(text), std::move(c));
  throw Error(ec, std::move(text), std::move(c));
}

std::exception_ptr to_exception(std::error_code ec, const Diagnostics& d) {
  try {
    raise(ec, d);
  } catch (...) {
    return std::current_exception();
  }
}

}  // namespace valkey::exec
