#pragma once
// RESP2 replies in their RESP3 shape. A valkey::Reply that a command returns
// over a RESP2 connection (call(), exec<Reply>, the generic typed commands,
// the Reply entries of batches) is rewritten where the command's RESP3 reply
// differs: a flat array becomes a map, an array a set, a bulk string a
// double, a flat array of pairs an array of [a, b] arrays, as the generated
// table (generated/src/resp3_shapes.cpp, from the specs' reply_schema)
// says. So code and tools see one shape on both protocols. Typed decoders
// never come here: they read both forms already. A reply that does not have
// the form the rule expects (an odd count for a map, a score that is not a
// number) is left as it is at that place, never an error.
//
// Nothing here runs on RESP3 connections: the executors look up the shape
// only after the connection says it speaks RESP2 (docs/commands.md).
#include <cstdint>
#include <span>
#include <string_view>

#include <valkey/export.hpp>
#include <valkey/reply.hpp>
#include <valkey/view.hpp>

namespace valkey {

namespace detail {

// One row of the generated table. Rows of one command are tried in order:
// `token` (non-empty: present among the arguments after the first one,
// ASCII case-insensitive), `min_argc` (at least that many words, the name
// included), the row with neither last. `shape`: the grammar in
// generator/valkeygen/resp3.py ("M." a map, "P.d" pairs with a double...).
struct Resp3ShapeRow {
  std::string_view name;  // upper case; "CONFIG GET" for a subcommand
  std::string_view token;
  std::uint8_t min_argc;
  std::string_view shape;
};

// The generated table, sorted by name.
VALKEY_CPP_EXPORT std::span<const Resp3ShapeRow> resp3_shape_rows() noexcept;

// Rewrites `r` by `shape`, in place. Exposed for the tests.
VALKEY_CPP_EXPORT void apply_resp3_shape(Reply& r, std::string_view shape);

}  // namespace detail

namespace exec {

// The shape of one command's reply ("" when RESP2 and RESP3 answer alike).
VALKEY_CPP_EXPORT std::string_view resp3_shape_of(std::span<const std::string_view> argv) noexcept;

// The encoded commands of a request, one after the other: the shape of the
// next one's reply (a RESP2 connection; see SingleReply::to_resp3()).
class VALKEY_CPP_EXPORT Resp3Shapes {
 public:
  // `bytes`: RESP arrays of bulk strings, as the Writer encodes commands.
  explicit Resp3Shapes(std::string_view bytes) noexcept : bytes_(bytes) {}
  // A single command given as its arguments.
  explicit Resp3Shapes(Strings argv) noexcept : argv_(argv), single_(true) {}

  // The shape of the next command's reply; "" after the last one or for
  // bytes that are not commands.
  std::string_view next();
  // Applies the next command's shape to `r`.
  void apply_next(Reply& r) {
    if (std::string_view s = next(); !s.empty()) detail::apply_resp3_shape(r, s);
  }

 private:
  std::string_view bytes_;
  Strings argv_;
  bool single_ = false;
};

// Whether a request's decoder holds Reply values to shape (see above).
template <class Decoder>
concept shapes_replies = requires(Decoder& d, typename Decoder::result_type& out, Resp3Shapes& s) {
  d.to_resp3(out, s);
};

}  // namespace exec

}  // namespace valkey
