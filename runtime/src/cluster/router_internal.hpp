#pragma once
// What the router's source files (router*.cpp) share: the clock, the
// router's own requests, a batch's entry for a command several nodes answer,
// the scope of a call made by the router's caller, and the zone-affinity test.
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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

// What a batch's job keeps beside its parts: each command's reply in its
// place, put there as it arrives (Part::on_reply_end()), and the requests
// its commands went in (PartGroup).
struct BatchState {
  std::vector<Reply> replies;
  std::vector<std::unique_ptr<PartGroup>> groups;
};

// One request on a node's connection carrying the consecutive commands of a
// batch for that node, in batch order: one request in the connection's
// queue and one reply slot, instead of one per command. Each reply goes to
// its command's part. When the request ends, each part ends as if it had
// been its own request: the ones answered in full succeed, the rest get the
// request's error (its written state is the request's: attempt_written()).
// A part redirected or retried goes again as a request of its own.
class PartGroup final : public RequestBase {
 public:
  PartGroup(Job& j, Connection& c) noexcept : job(j), conn(c) {}
  PartGroup(const PartGroup&) = delete;
  PartGroup& operator=(const PartGroup&) = delete;
  ~PartGroup() = default;

  void on_node(const resp::Node& n) override { parts[at_]->on_node(n); }
  void on_reply_end() override {
    Part& p = *parts[at_];
    p.on_reply_end();
    if (p.seen_ >= p.expected_replies) ++at_;
  }
  void on_complete(std::error_code ec) override {
    // The last part's end may end the job, and this request with it: nothing
    // of it is read after that call.
    const std::size_t n = parts.size();
    for (std::size_t i = 0; i < n; ++i) parts[i]->on_complete(i < at_ ? std::error_code{} : ec);
  }

  Job& job;
  Connection& conn;
  std::string bytes;         // the commands, in batch order
  std::vector<Part*> parts;  // theirs, in the same order

 private:
  std::size_t at_ = 0;  // the part the next reply belongs to
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
