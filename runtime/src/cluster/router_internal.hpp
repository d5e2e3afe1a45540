#pragma once
// What the router's source files (router*.cpp) share: the clock, the
// router's own requests, a batch's entry for a command several nodes answer,
// a batch's request per node and what the batch keeps beside its parts, the
// scope of a call made by the router's caller, and the zone-affinity test.
#include <cstddef>
#include <utility>
#include <vector>

#include <valkey/cluster/op_memory.hpp>
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

// One request on a node's connection carrying the consecutive commands of a
// batch for that node, in batch order: one request in the connection's
// queue and one reply slot, instead of one per command. Each reply goes to
// its command's part. When the request ends, each part ends as if it had
// been its own request: the ones answered in full succeed, the rest get the
// request's error (its written state is the request's: attempt_written()).
// A part redirected or retried goes again as a request of its own. Its
// parts are linked through Part::group_next_, and it comes from the
// per-thread blocks of op_memory.hpp, so a batch allocates nothing for it.
class PartGroup final : public RequestBase {
 public:
  explicit PartGroup(Connection& c) noexcept : conn(c) {}
  PartGroup(const PartGroup&) = delete;
  PartGroup& operator=(const PartGroup&) = delete;
  ~PartGroup() = default;
  static void* operator new(std::size_t size) { return op_memory::allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { op_memory::deallocate(p, size); }

  void add(Part& p) noexcept {
    p.group_ = this;
    p.group_next_ = nullptr;
    (last_ ? last_->group_next_ : first_) = &p;
    last_ = &p;
    if (!at_) at_ = &p;
    expected_replies += p.expected_replies;
  }
  Part* first() const noexcept { return first_; }

  void on_node(const resp::Node& n) override { at_->on_node(n); }
  void on_reply_end() override {
    Part& p = *at_;
    p.on_reply_end();
    if (p.seen_ >= p.expected_replies) {
      at_ = p.group_next_;
      ++answered_;
    }
  }
  void on_complete(std::error_code ec) override {
    // The last part's end may end the job, and this request with it: the
    // next part is read before each call, and nothing after the last.
    std::size_t answered = answered_;
    for (Part* p = first_; p;) {
      Part* next = p->group_next_;
      p->on_complete(answered > 0 ? std::error_code{} : ec);
      if (answered > 0) --answered;
      p = next;
    }
  }

  Connection& conn;
  PartGroup* next_group = nullptr;  // the batch's next one (BatchState)

 private:
  Part* first_ = nullptr;
  Part* last_ = nullptr;
  Part* at_ = nullptr;  // the part the next reply belongs to
  std::size_t answered_ = 0;
};

// What a batch's job keeps beside its parts: each command's reply in its
// place, put there as it arrives (Part::on_reply_end()), and the requests
// its commands went in (PartGroup), deleted with it.
struct BatchState {
  BatchState() = default;
  BatchState(const BatchState&) = delete;
  BatchState& operator=(const BatchState&) = delete;
  ~BatchState() {
    while (groups) delete std::exchange(groups, groups->next_group);
  }
  static void* operator new(std::size_t size) { return op_memory::allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { op_memory::deallocate(p, size); }

  std::vector<Reply> replies;
  PartGroup* groups = nullptr;
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
