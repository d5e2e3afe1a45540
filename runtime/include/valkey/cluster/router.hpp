#pragma once
// valkey::cluster::Router: the I/O half of the cluster clients. It keeps one
// Connection per node, the slot map (bootstrapped from the seeds, refreshed
// single-flight), and runs Jobs: a command routed from the generated metadata
// (route()), split per slot or fanned out, followed through MOVED / ASK and
// retried on TRYAGAIN / CLUSTERDOWN / LOADING / MASTERDOWN / READONLY, then
// combined by its response policy into one Reply. A job one node answers
// with one reply skips the Reply: its owner's decoder reads the reply as it
// arrives (Job::reply_visitor()). The common request (a typed command to its
// slot's owner) goes as its job's DirectRequest, and becomes a Part only if
// it is redirected, refused or fails.
//
// Everything here runs on the router's executor (single-threaded use, like
// Connection); stats() may be read from any thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/steady_timer.hpp>

#include <valkey/cache/store.hpp>
#include <valkey/cluster/cache_read.hpp>
#include <valkey/cluster/cluster_config.hpp>
#include <valkey/cluster/op_memory.hpp>
#include <valkey/cluster/route.hpp>
#include <valkey/cluster/server_commands.hpp>
#include <valkey/cluster/topology.hpp>
#include <valkey/connection.hpp>
#include <valkey/exec/bytes.hpp>
#include <valkey/exec/call_options.hpp>
#include <valkey/exec/command_mark.hpp>
#include <valkey/export.hpp>
#include <valkey/lease_pool.hpp>
#include <valkey/policy/guard.hpp>
#include <valkey/policy/jitter_engine.hpp>
#include <valkey/reply.hpp>
#include <valkey/resp/visitor.hpp>

namespace valkey::cluster {

class Router;
class Part;
class DirectRequest;
class BatchEntry;
struct BatchState;
class PartGroup;

// Where a job goes.
enum class Fanout : std::uint8_t {
  routed,        // by the command's keys and request_policy
  one_node,      // the node named in Job::node
  each_primary,  // every primary, answers per node
  each_node,     // every node, answers per node
};

// What a finished job hands to its owner.
struct VALKEY_CPP_EXPORT JobResult {
  std::error_code ec;
  // On success: the combined reply (an error reply decodes as server_error);
  // absent when it streamed, as most replies do, so a job neither builds
  // nor destroys an empty one.
  std::optional<Reply> reply;
  // The node that answered or failed ("host:port"); empty for several. It
  // names a part's node: read it before the job is destroyed.
  std::string_view endpoint;
  // Why, for failures without a server reply (cross_slot, redirects...), and
  // the node connection's last_error() for a connection failure. Apart,
  // and absent when both are empty: every job builds and destroys its
  // result, few fill these.
  struct Why {
    std::string detail;
    std::string connection_error;
  };
  std::unique_ptr<Why> why;
  bool per_node = false;  // reply is a map "host:port" -> reply
  // The reply went to the job's reply_visitor() as it arrived; `reply` is
  // empty and the visitor holds the outcome.
  bool streamed = false;
  // The failed command may have run: an attempt was written and got no
  // reply (Diagnostics::outcome sent_no_reply rather than not_sent).
  bool written = false;
  // A read through the cache (Job::cache) answered by its framed attempt:
  // once decoded, its reply may be stored (CacheRead::commit()).
  bool cacheable = false;

  // `reply`, or a null reply when there is none.
  const Reply& reply_or_null() const noexcept;
  std::string_view connection_error() const noexcept {
    return why ? std::string_view(why->connection_error) : std::string_view{};
  }
  // Sets both (`why` stays absent when they are empty).
  void set_why(std::string detail, std::string connection_error = {});
};

class Job;

// A node attempts go to: its address, its "host:port" name (built once per
// node: every attempt names its node) and, once looked up, its shared
// connection. The router keeps the nodes requests went to lately; a part
// holds its attempt's, so the router may drop it from its table meanwhile.
struct NodeRef {
  std::string host;
  std::uint16_t port = 0;
  std::string name;
  std::shared_ptr<Connection> conn;  // its entry in the router's connections, once looked up
  unsigned refs = 0;                 // NodeHandles to it
  bool readonly = false;             // found in the router's readonly_ (reset with conn)
};

// A counted reference to a NodeRef, which it deletes with the last one.
// Counted without atomics (a shared_ptr's cost two locked operations per
// attempt): the router's table and its parts live on its executor only, and
// a part ends there (Job::complete() destroys it or drops its parts).
class NodeHandle {
 public:
  NodeHandle() noexcept = default;
  explicit NodeHandle(NodeRef* n) noexcept : n_(n) { ++n->refs; }
  NodeHandle(const NodeHandle& o) noexcept : n_(o.n_) {
    if (n_) ++n_->refs;
  }
  NodeHandle(NodeHandle&& o) noexcept : n_(std::exchange(o.n_, nullptr)) {}
  NodeHandle& operator=(const NodeHandle& o) noexcept {
    if (o.n_) ++o.n_->refs;
    release();
    n_ = o.n_;
    return *this;
  }
  NodeHandle& operator=(NodeHandle&& o) noexcept {
    if (this != &o) {
      release();
      n_ = std::exchange(o.n_, nullptr);
    }
    return *this;
  }
  ~NodeHandle() { release(); }

  explicit operator bool() const noexcept { return n_ != nullptr; }
  NodeRef& operator*() const noexcept { return *n_; }
  NodeRef* operator->() const noexcept { return n_; }
  bool operator==(const NodeHandle& o) const noexcept { return n_ == o.n_; }

 private:
  void release() noexcept {
    if (n_ && --n_->refs == 0) [[unlikely]]
      destroy(n_);
  }
  // Out of line: the common release, a count down, stays inline.
  VALKEY_CPP_EXPORT static void destroy(NodeRef* n) noexcept;
  NodeRef* n_ = nullptr;
};

// One command of a job on one node: the whole command, one slot's share of a
// split one, or one node's copy of a fan-out.
class VALKEY_CPP_EXPORT Part final : public RequestBase {
 public:
  Part(Job& job, std::size_t index);
  ~Part();
  // A job's second and later parts (a batch's commands, a split's shares)
  // come from the per-thread blocks of cluster/op_memory.hpp, as operations do.
  static void* operator new(std::size_t size) { return op_memory::allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { op_memory::deallocate(p, size); }

  void on_node(const resp::Node& n) override;
  void on_reply_end() override;
  void on_complete(std::error_code ec) override;

 private:
  friend class Router;
  friend class PartGroup;
  friend class DirectRequest;
  // What an attempt sends (before ASKING or a cache frame is added).
  std::string_view command_bytes() const noexcept;
  // "host:port" of the node that answered or failed; empty if none.
  std::string_view node() const noexcept;
  // Whether any of the current attempt's bytes went to the socket: its own
  // request's, or the shared request's it went in (group_).
  bool attempt_written() const noexcept;
  // The builder of a reply that does not stream, made by the first one.
  ReplyBuilder& builder();

  // What only some parts use (a split share, an ASK, a transaction, a retry
  // after a delay): made on first use, so the common part neither builds
  // nor destroys it.
  struct Extra {
    std::string share;  // a split share's command, or a blocking command with its timeout
                        // reduced after a redirection; empty: slice_ or the job's bytes
    std::string ask;    // ASKING + the command, while following an ASK
    std::vector<Reply> replies;       // a transaction's replies (commands_ > 1)
    std::vector<std::uint32_t> keys;  // split share: indices of its keys in the job's key order
    std::unique_ptr<asio::steady_timer> timer;  // the delay before a retry
  };
  Extra& extra() {
    if (!extra_) extra_.emplace();
    return *extra_;
  }

  Job& job_;
  std::size_t index_;
  std::optional<Extra> extra_;
  std::string_view slice_;   // a batch command: its bytes within the job's (which outlive it)
  RequestBase::clock::time_point blocking_since_{};  // a leased part's first send
  bool asking_ = false;       // ASKING precedes the command: its reply is skipped
  bool pinned_ = false;       // goes to at_'s node whatever the slot map says
  bool read_only_ = false;    // a replica may serve it (read_from)
  bool leased_ = false;       // a blocking command: runs on a connection leased from the node's pool
  bool on_replica_ = false;   // the current attempt went to a replica (read_from)
  bool framed_ = false;       // the current attempt is a cached read's framed one (Job::cache)
  std::uint32_t seen_ = 0;    // replies seen in this attempt
  int slot_ = -1;             // the slot it goes to (-1: keyless)
  bool preset_ = false;       // answered without sending (a batch command refused on its own)
  bool final_ = false;        // its outcome is in (part_final() ran)
  // A batch command that several nodes answer (a split MGET, DBSIZE on every
  // primary): it runs as a job of its own, and that job's combined result is
  // this part's reply. Null for every other part.
  std::unique_ptr<BatchEntry> entry_;
  std::uint32_t commands_ = 1;  // replies one attempt expects (a whole transaction: all of them)
  // The current attempt's node, shared with the router's table of nodes
  // (not copied per attempt); a pinned part's is set before its first
  // attempt. Null for a batch command several nodes answer: its node is its
  // entry job's endpoint (node()).
  NodeHandle at_;
  std::shared_ptr<Connection> conn_;
  // The batch's request to at_'s node this attempt went in, with the
  // batch's other commands for that node (PartGroup); null when the part
  // is its connection's request itself.
  PartGroup* group_ = nullptr;
  Part* group_next_ = nullptr;  // the next part in group_ (PartGroup::add())
  // Absent until a reply is built: most go to Job::reply_visitor(). The
  // wrapper's user-provided constructor keeps emplace() from zero-filling it.
  struct LazyBuilder {
    LazyBuilder() noexcept {}
    ReplyBuilder b;
  };
  std::optional<LazyBuilder> builder_;
  // The attempt's reply when it was built (not streamed); absent, a null
  // reply: most parts stream theirs and never build or destroy one.
  std::optional<Reply> reply_;
  Reply& reply() {
    if (!reply_) reply_.emplace();
    return *reply_;
  }
  bool error_reply() const noexcept { return reply_ && reply_->is_error(); }
  Reply take_reply() { return reply_ ? std::move(*reply_) : Reply{}; }
  // This attempt's reply goes to the job's reply_visitor() (`direct_`),
  // decided at its first node; `streamed_` once such a reply ended.
  resp::Visitor* direct_ = nullptr;
  bool in_reply_ = false;
  bool streaming_ = false;
  bool streamed_ = false;
  std::error_code ec_;        // final failure
  std::string detail_;
  std::string connection_error_;
  unsigned redirects_ = 0;
  unsigned retries_ = 0;
  // Under Config::retry / circuit_breaker (the node's policy::Guard):
  policy::Guard* guard_ = nullptr;  // the current attempt's node; null: no policy
  policy::Admission admission_ = policy::Admission::go;
  int attempt_ = 1;            // attempts a written, unanswered failure counts
  bool first_counted_ = false;  // the retry budget's base counted this part
  bool may_have_run_ = false;   // an attempt was written and got no reply
  bool accepted_ = false;       // the connection took the current attempt
  bool attempted_ = false;      // send_to() ran: a later attempt resets the reply state
  // The attempt it took over from its job's DirectRequest was written
  // (Router::hand_over()); the part's own attempts reset it.
  bool first_written_ = false;
};

// A job's first attempt in the common case (Router::start(): a typed command
// to its slot's owner, with no policy, cache, batch or replica read in play):
// a small request of its own rather than a Part, its reply streamed into the
// job's decoder. Anything else (an error reply or a failure) hands the
// attempt over to a Part (Router::hand_over()), which goes on from there as
// any part does; the request then forwards what is left of the reply to it.
class VALKEY_CPP_EXPORT DirectRequest final : public RequestBase {
 public:
  explicit DirectRequest(Job& job) noexcept : job_(job) {}
  ~DirectRequest() = default;

  void on_node(const resp::Node& n) override;
  void on_reply_end() override;
  void on_complete(std::error_code ec) override;

 private:
  friend class Router;
  Job& job_;
  NodeHandle at_;  // the slot's owner
  // Its shared connection, by address: a connection holding a request
  // (queued or written) lives until it has completed it, since whatever
  // closes or drops it posts that completion with the connection's own
  // pointer. A part copies the pointer when the attempt is handed over.
  Connection* conn_ = nullptr;
  resp::Visitor* visitor_ = nullptr;  // Job::reply_visitor()
  bool in_reply_ = false;
  Part* handed_ = nullptr;  // the part the attempt went to (hand_over())
};

// A job's parts, in order. The first one lives inside the job (most jobs
// have one part, so routing them allocates nothing), the others on the heap.
// A part never moves once added: its connection holds it by address.
class VALKEY_CPP_EXPORT PartList {
 public:
  Part& add(Job& job);
  // Room for `n` parts in all, so adding them does not grow the list step by step.
  void reserve(std::size_t n);
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  Part& operator[](std::size_t i) noexcept { return i == 0 ? *first_ : *more_[i - 1]; }
  Part& front() noexcept { return *first_; }
  Part& back() noexcept { return (*this)[size_ - 1]; }
  void clear() noexcept;

  class iterator {
   public:
    iterator(PartList& l, std::size_t i) noexcept : list_(&l), i_(i) {}
    Part& operator*() const noexcept { return (*list_)[i_]; }
    iterator& operator++() noexcept {
      ++i_;
      return *this;
    }
    bool operator==(const iterator& o) const noexcept { return i_ == o.i_; }

   private:
    PartList* list_;
    std::size_t i_;
  };
  iterator begin() noexcept { return {*this, 0}; }
  iterator end() noexcept { return {*this, size_}; }

 private:
  std::optional<Part> first_;
  std::vector<std::unique_ptr<Part>> more_;
  std::size_t size_ = 0;
};

// One command on its way through the cluster. The owner (a typed operation)
// derives from it and receives the outcome in complete(); the router never
// touches the job after calling it.
class VALKEY_CPP_EXPORT Job {
 public:
  Job() = default;
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  // ---- set by the owner before Router::submit() ----
  exec::Bytes bytes;                  // one encoded command
  CommandFlag flags = CommandFlag::none;
  Fanout fanout = Fanout::routed;
  exec::Bytes node;                   // Fanout::one_node: "host:port"
  bool want_per_node = false;         // answers per node even for a routed fan-out
  // Several commands (a pipeline or batch): each routed on its own, the
  // replies (error replies kept) as one array in command order.
  bool batch = false;
  // A batch's notes of its commands (exec/command_mark.hpp): each one's end
  // in `bytes` and, for a typed command with its keys at fixed positions, its
  // slot. Empty: every command is parsed back from `bytes` and routed.
  std::vector<exec::CommandMark> marks;
  std::error_code refused;            // complete with this at once (posted)
  // A handle's per-call options (ClusterClient::with(), database()):
  // timeout, retry policy, idempotent, database.
  exec::CallOptions options;
  // A typed command's generated metadata (null for call() and batches):
  // the route reads its key specs without looking the name up.
  const CommandInfo* info = nullptr;
  // A typed command whose keys sit at fixed positions, all in one slot
  // (fixed_key_slot(), found on the caller's thread): that slot, so the
  // router does not read the arguments back from `bytes`. -1: route them.
  int slot = -1;
  // A read through the client-side cache (cluster/cache_read.hpp): `bytes`
  // is the read alone; it goes to the slot's primary, framed on its first
  // attempt. Null for every other job.
  std::unique_ptr<CacheRead> cache;

  // `r` is the job's own member: read what is needed before the job is
  // destroyed.
  virtual void complete(JobResult&& r) = 0;

  // For a job one node answers with one reply (no split, no fan-out, no
  // batch): the visitor that decodes the reply as it arrives, so no Reply is
  // built and replayed. Called at the start of every attempt and must hand a
  // fresh visitor each time (a connection lost mid-reply starts over). A
  // reply whose first node is an error or an attribute is built as a Reply
  // anyway: the router reads redirections and retryable errors from it.
  // Null (the default): every reply is built.
  virtual resp::Visitor* reply_visitor() { return nullptr; }

 protected:
  virtual ~Job();
  // Ends the parts and the direct request (and what they hold: connections,
  // timers) now; call on the router's executor, from complete().
  void drop_parts() noexcept;
  // The executor of the router the job was submitted to.
  const asio::any_io_executor& router_executor() const noexcept;

 private:
  friend class Router;
  friend class Part;
  friend class BatchEntry;
  friend class DirectRequest;
  std::shared_ptr<Router> router_;
  // How start() routed it; absent for a job whose caller found its slot
  // (Job::slot: one part), which needs nothing more of it.
  std::optional<Route> route_;
  PartList parts_;
  // Its first attempt, when start() sent it as the common request: a
  // DirectRequest, not a Part. Absent for every other job.
  std::optional<DirectRequest> direct_;
  std::size_t outstanding_ = 0;
  RequestBase::clock::time_point deadline_ = RequestBase::clock::time_point::max();
  bool looked_up_ = false;  // waited for its command's COMMAND INFO once: never again
  bool cancelled_ = false;  // Router::cancel() abandoned it: no further attempt
  // A batch's replies in their places and its commands' shared requests
  // (router_internal.hpp); null for any other job. Deleted out of line,
  // where the type is complete.
  struct DeleteBatchState {
    void operator()(BatchState* b) const noexcept;
  };
  std::unique_ptr<BatchState, DeleteBatchState> batch_;
  JobResult result_;  // the outcome, kept here while its completion is posted
};

// A node as the topology describes it.
struct NodeDescription {
  std::string address;  // "host:port"
  std::string id;
  bool primary = true;
  std::vector<SlotRange> slots;  // the shard's slot ranges
  std::string zone;              // availability zone: the topology's, else the one its HELLO named
  NodeHealth health = NodeHealth::unknown;
};

class VALKEY_CPP_EXPORT Router : public std::enable_shared_from_this<Router>, private ConnectionObserver {
  struct Private {};

 public:
  using executor_type = asio::any_io_executor;
  static std::shared_ptr<Router> create(executor_type ex, ClusterConfig config);
  Router(Private, executor_type ex, ClusterConfig config);
  ~Router();

  const executor_type& get_executor() const noexcept { return ex_; }
  const ClusterConfig& config() const noexcept { return config_; }
  // The node Config for host:port (the topology's address), through
  // ClusterConfig::address_map.
  Config node_config(const std::string& host, std::uint16_t port) const;

  // Starts (or queues, until the first topology arrives) `job`. Never
  // completes it inside this call.
  void submit(Job& job);
  // Closes every node connection: pending jobs fail with connection_closed.
  void close();
  // A completion token's cancellation of `job` (call on the router's
  // executor; the job completes with errc::cancelled, never inside this
  // call). Before any of its commands was written every type cancels; after,
  // only terminal and partial ones (the commands may still run; their
  // replies are discarded), and a total one is ignored. No effect on a job
  // that already has its outcome.
  void cancel(Job& job, asio::cancellation_type type);

  ClusterStats stats() const noexcept;
  std::vector<NodeDescription> nodes() const;
  bool has_topology() const noexcept { return map_.has_value(); }
  // The client-side cache every node connection tracks for (ClusterConfig::
  // node.cache); null without one. Thread-safe (CacheStore).
  CacheStore* cache() const noexcept { return cache_.get(); }
  // Asks for a topology refresh now (single-flight, rate-limited).
  void request_refresh();
  // For an owner that runs the executor on one thread at a time (the sync
  // ClusterClient's SyncDriver): the node connections then wait for
  // readability and read after it (Connection::set_single_reactor), which
  // saves a read that finds nothing per request. Call before the first
  // request.
  void set_single_reactor(bool on) noexcept { single_reactor_ = on; }
  // Called on the router's executor when its periodic check finds the
  // topology changed (before the full refresh that follows): the sync
  // ClusterClient's other routers, which run no periodic check of their
  // own, refresh then (cluster/sync_lanes.hpp). Set before the first request.
  void set_change_listener(std::function<void()> f) { change_listener_ = std::move(f); }
  // For that owner's driver: the connection `job` waits on when the router
  // has nothing else in flight and nothing due (one part, written or queued
  // on a node's shared connection; no other part anywhere, no refresh, no
  // command description asked, no client-side cache whose invalidations
  // other connections carry). The driver may then wait on that socket alone
  // (Connection::read_directly) instead of in the reactor. Null otherwise.
  // Shared: the job may end inside that wait, and its part with it.
  std::shared_ptr<Connection> sole_connection(Job& job) const noexcept;
  // The primary serving `slot` now; false without a topology or an owner.
  bool owner_of(std::uint16_t slot, std::string& host, std::uint16_t& port) const;
  // Where a subscriber's SSUBSCRIBE for `slot` goes under read_from: the
  // owner, or a replica of its shard picked as for reads (zone first) other
  // than `avoid` (a node that went down), else the owner. False without a
  // topology. On the router's executor.
  bool reader_of(std::uint16_t slot, std::string& host, std::uint16_t& port, std::string_view avoid = {});
  // Runs f(ec) once the first topology is known: posted, at once when it is;
  // with not_connected when no seed answered, connection_closed after close().
  void when_ready(std::function<void(std::error_code)> f);

 private:
  friend class Part;
  friend class BatchEntry;
  friend class DirectRequest;
  // The router's own requests (topology queries, COMMAND INFO, READONLY):
  // owned by the router, naming it by address. Holding it by shared_ptr
  // from a connection it holds would be a cycle only their completion
  // breaks, and an io_context destroyed without running again completes
  // nothing. While the io_context runs they all complete before the router
  // goes (close_connection()).
  struct Own;
  struct Built;
  struct Readonly;
  struct Query;

  // Routing and sending.
  // submit() for a closed router, a refused job, a client-side cache or no
  // topology yet.
  void submit_rare(Job& job);
  void start(Job& job);
  // start() for every job but the common one: parses and routes it, splits
  // or fans it out, and sends its parts.
  void route_and_send(Job& job, bool presolved, bool blocking);
  void send_all(Job& job);
  // A batch's command that several nodes answer: started as its own job
  // (Part::entry_); entry_done() takes its result as the part's reply.
  void start_entry(Part& p);
  void entry_done(Part& p, JobResult&& r);
  void fail(Job& job, std::error_code ec, std::string detail);
  void send(Part& p);
  // `to` may be an entry of node_names_: the part holds it before anything
  // adds to that table.
  void send_to(Part& p, const NodeHandle& to);
  // The common request (start() decides): the job's one command to its
  // slot's owner as a DirectRequest, with no policy, cache frame, batch or
  // replica read in play.
  void send_direct(Job& job, const NodeHandle& to, resp::Visitor* visitor);
  // The DirectRequest's attempt goes on as a Part's: made here, as if it
  // had sent it (an error reply or a failure; see DirectRequest).
  Part& hand_over(Job& job);
  // Hands an attempt's bytes to `c` (holding them back from the socket
  // until the call returns, when the driver waits on sockets itself): the
  // connection's refusal, empty when it took them.
  std::error_code submit_to(Connection& c, RequestBase& r, std::string_view bytes);
  void part_done(Part& p, std::error_code ec);
  void part_final(Part& p);
  // cancel(): whether any command of `job` may have reached a node, and
  // the abandoning of every part not final yet.
  static bool touched(Job& job);
  void abandon(Job& job);
  // `refused`: the server answered TRYAGAIN, CLUSTERDOWN... (the retry
  // draws on ClusterConfig::retry_budget); else the node was down.
  void retry_later(Part& p, bool refused);
  void finish(Job& job);
  void complete_job(Job& job);
  // A part's reply or failure from its connection.
  void on_part_complete(Part& p, std::error_code ec);
  // The common ends of a part, as part_done() would conclude them, with
  // nothing of the router touched after the job ends: a job's one part
  // whose reply streamed into its decoder, completing the job, or a reply
  // (not an error) of a part whose job waits for others. False, with nothing
  // done, for everything else (errors, redirections, breakers, leases, the
  // cache, the last part of several).
  bool end_at_once(Part& p, std::error_code ec);
  // The end of a job whose one attempt's reply streamed into its decoder
  // (end_at_once(), DirectRequest::on_complete()): `at` answered. The job,
  // and maybe the router, are gone after this.
  void complete_streamed(Job& job, const NodeRef& at);
  // A job's part for the slot its caller found (Job::slot), read-only when
  // its command is, as route_slot() would decide from the same keys.
  static Part& add_presolved(Job& job);
  std::shared_ptr<Connection> connection(const std::string& host, std::uint16_t port);
  // Own requests: linked while the router owns them, released (unlinked and
  // deleted) by their completion.
  void keep(Own& r) noexcept;
  void release(Own& r) noexcept;
  // Closes a connection the router drops: with own requests in flight, the
  // router stays alive until the completions the close posts have run.
  void close_connection(Connection& c);
  // The nodes requests went to lately, with their "host:port"
  // (detail::host_port): every attempt names its node, so the name is built
  // once per node. The reference is valid until node_names_ next grows.
  const NodeHandle& node_ref(std::string_view host, std::uint16_t port);
  // The handle of the primary serving `slot`, kept per shard of the current
  // map (owner_refs_); null when no shard serves it. Inline when kept.
  const NodeHandle* owner_ref(std::uint16_t slot) {
    const int shard = map_ ? map_->shard_of(slot) : -1;
    const auto i = static_cast<std::size_t>(shard);
    if (shard >= 0 && i < owner_refs_.size() && owner_refs_[i]) return &owner_refs_[i];
    return find_owner_ref(slot);
  }
  const NodeHandle* find_owner_ref(std::uint16_t slot);
  // The node's shared connection, kept in its NodeRef: an attempt skips the
  // search of conns_.
  const std::shared_ptr<Connection>& shared_connection(NodeRef& node);
  // conns_ dropped connections: the ones node_names_ holds go too.
  void forget_connections() noexcept;
  // The map changed (or node_names_ did): the per-shard handles go.
  void forget_shard_refs() noexcept {
    owner_refs_.clear();
    reader_refs_.clear();
  }
  // The same, named "host:port" already (the connections' key).
  std::shared_ptr<Connection> connection(const std::string& host, std::uint16_t port, const std::string& name);
  const Node* pick_primary();
  void build_split(Job& job);
  bool build_batch(Job& job);
  bool build_transaction(Job& job, std::size_t commands);
  static Reply reassemble(PartList& parts, std::size_t keys, std::string& why);

  // Commands the generated table does not know (module commands, a newer
  // server's): COMMAND INFO is asked once per name, of any primary, while
  // the jobs naming it wait; they are then routed by its key specs.
  struct Lookup;
  // True when `job` waits for its command's description (start() returns).
  bool wait_for_description(Job& job, std::string_view name);
  // One command of a batch or transaction, routed as start() routes a lone
  // one: a name the table does not know by its description. True when the
  // job waits for a description instead (its parts are dropped: start()
  // builds them again). A job waits once: a batch with several unknown
  // names has the first one described, the others routed as unknown.
  bool route_or_wait(Job& job, std::span<const std::string_view> argv, Route& r);
  void looked_up(Lookup& l, std::error_code ec);

  // Topology.
  void refresh(bool periodic);
  void query_done(Query& q, std::error_code ec);
  void adopt(std::vector<std::optional<SlotMap>>& views, bool periodic);
  void bootstrap_failed(const std::string& why);
  void arm_periodic();
  void prune_connections();
  // Zones from HELLO (Valkey 8.1 names them there, not in the topology):
  // learned as node connections complete their handshakes, applied to every
  // view the router reads; with az_affinity, replicas of unknown zone are
  // connected at once to learn theirs.
  void learn_zone(const std::string& node, const std::string& zone);
  void apply_hello_zones(SlotMap& map) const;
  void connect_zoneless_replicas();
  void on_disconnected(Connection&, std::error_code) override;
  void on_connected(Connection&) override;
  // The replica a read-only command for `slot` goes to under read_from;
  // nullptr: the primary. Valid until the per-shard handles are forgotten.
  const NodeHandle* pick_reader(std::uint16_t slot);
  void send_readonly(Connection& c);
  void release_lease(Part& p, std::error_code ec);
  // Resilience policies (docs/resilience.md, "The cluster clients").
  policy::Guard* guard_for(const std::string& node);
  bool lost_after_write(Part& p, std::error_code ec);
  // The job's retry policy: its handle's, else ClusterConfig::node.retry; null: none.
  const policy::RetryPolicy* retry_of(const Job& job) const noexcept;
  void resend_after(Part& p, std::chrono::milliseconds delay);

  std::chrono::milliseconds jittered(std::chrono::milliseconds d);
  // The cache can no longer tell which of its entries are right (a slot
  // moved, a redirection, a reconnect): every entry goes.
  void flush_cache(FlushReason reason);
  // The keys of a job that writes leave the cache (at submission and when
  // its reply is in, as on the single-node clients).
  void evict_written(const Job& job);

  executor_type ex_;
  ClusterConfig config_;
  std::shared_ptr<CacheStore> cache_;  // ClusterConfig::node.cache set; shared by every node connection
  std::optional<SlotMap> map_;
  std::map<std::string, std::shared_ptr<Connection>, std::less<>> conns_;
  std::vector<NodeHandle> node_names_;  // node_ref()'s, at most 64
  // Per shard of map_, its primary's entry of node_names_ once looked up:
  // a routed request skips node_ref()'s search. Cleared whenever map_
  // changes and whenever node_names_ or the connections are dropped.
  std::vector<NodeHandle> owner_refs_;
  // Per shard of map_, the replicas pick_reader() draws from, as entries of
  // node_names_: a replica read formats and searches no node name. Built on
  // first use from the map's roles, health and zones, dropped with owner_refs_
  // (and when a zone is learned); whether a replica's connection is down is
  // asked at each pick.
  struct ShardReaders {
    bool built = false;
    bool primary_local = false;     // the primary is in the client's zone
    std::vector<NodeHandle> any;    // the replicas the map calls healthy
    std::vector<NodeHandle> local;  // those of them in the client's zone (zone reads only)
  };
  std::vector<ShardReaders> reader_refs_;
  // Connections that serve replica reads: READONLY is sent on each of their
  // connections (first, and again after every reconnect).
  std::map<std::string, bool, std::less<>> readonly_;
  // Dedicated connections per node for blocking commands.
  std::map<std::string, std::shared_ptr<LeasePool>, std::less<>> pools_;
  // Node name -> the zone its HELLO reply named.
  std::map<std::string, std::string, std::less<>> hello_zones_;
  // One policy::Guard per node (its breaker and retry budget), made on first
  // use when ClusterConfig::node sets retry or circuit_breaker.
  bool policies_ = false;
  // Neither policies, a client-side cache nor a retry budget: what start()
  // needs of the router to send a job as its DirectRequest (set once).
  bool plain_ = false;
  std::map<std::string, std::unique_ptr<policy::Guard>, std::less<>> guards_;
  // ClusterConfig::retry_budget's account: parts sent, and retries of the
  // parts a server refused (TRYAGAIN, CLUSTERDOWN...).
  std::optional<policy::BudgetTally> retry_budget_;
  policy::JitterEngine rng_;
  bool closed_ = false;
  bool single_reactor_ = false;
  std::function<void()> change_listener_;  // set_change_listener()
  // Parts a connection accepted whose completion has not come back yet
  // (sole_connection()).
  std::size_t in_flight_ = 0;

  // The arguments of the job start() is routing, or of a batch's command
  // build_batch() is routing (views into its bytes): one buffer for every
  // job, so routing allocates nothing.
  std::vector<std::string_view> argv_;
  // Jobs waiting for the first topology.
  std::deque<Job*> waiting_;
  // The own requests in flight, linked through Own::next.
  Own* own_ = nullptr;
  // Unknown commands: what COMMAND INFO said, the names asked (answered,
  // whether the server knew them or not), and the jobs waiting per name
  // being asked (upper case).
  ServerCommands server_commands_;
  std::set<std::string, std::less<>> described_;
  std::map<std::string, std::vector<Job*>, std::less<>> describing_;
  std::vector<std::function<void(std::error_code)>> ready_waiters_;
  void wake_ready_waiters(std::error_code ec);
  // The job whose part's connection is reporting (on_part_complete()): if
  // it ends there, it calls its handler directly. Any other job, and any job
  // ending inside a caller's call (submit(), close(): CallerScope clears
  // this) or inside a loop over its parts, has its completion posted.
  Job* delivering_ = nullptr;
  struct CallerScope;
  // While a job's parts are submitted: the connections whose writes are held.
  bool batching_ = false;
  std::vector<std::shared_ptr<Connection>> held_;
  // While a batch's commands are sent: each node's shared request being
  // filled (PartGroup), submitted when the batch is sent or before any
  // other request goes to that node, so each node runs its commands in
  // batch order.
  std::vector<PartGroup*> open_groups_;
  std::string group_bytes_;  // a group's commands, gathered to be queued (reused)
  void add_to_group(Part& p);
  void close_group(PartGroup& g);
  void close_group_on(const Connection* c);

  // Refresh state.
  bool refreshing_ = false;
  bool refresh_again_ = false;
  bool refresh_periodic_ = false;
  std::size_t queries_left_ = 0;
  std::vector<std::optional<SlotMap>> views_;
  std::string last_refresh_error_;
  RequestBase::clock::time_point last_refresh_{};
  asio::steady_timer refresh_timer_;
  bool refresh_timer_armed_ = false;
  asio::steady_timer periodic_timer_;
  // MOVED patches, kept to re-apply those that arrived after a refresh began.
  struct Patch {
    std::uint64_t seq;
    std::uint16_t slot;
    std::string host;
    std::uint16_t port;
  };
  std::vector<Patch> patches_;
  std::uint64_t patch_seq_ = 0;
  std::uint64_t refresh_seq_ = 0;

  struct Counters {
    std::atomic<std::uint64_t> refreshes{0}, refresh_queries{0}, moved{0}, ask{0}, retries{0}, redirect_limits_hit{0},
        retry_budget_exhausted{0};
  };
  Counters counters_;
};

inline const asio::any_io_executor& Job::router_executor() const noexcept { return router_->get_executor(); }

// Combines the replies of a fan-out by `policy` (pure; unit tested).
//   agg_sum/min/max: integers; agg_logical_and/or: integers or arrays of them, element-wise
//   all_succeeded: the first error, else the first reply
//   one_succeeded: the first non-error reply, else the first error
//   default: arrays concatenated; anything else: the first reply
// An aggregate with error replies: the first, its text + the rest's figure.
VALKEY_CPP_EXPORT Reply combine(ResponsePolicy policy, std::vector<Reply>& replies);

// Replays `r` as parser nodes into `v` (then on_message_end()), so a typed
// decoder reads a combined reply as if it came from a socket. Attributes are
// left out.
VALKEY_CPP_EXPORT void replay(const Reply& r, resp::Visitor& v);

}  // namespace valkey::cluster
