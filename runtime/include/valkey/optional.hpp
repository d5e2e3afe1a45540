#pragma once
/// \class valkey::Optional
/// `valkey::Optional<T>`: an optional argument of a generated command struct
/// (`.count = 10`, `.condition = valkey::nx`, `.limit = {{0, 10}}`), written
/// and read as a std::optional is, for the small, trivially copyable types
/// arguments have (numbers, views, bounds, choices of small structs).
///
/// Why not std::optional: the generated structs have about 200 distinct
/// optional argument types, and every translation unit that includes them
/// instantiates each. libstdc++'s std::optional costs about 2 ms of compile
/// time per type (its payload and special-member base classes), this one a
/// fraction of that; together about 0.25 s per translation unit
/// (docs/commands.md "Compile time"). Reply types keep std::optional.
///
/// It converts from and to std::optional, so code holding one keeps
/// compiling: `.count = maybe_count` and
/// `std::optional<std::int64_t> n = cmd.count`.
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace valkey {

template <class T>
class Optional;

namespace detail {
template <class T>
inline constexpr bool is_optional_like = false;
template <class T>
inline constexpr bool is_optional_like<std::optional<T>> = true;
template <class T>
inline constexpr bool is_optional_like<Optional<T>> = true;
}  // namespace detail

template <class T>
class Optional {
  // The compiler's trait, not std::is_trivially_copyable_v and
  // is_trivially_destructible_v: libstdc++ instantiates a dozen helper class
  // templates per type for those (completeness and destructibility checks),
  // and the command structs instantiate Optional over about 130 types
  // (docs/commands.md, "Compile time"). A trivially copyable type has a
  // trivial, non-deleted destructor.
  static_assert(__is_trivially_copyable(T),
                "valkey::Optional holds argument types: trivially copyable and destructible");

 public:
  /// The type of the value.
  using value_type = T;

  /// Empty.
  constexpr Optional() noexcept {}
  /// Empty, from std::nullopt.
  constexpr Optional(std::nullopt_t) noexcept {}  // NOLINT: implicit as std::optional's
  /// From a value, or a braced list for T when U is not named (`.limit = {{0, 10}}`: the inner braces make the T).
  template <class U = T>
    requires(!detail::is_optional_like<std::remove_cvref_t<U>> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::nullopt_t> && std::is_convertible_v<U &&, T>)
  constexpr Optional(U&& v) : value_(std::forward<U>(v)), engaged_(true) {}  // NOLINT: implicit by design
  /// From a std::optional: empty when it is.
  template <class U>
    requires(std::is_convertible_v<const U&, T>)
  constexpr Optional(const std::optional<U>& o) {  // NOLINT: implicit by design
    if (o) emplace(*o);
  }
  /// From an Optional of another type: empty when it is.
  template <class U>
    requires(!std::is_same_v<U, T> && std::is_convertible_v<const U&, T>)
  constexpr Optional(const Optional<U>& o) {  // NOLINT: implicit by design
    if (o) emplace(*o);
  }

  /// Whether it holds a value.
  constexpr bool has_value() const noexcept { return engaged_; }
  /// Whether it holds a value.
  constexpr explicit operator bool() const noexcept { return engaged_; }

  /// The value (it must hold one).
  constexpr T& operator*() noexcept { return value_; }
  /// The value (it must hold one).
  constexpr const T& operator*() const noexcept { return value_; }
  /// The value's members (it must hold one).
  constexpr T* operator->() noexcept { return std::addressof(value_); }
  /// The value's members (it must hold one).
  constexpr const T* operator->() const noexcept { return std::addressof(value_); }
  /// The value; throws std::bad_optional_access when empty.
  constexpr T& value() {
    if (!engaged_) throw std::bad_optional_access();
    return value_;
  }
  /// The value; throws std::bad_optional_access when empty.
  constexpr const T& value() const {
    if (!engaged_) throw std::bad_optional_access();
    return value_;
  }
  /// The value, or `fallback` converted to T when empty.
  template <class U>
  constexpr T value_or(U&& fallback) const {
    return engaged_ ? value_ : static_cast<T>(std::forward<U>(fallback));
  }

  /// Constructs the value in place from `args`.
  template <class... Args>
  constexpr T& emplace(Args&&... args) {
    std::construct_at(std::addressof(value_), std::forward<Args>(args)...);
    engaged_ = true;
    return value_;
  }
  /// Empties it.
  constexpr void reset() noexcept { engaged_ = false; }

  /// To a std::optional, for code that keeps one.
  template <class U>
    requires(std::is_constructible_v<U, const T&>)
  constexpr operator std::optional<U>() const {  // NOLINT: implicit by design
    return engaged_ ? std::optional<U>(std::in_place, value_) : std::nullopt;
  }

  /// Equal when both are empty, or both hold equal values.
  friend constexpr bool operator==(const Optional& a, const Optional& b)
    requires requires(const T& x) { x == x; }
  {
    return a.engaged_ == b.engaged_ && (!a.engaged_ || a.value_ == b.value_);
  }
  /// Whether it is empty.
  friend constexpr bool operator==(const Optional& a, std::nullopt_t) noexcept { return !a.engaged_; }
  /// Whether it holds a value equal to `v`.
  friend constexpr bool operator==(const Optional& a, const T& v)
    requires requires(const T& x) { x == x; }
  {
    return a.engaged_ && a.value_ == v;
  }
  /// The same for a `v` of another type that converts to T: an alternative
  /// of a choice (`opts.condition == valkey::gt`), which converts to T and to
  /// Optional alike and would otherwise match two of the overloads above.
  template <class U>
    requires(!std::is_same_v<U, T> && !std::is_same_v<U, Optional> && !std::is_same_v<U, std::nullopt_t> &&
             std::is_convertible_v<const U&, T> && requires(const T& x, const U& u) { x == u; })
  friend constexpr bool operator==(const Optional& a, const U& v) {
    return a.engaged_ && a.value_ == v;
  }

 private:
  // A union leaves T unconstructed while empty (some argument types have no
  // default constructor); both members are trivial, so copies are too.
  union {
    char none_ = 0;
    T value_;
  };
  bool engaged_ = false;
};

}  // namespace valkey
