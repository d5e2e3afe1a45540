#pragma once
/// \file
/// valkey::Arg and `valkey::ArgList<T>`: the types of a command struct's string
/// and list members (valkey::cmd::Set::key, valkey::cmd::Mget::keys).
///
/// A command struct views the strings and containers it is built from; it does
/// not copy them. So a struct may only be built from things that outlive it.
/// These two types turn the usual mistake into a compile error:
///
/// \code
///   std::string k = "k:" + std::to_string(n);
///   valkey::cmd::Set s{.key = k, .value = "v"};                          // fine: k is named
///   valkey::cmd::Set t{.key = "k:" + std::to_string(n), .value = "v"};  // error: temporary string
///   valkey::cmd::Mget m{.keys = {"a", "b"}};                             // error: braced list
///   valkey::cmd::Mget p{.keys = names};                                  // fine: a named container
/// \endcode
///
/// The temporary in `t` dies at the end of the declaration, and so does the
/// array behind the braced list in `m`; both would be read later by
/// db.exec(t). Where a command is built inside the call, temporaries are safe
/// and stay allowed: the generated methods take std::string_view and
/// valkey::View parameters (db.set("k:" + std::to_string(n), "v"),
/// db.mget({"a", "b"})), as do the nested Options structs
/// (db.scan(0, {.pattern = prefix + "*"})). For a command built now and sent
/// later from strings that will be gone, use valkey::owned(cmd)
/// (`<valkey/owned.hpp>`), which copies what it needs.
///
/// Both types are views with nothing added: Arg is a std::string_view (it
/// derives from one, so it converts to std::string_view and has its members),
/// `ArgList<T>` is a `valkey::View<T>`; both are trivially copyable, and what they
/// accept costs nothing at run time. docs/commands.md, "Lifetimes".
#include <concepts>
#include <initializer_list>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>

#include <valkey/view.hpp>

/// \def VALKEY_DELETED
/// `= delete("why")` (C++26) puts the reason into the compiler's error; older
/// compilers quote the deleted declaration's line, whose comment says the same.
/// Undefined at the end of this header.
#if defined(__cpp_deleted_function) && __cpp_deleted_function >= 202403L
#define VALKEY_DELETED(why) delete (why)
#else
#define VALKEY_DELETED(why) delete
#endif
/// The compiler's message for a temporary string (undefined at the end of this
/// header).
#define VALKEY_ARG_TEMPORARY                                                                   \
  "a command struct member cannot view a temporary string, which dies at the end of the " \
  "declaration: name the string, build the command in the call (db.set(...)), or use valkey::owned"
/// The compiler's message for a temporary container or braced list (undefined
/// at the end of this header).
#define VALKEY_ARGLIST_TEMPORARY                                                                       \
  "a command struct list member cannot view a temporary container or braced list, which dies at " \
  "the end of the declaration: name a container, build the command in the call (db.mget({...})), " \
  "or use valkey::owned"

namespace valkey {

namespace detail {

// A string-like type other than the ones Arg names itself.
template <class S>
concept other_string_like =
    std::is_convertible_v<const S&, std::string_view> && !std::is_convertible_v<const S&, const char*> &&
    !std::is_same_v<S, std::string> && !std::is_same_v<S, std::string_view> &&
    !std::derived_from<S, std::string_view>;

}  // namespace detail

/// The type of a command struct's string member: a std::string_view that
/// refuses temporary strings.
class Arg : public std::string_view {
 public:
  /// An empty string.
  constexpr Arg() noexcept = default;
  /// Views a C string.
  constexpr Arg(const char* s) noexcept : std::string_view(s) {}        // NOLINT: implicit, like string_view
  /// Views `s`.
  constexpr Arg(std::string_view s) noexcept : std::string_view(s) {}   // NOLINT
  /// Views a named std::string.
  Arg(const std::string& s) noexcept : std::string_view(s) {}           // NOLINT

  /// Refused: a temporary std::string dies at the end of the declaration that
  /// builds the struct.
  // A compiler error about these quotes the line, hence its comment.
  Arg(std::string&&) = VALKEY_DELETED(VALKEY_ARG_TEMPORARY);  // temporary string: name it, or call db.set(...), or valkey::owned(cmd)
  /// Refused, as a temporary std::string.
  Arg(const std::string&&) = VALKEY_DELETED(VALKEY_ARG_TEMPORARY);  // temporary string: name it, or call db.set(...), or valkey::owned(cmd)

  /// Other string types (std::pmr::string, ...): a named one is viewed, a
  /// temporary one only when it is itself a view (a borrowed range, like
  /// std::string_view); an owning temporary is refused like std::string.
  template <detail::other_string_like S>
  Arg(const S& s) noexcept : std::string_view(s) {}  // NOLINT
  /// Refused: an owning temporary of another string type.
  template <class S>
    requires(!std::is_lvalue_reference_v<S> && detail::other_string_like<std::remove_cvref_t<S>> &&
             !std::ranges::borrowed_range<S>)
  Arg(S&&) = VALKEY_DELETED(VALKEY_ARG_TEMPORARY);  // temporary string: name it, or call db.set(...), or valkey::owned(cmd)
};

/// The type of a command struct's list member: a valkey::View that refuses
/// temporary containers and braced lists.
template <class T>
class ArgList : public View<T> {
 public:
  /// An empty list.
  constexpr ArgList() noexcept = default;
  /// A View is copied as it is: the generated methods pass their View
  /// parameters here, and those live until the call returns.
  ArgList(const View<T>& v) noexcept : View<T>(v) {}  // NOLINT: implicit, like View

  /// A named container (`std::vector<std::string>`, std::map, an array...).
  template <std::ranges::sized_range R>
    requires(!std::is_same_v<R, ArgList> && !std::is_same_v<R, View<T>> &&
             !std::is_convertible_v<const R&, std::string_view> &&
             detail::view_element<T, std::ranges::range_value_t<R>>)
  ArgList(const R& range) noexcept : View<T>(range) {}  // NOLINT

  /// A temporary container or View (ArgList keeps the address of the container
  /// it views, so even a temporary std::span would dangle), and a braced list
  /// (its array dies at the end of the declaration) are refused.
  // A compiler error about these quotes the line, hence its comment.
  template <class R>
    requires(!std::is_lvalue_reference_v<R> && !std::is_same_v<std::remove_cvref_t<R>, ArgList>)
  ArgList(R&&) = VALKEY_DELETED(VALKEY_ARGLIST_TEMPORARY);  // temporary container: name it, or call db.mget(...), or valkey::owned(cmd)
  /// Refused: a braced list, whose array dies at the end of the declaration.
  ArgList(std::initializer_list<T>) = VALKEY_DELETED(VALKEY_ARGLIST_TEMPORARY);  // braced list: name a container, or call db.mget({...}), or valkey::owned(cmd)
};

static_assert(std::is_trivially_copyable_v<Arg> && sizeof(Arg) == sizeof(std::string_view));
static_assert(std::is_trivially_copyable_v<ArgList<std::string_view>> &&
              sizeof(ArgList<std::string_view>) == sizeof(View<std::string_view>));

}  // namespace valkey

#undef VALKEY_ARGLIST_TEMPORARY
#undef VALKEY_ARG_TEMPORARY
#undef VALKEY_DELETED
