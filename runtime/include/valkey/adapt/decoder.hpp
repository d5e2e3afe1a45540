#pragma once
/// \struct valkey::adapt::Decoder
/// valkey::adapt::Decoder<T>: fills a C++ value straight from the parser's
/// nodes, one reply at a time, without building a tree. Supported T, composable
/// (see docs/design.md for the table):
///   Ok, std::string, std::int64_t (and other integers), bool, double,
///   std::optional<X>, std::vector<X>, std::vector<std::pair<K, V>>,
///   std::map<K, V>, std::unordered_map<K, V>, std::set<X>,
///   std::unordered_set<X>, std::tuple<Xs...>,
///   std::pair<A, B>, valkey::Reply, adapt::Ignore, and the reply records
///   the generator makes (adapt/record.hpp).
/// Each accepts the RESP3 form and the RESP2 spelling of the same reply
/// (integers for booleans, bulk strings for doubles, flat arrays for maps).
/// bool also takes the shape of a "did it happen" reply: the status +OK is
/// true and nil is false (SET with NX, XX or IFEQ).
///
/// Protocol between decoders: `bool feed(const resp::Node&, T& out,
/// DecodeState&)` gets the nodes of one value in pre-order and returns true on
/// the node that completes it. A decoder that cannot take a node records the
/// failure in DecodeState; from then on the caller (ResponseVisitor) stops
/// feeding and only waits for the message to end, so the stream stays in sync.
/// Attributes never reach a decoder (the visitor skips them).
///
/// Scalar decoders are empty and their bodies live in the library: decoding a
/// GET/INCR/SET reply allocates nothing beyond the std::string value itself.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <valkey/adapt/record.hpp>
#include <valkey/error.hpp>
#include <valkey/export.hpp>
#include <valkey/reply.hpp>
#include <valkey/resp/node.hpp>

namespace valkey {
struct Ok;  // valkey/command.hpp; only named here, so this header stays light
}

namespace valkey::adapt {

/// Accepts any reply and keeps nothing (errors at depth 0 still fail it).
struct Ignore {
  friend constexpr bool operator==(Ignore, Ignore) noexcept { return true; }
};

/// The outcome of decoding one reply. The first failure wins.
struct VALKEY_CPP_EXPORT DecodeState {
  std::error_code ec;          ///< the first failure; empty while decoding succeeds
  std::string server_message;  ///< set with errc::server_error: the text after '-'/'!'
  /// For a decode failure: what was received, in words ("integer",
  /// "bulk string \"abc\"", "array of 3 at depth 1"); empty when unknown.
  std::string received;

  /// Whether a failure was recorded.
  bool failed() const noexcept { return static_cast<bool>(ec); }
  /// Fails with `e`, unless a failure was recorded already.
  void fail(errc e) noexcept {
    if (!ec) ec = make_error_code(e);
  }
  /// Fails with `e` because of `node` (kept in `received`).
  void fail(errc e, const resp::Node& node);
  /// Fails with errc::server_error, keeping `message` in server_message.
  void server_error(std::string_view message);
  /// `node` does not fit the requested type: an error node fails with its
  /// server message, a null with unexpected_null, anything else with
  /// unexpected_reply_type.
  void mismatch(const resp::Node& node);
};

/// `node` in words, for error messages: its RESP type, a short quote of a
/// scalar's text, the size of an aggregate, its depth when nested.
VALKEY_CPP_EXPORT std::string describe_node(const resp::Node& node);

template <class T>
struct Decoder;  // no definition: T is not decodable

/// Whether replies decode into `T`: valkey::adapt::Decoder has a specialisation for it.
template <class T>
concept Decodable = requires(Decoder<T> d, const resp::Node& n, T& out, DecodeState& st) {
  { d.feed(n, out, st) } -> std::same_as<bool>;
};

namespace detail {

// Aggregates whose children a sequence takes (a map's are flattened).
constexpr bool is_sequence(resp::Type t) noexcept {
  return t == resp::Type::array || t == resp::Type::set || t == resp::Type::push ||
         t == resp::Type::map;
}
// A header's count is a claim until the bytes arrive: never reserve more.
constexpr std::size_t kMaxReserve = 1024;

template <class T>
concept ScalarDecoder = requires { requires Decoder<T>::scalar; };

VALKEY_CPP_EXPORT bool decode_signed(const resp::Node& n, std::int64_t& out, DecodeState& st);
VALKEY_CPP_EXPORT bool decode_unsigned(const resp::Node& n, std::uint64_t& out, DecodeState& st);

}  // namespace detail

// ---- scalars (bodies in src/adapt/scalars.cpp) ----

/// Takes a status reply (+OK) and keeps nothing.
template <>
struct VALKEY_CPP_EXPORT Decoder<Ok> {
  static constexpr bool scalar = true;
  bool feed(const resp::Node& n, Ok& out, DecodeState& st);
};

/// Takes the text of a string, number or verbatim string reply (without the
/// verbatim string's "txt:" prefix).
template <>
struct VALKEY_CPP_EXPORT Decoder<std::string> {
  static constexpr bool scalar = true;
  bool feed(const resp::Node& n, std::string& out, DecodeState& st);
};

/// Takes an integer reply, or a string or big number that holds one.
template <>
struct Decoder<std::int64_t> {
  static constexpr bool scalar = true;
  bool feed(const resp::Node& n, std::int64_t& out, DecodeState& st) {
    detail::decode_signed(n, out, st);
    return true;
  }
};

/// Takes a boolean, the integers 0 and 1, the status +OK (true) or null (false).
template <>
struct VALKEY_CPP_EXPORT Decoder<bool> {
  static constexpr bool scalar = true;
  bool feed(const resp::Node& n, bool& out, DecodeState& st);
};

/// Takes a double or an integer reply, or a string or big number that holds one.
template <>
struct VALKEY_CPP_EXPORT Decoder<double> {
  static constexpr bool scalar = true;
  bool feed(const resp::Node& n, double& out, DecodeState& st);
};

/// Other integer types: read as 64-bit, then range-checked (invalid_number).
template <class I>
  requires(std::integral<I> && !std::same_as<I, bool> && !std::same_as<I, std::int64_t>)
struct Decoder<I> {
  static constexpr bool scalar = true;
  bool feed(const resp::Node& n, I& out, DecodeState& st) {
    if constexpr (std::is_signed_v<I>) {
      std::int64_t v = 0;
      if (detail::decode_signed(n, v, st)) {
        if (std::in_range<I>(v)) out = static_cast<I>(v);
        else st.fail(errc::invalid_number, n);
      }
    } else {
      std::uint64_t v = 0;
      if (detail::decode_unsigned(n, v, st)) {
        if (std::in_range<I>(v)) out = static_cast<I>(v);
        else st.fail(errc::invalid_number, n);
      }
    }
    return true;
  }
};

/// Takes one value of any shape and keeps nothing.
template <>
struct Decoder<Ignore> {
  static constexpr bool scalar = false;
  bool feed(const resp::Node& n, Ignore&, DecodeState&) noexcept {
    // Nodes still owed by this value: pre-order, so one counter suffices.
    if (outstanding_ == 0) outstanding_ = 1;
    outstanding_ += resp::is_aggregate(n.type) ? resp::child_count(n.type, n.aggregate_size) : 0;
    return --outstanding_ == 0;
  }
  std::size_t outstanding_ = 0;
};

// ---- valkey::Reply (anything; nested errors are kept as values) ----

/// Takes any reply; nested errors are kept as values.
template <>
struct Decoder<Reply> {
  static constexpr bool scalar = false;
  bool feed(const resp::Node& n, Reply& out, DecodeState&) { return assembler_.feed(n, out); }
  valkey::detail::ReplyAssembler assembler_;
};

// ---- std::optional<X>: null -> nullopt ----

/// Null gives std::nullopt; anything else decodes as `X`.
template <class X>
struct Decoder<std::optional<X>> {
  static constexpr bool scalar = detail::ScalarDecoder<X>;
  bool feed(const resp::Node& n, std::optional<X>& out, DecodeState& st) {
    if (!started_) {
      if (n.type == resp::Type::null) {
        out.reset();
        return true;
      }
      out.emplace();
      started_ = true;
    }
    if (!inner_.feed(n, *out, st)) return false;
    started_ = false;
    return true;
  }
  Decoder<X> inner_;
  bool started_ = false;
};

// ---- std::vector<X>: array, set, push (a map's children flattened) ----

/// An array, set or push of `X` (a map's children flattened).
template <class X, class A>
struct Decoder<std::vector<X, A>> {
  static constexpr bool scalar = false;
  bool feed(const resp::Node& n, std::vector<X, A>& out, DecodeState& st) {
    if (remaining_ == 0) {  // the header
      if (!detail::is_sequence(n.type)) {
        st.mismatch(n);
        return true;
      }
      out.clear();
      remaining_ = resp::child_count(n.type, n.aggregate_size);
      out.reserve(std::min(remaining_, detail::kMaxReserve));
      return remaining_ == 0;
    }
    if constexpr (std::is_same_v<X, bool>) {  // vector<bool> has no bool& to fill
      bool v = false;
      elem_.feed(n, v, st);
      out.push_back(v);
    } else {
      if (!in_element_) {
        out.emplace_back();
        in_element_ = true;
      }
      if (!elem_.feed(n, out.back(), st)) return false;
      in_element_ = false;
    }
    return --remaining_ == 0;
  }
  Decoder<X> elem_;
  std::size_t remaining_ = 0;
  bool in_element_ = false;
};

// ---- std::set<X>, std::unordered_set<X>: like vector, duplicates merge ----

namespace detail {

template <class Set>
struct SetDecoder {
  using X = typename Set::value_type;
  static constexpr bool scalar = false;
  bool feed(const resp::Node& n, Set& out, DecodeState& st) {
    if (remaining_ == 0) {  // the header
      if (!is_sequence(n.type)) {
        st.mismatch(n);
        return true;
      }
      out.clear();
      remaining_ = resp::child_count(n.type, n.aggregate_size);
      return remaining_ == 0;
    }
    if (!elem_.feed(n, item_, st)) return false;
    out.insert(std::move(item_));
    return --remaining_ == 0;
  }
  Decoder<X> elem_;
  X item_{};
  std::size_t remaining_ = 0;
};

}  // namespace detail

/// Like std::vector; duplicates merge.
template <class X, class C, class A>
struct Decoder<std::set<X, C, A>> : detail::SetDecoder<std::set<X, C, A>> {};

/// Like std::vector; duplicates merge.
template <class X, class H, class E, class A>
struct Decoder<std::unordered_set<X, H, E, A>> : detail::SetDecoder<std::unordered_set<X, H, E, A>> {};

// ---- key/value collections ----
// Accepted shapes: a map (RESP3); a flat array k0 v0 k1 v1 ... (RESP2); an
// array of [k, v] arrays (RESP3 WITHSCORES forms), recognised when K is a
// scalar and the first child is a two-element aggregate.

namespace detail {

template <class K, class V>
class PairsDecoder {
 public:
  // `commit(out, std::pair<K, V>&&)` stores one finished pair.
  template <class Out, class Commit>
  bool feed(const resp::Node& n, Out& out, DecodeState& st, Commit commit) {
    switch (phase_) {
      case Phase::header:
        if (n.type == resp::Type::map) {
          out.clear();
          remaining_ = n.aggregate_size;
          nested_ = false;
          if (remaining_ == 0) return true;
          phase_ = Phase::key;
          return false;
        }
        if (!is_sequence(n.type)) {
          st.mismatch(n);
          return true;
        }
        out.clear();
        if (n.aggregate_size == 0) return true;
        remaining_ = n.aggregate_size;  // children, until the first one decides
        phase_ = Phase::first;
        return false;
      case Phase::first:
        if (ScalarDecoder<K> && is_sequence(n.type) &&
            resp::child_count(n.type, n.aggregate_size) == 2) {
          nested_ = true;  // remaining_ already counts pairs
          phase_ = Phase::key;
          return false;
        }
        if (remaining_ % 2 != 0) {
          st.fail(errc::unexpected_reply_type, n);
          return true;
        }
        remaining_ /= 2;
        nested_ = false;
        phase_ = Phase::key;
        [[fallthrough]];
      case Phase::key:
        if (key_.feed(n, kv_.first, st)) phase_ = Phase::value;
        return false;
      case Phase::value:
        if (!value_.feed(n, kv_.second, st)) return false;
        commit(out, std::move(kv_));
        if (--remaining_ == 0) {
          phase_ = Phase::header;
          return true;
        }
        phase_ = nested_ ? Phase::pair_header : Phase::key;
        return false;
      case Phase::pair_header:
        if (!is_sequence(n.type) || resp::child_count(n.type, n.aggregate_size) != 2) {
          st.fail(errc::unexpected_reply_type, n);
          return true;
        }
        phase_ = Phase::key;
        return false;
    }
    return true;
  }

 private:
  enum class Phase : std::uint8_t { header, first, key, value, pair_header };
  Decoder<K> key_;
  Decoder<V> value_;
  std::pair<K, V> kv_{};
  std::size_t remaining_ = 0;
  Phase phase_ = Phase::header;
  bool nested_ = false;
};

}  // namespace detail

/// Key/value pairs in the order received: a map (RESP3), a flat array
/// (RESP2) or an array of [k, v] arrays.
template <class K, class V, class A>
struct Decoder<std::vector<std::pair<K, V>, A>> {
  static constexpr bool scalar = false;
  bool feed(const resp::Node& n, std::vector<std::pair<K, V>, A>& out, DecodeState& st) {
    return pairs_.feed(n, out, st, [](auto& o, std::pair<K, V>&& kv) { o.push_back(std::move(kv)); });
  }
  detail::PairsDecoder<K, V> pairs_;
};

/// A map (RESP3), a flat array (RESP2) or an array of [k, v] arrays; a
/// repeated key keeps its last value.
template <class K, class V, class C, class A>
struct Decoder<std::map<K, V, C, A>> {
  static constexpr bool scalar = false;
  bool feed(const resp::Node& n, std::map<K, V, C, A>& out, DecodeState& st) {
    return pairs_.feed(n, out, st, [](auto& o, std::pair<K, V>&& kv) {
      o.insert_or_assign(std::move(kv.first), std::move(kv.second));
    });
  }
  detail::PairsDecoder<K, V> pairs_;
};

/// A map (RESP3), a flat array (RESP2) or an array of [k, v] arrays; a
/// repeated key keeps its last value.
template <class K, class V, class H, class E, class A>
struct Decoder<std::unordered_map<K, V, H, E, A>> {
  static constexpr bool scalar = false;
  bool feed(const resp::Node& n, std::unordered_map<K, V, H, E, A>& out, DecodeState& st) {
    return pairs_.feed(n, out, st, [](auto& o, std::pair<K, V>&& kv) {
      o.insert_or_assign(std::move(kv.first), std::move(kv.second));
    });
  }
  detail::PairsDecoder<K, V> pairs_;
};

// ---- std::tuple<Xs...>, std::pair<A, B>: an aggregate of exactly that size ----

namespace detail {

template <class Tuple, class... Xs>
class TupleDecoder {
 public:
  static constexpr bool scalar = false;
  bool feed(const resp::Node& n, Tuple& out, DecodeState& st) {
    if (!open_) {
      if (!is_sequence(n.type)) {
        st.mismatch(n);
        return true;
      }
      if (resp::child_count(n.type, n.aggregate_size) != sizeof...(Xs)) {
        st.fail(errc::unexpected_reply_type, n);
        return true;
      }
      if constexpr (sizeof...(Xs) == 0) return true;
      index_ = 0;
      open_ = true;
      return false;
    }
    if (!feed_child(n, out, st, std::index_sequence_for<Xs...>{})) return false;
    if (++index_ < sizeof...(Xs)) return false;
    open_ = false;
    return true;
  }

 private:
  template <std::size_t... Is>
  bool feed_child(const resp::Node& n, Tuple& out, DecodeState& st, std::index_sequence<Is...>) {
    bool done = false;
    (void)((index_ == Is ? (done = std::get<Is>(decoders_).feed(n, std::get<Is>(out), st), true) : false) ||
           ...);
    return done;
  }

  std::tuple<Decoder<Xs>...> decoders_;
  std::size_t index_ = 0;
  bool open_ = false;
};

}  // namespace detail

/// An aggregate of exactly one element per type, in order.
template <class... Xs>
struct Decoder<std::tuple<Xs...>> : detail::TupleDecoder<std::tuple<Xs...>, Xs...> {};

/// An aggregate of exactly two elements.
template <class A, class B>
struct Decoder<std::pair<A, B>> : detail::TupleDecoder<std::pair<A, B>, A, B> {};

// ---- records (adapt/record.hpp): a map (RESP3) or flat name/value pairs (RESP2) ----

namespace detail {

template <class Fields>
struct FieldDecoders;
template <class R, class... Ms>
struct FieldDecoders<std::tuple<Field<R, Ms>...>> {
  using type = std::tuple<Decoder<Ms>...>;
};

constexpr bool is_text(resp::Type t) noexcept {
  return t == resp::Type::simple_string || t == resp::Type::bulk_string || t == resp::Type::verbatim_string;
}

}  // namespace detail

/// A record (adapt/record.hpp): a map (RESP3) or flat name/value pairs
/// (RESP2); fields the record does not list are skipped.
template <class T>
  requires Record<T>
struct Decoder<T> {
  static constexpr bool scalar = false;

  bool feed(const resp::Node& n, T& out, DecodeState& st) {
    switch (phase_) {
      case Phase::header: {
        std::size_t pairs = 0;
        if (n.type == resp::Type::map) {
          pairs = n.aggregate_size;
        } else if (detail::is_sequence(n.type) && n.aggregate_size % 2 == 0) {
          pairs = n.aggregate_size / 2;
        } else {
          st.mismatch(n);
          return true;
        }
        out = T{};
        if (pairs == 0) return true;
        remaining_ = pairs;
        phase_ = Phase::name;
        return false;
      }
      case Phase::name:
        if (!detail::is_text(n.type)) {
          st.fail(errc::unexpected_reply_type, n);
          phase_ = Phase::header;
          return true;
        }
        field_ = index_of(n.value);
        phase_ = Phase::value;
        return false;
      case Phase::value: {
        const bool done = field_ == kUnknown ? skip_.feed(n, skipped_, st)
                                             : feed_field(n, out, st, std::make_index_sequence<kFields>{});
        if (!done) return false;
        if (--remaining_ == 0) {
          phase_ = Phase::header;
          return true;
        }
        phase_ = Phase::name;
        return false;
      }
    }
    return true;
  }

 private:
  using Fields = decltype(T::fields(FieldTuple{}));
  static constexpr std::size_t kFields = std::tuple_size_v<Fields>;
  static constexpr std::size_t kUnknown = kFields;

  // A field the record does not list (a newer server's) is skipped.
  static std::size_t index_of(std::string_view name) noexcept {
    static constexpr auto names =
        std::apply([](const auto&... f) { return std::array<std::string_view, kFields>{f.name...}; }, T::fields(FieldTuple{}));
    for (std::size_t i = 0; i < kFields; ++i)
      if (names[i] == name) return i;
    return kUnknown;
  }

  template <std::size_t... Is>
  bool feed_field(const resp::Node& n, T& out, DecodeState& st, std::index_sequence<Is...>) {
    static constexpr Fields fields = T::fields(FieldTuple{});
    bool done = false;
    (void)((field_ == Is ? (done = std::get<Is>(decoders_).feed(n, out.*(std::get<Is>(fields).member), st), true)
                         : false) ||
           ...);
    return done;
  }

  enum class Phase : std::uint8_t { header, name, value };
  typename detail::FieldDecoders<Fields>::type decoders_;
  Decoder<Ignore> skip_;
  Ignore skipped_;
  std::size_t remaining_ = 0;
  std::size_t field_ = kUnknown;
  Phase phase_ = Phase::header;
};

// ---- converted records (adapt/record.hpp): a Reply, then from_reply() ----

/// A converted record (adapt/record.hpp): the whole reply as a Reply, then
/// T::from_reply().
template <class T>
  requires(ConvertedRecord<T> && !Record<T>)
struct Decoder<T> {
  static constexpr bool scalar = false;
  bool feed(const resp::Node& n, T& out, DecodeState& st) {
    if (!reply_.feed(n, whole_, st)) return false;
    if (!T::from_reply(whole_, out)) {
      st.fail(errc::unexpected_reply_type);
      if (st.received.empty()) st.received = "a reply of another shape";
    }
    whole_ = Reply{};
    return true;
  }
  Decoder<Reply> reply_;
  Reply whole_;
};

}  // namespace valkey::adapt
