#pragma once
/// \class valkey::RequestBase
/// valkey::RequestBase: one unit of work on a multiplexed Connection — the
/// encoded bytes of one or more commands and the replies they expect. It is the
/// extension point for everything built on the connection: a single command
/// (AsyncClient/Client exec), a pipeline (N commands, N replies into N
/// decoders), a transaction (MULTI ... EXEC), the handshake and health checks.
///
/// A request lives in its owner's memory (a coroutine frame, an operation
/// state, a stack frame): the connection links it into intrusive lists and never
/// allocates or copies it. It must stay alive until on_complete() ran.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <system_error>

#include <valkey/command_info.hpp>
#include <valkey/resp/node.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey {

class Connection;

class RequestBase {
 public:
  /// The clock of `deadline`.
  using clock = std::chrono::steady_clock;

  /// An idle request, not yet submitted.
  RequestBase() = default;
  /// Not copyable: the connection links the request where it is.
  RequestBase(const RequestBase&) = delete;
  /// Not copy-assignable.
  RequestBase& operator=(const RequestBase&) = delete;

  // ---- set by the owner before submitting ----
  /// Top-level replies the encoded bytes produce (a pipeline of N: N). >= 1.
  std::uint32_t expected_replies = 1;
  /// The command's flags; `readonly` lets the retry policy resend it after a
  /// connection loss (only if reencode() can).
  CommandFlag flags = CommandFlag::none;
  /// Fails the request with errc::timeout when it passes (max(): none). A
  /// request already written is then forgotten: its reply is discarded when it
  /// arrives, so the stream stays in sync.
  clock::time_point deadline = clock::time_point::max();
  /// The database its commands run in (Client::database(n)); -1: the
  /// connection's own (Config::database). The multiplexer writes SELECT before
  /// it only when the connection is in another database (mux/multiplexer.hpp).
  std::int32_t database = -1;

  // ---- called by the connection, on its executor ----
  /// Called with each node of each reply, in order (the parser's pre-order), then
  /// on_reply_end() after each of the expected_replies replies.
  virtual void on_node(const resp::Node& node) = 0;
  /// Called after each of the expected_replies replies (see on_node()).
  virtual void on_reply_end() = 0;
  /// Called exactly once, last. Empty `ec`: every reply arrived (they may still be
  /// server errors: the request's decoders know). Otherwise the request failed
  /// as a whole: connection_lost, timeout, cancelled, not_connected,
  /// connection_closed, a handshake error... Replies already delivered may be
  /// partial. The owner may destroy the request inside this call.
  virtual void on_complete(std::error_code ec) = 0;

  /// Re-encodes the request's commands for a resend (the read-only retry
  /// policy). The default cannot: the request is never resent.
  virtual bool reencode(resp::Writer&) { return false; }

  /// True while the connection holds the request (queued or in flight).
  bool active() const noexcept { return state_ == State::queued || state_ == State::written; }
  /// True once its bytes went to the socket (a cancellation then only
  /// discards the reply; the command may still run on the server).
  bool written() const noexcept { return state_ == State::written; }
  /// True once any of its bytes went to the socket in its latest submission,
  /// still after it completed: whether a failed request may have run
  /// (policy::outcome_of). A resend after a connection loss keeps it set.
  bool was_written() const noexcept { return sent_; }

 protected:
  /// Protected: the owner destroys a request, never through a RequestBase pointer.
  ~RequestBase() = default;

 private:
  /// The connection the request is submitted to.
  friend class Connection;
  /// The connection's multiplexer, which writes the request and routes its replies.
  friend class Multiplexer;
  enum class State : std::uint8_t { idle, queued, written, done };
  enum class DeadlineIndex : std::uint8_t { none, fifo, heap };
  RequestBase* prev_ = nullptr;  // queue links (unwritten requests); next_ also chains completions
  RequestBase* next_ = nullptr;
  RequestBase* dl_prev_ = nullptr;  // the deadline FIFO (requests whose deadlines come in order)
  RequestBase* dl_next_ = nullptr;
  std::size_t begin_ = 0;        // its bytes: positions in the multiplexer's output stream
  std::size_t end_ = 0;
  std::uint64_t seq_ = 0;        // its slot once written
  clock::time_point wait_deadline_ = clock::time_point::max();  // waiting for a connection
  std::error_code result_;       // what on_complete() gets, while a completion is pending
  std::uint32_t heap_index_ = 0; // its place in the deadline heap (out-of-order deadlines)
  State state_ = State::idle;
  DeadlineIndex dl_index_ = DeadlineIndex::none;
  bool internal_ = false;        // health-check requests
  bool retried_ = false;         // resent once already
  bool sent_ = false;            // written in its latest submission (was_written())
};

}  // namespace valkey
