#pragma once
/// \class valkey::View
/// `valkey::View<T>`: a cheap, non-owning view of "some elements of T" used by the
/// generated commands for repeated arguments (MGET's keys, HSET's field/value
/// pairs, ZADD's score/member blocks). It accepts a braced list, any container
/// or range whose elements convert to T (`std::vector<std::string>` for a
/// `View<std::string_view>`, a `std::map<std::string, std::string>` for a view of
/// pairs), so callers never copy into a particular container type.
///
/// Like std::string_view it does not own: build it in the call expression, or
/// keep the viewed container alive for as long as the view is used.
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <ranges>
#include <string_view>
#include <type_traits>
#include <utility>

namespace valkey {

namespace detail {

template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};

// Converts one element of the viewed range to T.
template <class T, class E>
T view_convert(const E& e) {
  if constexpr (std::is_convertible_v<const E&, T>) {
    return T(e);
  } else if constexpr (is_pair<T>::value) {
    return T{typename T::first_type(e.first), typename T::second_type(e.second)};
  } else {
    return T(e);
  }
}

template <class T, class E>
concept view_element = std::is_convertible_v<const E&, T> ||
                       (is_pair<T>::value && requires(const E& e) {
                         static_cast<typename T::first_type>(e.first);
                         static_cast<typename T::second_type>(e.second);
                       });

}  // namespace detail

template <class T>
class View {
 public:
  /// The element type.
  using value_type = T;

  /// An empty view.
  View() noexcept = default;

  /// A view of a braced list (which lives until the end of the full expression).
  View(std::initializer_list<T> list) noexcept
      : data_(list.begin()), size_(list.size()), each_(&each_contiguous<T>) {}

  /// A view of `range`: a sized range whose elements convert to T.
  template <std::ranges::sized_range R>
    requires(!std::is_same_v<std::remove_cvref_t<R>, View> &&
             !std::is_convertible_v<R, std::string_view> &&
             detail::view_element<T, std::ranges::range_value_t<R>>)
  View(const R& range) noexcept  // NOLINT: implicit by design, like string_view
      : data_(&range), size_(std::ranges::size(range)), each_(&each_range<R>) {}

  /// The number of elements.
  std::size_t size() const noexcept { return size_; }
  /// Whether there are no elements.
  bool empty() const noexcept { return size_ == 0; }

  /// Calls f(const T&) for each element, in order.
  template <class F>
  void for_each(F&& f) const {
    if (size_ == 0) return;
    auto thunk = [](void* ctx, const T& v) { (*static_cast<std::remove_reference_t<F>*>(ctx))(v); };
    each_(data_, size_, &f, thunk);
  }

 private:
  using Callback = void (*)(void*, const T&);
  using Each = void (*)(const void*, std::size_t, void*, Callback);

  template <class E>
  static void each_contiguous(const void* data, std::size_t n, void* ctx, Callback cb) {
    auto p = static_cast<const E*>(data);
    for (std::size_t i = 0; i < n; ++i) cb(ctx, p[i]);
  }
  template <class R>
  static void each_range(const void* data, std::size_t, void* ctx, Callback cb) {
    for (const auto& e : *static_cast<const R*>(data)) {
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(e)>, T>) {
        cb(ctx, e);
      } else {
        const T v = detail::view_convert<T>(e);
        cb(ctx, v);
      }
    }
  }

  const void* data_ = nullptr;
  std::size_t size_ = 0;
  Each each_ = nullptr;
};

/// A view of strings: the type of list parameters (keys, members...).
using Strings = View<std::string_view>;
/// A view of string pairs: the type of pair parameters (HSET's field/value pairs...).
using StringPairs = View<std::pair<std::string_view, std::string_view>>;

}  // namespace valkey
