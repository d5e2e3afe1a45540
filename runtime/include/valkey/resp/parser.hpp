#pragma once
// Incremental, I/O-free RESP3/RESP2 parser (in the spirit of hiredis' reader):
// fed bytes in any chunking, it emits nodes to a Visitor. It never copies a
// payload: a node is emitted only once its bytes are all in the input, and the
// caller keeps unconsumed bytes and passes them again with more appended.
#include <cstddef>
#include <string_view>
#include <system_error>
#include <vector>

#include <valkey/resp/limits.hpp>
#include <valkey/resp/visitor.hpp>

namespace valkey::resp {

class Parser {
 public:
  explicit Parser(Limits limits = {});

  // Parses as many complete nodes of the current message as `input` holds and
  // stops right after the message ends (it never starts the next one).
  // Returns the number of bytes consumed; the caller drops them and calls again
  // with the rest plus newly read bytes. On a protocol error or a violated
  // limit, sets `ec` (valkey::error::protocol_* codes) and the parser must be
  // reset() before reuse; the stream cannot be resynchronised.
  std::size_t consume(std::string_view input, Visitor& visitor, std::error_code& ec);

  // True when the last consume() completed a top-level message. The next
  // consume() starts a new message.
  bool message_complete() const noexcept { return complete_; }

  // A lower bound on the bytes needed before consume() can make progress
  // (for example a bulk string's whole body); lets callers size reads.
  std::size_t bytes_needed_hint() const noexcept { return needed_; }

  void reset() noexcept;
  const Limits& limits() const noexcept { return limits_; }

 private:
  Limits limits_;
  std::vector<std::size_t> pending_;  // children still expected per open aggregate
  std::size_t message_bytes_ = 0;
  std::size_t needed_ = 0;
  bool complete_ = false;
  // (the implementation may add members)
};

}  // namespace valkey::resp
