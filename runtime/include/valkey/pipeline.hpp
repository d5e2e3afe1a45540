#pragma once
/// \file
/// valkey::Pipeline: several commands sent in ONE submit (one write, one
/// request with N expected replies) and their replies decoded into a typed
/// tuple. The builder changes type with every command: each generated method
/// appends the command's reply_type.
///
/// \code
///   auto [name, visits] = co_await valkey::pipeline(c)
///       .hget("user:1", "name")
///       .incr("visits")
///       .exec(asio::use_awaitable);   // std::tuple<std::optional<std::string>, std::int64_t>
///   auto [ok, v] = valkey::pipeline(db).set("k", "v").get("k").exec();   // sync Client
/// \endcode
///
/// Commands are encoded when they are added, into the pipeline's own buffer,
/// so their arguments need not outlive the call that adds them. Adding a
/// command consumes the pipeline it is called on (its buffer moves into the
/// returned one); exec() on a consumed pipeline fails with invalid_argument.
///
/// Errors: every reply is always read (the stream stays in sync). If any
/// command gets an error reply, exec fails with errc::server_error and the
/// FIRST error's text (Diagnostics / ServerError); a decode mismatch fails it
/// with that errc and says which reply. For per-command outcomes use
/// valkey::Batch (dynamic, replies as valkey::Reply, error replies kept as
/// values).
///
/// exec() takes the same tails as the target's own exec (exec::Executor):
/// nothing / ec / ec + Diagnostics on the sync Client, [Diagnostics,] token on
/// the AsyncClient.
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <valkey/command.hpp>
#include <valkey/exec/decoders.hpp>
#include <valkey/exec/executor.hpp>
#include <valkey/exec/plan.hpp>
#include <valkey/reply.hpp>

// The generated methods (pipeline(c).get(...)), when the build has them.
#include <valkey/exec/generated_methods.hpp>

namespace valkey {

class AsyncClient;
class Client;

namespace detail {

// The clients valkey::pipeline() and valkey::transaction() start a batch on.
// Named, not included: this header then needs neither client's header (the
// synchronous one compiles no Asio header; docs/commands.md "Compile time").
template <class C>
concept BatchClient = std::same_as<C, Client> || std::same_as<C, AsyncClient>;

// The encoded commands of a batch and how many replies they produce.
struct Encoded {
  std::string bytes;
  std::uint32_t replies = 0;
  bool consumed = false;  // moved into another builder: exec must refuse
  bool refused = false;   // holds a command refused on its own (SELECT): exec must refuse
  std::vector<exec::CommandMark> marks;  // for a target that records them (exec/command_mark.hpp)
};

// Whether `Target` notes each command of its batches (the cluster clients).
template <class Target, class Plan>
concept MarksCommands = requires(const Plan& plan) {
  { Target::batch_mark(plan) } -> std::same_as<exec::CommandMark>;
};

// Appends what `plan` encodes; one more reply. `Target` void: no marks (a
// transaction, which the cluster router keeps whole).
template <class Target, class Plan>
void append_to(Encoded& e, const Plan& plan) {
  if (plan.refused() || exec::selects_database(plan)) e.refused = true;
  resp::Writer w(e.bytes);
  plan.write(w);
  ++e.replies;
  if constexpr (MarksCommands<Target, Plan>) {
    exec::CommandMark m = Target::batch_mark(plan);
    m.end = e.bytes.size();
    // Room for a typical batch at once: grown from one by doubling, the
    // marks of 48 commands took 7 allocations.
    if (e.marks.empty()) e.marks.reserve(64);
    e.marks.push_back(m);
  }
}

// The plan that sends `e` (consumed or empty: refused with invalid_argument).
template <class Decoder>
exec::BatchPlan<Decoder> batch_plan(Encoded e, std::string_view label) {
  exec::BatchPlan<Decoder> p;
  if (e.consumed || e.refused || e.replies == 0) p.refusal = make_error_code(errc::invalid_argument);
  p.count = e.replies;
  p.bytes = std::move(e.bytes);
  p.marks = std::move(e.marks);
  p.label = label;
  return p;
}

// Plain MULTI ... EXEC framing is added by Transaction (transaction.hpp).
struct PipelineFraming {
  static constexpr std::uint32_t extra_replies = 0;
  static constexpr std::string_view label = "pipeline";
  template <class Collector>
  using collector = Collector;
  static void open(resp::Writer&) {}
  static void close(resp::Writer&) {}
};

}  // namespace detail

/// The type-changing builder shared by Pipeline and Transaction. `Framing`
/// wraps the commands (nothing, or MULTI/EXEC) and adapts the collector.
template <class Framing, class Target, class... Ts>
class BasicBatch : public exec::Executor<BasicBatch<Framing, Target, Ts...>>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<BasicBatch<Framing, Target, Ts...>>
#endif
{
 public:
  /// Marks the builder as a batch builder (exec::Executor).
  using executor_category = exec::batch_builder;
  /// What exec() produces: one element per command, in order.
  using result_type = std::tuple<Ts...>;
  /// Decodes the replies into a result_type.
  using collector_type = typename Framing::template collector<exec::TupleCollector<Ts...>>;

  /// An empty batch on `target`.
  explicit BasicBatch(Target& target) : target_(&target) {
    resp::Writer w(enc_.bytes);
    Framing::open(w);
  }
  /// A batch on `target` holding commands already encoded.
  BasicBatch(Target& target, detail::Encoded enc) : target_(&target), enc_(std::move(enc)) {}

  /// The client the batch is sent on.
  Target& target() const noexcept { return *target_; }
  /// Commands added so far.
  std::size_t size() const noexcept { return sizeof...(Ts); }

  // exec(cmd) / call(args) append a command and return the builder with its
  // reply type added; exec(tail...) sends them (exec::Executor).

 private:
  /// exec::Executor adds the commands and sends them (append(), take_plan()).
  friend class exec::Executor<BasicBatch>;

  template <class Plan>
  BasicBatch<Framing, Target, Ts..., typename Plan::decoder_type::result_type> append(const Plan& plan) {
    // A transaction's commands stay together on one node: no marks.
    using Marker = std::conditional_t<Framing::extra_replies == 0, Target, void>;
    detail::append_to<Marker>(enc_, plan);
    detail::Encoded e{std::move(enc_.bytes), enc_.replies, enc_.consumed, enc_.refused, std::move(enc_.marks)};
    enc_.bytes.clear();
    enc_.consumed = true;
    return {*target_, std::move(e)};
  }
  // The bytes to send, framing closed; consumes the builder.
  exec::BatchPlan<collector_type> take_plan() {
    detail::Encoded e = std::move(enc_);
    enc_.consumed = true;
    if (!e.consumed && e.replies != 0) {
      resp::Writer w(e.bytes);
      Framing::close(w);
      e.replies += Framing::extra_replies;
    }
    return detail::batch_plan<collector_type>(std::move(e), Framing::label);
  }

  Target* target_;
  detail::Encoded enc_;
};

/// A pipeline of typed commands on `Target` (AsyncClient or Client).
template <class Target, class... Ts>
using Pipeline = BasicBatch<detail::PipelineFraming, Target, Ts...>;

/// Starts a pipeline on a client: valkey::pipeline(c).get("a").incr("b").exec(token).
/// (Client or AsyncClient; this header includes neither client's header.)
template <detail::BatchClient C>
Pipeline<C> pipeline(C& c) {
  return Pipeline<C>{c};
}

/// A dynamic pipeline: any number of commands decided at run time, sent in one
/// write. Replies come back as `std::vector<Reply>` with error replies kept as
/// Reply values (r.is_error()), or as `std::vector<T>` for commands of one reply
/// type T (then the first error fails the whole batch, like Pipeline).
///
/// \code
///   valkey::Batch<valkey::Client> b{db};
///   b.add(cmd::Get{"a"}).add({"INCR", "n"}).set("k", "v");   // add() or the generated methods
///   std::vector<valkey::Reply> r = b.exec();                 // or exec(ec[, diag]), exec([diag,] token)
/// \endcode
template <class Target, class T = Reply>
class Batch : public exec::Executor<Batch<Target, T>>
#ifdef VALKEY_HAS_COMMANDS
    , public Commands<Batch<Target, T>>
#endif
{
 public:
  /// Marks the batch as a batch builder (exec::Executor).
  using executor_category = exec::batch_builder;
  /// What exec() produces: one element per command, in order.
  using result_type = std::vector<T>;
  /// Decodes the replies into a result_type.
  using collector_type = std::conditional_t<std::is_same_v<T, Reply>, exec::ReplyCollector, exec::VectorCollector<T>>;

  /// An empty batch on `target`.
  explicit Batch(Target& target) : target_(&target) {}

  /// The client the batch is sent on.
  Target& target() const noexcept { return *target_; }
  /// Commands added since the last exec().
  std::size_t size() const noexcept { return enc_.replies; }
  /// Whether no command was added since the last exec().
  bool empty() const noexcept { return enc_.replies == 0; }

  /// Same as exec(cmd) / call(args): appends, returns this batch.
  template <Command C>
  Batch& add(const C& cmd) {
    return this->exec(cmd);
  }
  /// The same for a command given as its words.
  Batch& add(Strings args) { return this->call(args); }

  // exec(tail...) sends what was added and leaves the batch empty, ready for
  // reuse (exec::Executor).

 private:
  /// exec::Executor adds the commands and sends them (append(), take_plan()).
  friend class exec::Executor<Batch>;

  template <class Plan>
  Batch& append(const Plan& plan) {
    using R = typename Plan::decoder_type::result_type;
    static_assert(std::is_same_v<T, Reply> || std::is_convertible_v<R, T>,
                  "Batch<Target, T>: the command's reply type does not convert to T");
    detail::append_to<Target>(enc_, plan);
    return *this;
  }
  exec::BatchPlan<collector_type> take_plan() {
    detail::Encoded e = std::move(enc_);
    enc_ = {};
    return detail::batch_plan<collector_type>(std::move(e), "batch");
  }

  Target* target_;
  detail::Encoded enc_;
};

}  // namespace valkey
