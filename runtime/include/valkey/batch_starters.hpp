#pragma once
/// \class valkey::BatchStarters
/// pipeline() and transaction() as members of the clients (Client,
/// AsyncClient, the two cluster clients) and of their With handles:
///
/// \code
///   auto [v, n] = db.pipeline().get("k").incr("n").exec();
///   auto [a, b] = co_await c.transaction().incr("a").incr("b").exec(asio::use_awaitable);
/// \endcode
///
/// The builders live in pipeline.hpp and transaction.hpp (valkey.hpp includes
/// both); the members are templates, so only code that calls them needs those
/// headers.
namespace valkey {

template <class Framing, class Target, class... Ts>
class BasicBatch;  // pipeline.hpp
namespace detail {
struct PipelineFraming;     // pipeline.hpp
struct TransactionFraming;  // transaction.hpp
}  // namespace detail

template <class Derived>
class BatchStarters {
 public:
  /// A typed pipeline on this client: every command in one write.
  template <class Self = Derived>
  auto pipeline() {
    return BasicBatch<detail::PipelineFraming, Self>{static_cast<Self&>(*this)};
  }
  /// A typed MULTI ... EXEC transaction on this client, in one write.
  template <class Self = Derived>
  auto transaction() {
    return BasicBatch<detail::TransactionFraming, Self>{static_cast<Self&>(*this)};
  }
};

}  // namespace valkey
