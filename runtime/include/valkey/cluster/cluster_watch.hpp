#pragma once
/// \file
/// WATCH on a cluster: the keys must share one slot; a connection of its own
/// to that slot's owner holds the WATCH, and the transaction that follows
/// runs there (the single-node AsyncWatch / Watch on that node).
///
/// \code
///   const std::vector<std::string_view> keys{"{acct1}:balance"};  // named: g++ 12 and braced lists in co_await
///   auto w = co_await valkey::watch(cluster, keys, asio::use_awaitable);  // AsyncWatch
///   auto cur = co_await w.get("{acct1}:balance", asio::use_awaitable);
///   auto [r] = co_await w.multi().set("{acct1}:balance", next).exec(asio::use_awaitable);
///   // errc::exec_aborted when the key changed after WATCH
/// \endcode
///
/// Losing that connection fails the transaction (the WATCH is gone with it:
/// nothing ran, start again). A slot that moves between WATCH and EXEC makes
/// the old owner refuse the queued commands (MOVED, then EXECABORT: nothing
/// ran); watch again.
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>

#include <valkey/async_watch.hpp>
#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/router.hpp>
#include <valkey/exec/async.hpp>
#include <valkey/export.hpp>
#include <valkey/transaction.hpp>
#include <valkey/view.hpp>

namespace valkey {

namespace cluster {
/// The one slot of `keys`: cross_slot (naming two keys in `why`) when they
/// are in several, invalid_argument when there are none.
VALKEY_CPP_EXPORT std::error_code watch_slot(Strings keys, std::uint16_t& slot, std::string& why);
}  // namespace cluster

/// WATCH `keys` (all in one slot) on a connection of its own to the slot's
/// owner. Completes with `void(std::error_code, AsyncWatch)` once the slot's
/// owner applied the WATCH; keys in several slots complete with
/// errc::cross_slot, no keys with errc::invalid_argument.
template <class Token>
auto watch(AsyncClusterClient& c, Strings keys, Token&& token) {
  exec::Bytes bytes = exec::Bytes::pooled();
  {
    resp::Writer w(bytes.buffer());
    w.begin_command(keys.size() + 1);
    w.arg(std::string_view{"WATCH"});
    keys.for_each([&](std::string_view k) { w.arg(k); });
  }
  std::uint16_t slot = 0;
  std::string why;
  const std::error_code refused = cluster::watch_slot(keys, slot, why);
  return asio::async_initiate<Token, void(std::error_code, AsyncWatch)>(
      [](auto handler, std::shared_ptr<cluster::Router> router, exec::Bytes request, std::uint16_t watched_slot,
         std::error_code refusal) {
        using Handler = std::decay_t<decltype(handler)>;
        auto h = std::make_shared<Handler>(std::move(handler));
        auto req = std::make_shared<exec::Bytes>(std::move(request));
        auto fail = [h, router](std::error_code ec) {
          auto ex = asio::get_associated_executor(*h, router->get_executor());
          asio::dispatch(ex, [h, ec]() mutable { std::move(*h)(ec, AsyncWatch{}); });
        };
        // Posted by when_ready: never completes inside the initiation.
        router->when_ready([h, req, router, watched_slot, refusal, fail](std::error_code ec) mutable {
          if (!ec) ec = refusal;
          if (ec) return fail(ec);
          std::string host;
          std::uint16_t port = 0;
          if (!router->owner_of(watched_slot, host, port)) {
            router->request_refresh();
            return fail(make_error_code(errc::cluster_down));
          }
          auto conn =
              Connection::create(router->get_executor(), detail::watch_config(router->node_config(host, port)));
          Connection& ref = *conn;
          auto done = [h, conn](std::error_code e, Ok) mutable {
            if (e) {
              conn->close();
              std::move(*h)(e, AsyncWatch{});
            } else {
              std::move(*h)(e, AsyncWatch{std::move(conn)});
            }
          };
          exec::launch<exec::SingleReply<Ok>, false>(std::move(done), exec::Route{&ref, nullptr}, std::move(*req),
                                                     exec::RequestInfo{CommandFlag::none, 1, "WATCH"}, nullptr);
        });
      },
      token, c.router(), std::move(bytes), slot, refused);
}

}  // namespace valkey
