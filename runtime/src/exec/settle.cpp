// The parts of an asynchronous request's life that do not depend on its
// reply type or handler (exec/async.hpp), compiled once here instead of in
// every translation unit for every reply type.
#include <valkey/exec/async.hpp>

namespace valkey::exec {

bool EncodedRequest::reencode(resp::Writer& w) {
  w.buffer().append(bytes_.view());
  return true;
}

std::exception_ptr settle(EncodedRequest& request, Connection& conn, Diagnostics* diag, std::error_code ec,
                          Reason& why, bool written, bool throws, observe::Probe& probe,
                          std::shared_ptr<LeasePool>& pool, std::shared_ptr<Connection>& lease) {
  if (CacheStore* cache = conn.cache())
    if (!has(request.flags, CommandFlag::readonly)) cache_detail::evict_written_in(*cache, request.bytes());
  if (probe.armed()) probe.end(ec, why.server_message);
  std::exception_ptr failure;
  if (ec) {
    const std::string endpoint = conn.config().endpoint();
    const Failure f{ec,
                    &why,
                    request.command(),
                    endpoint,
                    is_connection_failure(ec) ? std::string_view(conn.last_error()) : std::string_view{},
                    written};
    if (diag) fill(*diag, f);
    if (throws) failure = to_exception(f);
  } else {
    clear(diag);
  }
  if (pool) pool->release(std::move(lease), valkey::detail::lease_reusable(ec));
  return failure;
}

}  // namespace valkey::exec
