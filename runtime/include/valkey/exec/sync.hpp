#pragma once
/// \file
/// The synchronous half of the request path: a request that lives on the
/// calling thread's stack while the caller blocks (its arguments are alive, so
/// it encodes straight from them), and run_sync(), which every synchronous
/// executor's exec()/call()/batch exec() goes through.
///
/// A synchronous executor provides
/// \code
///   void run(detail::SyncOpBase&);   // blocks until the request completed
///   const Config& config() const;    // its endpoint and request_timeout
/// \endcode
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>

#include <valkey/command.hpp>
#include <valkey/config.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/exec/call_options.hpp>
#include <valkey/exec/deadline.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/exec/resp3_shape.hpp>
#include <valkey/export.hpp>
#include <valkey/observe/probe.hpp>
#include <valkey/policy/guard.hpp>
#include <valkey/policy/idempotency.hpp>
#include <valkey/request.hpp>

namespace valkey {

class Client;
class SyncBlockingClient;

namespace detail {

class SyncLane;

// One per thread, reused by every synchronous call that thread makes. A
// waiting caller is woken either because its request completed (done) or
// because it is handed the role of driving the client's I/O (lead).
struct VALKEY_CPP_EXPORT Waiter {
  enum : std::uint32_t { none = 0, done = 1, lead = 2 };
  std::atomic<std::uint32_t> state{none};
  // Blocks until signalled; returns done or lead and rearms.
  std::uint32_t wait() noexcept;
  void signal(std::uint32_t what) noexcept;
  static Waiter& mine() noexcept;
};

// A type-erased "encode this request" callback (no allocation).
struct EncodeRef {
  const void* ctx;
  void (*fn)(const void*, resp::Writer&);
  void operator()(resp::Writer& w) const { fn(ctx, w); }

  template <class Plan>
  static EncodeRef of(const Plan& p) noexcept {
    return {&p, [](const void* c, resp::Writer& w) { static_cast<const Plan*>(c)->write(w); }};
  }
};

// The part of a synchronous request that does not depend on its decoder. It
// lives on the calling thread's stack until it completed.
class VALKEY_CPP_EXPORT SyncOpBase : public RequestBase {
 public:
  explicit SyncOpBase(EncodeRef enc) noexcept : encode_(enc), waiter_(&Waiter::mine()) {}
  // final: the runner's bookkeeping (waking a sleeping caller of a Client;
  // marking done for a caller that drives its own leased connection) lives here.
  void on_complete(std::error_code ec) final;
  bool reencode(resp::Writer& w) override {
    encode_(w);  // the caller is blocked: its arguments are alive
    return true;
  }
  const EncodeRef& encoder() const noexcept { return encode_; }
  std::error_code transport_error() const noexcept { return ec_; }
  // Why the connection failed, when transport_error() says it did (the
  // connection's last_error() at that moment).
  const std::string& connection_error() const noexcept { return connection_error_; }
  // Whether the connection that answered spoke RESP2; known only for
  // requests that asked (shapes_replies()), whose Reply values then take
  // their RESP3 shape (exec/resp3_shape.hpp).
  bool answered_in_resp2() const noexcept { return resp2_; }

  // The observer's token while one watches this request (observe/probe.hpp).
  observe::Probe probe;

 protected:
  // Makes a completed request ready to run again (a retry): the caller's
  // arguments are still alive, so it re-encodes from them.
  void rearm() noexcept {
    ec_ = {};
    connection_error_.clear();
    lane_ = nullptr;
    source_ = nullptr;
    wprev_ = wnext_ = nullptr;
    asleep_ = false;
    done_ = false;
    resp2_ = false;
  }
  // Asks on_complete() to note the connection's protocol (read there, on
  // the driving thread, which alone may read the connection).
  void shapes_replies() noexcept { wants_protocol_ = true; }

 private:
  friend class SyncLane;
  friend class valkey::Client;
  friend class valkey::SyncBlockingClient;
  // Completes a request that never reached a connection (refused, closed).
  void fail_unsent(std::error_code ec, std::string why = {}) noexcept {
    ec_ = ec;
    connection_error_ = std::move(why);
    done_ = true;
  }

  EncodeRef encode_;
  Waiter* waiter_;
  std::error_code ec_;
  std::string connection_error_;
  SyncLane* lane_ = nullptr;               // set while a Client's lane runs it; null on a lease
  const Connection* source_ = nullptr;     // the connection it was submitted to
  // The lane's list of callers asleep on their Waiter (not driving).
  SyncOpBase* wprev_ = nullptr;
  SyncOpBase* wnext_ = nullptr;
  bool asleep_ = false;
  bool done_ = false;
  bool wants_protocol_ = false;
  bool resp2_ = false;
};

template <class Decoder>
class SyncOp final : public SyncOpBase {
 public:
  SyncOp(EncodeRef enc, std::uint32_t replies) : SyncOpBase(enc), decoder_(replies) {
    expected_replies = replies;
    if constexpr (exec::shapes_replies<Decoder>) shapes_replies();
  }
  void on_node(const resp::Node& n) override { decoder_.on_node(n); }
  void on_reply_end() override { decoder_.on_reply_end(); }
  Decoder& decoder() noexcept { return decoder_; }
  // Ready to run again, the decoders starting over (a retry).
  void restart() {
    rearm();
    decoder_.reset();
  }

 private:
  Decoder decoder_;
};

}  // namespace detail

namespace exec {

// The failure half of run_sync(): throws, or fills `ec` (and `diag`).
template <class Target, class Plan>
void sync_failed(Target& target, const Plan& plan, std::error_code e, const Reason* why,
                 std::string_view connection_error, bool written, std::error_code* ec, Diagnostics* diag) {
  const std::string endpoint = target.config().endpoint();
  const Failure f{e, why, plan.name(), endpoint, connection_error, written};
  if (!ec) raise(f);
  *ec = e;
  if (diag) fill(*diag, f);
}

// On a RESP2 connection, the Reply values of `out` take their commands' RESP3
// shape; the commands come from the plan (its arguments, its bytes, or
// encoded again for a typed command).
template <class Decoder, class R, class Plan>
void shape_resp2(Decoder& d, R& out, const Plan& plan) {
  if constexpr (requires { Strings{plan.args}; }) {
    Resp3Shapes shapes{Strings{plan.args}};
    d.to_resp3(out, shapes);
  } else if constexpr (requires { std::string_view{plan.bytes}; }) {
    Resp3Shapes shapes{std::string_view{plan.bytes}};
    d.to_resp3(out, shapes);
  } else {
    std::string bytes;
    resp::Writer w(bytes);
    plan.write(w);
    Resp3Shapes shapes{std::string_view{bytes}};
    d.to_resp3(out, shapes);
  }
}

// The resilience hooks of a synchronous target (policy/guard.hpp): a Guard
// when the client's configuration or the call's options ask for a policy,
// else null (then the request path is the plain one); the call's options.
// -DVALKEY_CPP_NO_POLICY_HOOK compiles the test out for the measurement of
// its cost (scripts/bench-hook-cost.sh policy); nothing else defines it.
template <class Target>
policy::Guard* guard_of(Target& t) noexcept {
#ifdef VALKEY_CPP_NO_POLICY_HOOK
  (void)t;
  return nullptr;
#else
  if constexpr (requires { t.policy_guard(); }) return t.policy_guard();
  else return nullptr;
#endif
}
template <class Target>
const CallOptions* options_of(const Target& t) noexcept {
  if constexpr (requires { t.call_options(); }) return t.call_options();
  else return nullptr;
}

// Whether every command `plan` writes may run twice (policy/idempotency.hpp).
// Encodes the plan again: called only after a written, unanswered attempt.
template <class Plan>
bool plan_idempotent(const Plan& plan) {
  std::string bytes;
  resp::Writer w(bytes);
  plan.write(w);
  return policy::idempotent_encoded(bytes);
}

// run_sync() under a Guard: the breaker's admission before each attempt, the
// retry decision after each failed one (the SyncOp runs again: the caller's
// arguments are alive), the per-call options.
template <class Target, class Plan>
auto run_sync_guarded(Target& target, policy::Guard& g, const Plan& plan, std::error_code* ec, Diagnostics* diag) {
  using Decoder = typename Plan::decoder_type;
  using R = typename Decoder::result_type;
  using policy::Clock;
  R out{};
  const CallOptions* opts = options_of(target);
  const bool blocking = has(plan.flags(), CommandFlag::blocking);
  std::error_code e = refusal_of(plan);
  Reason why;
  if (!e && opts && opts->idempotent && blocking) {
    e = make_error_code(errc::invalid_argument);
    why.detail = "a blocking command cannot be marked idempotent: a resend would pop or wait again";
  }
  if (e) {
    sync_failed(target, plan, e, &why, {}, false, ec, diag);
    if constexpr (!std::is_same_v<R, Ok>) return out;
    else return;
  }
  detail::SyncOp<Decoder> op{detail::EncodeRef::of(plan), plan.replies()};
  op.flags = plan.flags();
  apply_deadline(op, target.config(), opts ? opts->timeout : std::chrono::milliseconds{0});
  if (opts) op.database = opts->database;
  if (observe::observed(target.config())) [[unlikely]]
    observe::start_plan(op.probe, target.config(), plan);
  // Blocking commands are never sent twice (they pop, or wait again).
  // One attempt (retry::none) reports as without a policy.
  const policy::RetryPolicy* rp = blocking ? nullptr : (opts && opts->retry ? &*opts->retry : g.retry());
  if (rp && rp->max_attempts <= 1) rp = nullptr;
  if (rp) g.first_attempt(Clock::now());
  bool may_have_run = false;  // an attempt was written and got no reply
  bool transport = false;
  std::string cause;  // errc::unknown_outcome: what failed the last attempt
  for (int attempt = 1;; ++attempt) {
    const policy::Admission admission = g.admit(Clock::now());
    if (admission == policy::Admission::reject) {
      e = make_error_code(errc::circuit_open);
      transport = true;
      break;
    }
    target.run(op);
    e = op.transport_error();
    transport = static_cast<bool>(e);
    const bool written = transport && op.was_written();
    g.record(admission, e, op.was_written(), Clock::now());
    may_have_run = may_have_run || written;
    if (!transport) e = op.decoder().finish(out, why);
    if constexpr (shapes_replies<Decoder>)
      if (!e && op.answered_in_resp2()) [[unlikely]]
        shape_resp2(op.decoder(), out, plan);
    if (!e || !rp) break;
    const policy::Failure f = policy::failure_of(e, may_have_run, why.server_message);
    const bool idempotent =
        f.outcome == policy::Outcome::sent_no_reply && ((opts && opts->idempotent) || plan_idempotent(plan));
    const policy::RetryDecision d = g.decide(*rp, attempt, f, idempotent, Clock::now(), op.deadline);
    if (d.give_up == policy::GiveUp::unknown_outcome) {
      cause = e.message();
      if (is_connection_failure(e) && !op.connection_error().empty()) cause += ": " + op.connection_error();
      e = make_error_code(errc::unknown_outcome);
      break;
    }
    if (!d.retry()) break;
    g.retrying(plan.name(), attempt, e);
    if (d.delay > policy::Duration::zero()) std::this_thread::sleep_for(d.delay);
    op.restart();
    out = R{};
    why.clear();
  }
  if (op.probe.armed()) [[unlikely]]
    op.probe.end(e, why.server_message);
  if (e == errc::unknown_outcome) {
    why.detail = std::move(cause);
    sync_failed(target, plan, e, &why, {}, true, ec, diag);
  } else if (transport) {
    sync_failed(target, plan, e, &why, e == errc::circuit_open ? std::string_view{} : op.connection_error(),
                may_have_run, ec, diag);
  } else if (e) {
    sync_failed(target, plan, e, &why, {}, false, ec, diag);
    out = R{};
  } else {
    if (ec) ec->clear();
    clear(diag);
  }
  if constexpr (!std::is_same_v<R, Ok>) return out;
}

// Runs `plan` on a synchronous executor and hands out the result. Without
// `ec` a failure throws (ServerError, Error); with it, `ec` (and `diag`) are
// filled and a failure yields a default value. Commands whose reply is Ok
// return nothing.
template <class Target, class Plan>
auto run_sync(Target& target, const Plan& plan, std::error_code* ec, Diagnostics* diag) {
  using Decoder = typename Plan::decoder_type;
  using R = typename Decoder::result_type;
  if (policy::Guard* g = guard_of(target)) [[unlikely]]
    return run_sync_guarded(target, *g, plan, ec, diag);
  R out{};
  if (std::error_code e = refusal_of(plan)) {
    sync_failed(target, plan, e, nullptr, {}, false, ec, diag);
  } else {
    detail::SyncOp<Decoder> op{detail::EncodeRef::of(plan), plan.replies()};
    op.flags = plan.flags();
    apply_deadline(op, target.config());
    if (observe::observed(target.config())) [[unlikely]]
      observe::start_plan(op.probe, target.config(), plan);
    target.run(op);
    Reason why;
    const bool transport = static_cast<bool>(e = op.transport_error());
    if (!transport) e = op.decoder().finish(out, why);
    if constexpr (shapes_replies<Decoder>)
      if (!e && op.answered_in_resp2()) [[unlikely]]
        shape_resp2(op.decoder(), out, plan);
    if (op.probe.armed()) [[unlikely]]
      op.probe.end(e, why.server_message);
    if (transport) {
      sync_failed(target, plan, e, &why, op.connection_error(), op.was_written(), ec, diag);
    } else if (e) {
      sync_failed(target, plan, e, &why, {}, false, ec, diag);
      out = R{};
    } else {
      if (ec) ec->clear();
      clear(diag);
    }
  }
  if constexpr (!std::is_same_v<R, Ok>) return out;
}

}  // namespace exec

}  // namespace valkey
