#pragma once
// The retry state of an asynchronous request under a policy::Guard
// (exec/async.hpp's AsyncOp). Its decisions, its backoff timer and the
// timer's wait live here, compiled once in the library, not once per reply
// type and completion handler in every program that co_awaits a command.
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>

#include <asio/steady_timer.hpp>

#include <valkey/command_info.hpp>
#include <valkey/exec/call_options.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/export.hpp>
#include <valkey/policy/guard.hpp>

namespace valkey {
class Connection;
}

namespace valkey::exec {

// What the backoff timer resumes: the operation that owns a RetryState.
class Resendable {
 public:
  // The wait ended; `timer_ec` set: it was cancelled.
  virtual void resend(std::error_code timer_ec) = 0;

 protected:
  ~Resendable() = default;
};

class VALKEY_CPP_EXPORT RetryState {
 public:
  // What follows a failed attempt.
  enum class Next { deliver, unknown_outcome, resend };

  // A request with `flags` under `guard`; `per_call`: the options of a call
  // made through with() (null otherwise). The breaker admitted the first
  // attempt as `admission`.
  RetryState(std::shared_ptr<policy::Guard> guard, CommandFlag flags, const CallOptions* per_call,
             policy::Admission admission);
  RetryState(const RetryState&) = delete;
  RetryState& operator=(const RetryState&) = delete;
  ~RetryState();

  // An attempt ended: `ec` a transport failure, or none (the reply decides).
  // Records it with the guard; false when no policy applies (the outcome
  // goes to the caller as it is).
  bool record(std::error_code ec, bool was_written) noexcept;
  // The attempt of the request encoded as `bytes` failed with `e`: give the
  // caller `e`, give it unknown_outcome (why.detail then says what failed:
  // a write that may have run is never resent), or resend after wait(),
  // which starts before `deadline`.
  Next after_failure(std::error_code e, Reason& why, std::string_view bytes, std::string_view command,
                     policy::TimePoint deadline, const Connection& conn);
  // Resends `op` after the delay after_failure() chose, through the timer
  // even for no delay: the resend never runs inside the completion that
  // failed. `conn` is kept alive meanwhile.
  void wait(Connection& conn, Resendable& op);
  // The wait ended (`timer_ec`: cancelled): the error that ends the request
  // (cancelled, circuit_open), or none: submit the next attempt.
  std::error_code begin_attempt(std::error_code timer_ec) noexcept;
  // Cancels a wait in progress (the timer's handler then ends the request);
  // false when the request is not waiting.
  bool cancel_wait();

  // Whether an attempt was written and got no reply.
  bool may_have_run() const noexcept { return may_have_run_; }
  // The connection kept alive through a wait, handed to the resend.
  std::shared_ptr<Connection> take_connection() noexcept { return std::move(keep_); }

 private:
  std::shared_ptr<policy::Guard> guard_;
  std::optional<policy::RetryPolicy> own_;  // a per-call policy
  const policy::RetryPolicy* policy_ = nullptr;  // own_, the client's, or null: no retries
  policy::Admission admission_ = policy::Admission::go;
  int attempt_ = 1;
  bool marked_idempotent_ = false;
  bool may_have_run_ = false;  // an attempt was written and got no reply
  bool waiting_ = false;       // on the backoff timer
  policy::Duration delay_{};  // before the next attempt
  std::optional<asio::steady_timer> timer_;  // made by the first retry
  std::shared_ptr<Connection> keep_;         // the connection, while waiting
};

}  // namespace valkey::exec
