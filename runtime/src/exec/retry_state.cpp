#include <valkey/exec/retry_state.hpp>

#include <utility>

#include <valkey/connection.hpp>
#include <valkey/policy/idempotency.hpp>
#include <valkey/policy/outcome.hpp>

namespace valkey::exec {

RetryState::RetryState(std::shared_ptr<policy::Guard> guard, CommandFlag flags, const CallOptions* per_call,
                       policy::Admission admission)
    : guard_(std::move(guard)), admission_(admission), marked_idempotent_(per_call && per_call->idempotent) {
  if (!has(flags, CommandFlag::blocking)) {  // never sent twice: they pop, or wait again
    if (per_call && per_call->retry) policy_ = &own_.emplace(*per_call->retry);
    else policy_ = guard_->retry();
  }
  if (policy_ && policy_->max_attempts <= 1) policy_ = nullptr;  // one attempt: as without a policy
  if (policy_) guard_->first_attempt(policy::Clock::now());
}

RetryState::~RetryState() = default;

bool RetryState::record(std::error_code ec, bool was_written) noexcept {
  guard_->record(admission_, ec, was_written, policy::Clock::now());
  may_have_run_ = may_have_run_ || (ec && was_written);
  return policy_ != nullptr;
}

RetryState::Next RetryState::after_failure(std::error_code e, Reason& why, std::string_view bytes,
                                           std::string_view command, policy::TimePoint deadline,
                                           const Connection& conn) {
  const policy::Failure f = policy::failure_of(e, may_have_run_, why.server_message);
  const bool idempotent =
      f.outcome == policy::Outcome::sent_no_reply && (marked_idempotent_ || policy::idempotent_encoded(bytes));
  const policy::RetryDecision d = guard_->decide(*policy_, attempt_, f, idempotent, policy::Clock::now(), deadline);
  if (d.give_up == policy::GiveUp::unknown_outcome) {
    why.detail = e.message();
    if (is_connection_failure(e) && !conn.last_error().empty()) why.detail += ": " + conn.last_error();
    return Next::unknown_outcome;
  }
  if (!d.retry()) return Next::deliver;
  guard_->retrying(command, attempt_, e);
  ++attempt_;
  delay_ = d.delay;
  return Next::resend;
}

void RetryState::wait(Connection& conn, Resendable& op) {
  keep_ = conn.shared_from_this();
  if (!timer_) timer_.emplace(conn.get_executor());
  timer_->expires_after(delay_);
  waiting_ = true;
  timer_->async_wait([&op](std::error_code timer_ec) { op.resend(timer_ec); });
}

std::error_code RetryState::begin_attempt(std::error_code timer_ec) noexcept {
  waiting_ = false;
  if (timer_ec) return make_error_code(errc::cancelled);
  admission_ = guard_->admit(policy::Clock::now());
  if (admission_ == policy::Admission::reject) return make_error_code(errc::circuit_open);
  return {};
}

bool RetryState::cancel_wait() {
  if (!waiting_) return false;
  timer_->cancel();
  return true;
}

}  // namespace valkey::exec
