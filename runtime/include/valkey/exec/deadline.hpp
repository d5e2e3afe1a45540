#pragma once
/// \file
/// The default deadline of a request (Config::request_timeout), applied in one
/// place for every executor. Blocking commands get none: they run on leased
/// connections, where the command's own timeout rules.
#include <valkey/config.hpp>
#include <valkey/request.hpp>

namespace valkey::exec {

/// Sets `r`'s deadline to now + Config::request_timeout; none for a blocking
/// command or a timeout of 0.
inline void apply_deadline(RequestBase& r, const Config& config) noexcept {
  if (has(r.flags, CommandFlag::blocking)) return;
  if (auto t = config.request_timeout; t.count() > 0) r.deadline = RequestBase::clock::now() + t;
}

/// The same with a per-call timeout (CallOptions::timeout; 0: the client's).
inline void apply_deadline(RequestBase& r, const Config& config, std::chrono::milliseconds call_timeout) noexcept {
  if (has(r.flags, CommandFlag::blocking)) return;
  const auto t = call_timeout.count() > 0 ? call_timeout : config.request_timeout;
  if (t.count() > 0) r.deadline = RequestBase::clock::now() + t;
}

}  // namespace valkey::exec
