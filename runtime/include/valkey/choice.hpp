#pragma once
/// \file
/// valkey::Choice: the type of every choice among a command's arguments.
///
/// \code
///   db.expire("k", 60, {.condition = valkey::gt});                  // EXPIRE k 60 GT
///   db.lmove("a", "b", cmd::Lmove::Left{}, cmd::Lmove::Right{});   // LMOVE a b LEFT RIGHT
///   db.set("k", "v", {.condition = cmd::Set::IfEq{"old"}});         // SET k v IFEQ old
///   db.set("k", "v", {.expiration = valkey::ex(30s)});              // picks cmd::Set::Ex
///
///   cmd::Lmove m{.source = "a", .destination = "b"};
///   if (valkey::holds_alternative<cmd::Lmove::Left>(m.where_from)) { ... }
///   if (s.condition && s.condition->holds<cmd::Set::IfEq>()) { ... }
///   if (m.where_to == cmd::Lmove::Right{}) { ... }
/// \endcode
///
/// One struct per alternative: an empty one for a plain token (LEFT,
/// cmd::Lmove::Left), one with members for an alternative that carries
/// values (IFEQ value, cmd::Set::IfEq). Every choice has this one form, so
/// a server version that adds an alternative, with a value or without, adds
/// a type: code that names the alternatives it uses keeps compiling.
///
/// A Choice is built from an alternative the way a std::variant is (the
/// overload an argument would pick among the alternatives; unlike
/// std::variant it does not refuse narrowing conversions, which no
/// alternative, all class types, has), holds arguments only (trivially
/// copyable, like the command structs that hold it) and compiles at a
/// fraction of std::variant's cost: the command headers hold about a hundred
/// choices. It is not usable in constant expressions.
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace valkey {

/// \cond
namespace detail {

// One overload per alternative: an argument's conversions pick the
// alternative by overload resolution, as std::variant's constructor does.
template <std::size_t I, class T>
struct ChoiceArm {
  static std::integral_constant<std::size_t, I> pick(T);
};

template <class Seq, class... Ts>
struct ChoiceArms;

template <std::size_t... I, class... Ts>
struct ChoiceArms<std::index_sequence<I...>, Ts...> : ChoiceArm<I, Ts>... {
  using ChoiceArm<I, Ts>::pick...;
};

template <class U, class... Ts>
using choice_pick = decltype(ChoiceArms<std::index_sequence_for<Ts...>, Ts...>::pick(std::declval<U>()));

// The position of T among Ts (sizeof...(Ts) when absent).
template <class T, class... Ts>
constexpr std::size_t choice_index() noexcept {
  std::size_t i = 0;
  (void)((std::is_same_v<T, Ts> ? true : (++i, false)) || ...);
  return i;
}

template <std::size_t I, class T, class... Rest>
struct ChoiceNth : ChoiceNth<I - 1, Rest...> {};
template <class T, class... Rest>
struct ChoiceNth<0, T, Rest...> {
  using type = T;
};

template <class... Ts>
constexpr std::size_t choice_storage() noexcept {
  std::size_t n = 1;
  ((n = sizeof(Ts) > n ? sizeof(Ts) : n), ...);
  return n;
}

}  // namespace detail
/// \endcond

/// One of the alternatives `Ts`: the type of a command's choice argument
/// (`NX | XX | GT | LT`, `LEFT | RIGHT`, `EX seconds | PX milliseconds | ...`).
template <class... Ts>
class Choice {
  static_assert(sizeof...(Ts) > 0 && sizeof...(Ts) < 256, "a choice has 1 to 255 alternatives");
  // The compiler's trait, as in valkey::Optional (optional.hpp says why).
  static_assert((__is_trivially_copyable(Ts) && ...),
                "a choice holds argument types: trivially copyable and destructible");

 public:
  /// The alternatives' count.
  static constexpr std::size_t size = sizeof...(Ts);

  /// Holds the first alternative, value-initialized.
  Choice() noexcept {
    using T = typename detail::ChoiceNth<0, Ts...>::type;
    ::new (static_cast<void*>(storage_)) T();
  }

  /// Holds the alternative `value` converts to, chosen as std::variant
  /// chooses: `valkey::nx`, `cmd::Set::IfEq{"v"}`, `valkey::ex(30s)`.
  template <class U>
    requires(!std::is_same_v<std::remove_cvref_t<U>, Choice> && requires { typename detail::choice_pick<U, Ts...>; })
  Choice(U&& value) noexcept  // NOLINT(google-explicit-constructor): an alternative is the choice
  {
    constexpr std::size_t i = detail::choice_pick<U, Ts...>::value;
    using T = typename detail::ChoiceNth<i, Ts...>::type;
    const T alternative = std::forward<U>(value);  // the conversion the choice was made by
    ::new (static_cast<void*>(storage_)) T(alternative);
    index_ = static_cast<std::uint8_t>(i);
  }

  /// The position of the held alternative among `Ts`.
  [[nodiscard]] std::size_t index() const noexcept { return index_; }

  /// Whether the held alternative is `T`.
  template <class T>
  [[nodiscard]] bool holds() const noexcept {
    static_assert(detail::choice_index<T, Ts...>() < size, "T is not an alternative of this choice");
    return index_ == detail::choice_index<T, Ts...>();
  }

  /// The held alternative if it is `T`, else nullptr.
  template <class T>
  [[nodiscard]] const T* get_if() const noexcept {
    return holds<T>() ? std::launder(reinterpret_cast<const T*>(storage_)) : nullptr;
  }
  /// \copydoc get_if() const
  template <class T>
  [[nodiscard]] T* get_if() noexcept {
    return holds<T>() ? std::launder(reinterpret_cast<T*>(storage_)) : nullptr;
  }

  /// Calls `f` with the held alternative; returns nothing.
  template <class F>
  void visit(F&& f) const {
    (void)((index_ == detail::choice_index<Ts, Ts...>() ? ((void)f(*get_if<Ts>()), true) : false) || ...);
  }

  /// Equal when both hold the same alternative with equal values; for
  /// choices whose alternatives are all empty or comparable
  /// (`m.where_to == cmd::Lmove::Right{}`, `*s.condition == valkey::nx`).
  friend bool operator==(const Choice& a, const Choice& b) noexcept
    requires((std::is_empty_v<Ts> || requires(const Ts& x) { x == x; }) && ...)
  {
    if (a.index_ != b.index_) return false;
    bool equal = true;
    a.visit([&](const auto& x) {
      using T = std::remove_cvref_t<decltype(x)>;
      if constexpr (!std::is_empty_v<T>) equal = x == *b.template get_if<T>();
    });
    return equal;
  }

 private:
  // Zeroed first, so that a choice's bytes do not depend on what was there.
  alignas(Ts...) unsigned char storage_[detail::choice_storage<Ts...>()] = {};
  std::uint8_t index_ = 0;
};

/// Whether `c` holds the alternative `T`, as std::holds_alternative.
template <class T, class... Ts>
[[nodiscard]] bool holds_alternative(const Choice<Ts...>& c) noexcept {
  return c.template holds<T>();
}

/// The alternative `T` of `*c` if `c` is not null and holds that one, else
/// nullptr, as std::get_if.
template <class T, class... Ts>
[[nodiscard]] const T* get_if(const Choice<Ts...>* c) noexcept {
  return c != nullptr ? c->template get_if<T>() : nullptr;
}
/// The alternative `T` of `*c` if `c` is not null and holds that one, else nullptr.
template <class T, class... Ts>
[[nodiscard]] T* get_if(Choice<Ts...>* c) noexcept {
  return c != nullptr ? c->template get_if<T>() : nullptr;
}

}  // namespace valkey
