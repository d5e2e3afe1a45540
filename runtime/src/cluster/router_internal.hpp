#pragma once
// What the router's source files (router*.cpp) share: the clock, the
// router's own requests, a batch's entry for a command several nodes answer,
// the scope of a call made by the router's caller, and the zone-affinity test.
#include <utility>

#include <valkey/cluster/router.hpp>
#include <valkey/reply.hpp>

namespace valkey::cluster {

// The clock of deadlines and retries, the connections' own.
using clock = RequestBase::clock;

// Reads prefer the client's zone (an az_ read_from mode with client_az set).
inline bool reads_by_zone(const ClusterConfig& c) {
  return (c.read_from == ReadFrom::az_affinity || c.read_from == ReadFrom::az_affinity_replicas_and_primary) &&
         !c.client_az.empty();
}

// A batch's command that several nodes answer, run as a job of its own: it
// is split or fanned out and combined exactly as when sent alone, and its
// result becomes its part's entry in the batch's reply.
class BatchEntry final : public Job {
 public:
  explicit BatchEntry(Part& part) : part_(part) {}
  ~BatchEntry() override = default;
  void complete(JobResult&& r) override { router_->entry_done(part_, std::move(r)); }
  // Its result's endpoint, kept for its part's node().
  std::string endpoint;

 private:
  Part& part_;
};

// A request of the router's own, owned by the router (keep(), release()).
struct Router::Own : RequestBase {
  explicit Own(Router& r) noexcept : router(r) {}
  Own(const Own&) = delete;
  Own& operator=(const Own&) = delete;
  virtual ~Own() = default;

  Router& router;
  Own* prev = nullptr;
  Own* next = nullptr;
};

// One whose reply is built whole (the topology queries, COMMAND INFO).
struct Router::Built : Own {
  using Own::Own;
  ReplyBuilder builder;
  Reply reply;

  void on_node(const resp::Node& n) override { builder.on_node(n); }
  void on_reply_end() override {
    builder.on_message_end();
    reply = builder.take();
  }
};

struct Router::CallerScope {
  explicit CallerScope(Router& r) noexcept : router(r), was(std::exchange(r.delivering_, nullptr)) {}
  ~CallerScope() { router.delivering_ = was; }
  CallerScope(const CallerScope&) = delete;
  CallerScope& operator=(const CallerScope&) = delete;
  Router& router;
  Job* was;
};

}  // namespace valkey::cluster
