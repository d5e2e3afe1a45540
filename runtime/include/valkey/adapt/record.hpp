#pragma once
/// \file
/// Reply records: the structs the generator nests in a command's struct for a
/// reply schema's object (XINFO GROUPS, CLUSTER SHARDS, CLIENT TRACKINGINFO...,
/// docs/commands.md "Reply types"), one member per field the server names.
/// A record lists its fields for valkey::adapt::Decoder (decoder.hpp), which
/// fills it from a map (RESP3) or a flat array of name/value pairs (RESP2),
/// skips fields it does not list (a newer server's) and leaves the members of
/// fields the server did not send at their defaults. A ConvertedRecord
/// (valkey::Role) is read whole into a Reply first, then converted.
#include <concepts>
#include <string_view>
#include <tuple>

namespace valkey {
class Reply;
}

namespace valkey::adapt {

/// One field: its name as the server spells it ("last-delivered-id") and the
/// member it fills.
template <class R, class M>
struct Field {
  std::string_view name;
  M R::*member;
};

/// Makes the Field for `member`, named `name`: what a record's `fields(f)` passes to `f`.
template <class R, class M>
constexpr Field<R, M> field(std::string_view name, M R::*member) noexcept {
  return {name, member};
}

/// What a record's `fields(f)` is called with to list its fields: `f` gets
/// one Field<R, M> per field.
// A record hands its fields to a callable rather than returning a tuple so
// that the tuple's type is built only in a translation unit that decodes the
// record: a header of 20 records that each built theirs at the struct's
// definition cost every includer about 0.3 s of compile time
// (docs/commands.md "Compile time").
struct FieldTuple {
  template <class... Fs>
  /// The tuple of the fields `fs`.
  constexpr std::tuple<Fs...> operator()(Fs... fs) const noexcept {
    return {fs...};
  }
};

/// A record: `fields(f)` returns f(field(...), ...), and `record_name` names
/// the type in decode errors.
template <class T>
concept Record = requires {
  T::fields(FieldTuple{});
  { T::record_name } -> std::convertible_to<std::string_view>;
};

/// A record whose fields are positional or depend on the reply's shape (ROLE):
/// `from_reply(const Reply&, T&)` fills it from the whole reply, false when
/// the reply has no shape it knows.
template <class T>
concept ConvertedRecord = requires(const Reply& r, T& out) {
  { T::from_reply(r, out) } -> std::same_as<bool>;
};

}  // namespace valkey::adapt
