#pragma once
// The typed half of a cluster request: a plan (a typed command, call()'s
// arguments) is encoded on the caller's thread into a Job, the router routes
// and combines it into one Reply, and ClusterOp decodes that Reply into the
// caller's type (Cmd::reply_type, Reply, or PerNode<T> for answers per node)
// and completes the caller's handler the way exec/async.hpp does for a
// single node: void(std::error_code, R), or void(std::exception_ptr, R) for
// the tokens that throw, with the same Diagnostics text.
#include <exception>
#include <future>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <asio/associated_allocator.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/recycling_allocator.hpp>

#include <valkey/cluster/per_node.hpp>
#include <valkey/cluster/router.hpp>
#include <valkey/command.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/exec/async.hpp>
#include <valkey/exec/call_options.hpp>
#include <valkey/exec/decoders.hpp>
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

// A request encoded and ready for the router.
struct JobSetup {
  bool batch = false;  // several commands (a pipeline or batch)
  exec::Bytes bytes;
  CommandFlag flags = CommandFlag::none;
  std::string_view command;  // static storage, or empty: read from the bytes
  Fanout fanout = Fanout::routed;
  std::string node;
  std::error_code refused;
  exec::CallOptions options;
  const CommandInfo* info = nullptr;  // a typed command's metadata: routed without a lookup by name
  observe::Probe probe;  // armed on the caller's thread when an observer is set
};

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
  s.flags = plan.flags();
  s.info = observe::command_info_of(plan);
  s.command = plan.lasting_name();
  s.fanout = target.fanout;
  s.node = std::string(target.node);
  if (target.options) [[unlikely]]
    s.options = *target.options;
  if (observe::observed(node_config) && !s.refused) [[unlikely]] {
    const observe::Arguments args(s.bytes.view());
    s.probe.start(node_config, observe::Shape{s.command, s.info, plan.replies(), s.flags},
                  args, false);
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
    if (!jr.per_node || !jr.reply.is_map()) return make_error_code(errc::unexpected_reply_type);
    out.entries.reserve(jr.reply.size());
    for (std::size_t i = 0; i < jr.reply.size(); ++i) {
      NodeValue<T> e{std::string(jr.reply.key(i).as_string()), T{}};
      if (auto ec = decode_reply(jr.reply.value(i), e.value, why)) {
        endpoint = e.node;
        return ec;
      }
      out.entries.push_back(std::move(e));
    }
    return {};
  } else {
    return decode_reply(jr.reply, out, why);
  }
}

// The replies of a batch (one array, error replies kept) through the batch's
// own decoder, as if they had come from one connection.
template <class Decoder, class R>
std::error_code decode_batch(const JobResult& jr, R& out, exec::Reason& why) {
  if (!jr.reply.is_array()) return make_error_code(errc::unexpected_reply_type);
  Decoder d(static_cast<std::uint32_t>(jr.reply.size()));
  struct Forward final : resp::Visitor {
    explicit Forward(Decoder& dec) : d(dec) {}
    void on_node(const resp::Node& n) override { d.on_node(n); }
    void on_message_end() override { d.on_reply_end(); }
    Decoder& d;
  } forward{d};
  for (const Reply& e : jr.reply.elements()) replay(e, forward);
  return d.finish(out, why);
}

// Decoder: void for one command, else the batch decoder.
template <class R, class Handler, bool Throws, class Decoder = void>
class ClusterOp final : public Job {
 public:
  template <class H>
  ClusterOp(H&& h, Diagnostics* d, asio::any_io_executor ex)
      : handler_(std::forward<H>(h)), diag_(d), ex_(std::move(ex)) {}

  std::string_view command_name;  // static storage, or empty
  observe::Probe probe;

  // One reply decoded as it arrives (Job::reply_visitor()); answers per
  // node and batches go through a built Reply.
  resp::Visitor* reply_visitor() override {
    if constexpr (kStreams) return &visitor_.emplace();
    else return nullptr;
  }

  void complete(JobResult&& jr) override {
    R value{};
    exec::Reason why;
    std::error_code ec = jr.ec;
    std::string endpoint = std::move(jr.endpoint);
    if (!ec) {
      if constexpr (kStreams) {
        if (jr.streamed) {
          ec = exec::internal::failure_of(*visitor_, why);
          if (!ec) value = visitor_->take();
        } else {
          ec = decode_result(jr, value, why, endpoint);
        }
      } else if constexpr (std::is_void_v<Decoder>) {
        ec = decode_result(jr, value, why, endpoint);
      } else {
        ec = decode_batch<Decoder>(jr, value, why);
      }
    }
    else why.detail = std::move(jr.detail);
    if (probe.armed()) [[unlikely]]
      probe.end(ec, why.server_message, endpoint);
    std::exception_ptr failure;
    if (ec) {
      const std::string_view command = command_name.empty() ? exec::first_command(bytes.view()) : command_name;
      const exec::Failure f{ec, &why, command, endpoint, jr.connection_error, jr.written};
      if (diag_) exec::fill(*diag_, f);
      if constexpr (Throws) failure = exec::to_exception(f);
      value = R{};
    } else {
      exec::clear(diag_);
    }
    Handler h = std::move(handler_);
    auto ex = asio::get_associated_executor(h, ex_);
    bool same_executor = false;
    if constexpr (std::is_same_v<decltype(ex), asio::any_io_executor>) same_executor = ex == ex_;
    destroy(this);
    if (same_executor) {
      // complete() runs in a handler the router posted to its executor: this
      // is what asio::dispatch would do, without its type-erased wrapping
      // (an allocation that also evicts this op's block from Asio's cache).
      if constexpr (Throws) std::move(h)(failure, std::move(value));
      else std::move(h)(ec, std::move(value));
      return;
    }
    asio::dispatch(ex, [h = std::move(h), ec, failure, value = std::move(value)]() mutable {
      if constexpr (Throws) std::move(h)(failure, std::move(value));
      else std::move(h)(ec, std::move(value));
    });
  }

 public:
  // Allocated with the handler's associated allocator (Asio's per-thread
  // recycling allocator by default), as exec/async.hpp's AsyncOp is.
  template <class H>
  static ClusterOp* create(H&& h, Diagnostics* d, asio::any_io_executor ex) {
    auto alloc = rebound(asio::get_associated_allocator(h, asio::recycling_allocator<void>()));
    ClusterOp* p = std::allocator_traits<decltype(alloc)>::allocate(alloc, 1);
    try {
      return new (p) ClusterOp(std::forward<H>(h), d, std::move(ex));
    } catch (...) {
      std::allocator_traits<decltype(alloc)>::deallocate(alloc, p, 1);
      throw;
    }
  }

 private:
  template <class A>
  static auto rebound(const A& a) {
    return typename std::allocator_traits<A>::template rebind_alloc<ClusterOp>(a);
  }
  static void destroy(ClusterOp* p) {
    auto alloc = rebound(asio::get_associated_allocator(p->handler_, asio::recycling_allocator<void>()));
    p->~ClusterOp();
    std::allocator_traits<decltype(alloc)>::deallocate(alloc, p, 1);
  }

  static constexpr bool kStreams = std::is_void_v<Decoder> && !is_per_node_v<R>;
  template <bool Streams, class = void>
  struct VisitorSlot {
    using type = std::optional<adapt::ResponseVisitor<R>>;
  };
  template <class Unused>
  struct VisitorSlot<false, Unused> {
    struct type {};
  };
  Handler handler_;
  Diagnostics* diag_;
  asio::any_io_executor ex_;
  [[no_unique_address]] typename VisitorSlot<kStreams>::type visitor_;
};

// Creates the operation and hands it to the router. Call on the router's executor.
template <class R, bool Throws, class Decoder = void, class Handler>
void start_job(Router& router, Handler&& handler, JobSetup&& s, Diagnostics* diag) {
  using Op = ClusterOp<R, std::decay_t<Handler>, Throws, Decoder>;
  Op* op = Op::create(std::forward<Handler>(handler), diag, router.get_executor());
  op->bytes = std::move(s.bytes);
  op->flags = s.flags;
  op->command_name = s.command;
  op->fanout = s.fanout;
  op->node = std::move(s.node);
  op->refused = s.refused;
  op->batch = s.batch;
  op->options = std::move(s.options);
  op->info = s.info;
  op->probe = std::move(s.probe);
  router.submit(*op);
}

template <class R, bool Throws, class Decoder>
struct InitiateJob {
  template <class Handler>
  void operator()(Handler&& handler, Router* router, JobSetup setup, Diagnostics* diag) const {
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
    std::promise<R> promise(std::allocator_arg, token.get_allocator());
    std::future<R> future = promise.get_future();
    start_job<R, true, Decoder>(
        router,
        [p = std::move(promise)](std::exception_ptr failure, R value) mutable {
          if (failure) p.set_exception(std::move(failure));
          else p.set_value(std::move(value));
        },
        std::move(setup), diag);
    return future;
  } else {
    return asio::async_initiate<Token, exec::signature_t<Token, R>>(InitiateJob<R, throws, Decoder>{}, token, &router,
                                                                    std::move(setup), diag);
  }
}

}  // namespace valkey::cluster
