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

// The failure half of a synchronous call on the connection `config`
// describes: throws (ServerError, Error), or fills `ec` (and `diag`) when
// `ec` is given. Compiled once in the library (exec/run_sync_guarded.cpp),
// for run_sync() and for its policy path.
VALKEY_CPP_EXPORT void report_sync_failure(const Config& config, std::string_view command, std::error_code e,
                                           const Reason* why, std::string_view connection_error, bool written,
                                           std::error_code* ec, Diagnostics* diag);

// The failure half of run_sync().
template <class Target, class Plan>
void sync_failed(Target& target, const Plan& plan, std::error_code e, const Reason* why,
                 std::string_view connection_error, bool written, std::error_code* ec, Diagnostics* diag) {
  report_sync_failure(target.config(), plan.name(), e, why, connection_error, written, ec, diag);
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

// A synchronous target as the policy path sees it: where to run a request,
// its Config and the call's options.
struct SyncTarget {
  void* self;
  void (*run)(void* self, detail::SyncOpBase& op);
  const Config* config;
  const CallOptions* options;  // null: none

  template <class Target>
  static SyncTarget of(Target& t) noexcept {
    return {&t, [](void* p, detail::SyncOpBase& op) { static_cast<Target*>(p)->run(op); }, &t.config(),
            options_of(t)};
  }
};

// A plan as the policy path sees it: how to encode it, what it is, and
// whether it is refused before anything is sent (refusal_of()).
struct SyncPlanRef {
  detail::EncodeRef encode;
  observe::Shape shape;
  std::error_code refusal;
  const void* plan;
  std::string_view (*name)(const void* plan);

  template <class Plan>
  static SyncPlanRef of(const Plan& p) noexcept {
    return {detail::EncodeRef::of(p),
            {p.lasting_name(), observe::command_info_of(p), p.replies(), p.flags()},
            refusal_of(p),
            &p,
            [](const void* q) { return static_cast<const Plan*>(q)->name(); }};
  }
};

// What the policy path calls back for: the parts of a call that depend on
// its reply type (SyncAttemptsOf) and its plan's name.
class SyncAttempts {
 public:
  // Decodes the completed attempt's reply into the caller's value.
  virtual std::error_code finish(Reason& why) = 0;
  // Ready for another attempt: the request and the value start over.
  virtual void restart() = 0;
  // Drops a value decoded before the reply turned out to be an error.
  virtual void discard() noexcept = 0;
  // The plan's name() (for errors and retry events): asked for only then,
  // since an argument list finds it by walking its arguments.
  std::string_view name() const { return plan_.name(plan_.plan); }
  const SyncPlanRef& plan() const noexcept { return plan_; }

 protected:
  explicit SyncAttempts(const SyncPlanRef& plan) noexcept : plan_(plan) {}
  ~SyncAttempts() = default;

 private:
  const SyncPlanRef& plan_;
};

// A synchronous call under a Guard (policy/guard.hpp), compiled once in the
// library (exec/run_sync_guarded.cpp) rather than in every program for every
// command: the breaker's admission before each attempt, the retry decision
// after each failed one (the request runs again: the caller's arguments are
// alive), the per-call options. Then the outcome: a failure throws
// (ServerError, Error), or fills `ec` (and `diag`) when `ec` is given.
VALKEY_CPP_EXPORT void run_sync_guarded(const SyncTarget& target, policy::Guard& guard, detail::SyncOpBase& op,
                                        SyncAttempts& attempts, std::error_code* ec, Diagnostics* diag);

// The request of a guarded synchronous call with its decoder, and the
// caller's value. A template of the decoder alone, not of the plan: commands
// that share a reply type share this code in a program.
template <class Decoder>
class SyncAttemptsOf final : public SyncAttempts {
 public:
  using result_type = typename Decoder::result_type;
  // RESP2 replies in their RESP3 shape (shape_resp2()), for decoders of Reply.
  using Shaper = void (*)(Decoder&, result_type&, const void* plan);

  SyncAttemptsOf(const SyncPlanRef& plan, Shaper shaper)
      : SyncAttempts(plan), op_(plan.encode, plan.shape.replies), shaper_(shaper) {
    op_.flags = plan.shape.flags;
  }
  std::error_code finish(Reason& why) override {
    std::error_code e = op_.decoder().finish(out, why);
    if constexpr (shapes_replies<Decoder>)
      if (!e && op_.answered_in_resp2()) [[unlikely]]
        shaper_(op_.decoder(), out, plan().plan);
    return e;
  }
  void restart() override {
    op_.restart();
    out = result_type{};
  }
  void discard() noexcept override { out = result_type{}; }
  detail::SyncOpBase& op() noexcept { return op_; }

  result_type out{};

 private:
  detail::SyncOp<Decoder> op_;
  Shaper shaper_;
};

// run_sync()'s cold branch, a template of the decoder alone: the call handed
// to the library's policy path. Out of line, so that the plain path, inlined
// into every call, stays as short as it was.
template <class Decoder>
[[gnu::noinline]] typename Decoder::result_type run_sync_under(const SyncTarget& target, policy::Guard& g,
                                                               const SyncPlanRef& plan,
                                                               typename SyncAttemptsOf<Decoder>::Shaper shaper,
                                                               std::error_code* ec, Diagnostics* diag) {
  SyncAttemptsOf<Decoder> attempts(plan, shaper);
  run_sync_guarded(target, g, attempts.op(), attempts, ec, diag);
  return std::move(attempts.out);
}

// The Shaper of `Plan`'s replies, for decoders that shape them.
template <class Decoder, class Plan>
typename SyncAttemptsOf<Decoder>::Shaper shaper_of() noexcept {
  if constexpr (shapes_replies<Decoder>)
    return [](Decoder& d, typename Decoder::result_type& value, const void* p) {
      shape_resp2(d, value, *static_cast<const Plan*>(p));
    };
  else
    return nullptr;
}

// Runs `plan` on a synchronous executor and hands out the result. Without
// `ec` a failure throws (ServerError, Error); with it, `ec` (and `diag`) are
// filled and a failure yields a default value. Commands whose reply is Ok
// return nothing.
template <class Target, class Plan>
auto run_sync(Target& target, const Plan& plan, std::error_code* ec, Diagnostics* diag) {
  using Decoder = typename Plan::decoder_type;
  using R = typename Decoder::result_type;
  if (policy::Guard* g = guard_of(target)) [[unlikely]] {
    const SyncPlanRef ref = SyncPlanRef::of(plan);
    if constexpr (std::is_same_v<R, Ok>) {
      run_sync_under<Decoder>(SyncTarget::of(target), *g, ref, shaper_of<Decoder, Plan>(), ec, diag);
      return;
    } else {
      return run_sync_under<Decoder>(SyncTarget::of(target), *g, ref, shaper_of<Decoder, Plan>(), ec, diag);
    }
  }
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
