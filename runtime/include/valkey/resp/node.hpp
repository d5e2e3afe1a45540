#pragma once
/// \struct valkey::resp::Node
/// One parsed RESP element, as the parser hands it to a visitor. Nodes arrive
/// in pre-order: an aggregate's header node first, then its children.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <valkey/export.hpp>

namespace valkey::resp {

/// The RESP type of a node; each value shows its form on the wire.
enum class Type : std::uint8_t {
  simple_string,    ///< `+OK`
  simple_error,     ///< `-ERR ...`
  integer,          ///< `:42`
  bulk_string,      ///< `$3 foo`
  null,             ///< `_`  (also RESP2 `$-1` and `*-1`)
  double_,          ///< `,3.14`  `,inf`  `,-inf`  `,nan`
  boolean,          ///< `#t`  `#f`
  blob_error,       ///< `!21 SYNTAX invalid syntax`
  verbatim_string,  ///< `=15 txt:Some string`  (value keeps the "txt:" prefix)
  big_number,       ///< `(3492890328409238509324850943850943825024385`
  array,            ///< `*N`
  map,              ///< <tt>\%N</tt>  (N pairs, 2N children)
  set,              ///< `~N`
  attribute,        ///< `|N`  (N pairs; describes the reply that follows it)
  push,             ///< `>N`  (out-of-band: pub/sub messages, invalidations)
};

/// Whether `t` is an aggregate: array, map, set, attribute or push.
constexpr bool is_aggregate(Type t) noexcept {
  return t == Type::array || t == Type::map || t == Type::set || t == Type::attribute ||
         t == Type::push;
}
/// Whether `t` is an error: simple_error or blob_error.
constexpr bool is_error(Type t) noexcept {
  return t == Type::simple_error || t == Type::blob_error;
}
/// Number of child nodes an aggregate header announces.
constexpr std::size_t child_count(Type t, std::size_t aggregate_size) noexcept {
  return (t == Type::map || t == Type::attribute) ? 2 * aggregate_size : aggregate_size;
}

/// The enumerator's name ("bulk_string"; "double" for double_).
VALKEY_CPP_EXPORT std::string_view to_string(Type t) noexcept;

struct Node {
  Type type;  ///< the element's RESP type
  /// Aggregates: the count in the header (pairs for map and attribute).
  /// Everything else: 1.
  std::size_t aggregate_size;
  /// 0 for the top-level element of a message, parent depth + 1 for children.
  /// The elements of an attribute are at the attribute's depth + 1; the reply
  /// the attribute describes comes next, at the attribute's own depth.
  std::size_t depth;
  /// The payload for scalars (bulk and verbatim bodies, the text of a line);
  /// empty for aggregates and null. Valid only during the visitor call.
  /// Numbers keep their text here too, exactly as received.
  std::string_view value;
  /// The number the parser already read while validating the line, so that
  /// decoders do not parse it again. integer: its value; aggregates: the count
  /// in the header (== aggregate_size); boolean: 1 for `#t`, 0 for `#f`; every
  /// other type: 0. Big numbers may not fit and stay text only (value).
  std::int64_t integer = 0;
  /// double: its value (inf, -inf and nan included; beyond the double range it
  /// reads as +/-inf, below it as 0). Every other type: 0.
  double number = 0;
};

}  // namespace valkey::resp
