#pragma once
// The synchronous half of the request path: a request that lives on the
// calling thread's stack while the caller blocks (its arguments are alive, so
// it encodes straight from them), and run_sync(), which every synchronous
// executor's exec()/call()/batch exec() goes through.
//
// A synchronous executor provides
//   void run(detail::SyncOpBase&);   // blocks until the request completed
//   const Config& config() const;    // its endpoint and request_timeout
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include <valkey/command.hpp>
#include <valkey/config.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/exec/deadline.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/observe/probe.hpp>
#include <valkey/request.hpp>

namespace valkey {

class Client;
class SyncBlockingClient;

namespace detail {

class SyncLane;

// One per thread, reused by every synchronous call that thread makes. A
// waiting caller is woken either because its request completed (done) or
// because it is handed the role of driving the client's I/O (lead).
struct Waiter {
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
class SyncOpBase : public RequestBase {
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

  // The observer's token while one watches this request (observe/probe.hpp).
  observe::Probe probe;

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
};

template <class Decoder>
class SyncOp final : public SyncOpBase {
 public:
  SyncOp(EncodeRef enc, std::uint32_t replies) : SyncOpBase(enc), decoder_(replies) { expected_replies = replies; }
  void on_node(const resp::Node& n) override { decoder_.on_node(n); }
  void on_reply_end() override { decoder_.on_reply_end(); }
  Decoder& decoder() noexcept { return decoder_; }

 private:
  Decoder decoder_;
};

}  // namespace detail

namespace exec {

// Runs `plan` on a synchronous executor and hands out the result. Without
// `ec` a failure throws (ServerError, Error); with it, `ec` (and `diag`) are
// filled and a failure yields a default value. Commands whose reply is Ok
// return nothing.
// The failure half of run_sync(): throws, or fills `ec` (and `diag`).
template <class Target, class Plan>
void sync_failed(Target& target, const Plan& plan, std::error_code e, const Reason* why,
                 std::string_view connection_error, std::error_code* ec, Diagnostics* diag) {
  const std::string endpoint = target.config().endpoint();
  const Failure f{e, why, plan.name(), endpoint, connection_error};
  if (!ec) raise(f);
  *ec = e;
  if (diag) fill(*diag, f);
}

// Runs `plan` on a synchronous executor and hands out the result. Without
// `ec` a failure throws (ServerError, Error); with it, `ec` (and `diag`) are
// filled and a failure yields a default value. Commands whose reply is Ok
// return nothing.
template <class Target, class Plan>
auto run_sync(Target& target, const Plan& plan, std::error_code* ec, Diagnostics* diag) {
  using Decoder = typename Plan::decoder_type;
  using R = typename Decoder::result_type;
  R out{};
  if (std::error_code e = plan.refused()) {
    sync_failed(target, plan, e, nullptr, {}, ec, diag);
  } else {
    detail::SyncOp<Decoder> op{detail::EncodeRef::of(plan), plan.replies()};
    op.flags = plan.flags();
    apply_deadline(op, target.config());
    if (target.config().observer) [[unlikely]]
      observe::start_plan(op.probe, target.config(), plan);
    target.run(op);
    Reason why;
    const bool transport = static_cast<bool>(e = op.transport_error());
    if (!transport) e = op.decoder().finish(out, why);
    if (op.probe.armed()) [[unlikely]]
      op.probe.end(e, why.server_message);
    if (transport) {
      sync_failed(target, plan, e, &why, op.connection_error(), ec, diag);
    } else if (e) {
      sync_failed(target, plan, e, &why, {}, ec, diag);
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
