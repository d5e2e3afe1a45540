#pragma once
// Turns the completion of one command, or of one pipeline, into counts:
// latency on success, the error kind on failure, and the --verify tally.
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include <valkey/valkey.hpp>

#include "perf/error_kind.hpp"
#include "perf/recorder.hpp"
#include "perf/verify.hpp"

namespace perf {

class OutcomeSink {
 public:
  OutcomeSink(Recorder& rec, CounterTally* tally) noexcept : rec_(rec), tally_(tally) {}

  // One command sent at `sent` completed with `ec` (`diag` filled on server
  // errors). Returns the time it completed (PhaseControl::claim()).
  Clock::time_point single(Clock::time_point sent, std::error_code ec, const valkey::Diagnostics& diag) {
    const auto now = Clock::now();
    if (!ec) {
      rec_.success(ns_since(sent, now), now);
    } else {
      error_kind(ec, diag.prefix(), kind_);
      rec_.failure(kind_);
    }
    if (tally_) tally_->count(classify(ec));
    return now;
  }

  // A pipeline of `n` commands sent at `sent`: either the whole batch failed
  // (`ec`), or each reply is a value or an error reply. Returns the time it
  // completed.
  Clock::time_point batch(Clock::time_point sent, std::error_code ec, const std::vector<valkey::Reply>& replies,
                          unsigned n) {
    const auto now = Clock::now();
    if (ec) {
      error_kind(ec, {}, kind_);
      rec_.failure(kind_, n);
      if (tally_) tally_->count(classify(ec), n);
      return now;
    }
    std::uint64_t ok = 0;
    for (const valkey::Reply& r : replies) {
      if (!r.is_error()) {
        ++ok;
        continue;
      }
      std::string_view m = r.error_message();
      error_kind(make_error_code(valkey::errc::server_error), m.substr(0, m.find(' ')), kind_);
      rec_.failure(kind_);
    }
    // A reply missing from the batch would be a library bug; count it, do not hide it.
    if (replies.size() < n) {
      error_kind(make_error_code(valkey::errc::unexpected_reply_type), {}, kind_);
      rec_.failure(kind_, n - replies.size());
      if (tally_) tally_->count(Outcome::unknown, n - replies.size());
    }
    if (ok > 0) rec_.success(ns_since(sent, now), now, ok);
    if (tally_) tally_->count(Outcome::acked, ok);  // error replies: refused, not applied
    return now;
  }

 private:
  Recorder& rec_;
  CounterTally* tally_;
  std::string kind_;  // reused: no allocation per error once it grew
};

}  // namespace perf
