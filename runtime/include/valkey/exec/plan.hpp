#pragma once
// What becomes a request: a command struct, an argument list (`Strings`), or
// a batch a builder collected. A plan knows its decoder, flags, reply count
// and name, and writes its bytes either straight into a buffer (synchronous
// calls, whose arguments outlive the request) or into bytes the request owns
// (asynchronous ones, encoded before initiation).
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <valkey/command.hpp>
#include <valkey/exec/bytes.hpp>
#include <valkey/exec/command_mark.hpp>
#include <valkey/exec/decoders.hpp>
#include <valkey/resp/writer.hpp>
#include <valkey/view.hpp>

namespace valkey::exec {

// SELECT would move a shared connection to another database behind the
// multiplexer's back (it tracks the database to write SELECT itself; see
// Client::database()): the single-node clients refuse it with
// invalid_argument, typed or as strings (refusal_of()); the cluster clients
// have their own list of refusals (cluster/route.cpp).
inline bool is_select(std::string_view name) noexcept {
  constexpr std::string_view select = "SELECT";
  if (name.size() != select.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if ((name[i] & ~0x20) != select[i]) return false;  // ASCII letters, either case
  return true;
}

// Encodes `plan` into bytes of its own.
template <class Plan>
Bytes encode_owned(const Plan& plan) {
  Bytes b = Bytes::pooled();
  resp::Writer w(b.buffer());
  plan.write(w);
  return b;
}

// A typed command: Cmd::reply_type, its flags and name from Cmd::info.
template <Command Cmd>
struct CommandPlan {
  using decoder_type = SingleReply<typename Cmd::reply_type>;
  const Cmd& cmd;

  CommandFlag flags() const noexcept { return Cmd::info.flags; }
  std::uint32_t replies() const noexcept { return 1; }
  // Static storage: a request may keep it.
  std::string_view name() const noexcept { return Cmd::info.name; }
  std::string_view lasting_name() const noexcept { return Cmd::info.name; }
  std::error_code refused() const noexcept { return {}; }
  static constexpr bool selects() noexcept { return Cmd::info.name == std::string_view{"SELECT"}; }
  void write(resp::Writer& w) const { encode(cmd, w); }
  Bytes take_bytes() const { return encode_owned(*this); }
};

// A typed command whose reply the caller decodes as R instead of
// Cmd::reply_type (exec<R>(cmd): HGETALL into a std::map, say).
template <class R, Command Cmd>
struct CommandPlanAs : CommandPlan<Cmd> {
  using decoder_type = SingleReply<R>;
};

// Writes `args` as one command.
inline void write_args(resp::Writer& w, Strings args) {
  w.begin_command(args.size());
  args.for_each([&](std::string_view a) { w.arg(a); });
}

// Any command as strings; the reply as T (valkey::Reply for call()).
template <class T>
struct ArgsPlan {
  using decoder_type = SingleReply<T>;
  Strings args;
  CommandFlag flag_set;

  explicit ArgsPlan(Strings a) noexcept : args(a), flag_set(flags_of(a)) {}
  CommandFlag flags() const noexcept { return flag_set; }
  std::uint32_t replies() const noexcept { return 1; }
  // The caller's first argument: valid while the caller's arguments are.
  std::string_view name() const {
    std::string_view first;
    bool seen = false;
    args.for_each([&](std::string_view a) {
      if (!seen) first = a;
      seen = true;
    });
    return first;
  }
  // A request recovers the name from its own bytes.
  std::string_view lasting_name() const noexcept { return {}; }
  std::error_code refused() const noexcept {
    return args.empty() ? make_error_code(errc::invalid_argument) : std::error_code{};
  }
  bool selects() const { return args.size() == 2 && is_select(name()); }
  void write(resp::Writer& w) const { write_args(w, args); }
  Bytes take_bytes() const { return encode_owned(*this); }
};

// Whether `plan` is a SELECT (see is_select()); plans that cannot be: false.
template <class Plan>
bool selects_database(const Plan& plan) noexcept {
  if constexpr (requires { plan.selects(); }) return plan.selects();
  else return false;
}

// Why a single-node client does not send `plan`: its own refusal, or a SELECT.
template <class Plan>
std::error_code refusal_of(const Plan& plan) noexcept {
  if (std::error_code e = plan.refused()) return e;
  if (selects_database(plan)) [[unlikely]]
    return make_error_code(errc::invalid_argument);
  return {};
}

// Commands a pipeline, batch or transaction collected, already encoded.
template <class Decoder>
struct BatchPlan {
  using decoder_type = Decoder;
  std::string bytes;
  std::uint32_t count = 0;           // replies the bytes produce
  std::string_view label;            // "pipeline", "batch", "transaction" (static)
  std::error_code refusal;           // a consumed or empty builder
  std::vector<CommandMark> marks;    // one per command for a target that records them, else empty

  CommandFlag flags() const noexcept { return CommandFlag::none; }
  std::uint32_t replies() const noexcept { return count == 0 ? 1 : count; }
  std::string_view name() const noexcept { return label; }
  std::string_view lasting_name() const noexcept { return label; }
  std::error_code refused() const noexcept { return refusal; }
  void write(resp::Writer& w) const { w.buffer().append(bytes); }
  Bytes take_bytes() { return Bytes(std::move(bytes)); }
};

// PING, whose +PONG decodes as Ok: the first handshake's outcome.
struct PingPlan {
  using decoder_type = SingleReply<Ok>;
  CommandFlag flags() const noexcept { return CommandFlag::none; }
  std::uint32_t replies() const noexcept { return 1; }
  std::string_view name() const noexcept { return "PING"; }
  std::string_view lasting_name() const noexcept { return "PING"; }
  std::error_code refused() const noexcept { return {}; }
  void write(resp::Writer& w) const {
    w.begin_command(1);
    w.arg(std::string_view{"PING"});
  }
  Bytes take_bytes() const { return encode_owned(*this); }
};

}  // namespace valkey::exec
