#pragma once
/// \file
/// valkey::adapt::type_name<T>(): the C++ type a reply was decoded into, as a
/// user wrote it ("std::optional<std::string>", "std::vector<std::int64_t>"),
/// for decode error messages. Built only when an error is reported.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <valkey/export.hpp>

namespace valkey {
struct Ok;
class Reply;
}  // namespace valkey

namespace valkey::adapt {

struct Ignore;

/// "std::int64_t", "std::uint8_t"...: the name of the integer type of that
/// signedness and width in bits.
// Out of line, so that an integer reply type does not compile the string
// building into every translation unit.
VALKEY_CPP_EXPORT std::string integer_type_name(bool is_signed, std::size_t bits);

/// The name of `T` as a user writes it, from get(); specialised for the
/// standard containers.
template <class T>
struct TypeName {
  static std::string get() {
    if constexpr (std::is_same_v<T, bool>) return "bool";
    else if constexpr (std::is_same_v<T, double>) return "double";
    else if constexpr (std::is_same_v<T, std::string>) return "std::string";
    else if constexpr (std::is_same_v<T, Ok>) return "valkey::Ok";
    else if constexpr (std::is_same_v<T, Reply>) return "valkey::Reply";
    else if constexpr (std::is_same_v<T, Ignore>) return "valkey::adapt::Ignore";
    else if constexpr (requires { T::record_name; }) return std::string(T::record_name);
    else if constexpr (std::is_integral_v<T>)
      return integer_type_name(std::is_signed_v<T>, 8 * sizeof(T));
    else return "a user type";
  }
};

/// The names of `Ts`, separated by ", ".
template <class... Ts>
std::string type_list() {
  std::string out;
  ((out += (out.empty() ? "" : ", ") + TypeName<Ts>::get()), ...);
  return out;
}

template <class X>
struct TypeName<std::optional<X>> {
  static std::string get() { return "std::optional<" + TypeName<X>::get() + ">"; }
};
template <class X, class A>
struct TypeName<std::vector<X, A>> {
  static std::string get() { return "std::vector<" + TypeName<X>::get() + ">"; }
};
template <class X, class C, class A>
struct TypeName<std::set<X, C, A>> {
  static std::string get() { return "std::set<" + TypeName<X>::get() + ">"; }
};
template <class X, class H, class E, class A>
struct TypeName<std::unordered_set<X, H, E, A>> {
  static std::string get() { return "std::unordered_set<" + TypeName<X>::get() + ">"; }
};
template <class K, class V, class C, class A>
struct TypeName<std::map<K, V, C, A>> {
  static std::string get() { return "std::map<" + type_list<K, V>() + ">"; }
};
template <class K, class V, class H, class E, class A>
struct TypeName<std::unordered_map<K, V, H, E, A>> {
  static std::string get() { return "std::unordered_map<" + type_list<K, V>() + ">"; }
};
template <class A, class B>
struct TypeName<std::pair<A, B>> {
  static std::string get() { return "std::pair<" + type_list<A, B>() + ">"; }
};
template <class... Xs>
struct TypeName<std::tuple<Xs...>> {
  static std::string get() { return "std::tuple<" + type_list<Xs...>() + ">"; }
};

/// The C++ type `T` as a user wrote it, for decode error messages.
template <class T>
std::string type_name() {
  return TypeName<T>::get();
}

}  // namespace valkey::adapt
