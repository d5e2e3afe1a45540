// libFuzzer target for the RESP parser, Reply building and typed decoders.
//
// Input: byte 0 seeds the chunking and picks the limits, the rest is the
// byte stream from a "server". The stream is parsed message by message:
//   1. whole, into valkey::Reply (ReplyBuilder), recording a digest of nodes;
//   2. in pseudo-random chunks (the connection's read loop: keep the tail,
//      append the next read), again into Reply: same nodes, same messages,
//      same error, same Replies;
//   3. in other chunks, through ResponseVisitor<T> for a rotating set of T.
// Every node's number (Node::integer, Node::number) must agree with its text.
// Any difference between chunkings, a crash, a sanitizer report, a hang or
// unbounded allocation is a bug.
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <valkey/adapt/response.hpp>
#include <valkey/reply.hpp>
#include <valkey/resp/parser.hpp>

namespace {

using valkey::resp::Limits;
using valkey::resp::Node;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_resp_parser: %s\n", what);
  std::abort();
}

// Deterministic chunk sizes from a seed (xorshift).
struct Chunker {
  std::uint32_t state;
  std::size_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    switch (state % 4) {
      case 0: return 1;
      case 1: return 1 + state % 7;
      case 2: return 1 + state % 64;
      default: return 1 + state % 4096;
    }
  }
};

// The number a node carries must be the one its text spells (checked with
// std::from_chars, independent of the parser's own number reading).
void check_numbers(const Node& n) {
  using valkey::resp::Type;
  std::string_view text = n.value;
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);  // from_chars takes no '+'
  switch (n.type) {
    case Type::integer: {
      std::int64_t v = 0;
      const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec != std::errc{} || r.ptr != text.data() + text.size() || v != n.integer)
        fail("integer node holds another number than its text");
      if (n.number != 0) fail("integer node holds a double");
      return;
    }
    case Type::double_: {
      double v = 0;
      const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec == std::errc{} && r.ptr == text.data() + text.size()) {
        if (!(v == n.number || (std::isnan(v) && std::isnan(n.number))))
          fail("double node holds another number than its text");
      } else if (r.ec == std::errc::result_out_of_range) {
        if (!std::isinf(n.number) && n.number != 0) fail("double out of range is neither inf nor 0");
      }
      if (n.integer != 0) fail("double node holds an integer");
      return;
    }
    case Type::boolean:
      if (n.integer != (n.value == "t" ? 1 : 0) || n.number != 0) fail("boolean node holds a wrong number");
      return;
    default:
      if (valkey::resp::is_aggregate(n.type)) {
        if (n.integer < 0 || static_cast<std::uint64_t>(n.integer) != n.aggregate_size)
          fail("aggregate node holds another count than aggregate_size");
      } else if (n.integer != 0) {
        fail("text node holds an integer");
      }
      if (n.number != 0) fail("non-double node holds a double");
  }
}

// Records a digest of every node, then builds the Reply.
class Digesting final : public valkey::resp::Visitor {
 public:
  void on_node(const Node& n) override {
    check_numbers(n);
    mix(static_cast<std::uint64_t>(n.type));
    mix(n.aggregate_size);
    mix(n.depth);
    mix(static_cast<std::uint64_t>(n.integer));
    mix(std::bit_cast<std::uint64_t>(n.number));
    for (char c : n.value) mix(static_cast<unsigned char>(c));
    builder.on_node(n);
  }
  void on_message_end() override {
    mix(0xfeed);
    builder.on_message_end();
  }
  void mix(std::uint64_t v) { digest = (digest ^ v) * 0x100000001b3ull; }
  std::uint64_t digest = 0xcbf29ce484222325ull;
  valkey::ReplyBuilder builder;
};

struct Run {
  std::uint64_t digest = 0;
  std::error_code ec;
  std::vector<valkey::Reply> replies;
};

// Feeds `wire` in chunks (chunk == 0: all at once) like a connection does.
Run run_replies(std::string_view wire, const Limits& limits, std::uint32_t seed, bool chunked) {
  valkey::resp::Parser parser{limits};
  Digesting v;
  Chunker chunker{seed | 1};
  Run r;
  std::string buf;
  std::size_t at = 0;
  while (at < wire.size() && !r.ec) {
    const std::size_t n = chunked ? std::min(chunker.next(), wire.size() - at) : wire.size() - at;
    buf.append(wire.substr(at, n));
    at += n;
    for (;;) {
      const std::size_t used = parser.consume(buf, v, r.ec);
      if (r.ec) break;
      if (used > buf.size()) fail("consumed more than given");
      buf.erase(0, used);
      if (!parser.message_complete()) break;
      if (!v.builder.done()) fail("message complete but reply not done");
      r.replies.push_back(v.builder.take());
      if (buf.empty()) break;
    }
  }
  r.digest = v.digest;
  return r;
}

// Typed decoding: each message gets a fresh ResponseVisitor<T>, T rotating
// through a set of shapes, like the connection's one visitor per request.
class TypedRun {
 public:
  TypedRun(const Limits& limits, std::uint32_t seed) : parser_(limits), chunker_{seed | 1} {}

  std::size_t run(std::string_view wire, std::error_code& ec) {
    std::string buf;
    std::size_t at = 0;
    std::size_t messages = 0;
    start(messages);
    while (at < wire.size() && !ec) {
      const std::size_t n = std::min(chunker_.next(), wire.size() - at);
      buf.append(wire.substr(at, n));
      at += n;
      for (;;) {
        const std::size_t used = parser_.consume(buf, *current_, ec);
        if (ec) break;
        buf.erase(0, used);
        if (!parser_.message_complete()) break;
        check_done();
        start(++messages);
        if (buf.empty()) break;
      }
    }
    return messages;
  }

 private:
  template <class T>
  struct Slot {
    std::optional<valkey::adapt::ResponseVisitor<T>> v;
    valkey::adapt::ResponseBase* start() {
      v.emplace();
      return &*v;
    }
  };

  void start(std::size_t i) {
    switch (i % 8) {
      case 0: current_ = s0_.start(); break;
      case 1: current_ = s1_.start(); break;
      case 2: current_ = s2_.start(); break;
      case 3: current_ = s3_.start(); break;
      case 4: current_ = s4_.start(); break;
      case 5: current_ = s5_.start(); break;
      case 6: current_ = s6_.start(); break;
      default: current_ = s7_.start(); break;
    }
  }
  void check_done() {
    if (!current_->complete()) fail("typed visitor not complete at message end");
    if (current_->is_server_error() && current_->server_message().size() > (1u << 20)) fail("huge message");
  }

  valkey::resp::Parser parser_;
  Chunker chunker_;
  valkey::adapt::ResponseBase* current_ = nullptr;
  Slot<std::string> s0_;
  Slot<std::vector<std::pair<std::string, double>>> s1_;
  Slot<std::map<std::string, std::vector<std::optional<std::string>>>> s2_;
  Slot<std::tuple<std::int64_t, std::string, bool>> s3_;
  Slot<std::optional<std::int64_t>> s4_;
  Slot<std::vector<valkey::Reply>> s5_;
  Slot<std::vector<std::vector<double>>> s6_;
  Slot<valkey::adapt::Ignore> s7_;
};

Limits pick_limits(std::uint8_t b) {
  Limits l;
  if (b & 1) {  // small limits, so that every limit is reachable
    l.max_depth = 8;
    l.max_bulk_length = 64;
    l.max_line_length = 32;
    l.max_aggregate_size = 16;
    l.max_message_bytes = 512;
  }
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  const std::string_view wire{reinterpret_cast<const char*>(data + 1), size - 1};
  const Limits limits = pick_limits(control);
  const std::uint32_t seed = 0x9e3779b9u * (control + 1u);

  const Run whole = run_replies(wire, limits, seed, false);
  const Run split = run_replies(wire, limits, seed, true);
  if (whole.digest != split.digest) fail("chunking changed the nodes");
  if (whole.ec != split.ec) fail("chunking changed the error");
  if (whole.replies.size() != split.replies.size()) fail("chunking changed the message count");
  for (std::size_t i = 0; i < whole.replies.size(); ++i) {
    if (!(whole.replies[i] == split.replies[i])) fail("chunking changed a reply");
    // Exercise the renderers; they must not throw on anything the parser accepts.
    (void)whole.replies[i].to_string();
    (void)whole.replies[i].to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  TypedRun typed{limits, seed ^ 0x5bd1e995u};
  std::error_code ec;
  const std::size_t messages = typed.run(wire, ec);
  if (messages != whole.replies.size()) fail("typed decoding saw a different message count");
  if (ec != whole.ec) fail("typed decoding saw a different error");
  return 0;
}
