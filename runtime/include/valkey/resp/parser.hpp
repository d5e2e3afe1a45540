#pragma once
/// \class valkey::resp::Parser
/// Incremental, I/O-free RESP3/RESP2 parser (in the spirit of hiredis' reader):
/// fed bytes in any chunking, it emits nodes to a Visitor. It never copies a
/// payload: a node is emitted only once its bytes are all in the input, and the
/// caller keeps unconsumed bytes and passes them again with more appended.
///
/// No recursion: open aggregates live on an explicit stack bounded by
/// Limits::max_depth, so a hostile 100,000-deep reply is refused cleanly.
/// A partial line is not rescanned from its start on the next call (the parser
/// remembers how far it looked for CRLF), and a bulk string's header is consumed
/// as soon as it is complete, so a large body costs one length check per feed.
#include <cstddef>
#include <string_view>
#include <system_error>
#include <vector>

#include <valkey/export.hpp>
#include <valkey/resp/limits.hpp>
#include <valkey/resp/node.hpp>
#include <valkey/resp/visitor.hpp>

namespace valkey::resp {

class VALKEY_CPP_EXPORT Parser {
 public:
  /// A parser that refuses input beyond `limits` (Limits).
  explicit Parser(Limits limits = {});

  /// Parses as many complete nodes of the current message as `input` holds and
  /// stops right after the message ends (it never starts the next one).
  /// Returns the number of bytes consumed; the caller drops them and calls again
  /// with the rest plus newly read bytes. On a protocol error or a violated
  /// limit, sets `ec` (`valkey::errc::protocol_*` codes) and the parser must be
  /// reset() before reuse; the stream cannot be resynchronised (until then every
  /// consume() returns 0 with the same error).
  ///
  /// The visitor must not throw; if it does, reset() the parser before reuse.
  std::size_t consume(std::string_view input, Visitor& visitor, std::error_code& ec);

  /// True when the last consume() completed a top-level message. The next
  /// consume() starts a new message.
  bool message_complete() const noexcept { return complete_; }

  /// A lower bound on the bytes needed before consume() can make progress
  /// (for example a bulk string's whole body); lets callers size reads.
  std::size_t bytes_needed_hint() const noexcept { return needed_; }

  /// True between messages: no part of a message is buffered in the parser's
  /// state (the last message completed, or nothing was consumed yet).
  bool idle() const noexcept {
    return complete_ || (message_bytes_ == 0 && !body_pending_ && pending_.empty());
  }

  /// Forgets the message in progress and any error: the next consume() starts afresh.
  void reset() noexcept;
  /// The limits it enforces.
  const Limits& limits() const noexcept { return limits_; }

 private:
  struct Frame {
    std::size_t remaining;  // child nodes still expected
    bool attribute;         // an attribute's elements: completing it completes no element
  };

  std::size_t fail(std::error_code& ec, int code) noexcept;
  // One non-attribute element finished; pops finished aggregates. True when
  // it was the last element of the top-level message.
  bool element_done() noexcept;

  Limits limits_;
  std::vector<Frame> pending_;        // open aggregates, innermost last
  std::size_t message_bytes_ = 0;     // bytes of the current message consumed so far
  std::size_t needed_ = 0;
  std::size_t scanned_ = 0;           // bytes of the current partial line known to hold no CR
  std::size_t body_length_ = 0;       // length of the pending bulk body
  int error_ = 0;                     // sticky valkey::errc value after a failure
  Type body_type_ = Type::bulk_string;
  bool body_pending_ = false;         // header of a bulk/verbatim/blob error consumed, body not yet
  bool complete_ = false;
};

}  // namespace valkey::resp
