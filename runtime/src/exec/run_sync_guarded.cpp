// A synchronous call under a Guard (exec/sync.hpp's run_sync_guarded):
// compiled here once, not in every program for every command it calls; the
// command's type reaches it only through SyncAttempts. The plain path (no
// policy) stays inline in exec/sync.hpp's run_sync(), where it costs nothing
// extra per call.
#include <valkey/exec/sync.hpp>

#include <string>
#include <thread>

#include <valkey/policy/idempotency.hpp>
#include <valkey/policy/outcome.hpp>

namespace valkey::exec {

namespace {

void report(const SyncTarget& t, const SyncAttempts& attempts, std::error_code e, const Reason* why,
            std::string_view connection_error, bool written, std::error_code* ec, Diagnostics* diag) {
  report_sync_failure(*t.config, attempts.name(), e, why, connection_error, written, ec, diag);
}

// Whether every command of the request may run twice
// (policy/idempotency.hpp): encoded again from the caller's arguments, which
// are alive; asked only after a written, unanswered attempt.
bool may_run_twice(const detail::SyncOpBase& op) {
  std::string bytes;
  resp::Writer w(bytes);
  op.encoder()(w);
  return policy::idempotent_encoded(bytes);
}

}  // namespace

void report_sync_failure(const Config& config, std::string_view command, std::error_code e, const Reason* why,
                         std::string_view connection_error, bool written, std::error_code* ec, Diagnostics* diag) {
  const std::string endpoint = config.endpoint();
  const Failure f{e, why, command, endpoint, connection_error, written};
  if (!ec) raise(f);
  *ec = e;
  if (diag) fill(*diag, f);
}

void run_sync_guarded(const SyncTarget& target, policy::Guard& g, detail::SyncOpBase& op, SyncAttempts& attempts,
                      std::error_code* ec, Diagnostics* diag) {
  using policy::Clock;
  const Config& config = *target.config;
  const CallOptions* opts = target.options;
  const observe::Shape& shape = attempts.plan().shape;
  const bool blocking = has(shape.flags, CommandFlag::blocking);
  Reason why;
  if (attempts.plan().refusal) return report(target, attempts, attempts.plan().refusal, &why, {}, false, ec, diag);
  if (opts && opts->idempotent && blocking) {
    why.detail = "a blocking command cannot be marked idempotent: a resend would pop or wait again";
    return report(target, attempts, make_error_code(errc::invalid_argument), &why, {}, false, ec, diag);
  }
  apply_deadline(op, config, opts ? opts->timeout : std::chrono::milliseconds{0});
  if (opts) op.database = opts->database;
  if (observe::observed(config)) [[unlikely]]
    op.probe.start(config, shape, observe::Arguments(op.encoder().ctx, op.encoder().fn));
  // Blocking commands are never sent twice (they pop, or wait again).
  // One attempt (retry::none) reports as without a policy.
  const policy::RetryPolicy* rp = blocking ? nullptr : (opts && opts->retry ? &*opts->retry : g.retry());
  if (rp && rp->max_attempts <= 1) rp = nullptr;
  if (rp) g.first_attempt(Clock::now());
  std::error_code e;
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
    target.run(target.self, op);
    e = op.transport_error();
    transport = static_cast<bool>(e);
    const bool written = transport && op.was_written();
    g.record(admission, e, op.was_written(), Clock::now());
    may_have_run = may_have_run || written;
    if (!transport) e = attempts.finish(why);
    if (!e || !rp) break;
    const policy::Failure f = policy::failure_of(e, may_have_run, why.server_message);
    const bool idempotent =
        f.outcome == policy::Outcome::sent_no_reply && ((opts && opts->idempotent) || may_run_twice(op));
    const policy::RetryDecision d = g.decide(*rp, attempt, f, idempotent, Clock::now(), op.deadline);
    if (d.give_up == policy::GiveUp::unknown_outcome) {
      cause = e.message();
      if (is_connection_failure(e) && !op.connection_error().empty()) cause += ": " + op.connection_error();
      e = make_error_code(errc::unknown_outcome);
      break;
    }
    if (!d.retry()) break;
    g.retrying(attempts.name(), attempt, e);
    if (d.delay > policy::Duration::zero()) std::this_thread::sleep_for(d.delay);
    attempts.restart();
    why.clear();
  }
  if (op.probe.armed()) [[unlikely]]
    op.probe.end(e, why.server_message);
  if (e == errc::unknown_outcome) {
    why.detail = std::move(cause);
    report(target, attempts, e, &why, {}, true, ec, diag);
  } else if (transport) {
    report(target, attempts, e, &why, e == errc::circuit_open ? std::string_view{} : op.connection_error(),
           may_have_run, ec, diag);
  } else if (e) {
    report(target, attempts, e, &why, {}, false, ec, diag);
    attempts.discard();
  } else {
    if (ec) ec->clear();
    clear(diag);
  }
}

}  // namespace valkey::exec
