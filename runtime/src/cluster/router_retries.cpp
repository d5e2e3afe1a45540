// What a part's failure leads to (part_done()): a redirection followed
// (MOVED, ASK), a retry after TRYAGAIN, LOADING or a lost connection when
// the command may run twice, a circuit breaker's verdict, or its final error.
#include <valkey/cluster/router.hpp>

#include <algorithm>
#include <utility>

#include <valkey/cluster/redirect.hpp>
#include <valkey/exec/encoded_command.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/observe/probe.hpp>
#include <valkey/policy/idempotency.hpp>

#include "cluster/blocking_timeout.hpp"
#include "cluster/router_internal.hpp"
#include "detail/url_text.hpp"

namespace valkey::cluster {

void Router::part_done(Part& p, std::error_code ec) {
  const bool written = ec && p.accepted_ && p.attempt_written();
  if (written) p.may_have_run_ = true;
  if (p.guard_) [[unlikely]] {  // the node's breaker learns how the attempt went
    p.guard_->record(p.admission_, ec, written, policy::Clock::now());
    p.guard_ = nullptr;
  }
  if (p.leased_) {
    if (exec::is_connection_failure(ec)) p.connection_error_ = p.conn_ ? p.conn_->last_error() : std::string();
    release_lease(p, ec);
  }
  if (ec) {
    p.ec_ = ec;
    if (!p.leased_ && exec::is_connection_failure(ec))
      p.connection_error_ = p.conn_ ? p.conn_->last_error() : std::string();
    if (ec == errc::cancelled) return part_final(p);  // cancel(): never resent
    if (ec != errc::timeout && ec != errc::cancelled && exec::is_connection_failure(ec)) request_refresh();
    // not_connected: the node is down and the command was never written, so
    // it may go again, to whoever owns the slot once the map is refreshed.
    if (ec == errc::not_connected && !closed_) return retry_later(p, false);
    // A read-only command a replica lost with its connection changed
    // nothing: it goes again, to another replica or the primary (the lost
    // replica's connection is down now, so the pick skips it).
    if (p.on_replica_ && p.read_only_ && ec != errc::timeout && ec != errc::cancelled &&
        exec::is_connection_failure(ec) && !closed_)
      return retry_later(p, false);
    // Config::retry: an idempotent command is resent, another one reports
    // that its outcome is unknown.
    if (written && retry_of(p.job_) && !p.leased_ && !closed_) [[unlikely]]
      if (lost_after_write(p, ec)) return;
    // Never resent otherwise: a command whose connection dropped after it
    // was written may have run.
    return part_final(p);
  }
  if (p.commands_ > 1) {
    // A transaction: a redirect or retryable error while queuing aborted it
    // (EXECABORT) with nothing run, so the whole of it may go again.
    const Reply* err = nullptr;
    for (const Reply& r : p.extra().replies)
      if (!err && r.is_error() && classify_error(r.error_message()) != ClusterError::none) err = &r;
    if (!err || closed_) return part_final(p);
    // MOVED: the whole transaction goes to the new owner. ASK: to the
    // importing node, after ASKING, which holds for every command queued
    // until EXEC (the server keeps the flag while a MULTI is open).
    p.reply_ = *err;
  }
  if (!p.error_reply() || closed_ || p.job_.cancelled_) return part_final(p);
  const std::string message(p.reply_->error_message());
  const ClusterError kind = classify_error(message);
  switch (kind) {
    case ClusterError::moved:
    case ClusterError::ask: {
      Redirect rd;
      std::string_view why;
      if (!parse_redirect(message, rd, &why)) {
        // Never connect to an address that does not parse: the error stands.
        request_refresh();
        return part_final(p);
      }
      if (p.redirects_ >= config_.max_redirects) {
        counters_.redirect_limits_hit.fetch_add(1, std::memory_order_relaxed);
        p.ec_ = make_error_code(errc::too_many_redirects);
        p.detail_ = "followed " + std::to_string(p.redirects_) + " redirections (max_redirects), the last one: " +
                    message;
        request_refresh();
        return part_final(p);
      }
      ++p.redirects_;
      // A blocking command waits at the new node only for what is left of its
      // timeout (computed from the caller's bytes each time, never compounded).
      if (p.leased_) [[unlikely]] {
        std::string reduced;
        if (remaining_timeout(p.job_.bytes.view(), RequestBase::clock::now() - p.blocking_since_, reduced))
          p.extra().share = std::move(reduced);
      }
      // The slot (or a key of it) is served elsewhere now: entries of its keys
      // were tracked by a node that no longer sees their writes.
      flush_cache(FlushReason::topology_changed);
      const std::string host = rd.host.empty() ? p.at_->host : std::string(rd.host);
      if (rd.kind == Redirect::Kind::moved) {
        counters_.moved.fetch_add(1, std::memory_order_relaxed);
        if (map_) {
          map_->patch(rd.slot, host, rd.port);
          forget_shard_refs();
          patches_.push_back(Patch{++patch_seq_, rd.slot, host, rd.port});
          if (config_.node.observer)
            observe::topology_changed(config_.node, {TopologyEvent::Kind::moved, rd.slot, {host, rd.port, {}},
                                                     map_->shards().size()});
        }
        request_refresh();
        p.asking_ = false;
        // A pinned part (one node) stays pinned to what it was asked for.
      } else {
        counters_.ask.fetch_add(1, std::memory_order_relaxed);
        p.asking_ = true;
      }
      return send_to(p, node_ref(host, rd.port));
    }
    case ClusterError::clusterdown:
    case ClusterError::readonly:
      request_refresh();
      [[fallthrough]];
    case ClusterError::tryagain:
    case ClusterError::loading:
    case ClusterError::masterdown: return retry_later(p, true);
    case ClusterError::none: break;
  }
  part_final(p);
}

policy::Guard* Router::guard_for(const std::string& node) {
  auto it = guards_.find(node);
  if (it == guards_.end()) {
    std::string_view host;
    std::uint16_t port = 0;
    Config c = config_.node;
    if (parse_host_port(node, host, port)) c = node_config(std::string(host), port);
    it = guards_.emplace(node, std::make_unique<policy::Guard>(c)).first;
  }
  return it->second.get();
}

const policy::RetryPolicy* Router::retry_of(const Job& job) const noexcept {
  if (job.options.retry) [[unlikely]]
    return &*job.options.retry;
  return config_.node.retry ? &*config_.node.retry : nullptr;
}

// A part written to its node failed without a reply: under its retry policy
// (retry_of()) resend it when it is idempotent (to whoever owns the slot
// then: the lost connection asked for a refresh), else fail it with
// unknown_outcome. False: the failure stands as it is (one attempt
// configured, not transient, out of attempts, budget or time).
bool Router::lost_after_write(Part& p, std::error_code ec) {
  const policy::RetryPolicy& rp = *retry_of(p.job_);
  if (rp.max_attempts <= 1) return false;  // one attempt: as without a policy
  policy::Guard* g = guard_for(p.at_->name);
  const std::string_view bytes = p.command_bytes();
  const bool idempotent = p.job_.options.idempotent || policy::idempotent_encoded(bytes);
  const policy::RetryDecision d = g->decide(rp, p.attempt_, policy::failure_of(ec, true), idempotent,
                                            policy::Clock::now(), p.job_.deadline_);
  if (d.give_up == policy::GiveUp::unknown_outcome) {
    p.detail_ = ec.message();
    if (!p.connection_error_.empty()) p.detail_ += ": " + p.connection_error_;
    p.ec_ = make_error_code(errc::unknown_outcome);
    p.connection_error_.clear();
    part_final(p);
    return true;
  }
  if (!d.retry()) return false;
  g->retrying(exec::first_command(bytes), p.attempt_, ec);
  ++p.attempt_;
  counters_.retries.fetch_add(1, std::memory_order_relaxed);
  resend_after(p, std::chrono::duration_cast<std::chrono::milliseconds>(d.delay));
  return true;
}

void Router::resend_after(Part& p, std::chrono::milliseconds delay) {
  std::unique_ptr<asio::steady_timer>& timer = p.extra().timer;
  if (!timer) timer = std::make_unique<asio::steady_timer>(ex_);
  timer->expires_after(delay);
  timer->async_wait([self = shared_from_this(), &p](std::error_code e) {
    if (p.job_.cancelled_) {  // cancel() stopped the timer, or came after it fired
      p.ec_ = make_error_code(errc::cancelled);
      return self->part_final(p);
    }
    if (e || self->closed_) {
      p.ec_ = make_error_code(errc::connection_closed);
      return self->part_final(p);
    }
    p.asking_ = false;
    p.ec_.clear();
    p.connection_error_.clear();
    self->send(p);
  });
}

void Router::retry_later(Part& p, bool refused) {
  Job& job = p.job_;
  const std::string message = p.error_reply() ? std::string(p.reply_->error_message()) : std::string();
  auto give_up = [&](std::string_view why = {}) {
    if (p.ec_) return part_final(p);  // not_connected: that error stands
    if (classify_error(message) == ClusterError::clusterdown) {
      p.ec_ = make_error_code(errc::cluster_down);
      p.detail_ = message;
      p.detail_ += why;
    }
    part_final(p);  // the server's error reply stands otherwise
  };
  if (p.retries_ >= config_.max_retries) return give_up();
  auto delay = config_.retry_initial_delay;
  for (unsigned i = 0; i < p.retries_ && delay < config_.retry_max_delay; ++i) delay *= 2;
  delay = jittered(std::min(delay, config_.retry_max_delay));
  if (job.deadline_ != clock::time_point::max() && clock::now() + delay >= job.deadline_) return give_up();
  if (refused && retry_budget_ && !retry_budget_->withdraw(policy::Clock::now())) [[unlikely]] {
    counters_.retry_budget_exhausted.fetch_add(1, std::memory_order_relaxed);
    return give_up(" (not retried: ClusterConfig::retry_budget is spent)");
  }
  ++p.retries_;
  counters_.retries.fetch_add(1, std::memory_order_relaxed);
  resend_after(p, delay);
}

}  // namespace valkey::cluster
