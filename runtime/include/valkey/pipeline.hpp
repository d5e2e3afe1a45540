#pragma once
// valkey::Pipeline: several commands sent in ONE submit (one write, one
// request with N expected replies) and their replies decoded into a typed
// tuple. The builder changes type with every command: each generated method
// appends the command's reply_type.
//
//   auto [name, visits] = co_await valkey::pipeline(c)
//       .hget("user:1", "name")
//       .incr("visits")
//       .exec(asio::use_awaitable);   // std::tuple<std::optional<std::string>, std::int64_t>
//   auto [ok, v] = valkey::pipeline(db).set("k", "v").get("k").exec();   // sync Client
//
// Commands are encoded when they are added, into the pipeline's own buffer,
// so their arguments need not outlive the call that adds them. Adding a
// command consumes the pipeline it is called on (its buffer moves into the
// returned one); exec() on a consumed pipeline fails with invalid_argument.
//
// Errors: every reply is always read (the stream stays in sync). If any
// command gets an error reply, exec fails with errc::server_error and the
// FIRST error's text (Diagnostics / ServerError); a decode mismatch fails it
// with that errc. For per-command outcomes use valkey::Batch (dynamic, replies
// as valkey::Reply, error replies kept as values).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include <valkey/adapt/response.hpp>
#include <valkey/async_client.hpp>
#include <valkey/client.hpp>
#include <valkey/command.hpp>
#include <valkey/connection.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/error.hpp>
#include <valkey/reply.hpp>

namespace valkey {

namespace detail {

// ---- decoding N replies -------------------------------------------------
// A "collector" receives the nodes of the N replies of one request and
// produces the result: on_node, on_reply_end, and
// std::error_code finish(result_type&, std::string& server_message).

// Replies decoded into std::tuple<Ts...>; the first failing reply wins.
template <class... Ts>
class TupleCollector {
 public:
  using result_type = std::tuple<Ts...>;
  static constexpr std::size_t size = sizeof...(Ts);

  explicit TupleCollector(std::uint32_t = 0) { bind(std::index_sequence_for<Ts...>{}); }
  TupleCollector(const TupleCollector&) = delete;
  TupleCollector& operator=(const TupleCollector&) = delete;

  void on_node(const resp::Node& n) {
    if (i_ < size) at_[i_]->on_node(n);
  }
  void on_reply_end() {
    if (i_ < size) at_[i_++]->on_message_end();
  }
  std::error_code finish(result_type& out, std::string& message) {
    if (i_ != size) return make_error_code(errc::unexpected_reply_type);  // fewer replies than commands
    for (adapt::ResponseBase* v : at_) {
      if (auto ec = v->error_code()) {
        message = v->server_message();
        return ec;
      }
    }
    out = take(std::index_sequence_for<Ts...>{});
    return {};
  }

 private:
  template <std::size_t... I>
  void bind(std::index_sequence<I...>) {
    ((at_[I] = &std::get<I>(visitors_)), ...);
  }
  template <std::size_t... I>
  result_type take(std::index_sequence<I...>) {
    return result_type{std::get<I>(visitors_).take()...};
  }

  std::tuple<adapt::ResponseVisitor<Ts>...> visitors_;
  std::array<adapt::ResponseBase*, size> at_{};
  std::size_t i_ = 0;
};

// N replies kept as valkey::Reply values, error replies included: the batch
// itself only fails when the connection does.
class ReplyCollector {
 public:
  using result_type = std::vector<Reply>;
  explicit ReplyCollector(std::uint32_t n) { out_.reserve(n); }
  void on_node(const resp::Node& n) { builder_.on_node(n); }
  void on_reply_end() {
    builder_.on_message_end();
    out_.push_back(builder_.take());
  }
  std::error_code finish(result_type& out, std::string&) {
    out = std::move(out_);
    return {};
  }

 private:
  ReplyBuilder builder_;
  std::vector<Reply> out_;
};

// N replies of the same type T; the first failing one fails the batch.
template <class T>
class VectorCollector {
 public:
  using result_type = std::vector<T>;
  explicit VectorCollector(std::uint32_t n) { out_.reserve(n); }
  void on_node(const resp::Node& n) { current_->on_node(n); }
  void on_reply_end() {
    current_->on_message_end();
    if (!ec_) {
      if (auto ec = current_->error_code()) {
        ec_ = ec;
        message_ = current_->server_message();
      } else {
        out_.push_back(current_->take());
      }
    }
    current_.emplace();  // a fresh decoder in place: no allocation per reply
  }
  std::error_code finish(result_type& out, std::string& message) {
    if (ec_) {
      message = message_;
      return ec_;
    }
    out = std::move(out_);
    return {};
  }

 private:
  std::optional<adapt::ResponseVisitor<T>> current_{std::in_place};
  std::vector<T> out_;
  std::error_code ec_;
  std::string message_;
};

// ---- running a batch ---------------------------------------------------

// The encoded commands of a batch and how many replies they produce.
struct Encoded {
  std::string bytes;
  std::uint32_t replies = 0;
  bool consumed = false;  // moved into another builder: exec must refuse
};

inline std::error_code refuse_if_bad(const Encoded& e) {
  if (e.consumed || e.replies == 0) return make_error_code(errc::invalid_argument);
  return {};
}

// Asynchronous: one AsyncOp (async_client.hpp) carrying every command, its
// collector as the decoder, completed with void(std::error_code, Result).
template <class Collector>
struct InitiateBatch {
  Connection* conn;
  template <class Handler>
  void operator()(Handler&& handler, Encoded enc, Diagnostics* diag) const {
    using Op = AsyncOp<Collector, std::decay_t<Handler>>;
    std::error_code ec = refuse_if_bad(enc);
    // A refused batch still completes through an op (with expected_replies
    // of at least 1), so the handler runs the usual way.
    auto* op = Op::create(std::forward<Handler>(handler), *conn, diag, ec ? 1u : enc.replies);
    if (!ec) {
      if (auto timeout = conn->config().request_timeout; timeout.count() > 0)
        op->deadline = RequestBase::clock::now() + timeout;
      ec = conn->submit_encoded(*op, enc.bytes);
    }
    if (ec) return op->finish(ec, true);
    op->arm_cancellation();
  }
};

template <class Collector, class Token>
auto async_run_batch(Connection& conn, Encoded enc, Diagnostics* diag, Token&& token) {
  return asio::async_initiate<Token, void(std::error_code, typename Collector::result_type)>(
      InitiateBatch<Collector>{&conn}, token, std::move(enc), diag);
}

// Synchronous: the same request run through Client::run (blocks).
template <class Collector>
class SyncBatchOp final : public SyncOpBase {
 public:
  SyncBatchOp(const std::string& bytes, std::uint32_t n)
      : SyncOpBase(EncodeRef{&bytes, [](const void* b, resp::Writer& w) {
          w.buffer().append(*static_cast<const std::string*>(b));
        }}),
        collector_(n) {
    expected_replies = n;
  }
  void on_node(const resp::Node& n) override { collector_.on_node(n); }
  void on_reply_end() override { collector_.on_reply_end(); }
  Collector& collector() noexcept { return collector_; }

 private:
  Collector collector_;
};

// Runs the batch on `db`; fills `ec` (and `diag`) instead of throwing.
template <class Collector>
typename Collector::result_type run_batch(Client& db, const Encoded& enc, std::error_code& ec, Diagnostics* diag) {
  typename Collector::result_type out{};
  if ((ec = refuse_if_bad(enc))) return out;
  SyncBatchOp<Collector> op{enc.bytes, enc.replies};
  if (auto timeout = db.config().request_timeout; timeout.count() > 0)
    op.deadline = RequestBase::clock::now() + timeout;
  db.run(op);
  std::string message;
  ec = op.transport_error();
  if (!ec) ec = op.collector().finish(out, message);
  if (diag) diag->server_message = ec == errc::server_error ? message : std::string{};
  if (ec) out = typename Collector::result_type{};
  return out;
}

template <class Collector>
typename Collector::result_type run_batch(Client& db, const Encoded& enc) {
  std::error_code ec;
  Diagnostics diag;
  auto out = run_batch<Collector>(db, enc, ec, &diag);
  if (ec == errc::server_error) throw ServerError(diag.server_message);
  if (ec) throw Error(ec);
  return out;
}

template <class T>
inline constexpr bool is_sync_target = std::is_same_v<T, Client>;

template <class Token>
concept CompletionTokenArg = !Command<std::remove_cvref_t<Token>> &&
                             !std::is_same_v<std::remove_cvref_t<Token>, Diagnostics> &&
                             !std::is_same_v<std::remove_cvref_t<Token>, std::error_code>;

// Plain MULTI ... EXEC framing is added by Transaction (transaction.hpp).
struct PipelineFraming {
  static constexpr std::uint32_t extra_replies = 0;
  template <class Collector>
  using collector = Collector;
  static void open(resp::Writer&) {}
  static void close(resp::Writer&) {}
};

}  // namespace detail

// The type-changing builder shared by Pipeline and Transaction. `Framing`
// wraps the commands (nothing, or MULTI/EXEC) and adapts the collector.
template <class Framing, class Target, class... Ts>
class BasicBatch
#ifdef VALKEY_HAS_COMMANDS
    : public Commands<BasicBatch<Framing, Target, Ts...>>
#endif
{
 public:
  using result_type = std::tuple<Ts...>;
  using collector_type = typename Framing::template collector<detail::TupleCollector<Ts...>>;

  explicit BasicBatch(Target& target) : target_(&target) {
    resp::Writer w(enc_.bytes);
    Framing::open(w);
  }
  BasicBatch(Target& target, detail::Encoded enc) : target_(&target), enc_(std::move(enc)) {}

  Target& target() const noexcept { return *target_; }
  // Commands added so far.
  std::size_t size() const noexcept { return sizeof...(Ts); }

  // Appends `cmd` (encoded now); returns the builder with its reply type added.
  template <Command C>
  BasicBatch<Framing, Target, Ts..., typename C::reply_type> exec(const C& cmd) {
    resp::Writer w(enc_.bytes);
    encode(cmd, w);
    return {*target_, take_encoded()};
  }
  // Appends any command as strings; its reply comes back as valkey::Reply.
  BasicBatch<Framing, Target, Ts..., Reply> call(Strings args) {
    resp::Writer w(enc_.bytes);
    w.begin_command(args.size());
    args.for_each([&](std::string_view a) { w.arg(a); });
    return {*target_, take_encoded()};
  }

  // ---- asynchronous targets: completes with void(std::error_code, std::tuple<Ts...>)
  template <class Token>
    requires(!detail::is_sync_target<Target> && detail::CompletionTokenArg<Token>)
  auto exec(Token&& token) {
    return detail::async_run_batch<collector_type>(target_->connection(), finished(), nullptr,
                                                   std::forward<Token>(token));
  }
  template <class Token>
    requires(!detail::is_sync_target<Target> && detail::CompletionTokenArg<Token>)
  auto exec(Diagnostics& diag, Token&& token) {
    return detail::async_run_batch<collector_type>(target_->connection(), finished(), &diag,
                                                   std::forward<Token>(token));
  }

  // ---- the synchronous Client: blocks; throws ServerError / Error, or fills ec.
  result_type exec()
    requires detail::is_sync_target<Target>
  {
    return detail::run_batch<collector_type>(*target_, finished());
  }
  result_type exec(std::error_code& ec)
    requires detail::is_sync_target<Target>
  {
    return detail::run_batch<collector_type>(*target_, finished(), ec, nullptr);
  }
  result_type exec(std::error_code& ec, Diagnostics& diag)
    requires detail::is_sync_target<Target>
  {
    return detail::run_batch<collector_type>(*target_, finished(), ec, &diag);
  }

 private:
  detail::Encoded take_encoded() {
    detail::Encoded e{std::move(enc_.bytes), enc_.replies + 1, enc_.consumed};
    enc_.bytes.clear();
    enc_.consumed = true;
    return e;
  }
  // The bytes to send, framing closed; consumes the builder.
  detail::Encoded finished() {
    detail::Encoded e = std::move(enc_);
    enc_.consumed = true;
    if (e.consumed || e.replies == 0) return e;
    resp::Writer w(e.bytes);
    Framing::close(w);
    e.replies += Framing::extra_replies;
    return e;
  }

  Target* target_;
  detail::Encoded enc_;
};

// A pipeline of typed commands on `Target` (AsyncClient or Client).
template <class Target, class... Ts>
using Pipeline = BasicBatch<detail::PipelineFraming, Target, Ts...>;

// Starts a pipeline on a client: valkey::pipeline(c).get("a").incr("b").exec(token).
inline Pipeline<AsyncClient> pipeline(AsyncClient& c) { return Pipeline<AsyncClient>{c}; }
inline Pipeline<Client> pipeline(Client& db) { return Pipeline<Client>{db}; }

// A dynamic pipeline: any number of commands decided at run time, sent in one
// write. Replies come back as std::vector<Reply> with error replies kept as
// Reply values (r.is_error()), or as std::vector<T> for commands of one reply
// type T (then the first error fails the whole batch, like Pipeline).
template <class Target, class T = Reply>
class Batch {
 public:
  using result_type = std::vector<T>;
  using collector_type = std::conditional_t<std::is_same_v<T, Reply>, detail::ReplyCollector, detail::VectorCollector<T>>;

  explicit Batch(Target& target) : target_(&target) {}

  std::size_t size() const noexcept { return enc_.replies; }
  bool empty() const noexcept { return enc_.replies == 0; }

  template <Command C>
    requires(std::is_same_v<T, Reply> || std::is_convertible_v<typename C::reply_type, T>)
  Batch& add(const C& cmd) {
    resp::Writer w(enc_.bytes);
    encode(cmd, w);
    ++enc_.replies;
    return *this;
  }
  Batch& add(Strings args) {
    resp::Writer w(enc_.bytes);
    w.begin_command(args.size());
    args.for_each([&](std::string_view a) { w.arg(a); });
    ++enc_.replies;
    return *this;
  }

  template <class Token>
    requires(!detail::is_sync_target<Target> && detail::CompletionTokenArg<Token>)
  auto exec(Token&& token) {
    return detail::async_run_batch<collector_type>(target_->connection(), take(), nullptr,
                                                   std::forward<Token>(token));
  }
  template <class Token>
    requires(!detail::is_sync_target<Target> && detail::CompletionTokenArg<Token>)
  auto exec(Diagnostics& diag, Token&& token) {
    return detail::async_run_batch<collector_type>(target_->connection(), take(), &diag,
                                                   std::forward<Token>(token));
  }
  result_type exec()
    requires detail::is_sync_target<Target>
  {
    return detail::run_batch<collector_type>(*target_, take());
  }
  result_type exec(std::error_code& ec)
    requires detail::is_sync_target<Target>
  {
    return detail::run_batch<collector_type>(*target_, take(), ec, nullptr);
  }

 private:
  // Sends what was added and leaves the batch empty, ready for reuse.
  detail::Encoded take() {
    detail::Encoded e = std::move(enc_);
    enc_ = {};
    return e;
  }

  Target* target_;
  detail::Encoded enc_;
};

}  // namespace valkey
