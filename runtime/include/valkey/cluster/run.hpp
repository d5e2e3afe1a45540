#pragma once
// The typed half of a cluster request: a plan (a typed command, call()'s
// arguments) is encoded on the caller's thread into a Job; the router routes
// it and the job decodes the answer into the caller's type (a reply one node
// gives streams into its decoder; split, fanned-out and batched answers are
// combined into one Reply first). ClusterOp completes the caller's handler as
// exec/async.hpp does for a single node, with the same Diagnostics text;
// WaitingJob is the sync client's request, run by its SyncDriver.
#include <cstddef>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>

#include <valkey/cluster/op_memory.hpp>
#include <valkey/cluster/per_node.hpp>
#include <valkey/cluster/router.hpp>
#include <valkey/cluster/sync_driver.hpp>
#include <valkey/command.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/exec/async.hpp>
#include <valkey/exec/call_options.hpp>
#include <valkey/exec/decoders.hpp>
#include <valkey/exec/encoded_command.hpp>
#include <valkey/exec/handler_alloc.hpp>
#include <valkey/exec/handler_work.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/exec/plan.hpp>
#include <valkey/observe/probe.hpp>

namespace valkey::cluster {

// Executor categories of the cluster clients (exec/executor.hpp): their
// dispatch() overloads live in async_cluster_client.hpp / cluster_client.hpp.
struct async_cluster_executor {};
struct sync_cluster_executor {};

// Where a request goes, besides its own routing, and the per-call options
// of a handle (ClusterClient::with(), database()); copied into the job.
struct Target {
  Fanout fanout = Fanout::routed;
  std::string_view node;  // Fanout::one_node
  const exec::CallOptions* options = nullptr;
};

template <class T>
inline constexpr bool is_per_node_v = false;
template <class T>
inline constexpr bool is_per_node_v<PerNode<T>> = true;

// What a plan yields on a cluster: the decoder's type, except for a typed
// command fanned out with response_policy special (INFO, ...): one answer per node.
template <class Plan>
struct result_of {
  using type = typename Plan::decoder_type::result_type;
};
template <Command Cmd>
struct result_of<exec::CommandPlan<Cmd>> {
  static constexpr bool per_node =
      Cmd::info.response_policy == ResponsePolicy::special &&
      (Cmd::info.request_policy == RequestPolicy::all_nodes || Cmd::info.request_policy == RequestPolicy::all_shards);
  using type = std::conditional_t<per_node, PerNode<typename Cmd::reply_type>, typename Cmd::reply_type>;
};
// exec<R>(cmd): R, per node where the command fans out with policy special.
template <class R, Command Cmd>
struct result_of<exec::CommandPlanAs<R, Cmd>> {
  using type = std::conditional_t<result_of<exec::CommandPlan<Cmd>>::per_node, PerNode<R>, R>;
};
template <class Plan>
using result_t = typename result_of<std::remove_cvref_t<Plan>>::type;

template <class Plan>
inline constexpr bool is_batch_plan_v = false;
template <class D>
inline constexpr bool is_batch_plan_v<exec::BatchPlan<D>> = true;

// The decoder a batch plan's replies go through (void for one command).
template <class Plan>
using batch_decoder_t = typename std::conditional_t<is_batch_plan_v<std::remove_cvref_t<Plan>>,
                                                    std::remove_cvref_t<Plan>, exec::PingPlan>::decoder_type;

// What few requests carry: a node named by the caller, a handle's per-call
// options, an observer's probe, a client-side cache read. Kept apart so that
// a JobSetup, which a completion token may move twice before it launches,
// stays a few words; from the per-thread blocks of op_memory.hpp. Destroyed
// out of line, so that the JobSetup's destructor, which runs for each of
// those moves, is two tests inlined where it runs.
struct VALKEY_CPP_EXPORT JobSetupExtras {
  JobSetupExtras() = default;
  ~JobSetupExtras();
  JobSetupExtras(const JobSetupExtras&) = delete;
  JobSetupExtras& operator=(const JobSetupExtras&) = delete;

  // Fanout::one_node: "host:port". A pooled buffer, not a string: it moves
  // on into the job.
  exec::Bytes node;
  std::vector<exec::CommandMark> marks;  // a batch's, when its builder recorded them (Job::marks)
  exec::CallOptions options;
  observe::Probe probe;  // armed on the caller's thread when an observer is set
  std::unique_ptr<CacheRead> cache;  // a read through the client-side cache (cluster/cached.hpp)

  static void* operator new(std::size_t size) { return op_memory::allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { op_memory::deallocate(p, size); }
};

// A request encoded and ready for the router.
struct JobSetup {
  exec::Bytes bytes;
  std::string_view command;  // static storage, or empty: read from the bytes
  const CommandInfo* info = nullptr;  // a typed command's metadata: routed without a lookup by name
  std::error_code refused;
  CommandFlag flags = CommandFlag::none;
  int slot = -1;  // its keys' slot when found here (Job::slot)
  Fanout fanout = Fanout::routed;
  bool batch = false;  // several commands (a pipeline or batch)
  // The node connections speak RESP2 (Config::protocol): valkey::Reply
  // results take their commands' RESP3 shape (exec/resp3_shape.hpp).
  bool resp2 = false;
  std::unique_ptr<JobSetupExtras> extras;  // null for most requests

  JobSetupExtras& extra() {
    if (!extras) extras = std::make_unique<JobSetupExtras>();
    return *extras;
  }
};

// A batch's note of one command (exec/command_mark.hpp): the slot of a typed
// command whose keys sit at fixed positions in one slot, from its struct,
// with its metadata; -1 for any other plan. The builder sets `end`; a
// single command's setup (make_setup()) takes the slot alone.
template <class Plan>
exec::CommandMark command_mark(const Plan& plan) noexcept {
  exec::CommandMark m;
  if constexpr (requires { plan.cmd; }) {
    using Cmd = std::remove_cvref_t<decltype(plan.cmd)>;
    if (!plan.refused()) {
      m.slot = fixed_key_slot(plan.cmd);
      if (m.slot >= 0) m.info = &Cmd::info;
    }
  }
  return m;
}

template <class Plan>
JobSetup make_setup(Plan&& plan, Target target, const Config& node_config) {
  JobSetup s;
  s.refused = plan.refused();
  if (!s.refused) {
    try {
      s.bytes = plan.take_bytes();
    } catch (const Error& e) {
      s.refused = e.code();
    } catch (const std::bad_alloc&) {
      s.refused = std::make_error_code(std::errc::not_enough_memory);
    } catch (...) {
      s.refused = make_error_code(errc::invalid_argument);
    }
  }
  s.batch = is_batch_plan_v<std::remove_cvref_t<Plan>>;
  if constexpr (is_batch_plan_v<std::remove_cvref_t<Plan>>) {
    if (!s.refused && !plan.marks.empty()) s.extra().marks = std::move(plan.marks);
  }
  s.flags = plan.flags();
  s.info = observe::command_info_of(plan);
  s.command = plan.lasting_name();
  s.fanout = target.fanout;
  // A typed command with its keys at fixed positions (GET, SET...) finds its
  // slot here, from the struct, as a batch notes each of its commands'
  // (command_mark()): the router need not parse its bytes back.
  if (!s.refused && !s.batch && s.fanout == Fanout::routed) s.slot = command_mark(plan).slot;
  if (!target.node.empty()) [[unlikely]] {  // Fanout::one_node only
    exec::Bytes& node = s.extra().node;
    node = exec::Bytes::pooled();
    node.buffer().assign(target.node);
  }
  s.resp2 = node_config.protocol == Protocol::resp2;
  if (target.options) [[unlikely]]
    s.extra().options = *target.options;
  if (observe::observed(node_config) && !s.refused) [[unlikely]] {
    const observe::Arguments args(s.bytes.view());
    s.extra().probe.start(node_config, observe::Shape{s.command, s.info, plan.replies(), s.flags}, args, false);
  }
  return s;
}

// Decodes one reply into T through the same decoder a single node uses.
template <class T>
std::error_code decode_reply(const Reply& r, T& out, exec::Reason& why) {
  adapt::ResponseVisitor<T> v;
  replay(r, v);
  std::error_code ec = exec::internal::failure_of(v, why);
  if (!ec) out = v.take();
  return ec;
}

template <class R>
std::error_code decode_result(JobResult& jr, R& out, exec::Reason& why, std::string& endpoint) {
  if constexpr (is_per_node_v<R>) {
    using T = std::remove_cvref_t<decltype(out.entries.front().value)>;
    const Reply& reply = jr.reply_or_null();
    if (!jr.per_node || !reply.is_map()) return make_error_code(errc::unexpected_reply_type);
    out.entries.reserve(reply.size());
    for (std::size_t i = 0; i < reply.size(); ++i) {
      NodeValue<T> e{std::string(reply.key(i).as_string()), T{}};
      if (auto ec = decode_reply(reply.value(i), e.value, why)) {
        endpoint = e.node;
        return ec;
      }
      out.entries.push_back(std::move(e));
    }
    return {};
  } else {
    return decode_reply(jr.reply_or_null(), out, why);
  }
}

// The replies of a batch (one array, error replies kept) through the batch's
// own decoder, as if they had come from one connection.
template <class Decoder, class R>
std::error_code decode_batch(JobResult& jr, R& out, exec::Reason& why, std::string_view bytes, bool resp2) {
  const Reply& reply = jr.reply_or_null();
  if (!reply.is_array()) return make_error_code(errc::unexpected_reply_type);
  if constexpr (std::is_same_v<Decoder, exec::ReplyCollector>) {
    // A batch of generic replies (call(), a dynamic batch): the parts'
    // replies are Replies already, moved into the result rather than
    // replayed into new ones.
    out = std::move(*jr.reply).take_elements();
    if (resp2) [[unlikely]] {
      exec::Resp3Shapes shapes{bytes};
      exec::ReplyCollector::to_resp3(out, shapes);
    }
    return {};
  }
  Decoder d(static_cast<std::uint32_t>(reply.size()));
  struct Forward final : resp::Visitor {
    explicit Forward(Decoder& dec) : d(dec) {}
    void on_node(const resp::Node& n) override { d.on_node(n); }
    void on_message_end() override { d.on_reply_end(); }
    Decoder& d;
  } forward{d};
  for (const Reply& e : reply.elements()) replay(e, forward);
  std::error_code ec = d.finish(out, why);
  if constexpr (exec::shapes_replies<Decoder>) {
    if (!ec && resp2) [[unlikely]] {
      exec::Resp3Shapes shapes{bytes};
      d.to_resp3(out, shapes);
    }
  }
  return ec;
}

// A failed job's Diagnostics and, for a throwing token, its exception
// (TypedJob::conclude()): `why` takes the job's detail for a failure without
// a reply. The same for every reply type, so compiled once in the library.
VALKEY_CPP_EXPORT void report_failure(std::error_code ec, exec::Reason& why, JobResult& jr, std::string_view command_name,
                                      std::string_view bytes, std::string_view endpoint, Diagnostics* diag,
                                      std::exception_ptr* failure);

// The typed half every cluster job shares: the command's name and the
// observer's probe, the decoder a reply one node answers streams into, and
// conclude(), which turns the router's result into R, ends the probe and
// fills Diagnostics. Decoder: void for one command, else the batch decoder.
template <class R, class Decoder = void>
class TypedJob : public Job {
 public:
  std::string_view command_name;  // static storage, or empty
  observe::Probe probe;

  // One reply decoded as it arrives (Job::reply_visitor()); answers per
  // node and batches go through a built Reply.
  resp::Visitor* reply_visitor() override {
    if constexpr (kStreams) return &visitor_.emplace();
    else return nullptr;
  }

  // Moves the fields of `s` (encoded on the caller's thread) into this
  // fresh job: its extras only when it has them, the job's own being empty.
  void adopt(JobSetup&& s) {
    bytes = std::move(s.bytes);
    flags = s.flags;
    command_name = s.command;
    fanout = s.fanout;
    refused = s.refused;
    batch = s.batch;
    info = s.info;
    slot = s.slot;
    resp2_ = s.resp2;
    if (s.extras) [[unlikely]] {
      JobSetupExtras& x = *s.extras;
      node = std::move(x.node);
      marks = std::move(x.marks);
      options = std::move(x.options);
      if (x.probe.armed()) probe = std::move(x.probe);
      cache = std::move(x.cache);
    }
  }

 protected:
  explicit TypedJob(Diagnostics* d) noexcept : diag_(d) {}
  ~TypedJob() = default;

  // The outcome of `jr` (the job's own result: read before the job ends):
  // the error, `value` on success; with `failure`, the exception a throwing
  // token delivers. Always inlined into the two complete()s: called, it
  // costs a routed GET about 25 instructions, and g++ stops inlining it on
  // its own with small changes to what it calls.
  [[gnu::always_inline]] std::error_code conclude(JobResult& jr, R& value, std::exception_ptr* failure) {
    exec::Reason why;
    std::error_code ec = jr.ec;
    std::string_view endpoint = jr.endpoint;  // the job's parts are still there
    std::string failed_node;                  // an answer per node that did not decode: its node
    if (!ec) {
      if constexpr (kStreams) {
        if (jr.streamed) {
          ec = exec::internal::failure_of(*visitor_, why);
          if (!ec) value = visitor_->take();
          // A read through the cache, answered on the connection that tracks
          // it: stored (unless invalidated meanwhile) before the caller sees it.
          if (!ec && jr.cacheable && cache) [[unlikely]]
            cache->commit();
        } else {
          ec = decode_result(jr, value, why, failed_node);
        }
      } else if constexpr (std::is_void_v<Decoder>) {
        ec = decode_result(jr, value, why, failed_node);
      } else {
        ec = decode_batch<Decoder>(jr, value, why, bytes.view(), resp2_);
      }
      if constexpr (std::is_void_v<Decoder>) {
        if (!ec && resp2_) [[unlikely]]
          shape_resp2(value);
      }
    }
    if (!failed_node.empty()) [[unlikely]]
      endpoint = failed_node;
    if (probe.armed()) [[unlikely]]
      probe.end(ec, why.server_message, endpoint);
    if (ec) [[unlikely]] {
      report_failure(ec, why, jr, command_name, bytes.view(), endpoint, diag_, failure);
      value = R{};
    } else {
      exec::clear(diag_);
    }
    return ec;
  }

 private:
  // A generic reply read over RESP2 in its RESP3 shape, as the single-node
  // clients give it (one command's, or each node's answer to it).
  void shape_resp2(R& value) {
    if constexpr (std::is_same_v<R, Reply>) {
      exec::Resp3Shapes shapes{bytes.view()};
      shapes.apply_next(value);
    } else if constexpr (is_per_node_v<R>) {
      if constexpr (std::is_same_v<typename R::value_type, NodeValue<Reply>>) {
        for (auto& e : value.entries) {
          exec::Resp3Shapes shapes{bytes.view()};
          shapes.apply_next(e.value);
        }
      }
    }
  }

  bool resp2_ = false;
  static constexpr bool kStreams = std::is_void_v<Decoder> && !is_per_node_v<R>;
  template <bool Streams, class = void>
  struct VisitorSlot {
    using type = std::optional<adapt::ResponseVisitor<R>>;
  };
  template <class Unused>
  struct VisitorSlot<false, Unused> {
    struct type {};
  };
  Diagnostics* diag_;
  [[no_unique_address]] typename VisitorSlot<kStreams>::type visitor_;
};

// An asynchronous cluster request: a TypedJob plus the caller's completion
// handler.
template <class R, class Handler, bool Throws, class Decoder = void>
class ClusterOp final : public TypedJob<R, Decoder> {
 public:
  using slot_type = asio::associated_cancellation_slot_t<Handler>;

  template <class H>
  ClusterOp(H&& h, Diagnostics* d, const Router::executor_type& home)
      : TypedJob<R, Decoder>(d),
        handler_(std::forward<H>(h)),
        slot_(asio::get_associated_cancellation_slot(handler_)),
        work_(handler_, home) {}

  // Once submitted: the handler's cancellation slot, when it has one,
  // cancels the job through the router (Router::cancel()).
  void arm_cancellation(Router& router) {
    if (slot_.is_connected())
      slot_.assign([this, &router](asio::cancellation_type type) { router.cancel(*this, type); });
  }

  void complete(JobResult&& jr) override {
    if (slot_.is_connected()) slot_.clear();
    R value{};
    std::exception_ptr failure;
    const std::error_code ec = this->conclude(jr, value, Throws ? &failure : nullptr);
    Handler h = std::move(handler_);
    // Released after the completion is queued on the handler's executor,
    // not with this state before it.
    const Work work = std::move(work_);
    if (work.at_home()) {
      // complete() runs on the router's executor (in a connection's handler
      // or one the router posted): this is what asio::dispatch would do,
      // without its type-erased wrapping and its allocation.
      destroy(this);
      if constexpr (Throws) std::move(h)(failure, std::move(value));
      else std::move(h)(ec, std::move(value));
      return;
    }
    // Taken before destroy(): the job holds the router until then.
    auto ex = work.executor(this->router_executor());
    destroy(this);
    // One lambda per signature: a capture the discarded branch alone used
    // would be unused (clang's -Wunused-lambda-capture).
    if constexpr (Throws) {
      asio::dispatch(ex, [h = std::move(h), failure, value = std::move(value)]() mutable {
        std::move(h)(failure, std::move(value));
      });
    } else {
      asio::dispatch(ex, [h = std::move(h), ec, value = std::move(value)]() mutable {
        std::move(h)(ec, std::move(value));
      });
    }
  }

  // Allocated with the handler's associated allocator, by default from the
  // per-thread blocks of op_memory.hpp.
  template <class H>
  static ClusterOp* create(H&& h, Diagnostics* d, const Router::executor_type& home) {
    return exec::new_op<ClusterOp, OpAllocator<void>>(h, std::forward<H>(h), d, home);
  }

 private:
  static void destroy(ClusterOp* p) { exec::delete_op<ClusterOp, OpAllocator<void>>(p, p->handler_); }

  using Work = exec::HandlerWork<Handler, Router::executor_type>;

  Handler handler_;
  slot_type slot_;
  Work work_;
};

// Creates the operation and hands it to the router. Call on the router's executor.
template <class R, bool Throws, class Decoder = void, class Handler>
void start_job(Router& router, Handler&& handler, JobSetup&& s, Diagnostics* diag) {
  using Op = ClusterOp<R, std::decay_t<Handler>, Throws, Decoder>;
  Op* op = Op::create(std::forward<Handler>(handler), diag, router.get_executor());
  op->adopt(std::move(s));
  router.submit(*op);  // never completes inside: op is still there
  op->arm_cancellation(router);
}

// A request whose caller waits on its own thread until the router is done
// with it (ClusterClient, through its SyncDriver): it lives in the caller's
// frame, so nothing is allocated for it, and its encoded bytes go back to
// the caller's pool.
template <class R, class Decoder = void>
class WaitingJob final : public TypedJob<R, Decoder> {
 public:
  // `failure`: set, on failure, to the exception a throwing call raises
  // (null for a call that reports in an error_code).
  WaitingJob(Diagnostics* d, SyncDriver& driver, std::exception_ptr* failure = nullptr) noexcept
      : TypedJob<R, Decoder>(d), driver_(driver), failure_(failure) {}
  ~WaitingJob() = default;

  void complete(JobResult&& jr) override {
    ec_ = this->conclude(jr, value_, failure_);
    // The parts hold the router's connections and timers: they end here,
    // on the driving thread, not in the caller's frame after it returned.
    this->drop_parts();
    driver_.completed(ticket_);  // the caller may return from here on
  }

  // Submits the job and returns once complete() ran; then the outcome is
  // the caller's.
  void run() { driver_.run(*this, ticket_); }
  std::error_code error() const noexcept { return ec_; }
  R take() { return std::move(value_); }

 private:
  SyncDriver& driver_;
  std::exception_ptr* failure_;
  SyncDriver::Ticket ticket_;
  std::error_code ec_;
  R value_{};
};

template <class R, bool Throws, class Decoder>
struct InitiateJob {
  template <class Handler>
  // `setup` by reference: the token's stored copy moves into the job once.
  void operator()(Handler&& handler, Router* router, JobSetup&& setup, Diagnostics* diag) const {
    start_job<R, Throws, Decoder>(*router, std::forward<Handler>(handler), std::move(setup), diag);
  }
};

// Runs `plan` on the router with an Asio completion token (call on the
// router's executor).
template <class R, class Plan, class Token>
auto run_async(Router& router, Plan&& plan, Target target, Diagnostics* diag, Token&& token) {
  constexpr bool throws = exec::throws_v<std::decay_t<Token>>;
  using Decoder = std::conditional_t<is_batch_plan_v<std::remove_cvref_t<Plan>>, batch_decoder_t<Plan>, void>;
  JobSetup setup = make_setup(std::forward<Plan>(plan), target, router.config().node);
  if constexpr (exec::is_use_future_v<std::decay_t<Token>>) {
    return exec::launch_future<R>(token, [&](auto&& fulfil) {
      start_job<R, true, Decoder>(router, std::move(fulfil), std::move(setup), diag);
    });
  } else {
    return asio::async_initiate<Token, exec::signature_t<Token, R>>(InitiateJob<R, throws, Decoder>{}, token, &router,
                                                                    std::move(setup), diag);
  }
}

}  // namespace valkey::cluster
