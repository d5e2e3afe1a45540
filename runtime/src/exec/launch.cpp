// The handler-free half of starting an asynchronous request (exec/async.hpp).
#include <valkey/exec/async.hpp>

namespace valkey::exec {

void observe_start(observe::Probe& probe, std::string_view bytes, const Config& config,
                   const RequestInfo& info) noexcept {
  const observe::Arguments args(bytes);
  probe.start(config, observe::Shape{info.command, info.meta, info.replies, info.flags}, args);
}

Connection* lease_for(LeasePool& pool, std::error_code refused, std::shared_ptr<Connection>& lease) {
  if (!refused) lease = pool.acquire();
  return lease ? lease.get() : &pool.refusals();
}

std::error_code prepare_request(RequestBase& request, std::string_view bytes, Connection& conn, const Route& route,
                                const RequestInfo& info, std::optional<RetryState>& retry, observe::Probe& probe) {
  // Policies (not on leased connections: blocking commands are not retried).
  if (route.guard && !route.pool) [[unlikely]] {
    if (info.per_call && info.options.idempotent && has(info.flags, CommandFlag::blocking))
      return make_error_code(errc::invalid_argument);
    const policy::Admission a = route.guard->admit(policy::Clock::now());
    if (a == policy::Admission::reject) return make_error_code(errc::circuit_open);  // nothing queued
    retry.emplace(route.guard, info.flags, info.per_call ? &info.options : nullptr, a);
  }
  if (CacheStore* cache = conn.cache()) [[unlikely]]
    if (!has(info.flags, CommandFlag::readonly)) cache_detail::evict_written_in(*cache, bytes);
  if (info.per_call) {
    apply_deadline(request, conn.config(), info.options.timeout);
    request.database = info.options.database;
  } else {
    apply_deadline(request, conn.config());
  }
  if (observe::observed(conn.config())) [[unlikely]]
    observe_start(probe, bytes, conn.config(), info);
  return {};
}

}  // namespace valkey::exec
