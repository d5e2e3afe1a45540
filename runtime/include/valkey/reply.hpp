#pragma once
/// \class valkey::Reply
/// valkey::Reply: a generic, owning RESP value, for commands without a typed
/// reply (modules, `call()`), for tooling, and for tests. Typed results should
/// use the decoders in valkey/adapt/ instead: they fill C++ types straight from
/// parser nodes without building a tree.
///
/// A map keeps its pairs in order as flat children k0, v0, k1, v1, ...; an
/// attribute (RESP3 `|`) that preceded a value is kept on that value.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <valkey/export.hpp>
#include <valkey/resp/node.hpp>
#include <valkey/resp/visitor.hpp>

namespace valkey {

namespace detail {
class ReplyAssembler;
class Resp3Shaper;  // exec/resp3_shape.hpp: RESP2 replies rewritten in place
}

class VALKEY_CPP_EXPORT Reply {
 public:
  /// The RESP type of a value.
  using Type = resp::Type;

  Reply() noexcept = default;  ///< A null value.

  /// \name Factories
  /// Mostly for tests and for building expected values.
  /// @{
  static Reply null() { return Reply{}; }  ///< A null value.
  /// A simple string.
  static Reply simple_string(std::string s) { return Reply{Type::simple_string, std::move(s)}; }
  /// A bulk string.
  static Reply bulk_string(std::string s) { return Reply{Type::bulk_string, std::move(s)}; }
  /// A verbatim string: `format` ("txt", "mkd") and `text`.
  static Reply verbatim_string(std::string_view format, std::string_view text);
  /// A simple error with `message` (without the leading '-').
  static Reply error(std::string message) { return Reply{Type::simple_error, std::move(message)}; }
  /// A blob error with `message`.
  static Reply blob_error(std::string message) { return Reply{Type::blob_error, std::move(message)}; }
  /// A big number from its decimal digits.
  static Reply big_number(std::string digits) { return Reply{Type::big_number, std::move(digits)}; }
  /// An integer.
  static Reply integer(std::int64_t v);
  /// A double.
  static Reply double_(double v);
  /// A boolean.
  static Reply boolean(bool v);
  /// An array of `elements`.
  static Reply array(std::vector<Reply> elements) { return Reply{Type::array, std::move(elements)}; }
  /// A set of `elements`.
  static Reply set(std::vector<Reply> elements) { return Reply{Type::set, std::move(elements)}; }
  /// A push message of `elements`.
  static Reply push(std::vector<Reply> elements) { return Reply{Type::push, std::move(elements)}; }
  /// A map from its pairs.
  /// `flat_pairs` is k0, v0, k1, v1, ...; an odd count throws std::invalid_argument.
  static Reply map(std::vector<Reply> flat_pairs);
  /// @}

  /// The value's RESP type.
  Type type() const noexcept { return type_; }

  /// Whether it is null.
  bool is_null() const noexcept { return type_ == Type::null; }
  /// Whether it is an error: simple or blob.
  bool is_error() const noexcept { return resp::is_error(type_); }
  /// Whether it is a string: simple, bulk or verbatim.
  bool is_string() const noexcept {
    return type_ == Type::simple_string || type_ == Type::bulk_string || type_ == Type::verbatim_string;
  }
  /// Whether it is an integer.
  bool is_integer() const noexcept { return type_ == Type::integer; }
  /// Whether it is a double.
  bool is_double() const noexcept { return type_ == Type::double_; }
  /// Whether it is a boolean.
  bool is_bool() const noexcept { return type_ == Type::boolean; }
  /// Whether it is a big number.
  bool is_big_number() const noexcept { return type_ == Type::big_number; }
  /// Whether it has children: an array, set, push, map or attribute.
  bool is_aggregate() const noexcept { return resp::is_aggregate(type_); }
  /// Whether it is an array, set or push: elements addressed by index.
  bool is_array() const noexcept {
    return type_ == Type::array || type_ == Type::set || type_ == Type::push;
  }
  /// Whether it is a map or an attribute: key/value pairs.
  bool is_map() const noexcept { return type_ == Type::map || type_ == Type::attribute; }

  /// The wire payload of a scalar: the text of a string, error, big number or
  /// double, a verbatim string with its "txt:" prefix. Empty otherwise.
  std::string_view raw() const noexcept { return str_; }

  /// \name Checked conversions
  /// A reply of another shape throws valkey::Error with
  /// errc::unexpected_reply_type (errc::invalid_number for a string that does
  /// not hold a number). They accept the RESP2 spellings the decoders accept.
  /// @{
  std::string_view as_string() const;   ///< strings (verbatim without prefix), big numbers, errors
  std::int64_t as_integer() const;      ///< integer; a string holding an integer
  double as_double() const;             ///< double, integer; a string holding a double
  bool as_bool() const;                 ///< boolean; integer 0/1
  std::string_view error_message() const;  ///< errors only: the text after '-'
  std::string_view verbatim_format() const;  ///< "txt", "mkd"; verbatim strings only
  /// @}

  /// The number of elements of an array/set/push, or of pairs of a map; 0
  /// for scalars.
  std::size_t size() const noexcept { return is_map() ? elements_.size() / 2 : elements_.size(); }
  /// Whether it has no children.
  bool empty() const noexcept { return elements_.empty(); }
  /// All children, a map's flattened.
  const std::vector<Reply>& elements() const noexcept { return elements_; }
  /// Iterates over elements().
  std::vector<Reply>::const_iterator begin() const noexcept { return elements_.begin(); }
  /// The end of elements().
  std::vector<Reply>::const_iterator end() const noexcept { return elements_.end(); }
  /// Moves the children out (as elements() lists them), leaving none here:
  /// an aggregate's elements kept without a copy of each.
  std::vector<Reply> take_elements() && noexcept { return std::move(elements_); }
  /// Element i of an array/set/push (throws std::out_of_range, or valkey::Error
  /// for a non-array).
  const Reply& at(std::size_t i) const;
  /// Same as at(i).
  const Reply& operator[](std::size_t i) const { return at(i); }
  /// The key of pair i of a map.
  const Reply& key(std::size_t i) const;
  /// The value of pair i of a map.
  const Reply& value(std::size_t i) const;
  /// The value of the first pair whose key is a string equal to `k`; nullptr if
  /// none or not a map.
  const Reply* find(std::string_view k) const noexcept;
  /// Like find(), throws std::out_of_range when missing.
  const Reply& operator[](std::string_view k) const;

  /// The attribute (a map-like Reply of type attribute) sent before this value,
  /// or nullptr.
  const Reply* attribute() const noexcept { return attribute_.get(); }

  /// redis-cli style, multi-line for aggregates: "(integer) 1", "\"foo\"",
  /// "(nil)", "(error) ERR ...", "1) ...".
  std::string to_string() const;
  /// JSON: strings -> strings, numbers -> numbers (non-finite doubles and big
  /// numbers -> strings), null -> null, booleans, arrays/sets/push -> arrays,
  /// maps -> objects when every key is a string (else arrays of [k, v]),
  /// errors -> {"error": "..."}. Attributes are left out.
  nlohmann::json to_json() const;

  /// Deep equality, attributes included; NaN doubles equal each other.
  friend VALKEY_CPP_EXPORT bool operator==(const Reply& a, const Reply& b) noexcept;

 private:
  friend class detail::ReplyAssembler;
  friend class detail::Resp3Shaper;
  Reply(Type t, std::string s) : type_(t), str_(std::move(s)) {}
  Reply(Type t, std::vector<Reply> e) : type_(t), elements_(std::move(e)) {}

  Type type_ = Type::null;
  std::int64_t integer_ = 0;  // integer; boolean (0/1)
  double real_ = 0;
  std::string str_;
  std::vector<Reply> elements_;
  std::shared_ptr<const Reply> attribute_;  // immutable once built, so shared on copy
};

/// Lets nlohmann::json convert a Reply (`nlohmann::json j = reply;`), as
/// Reply::to_json() does.
VALKEY_CPP_EXPORT void to_json(nlohmann::json& j, const Reply& r);

namespace detail {

// Builds one Reply from the nodes of one value (count-based, so it knows when
// the value ends without depth bookkeeping). Shared by ReplyBuilder and the
// typed decoder for Reply.
class VALKEY_CPP_EXPORT ReplyAssembler {
 public:
  // Feeds one node; `target` receives the value (used on the first node).
  // Returns true when the value is complete.
  bool feed(const resp::Node& node, Reply& target);
  void reset() noexcept;

 private:
  struct Frame {
    Reply* reply;
    std::size_t remaining;
    std::shared_ptr<Reply> attribute;  // set for attribute frames (owns the reply)
  };
  bool element_done();

  std::vector<Frame> frames_;
  std::shared_ptr<Reply> pending_attribute_;
};

}  // namespace detail

/// A resp::Visitor that builds a valkey::Reply from one message.
class VALKEY_CPP_EXPORT ReplyBuilder final : public resp::Visitor {
 public:
  /// Feeds one node of the message.
  /// A builder reused without take() starts over with the next message.
  void on_node(const resp::Node& node) override;
  /// Marks the message complete.
  void on_message_end() override { done_ = true; }

  /// Whether a whole message was built.
  bool done() const noexcept { return done_; }
  /// The reply built so far.
  const Reply& reply() const noexcept { return reply_; }
  /// Hands out the reply and makes the builder ready for the next message.
  Reply take();
  /// Drops what was built, ready for the next message.
  void reset() noexcept;

 private:
  detail::ReplyAssembler assembler_;
  Reply reply_;
  bool done_ = false;
};

}  // namespace valkey
