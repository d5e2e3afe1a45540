#pragma once
/// \file
/// The asynchronous half of the request path.
///
/// OwnedRequest<Decoder>: a request that owns its encoded bytes and its
/// decoder. It can be submitted, fail, be reset() and be submitted again, on
/// the same connection or another one (a read-only retry after a lost
/// connection, a redirected cluster request).
///
/// AsyncOp: an OwnedRequest plus the caller's completion handler, allocated
/// with the handler's associated allocator (Asio's per-thread recycling
/// allocator by default), its bytes from the per-thread pool (bytes.hpp): in
/// steady state a request allocates nothing.
///
/// run_async(): encodes BEFORE asio::async_initiate, so a token that launches
/// later (asio::experimental::deferred) never reads the caller's arguments again.
///
/// An asynchronous executor provides
/// \code
///   exec::Route route(CommandFlag flags);   // the connection, or a lease pool
/// \endcode
///
/// Completion: void(std::error_code, R), with the failure's text in the
/// Diagnostics passed before the token. For the tokens that turn a failure
/// into an exception (asio::use_awaitable, asio::use_future) the signature is
/// void(std::exception_ptr, R) instead, holding the valkey::Error /
/// valkey::ServerError the synchronous API would throw, with the server's text.
/// A token that decides later (asio::experimental::deferred) gets the
/// error_code signature: whatever launches it, the text is in the Diagnostics.
#include <cstdint>
#include <exception>
#include <new>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/recycling_allocator.hpp>
#if defined(ASIO_HAS_CO_AWAIT)
#include <asio/use_awaitable.hpp>
#endif

#include <valkey/cache/client_hooks.hpp>
#include <valkey/connection.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/exec/bytes.hpp>
#include <valkey/exec/call_options.hpp>
#include <valkey/exec/deadline.hpp>
#include <valkey/exec/encoded_command.hpp>
#include <valkey/exec/handler_alloc.hpp>
#include <valkey/exec/handler_work.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/exec/resp3_shape.hpp>
#include <valkey/exec/retry_state.hpp>
#include <valkey/export.hpp>
#include <valkey/lease_pool.hpp>
#include <valkey/observe/probe.hpp>
#include <valkey/policy/guard.hpp>
#include <valkey/policy/idempotency.hpp>
#include <valkey/request.hpp>

namespace asio {
// Declared, not included: <asio/use_future.hpp> brings <future>, which a
// program that never names asio::use_future should not have to parse. A
// program that names it has included that header (launch_future() below).
template <typename Allocator>
class use_future_t;
}  // namespace asio

namespace valkey::exec {

// Where an asynchronous request runs: a connection, or one leased from a pool
// for as long as the request runs (blocking commands).
struct Route {
  Connection* conn = nullptr;
  std::shared_ptr<LeasePool> pool;
  // The client's resilience state when its configuration sets a policy
  // (policy/guard.hpp); null: the plain path.
  std::shared_ptr<policy::Guard> guard = {};
};

// Tokens whose result type rethrows a failure: they get the exception itself.
template <class Token>
inline constexpr bool throws_v = false;
template <class A>
inline constexpr bool throws_v<asio::use_future_t<A>> = true;
#if defined(ASIO_HAS_CO_AWAIT)
template <class E>
inline constexpr bool throws_v<asio::use_awaitable_t<E>> = true;
#endif

template <class Token>
inline constexpr bool is_use_future_v = false;
template <class A>
inline constexpr bool is_use_future_v<asio::use_future_t<A>> = true;

// asio::use_future's future, fulfilled by the handler `start` is given.
// asio::async_result's specialization for use_future_t (which a program
// that names asio::use_future has included) makes the promise and the
// future, so this header needs neither <future> nor <asio/use_future.hpp>.
// The handler `start` gets is a plain lambda around Asio's: it has no
// associated executor (Asio's would run the completion inline wherever it
// is posted), so it completes where any other request does. Not
// async_initiate(): Asio 1.22 has no initiate() for use_future with an
// exception_ptr signature. The pragma: Asio's handler passes its empty
// allocator member by reference as it is constructed, which g++ 12 reports
// as maybe-uninitialized in every caller (an empty class has no bytes to
// set); the pragma covers what is inlined into this function.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
template <class R, class Token, class Start>
auto launch_future(const Token& token, Start&& start) {
  using Result = asio::async_result<Token, void(std::exception_ptr, R)>;
  typename Result::completion_handler_type fulfil(token);
  Result result(fulfil);
  std::forward<Start>(start)([fulfil = std::move(fulfil)](std::exception_ptr failure, R value) mutable {
    fulfil(std::move(failure), std::move(value));
  });
  return result.get();
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

template <class Token, class R>
using signature_t =
    std::conditional_t<throws_v<std::decay_t<Token>>, void(std::exception_ptr, R), void(std::error_code, R)>;

// The bytes of a request that owns them: the part of OwnedRequest that does
// not depend on the reply type, compiled once in the library.
class VALKEY_CPP_EXPORT EncodedRequest : public RequestBase {
 public:
  // `command`: the name for error messages when it has static storage;
  // empty: read from the bytes.
  EncodedRequest(Bytes bytes, std::uint32_t replies, std::string_view command) noexcept
      : bytes_(std::move(bytes)), command_(command) {
    expected_replies = replies;
  }

  // The bytes are the request's own: it can always be sent again.
  bool reencode(resp::Writer& w) override;

  // Queues the request's bytes on `c` (refusals as Connection::submit).
  std::error_code submit(Connection& c) { return c.submit_encoded(*this, bytes_.view()); }

  std::string_view bytes() const noexcept { return bytes_.view(); }
  std::string_view command() const noexcept { return command_.empty() ? first_command(bytes_.view()) : command_; }

 protected:
  ~EncodedRequest() = default;

 private:
  Bytes bytes_;
  std::string_view command_;
};

template <class Decoder>
class OwnedRequest : public EncodedRequest {
 public:
  using result_type = typename Decoder::result_type;

  OwnedRequest(Bytes bytes, std::uint32_t replies, std::string_view command)
      : EncodedRequest(std::move(bytes), replies, command), decoder_(replies) {}

  void on_node(const resp::Node& n) override { decoder_.on_node(n); }
  void on_reply_end() override { decoder_.on_reply_end(); }
  // Forgets what a failed attempt received: the decoders start over, the
  // bytes stay. Call it only while the request is not active().
  void reset() { decoder_.reset(); }

  Decoder& decoder() noexcept { return decoder_; }

 protected:
  ~OwnedRequest() = default;

 private:
  Decoder decoder_;
};

// What a request needs besides its bytes.
struct RequestInfo {
  CommandFlag flags = CommandFlag::none;
  std::uint32_t replies = 1;
  std::string_view command;  // static storage, or empty
  const CommandInfo* meta = nullptr;  // a typed command's metadata (for an observer)
  // Per-call options (Client::with()), copied: a deferred launch may come
  // after the handle is gone.
  bool per_call = false;
  CallOptions options = {};
};

// A completion handed to its handler's executor (posted, or dispatched to
// an executor other than the connection's): the operation keeps its outcome
// until the executor runs this. One type for every operation, so Asio's
// wrapping of it is compiled once per executor type, not once per reply
// type and handler. Destroyed unrun (its execution context went away), it
// destroys the operation and its handler uninvoked, as Asio does with
// handlers then.
class Resume {
 public:
  using Run = void (*)(void* op, bool invoke);
  Resume(Run run, void* op) noexcept : run_(run), op_(op) {}
  Resume(Resume&& other) noexcept : run_(other.run_), op_(std::exchange(other.op_, nullptr)) {}
  Resume& operator=(Resume&&) = delete;
  ~Resume() {
    if (op_) run_(op_, false);
  }
  void operator()() { run_(std::exchange(op_, nullptr), true); }

 private:
  Run run_;
  void* op_;
};

// What every completion does before its handler runs, except on the plain
// path (success, no lease, no cache, no observer), compiled once in the
// library: a client-side cache evicts a write's keys again (read-your-writes;
// launch() evicted them at submission too), the observer's probe ends, a
// failure fills `diag` (with `throws`: and becomes the exception returned),
// a leased connection goes back to `pool` (or closes) so the caller's next
// blocking command can reuse it.
VALKEY_CPP_EXPORT std::exception_ptr settle(EncodedRequest& request, Connection& conn, Diagnostics* diag, std::error_code ec,
                          Reason& why, bool written, bool throws, observe::Probe& probe,
                          std::shared_ptr<LeasePool>& pool, std::shared_ptr<Connection>& lease);

template <class Decoder, class Handler, bool Throws>
class AsyncOp final : public OwnedRequest<Decoder>, public Resendable {
  using Base = OwnedRequest<Decoder>;

 public:
  using result_type = typename Decoder::result_type;
  using slot_type = asio::associated_cancellation_slot_t<Handler>;

  template <class H>
  AsyncOp(H&& h, Connection& c, Diagnostics* d, Bytes bytes, const RequestInfo& info,
          std::shared_ptr<LeasePool> pool, std::shared_ptr<Connection> lease)
      : Base(std::move(bytes), info.replies, info.command),
        handler_(std::forward<H>(h)),
        conn_(c),
        diag_(d),
        slot_(asio::get_associated_cancellation_slot(handler_)),
        pool_(std::move(pool)),
        lease_(std::move(lease)),
        work_(handler_, c.get_executor()) {
    this->flags = info.flags;
  }

  // Called once the request is queued.
  void arm_cancellation() {
    if (slot_.is_connected()) {
      slot_.assign([this](asio::cancellation_type type) {
        if (retry_ && retry_->cancel_wait()) return;  // between attempts: the timer's handler completes it
        // Before the write every kind of cancellation is clean; after it,
        // only terminal/partial ones (the command may still run).
        constexpr auto after_write = asio::cancellation_type::terminal | asio::cancellation_type::partial;
        if (!this->written() || (type & after_write) != asio::cancellation_type::none)
          conn_.cancel(*this, make_error_code(errc::cancelled));
      });
    }
  }

  void on_complete(std::error_code ec) override {
    if (retry_) [[unlikely]]
      return complete_guarded(ec);
    finish(ec, false);
  }

  // Where prepare_request() puts the retry state of a request under a Guard.
  std::optional<RetryState>& retry_state() noexcept { return retry_; }

  // The observer's token while one watches this request (observe/probe.hpp).
  observe::Probe probe;

  // Completes a request refused before it had a connection (a bulkhead's
  // bound), posted, with `detail` saying which bound.
  void refuse(std::error_code ec, std::string detail) {
    Reason why;
    why.detail = std::move(detail);
    deliver(ec, result_type{}, why, false, true);
  }

  // Completes the operation: frees this state first, then invokes the
  // handler on its executor (inline when already there, unless `post`).
  void finish(std::error_code ec, bool post) {
    result_type value{};
    Reason why;
    const bool written = ec && (retry_ ? retry_->may_have_run() || this->was_written() : this->was_written());
    if (!ec) ec = this->decoder().finish(value, why);
    shape_resp2(ec, value);
    deliver(ec, std::move(value), why, written, post);
  }

  // Hands the outcome to the caller (see finish()). `value` by reference:
  // the caller's local outlives this object, and a by-value parameter was
  // one more move of the reply (a std::string's out-of-line move and the
  // moved-from one's destruction) on every request.
  void deliver(std::error_code ec, result_type&& value, Reason& why, bool written, bool post) {
    if (slot_.is_connected()) slot_.clear();
    std::exception_ptr failure;
    if (ec || pool_ || conn_.cache() || probe.armed()) [[unlikely]] {
      failure = settle(*this, conn_, diag_, ec, why, written, Throws, probe, pool_, lease_);
      if (ec) value = result_type{};
    } else {
      clear(diag_);
    }
    if (!post && work_.at_home()) {
      // on_complete runs on the connection's executor: this is what
      // asio::dispatch would do, without its type-erased wrapping.
      Handler h = std::move(handler_);
      destroy(this);
      return invoke(h, ec, failure, value);
    }
    // Later, or on another executor: the outcome waits here (see Resume).
    delivery_.emplace(Delivery{ec, std::move(failure), std::move(value)});
    auto ex = work_.executor(conn_.get_executor());
    if (post) asio::post(ex, Resume(&AsyncOp::resume, this));
    else asio::dispatch(ex, Resume(&AsyncOp::resume, this));
  }

  // On a RESP2 connection, the Reply values of `value` take their commands'
  // RESP3 shape (exec/resp3_shape.hpp); nothing for typed results.
  void shape_resp2(std::error_code ec, result_type& value) {
    if constexpr (shapes_replies<Decoder>) {
      if (!ec && conn_.protocol() == Protocol::resp2) [[unlikely]] {
        Resp3Shapes shapes{this->bytes()};
        this->decoder().to_resp3(value, shapes);
      }
    }
  }

  // An attempt under a Guard ended: deliver, or send again after a backoff
  // (the decisions are RetryState's).
  void complete_guarded(std::error_code ec) {
    RetryState& r = *retry_;
    const bool transport = static_cast<bool>(ec);
    if (!r.record(ec, this->was_written())) return finish(ec, false);
    result_type value{};
    Reason why;
    std::error_code e = ec;
    if (!transport) e = this->decoder().finish(value, why);
    shape_resp2(e, value);
    if (!e) return deliver(e, std::move(value), why, false, false);
    switch (r.after_failure(e, why, this->bytes(), this->command(), this->deadline, conn_)) {
      case RetryState::Next::unknown_outcome:
        return deliver(make_error_code(errc::unknown_outcome), result_type{}, why, true, false);
      case RetryState::Next::deliver:
        return deliver(e, std::move(value), why, transport && r.may_have_run(), false);
      case RetryState::Next::resend:
        break;
    }
    this->reset();
    r.wait(conn_, *this);
  }

  // The backoff ended (or was cancelled): the next attempt.
  void resend(std::error_code timer_ec) override {
    RetryState& r = *retry_;
    const std::shared_ptr<Connection> keep = r.take_connection();  // alive through this call
    Reason why;
    if (const std::error_code stop = r.begin_attempt(timer_ec))
      return deliver(stop, result_type{}, why, r.may_have_run(), false);
    std::error_code ec;
    try {
      ec = this->submit(conn_);
    } catch (...) {
      ec = std::make_error_code(std::errc::not_enough_memory);
    }
    if (ec) return complete_guarded(ec);  // refused (closed, not connected): an attempt that ran nothing
  }

  template <class H>
  static AsyncOp* create(H&& h, Connection& c, Diagnostics* d, Bytes bytes, const RequestInfo& info,
                         std::shared_ptr<LeasePool> pool, std::shared_ptr<Connection> lease) {
    return new_op<AsyncOp, Memory>(h, std::forward<H>(h), c, d, std::move(bytes), info, std::move(pool),
                                   std::move(lease));
  }

 private:
  // Without an allocator bound to the handler: Asio's per-thread recycling.
  using Memory = asio::recycling_allocator<void>;
  // What a Resume runs: the outcome to the handler (or, unrun, nothing),
  // this state freed first.
  static void resume(void* p, bool run) {
    AsyncOp* op = static_cast<AsyncOp*>(p);
    Handler h = std::move(op->handler_);
    Delivery d = std::move(*op->delivery_);
    destroy(op);
    if (run) invoke(h, d.ec, d.failure, d.value);
  }
  static void invoke(Handler& h, std::error_code ec, std::exception_ptr& failure, result_type& value) {
    if constexpr (Throws) std::move(h)(std::move(failure), std::move(value));
    else std::move(h)(ec, std::move(value));
  }
  static void destroy(AsyncOp* p) { delete_op<AsyncOp, Memory>(p, p->handler_); }

  Handler handler_;
  Connection& conn_;
  Diagnostics* diag_;
  slot_type slot_;
  std::shared_ptr<LeasePool> pool_;    // set for a leased connection
  std::shared_ptr<Connection> lease_;
  std::optional<RetryState> retry_;    // under a Guard
  // Released with this state, after the completion is queued (resume()).
  HandlerWork<Handler, Connection::executor_type> work_;
  // The outcome, while a Resume carries it to the handler's executor.
  struct Delivery {
    std::error_code ec;
    std::exception_ptr failure;
    result_type value;
  };
  std::optional<Delivery> delivery_;
};

// Calls the observer's on_request_start for the request encoded as `bytes`.
VALKEY_CPP_EXPORT void observe_start(observe::Probe& probe, std::string_view bytes, const Config& config,
                   const RequestInfo& info) noexcept;

// The options of launch(), compiled once in the library: under `route`'s
// Guard (not for a leased connection's blocking commands), the breaker's
// admission and the retry state; the cache's eviction of a write's keys; the
// deadline (per-call or the default); the observer. The error that ends the
// request at once (circuit_open, a blocking command marked idempotent), or
// none: launch() submits it.
VALKEY_CPP_EXPORT std::error_code prepare_request(RequestBase& request, std::string_view bytes, Connection& conn, const Route& route,
                                const RequestInfo& info, std::optional<RetryState>& retry, observe::Probe& probe);

// The connection a request routed to `pool` goes on: one leased from it
// (kept in `lease`), or, for a request already `refused` or when the pool is
// at Config::max_leases (then `lease` stays empty), the pool's connection
// that only completes refusals.
VALKEY_CPP_EXPORT Connection* lease_for(LeasePool& pool, std::error_code refused, std::shared_ptr<Connection>& lease);

// Starts a request whose bytes are encoded: on `route`'s connection (or a
// connection leased from its pool), with the default deadline; completes
// `handler` with its outcome. `refused`: complete with that error at once
// (posted, never inside this call).
template <class Decoder, bool Throws, class Handler>
void launch(Handler&& handler, const Route& route, Bytes bytes, const RequestInfo& info, Diagnostics* diag,
            std::error_code refused = {}) {
  using Op = AsyncOp<Decoder, std::decay_t<Handler>, Throws>;
  std::shared_ptr<Connection> lease;
  Connection* conn = route.conn;
  std::error_code ec = refused;
  bool lease_refused = false;  // Config::max_leases: fail at once, send nothing
  if (route.pool) [[unlikely]] {
    conn = lease_for(*route.pool, ec, lease);
    lease_refused = !ec && !lease;
    if (lease_refused) ec = make_error_code(errc::queue_full);
  }
  // A refused request still completes the usual way, with one reply's
  // decoder (a copy only then: the info is 128 bytes).
  const RequestInfo* used = &info;
  std::optional<RequestInfo> one;
  if (ec) [[unlikely]] {
    one.emplace(info).replies = 1;
    used = &*one;
  }
  Op* op = nullptr;
  try {
    op = Op::create(std::forward<Handler>(handler), *conn, diag, std::move(bytes), *used,
                    lease ? route.pool : nullptr, lease);
  } catch (...) {
    if (lease) route.pool->release(std::move(lease), false);  // every lease goes back
    throw;
  }
  if (lease_refused) [[unlikely]]
    return op->refuse(ec, route.pool->refusal());
  lease.reset();
  if (!ec) {
    if (route.guard || info.per_call || conn->cache() || observe::observed(conn->config())) [[unlikely]]
      ec = prepare_request(*op, op->bytes(), *conn, route, info, op->retry_state(), op->probe);
    else  // the plain path: none of the options
      apply_deadline(*op, conn->config());
  }
  if (!ec) {
    try {
      ec = op->submit(*conn);
    } catch (...) {
      ec = std::make_error_code(std::errc::not_enough_memory);
    }
  }
  if (ec) return op->finish(ec, true);  // never complete inside the initiating call
  op->arm_cancellation();
}

// Where a request goes on `target`: its route, with the client's Guard for a
// call made with per-call options.
template <class Target>
Route route_for(Target& target, const RequestInfo& info) {
  Route route = target.route(info.flags);
  if constexpr (requires { target.guard_for_call(); })
    if (info.per_call) route.guard = target.guard_for_call();
  return route;
}

template <class Decoder, bool Throws>
struct Initiate {
  template <class Handler, class Target>
  // `info` by reference: the token stored it (a deferred launch) or it
  // lives in the initiating call; a copy per hop cost 128 bytes each.
  void operator()(Handler&& handler, Target* target, Bytes bytes, const RequestInfo& info, Diagnostics* diag,
                  std::error_code refused) const {
    launch<Decoder, Throws>(std::forward<Handler>(handler), route_for(*target, info), std::move(bytes), info, diag,
                            refused);
  }
};

// run_async() once the bytes are encoded.
template <class Decoder, class Target, class Token>
auto run_async_on(Target& target, Bytes bytes, const RequestInfo& info, std::error_code refused, Diagnostics* diag,
                  Token&& token) {
  using R = typename Decoder::result_type;
  constexpr bool throws = throws_v<std::decay_t<Token>>;
  if constexpr (is_use_future_v<std::decay_t<Token>>) {
    return launch_future<R>(token, [&](auto&& fulfil) {
      launch<Decoder, true>(std::move(fulfil), route_for(target, info), std::move(bytes), info, diag, refused);
    });
  } else {
    return asio::async_initiate<Token, signature_t<Token, R>>(Initiate<Decoder, throws>{}, token, &target,
                                                              std::move(bytes), info, diag, refused);
  }
}

// Runs `plan` on an asynchronous executor with `token`.
template <class Target, class Plan, class Token>
auto run_async(Target& target, Plan&& plan, Diagnostics* diag, Token&& token) {
  using P = std::remove_cvref_t<Plan>;
  using Decoder = typename P::decoder_type;
  std::error_code refused = refusal_of(plan);
  Bytes bytes;
  // A refused plan is encoded too (never sent): its command names the failure.
  {
    try {
      bytes = plan.take_bytes();
    } catch (const Error& e) {
      if (!refused) refused = e.code();  // an argument the encoder refuses
    } catch (const std::bad_alloc&) {
      if (!refused) refused = std::make_error_code(std::errc::not_enough_memory);
    } catch (...) {
      if (!refused) refused = make_error_code(errc::invalid_argument);
    }
  }
  RequestInfo info{plan.flags(), plan.replies(), plan.lasting_name(), observe::command_info_of(plan)};
  if constexpr (requires { target.call_options(); }) {
    // A handle from with(): its options travel with the request, and the
    // client (not the handle, which may be gone by a deferred launch) is
    // the target.
    info.per_call = true;
    info.options = *target.call_options();
    return run_async_on<Decoder>(target.client(), std::move(bytes), info, refused, diag, std::forward<Token>(token));
  } else {
    return run_async_on<Decoder>(target, std::move(bytes), info, refused, diag, std::forward<Token>(token));
  }
}

}  // namespace valkey::exec
