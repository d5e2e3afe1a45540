#pragma once
// The decoders of a request: they receive the nodes of the request's replies
// (on_node, on_reply_end, as the connection delivers them) and produce its
// result. One interface for a single command, a typed pipeline, a dynamic
// batch and a transaction:
//
//   using result_type = ...;
//   explicit D(std::uint32_t replies);
//   void on_node(const resp::Node&);  void on_reply_end();
//   std::error_code finish(result_type& out, Reason& why);  // once, at the end
//   void reset();   // forget everything received: the request is sent again
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <valkey/adapt/response.hpp>
#include <valkey/exec/outcome.hpp>
#include <valkey/exec/resp3_shape.hpp>
#include <valkey/reply.hpp>
#include <valkey/resp/node.hpp>

namespace valkey::exec {

namespace internal {

// A decoder whose result holds valkey::Reply values has
//   void to_resp3(result_type&, Resp3Shapes&);
// which the executors call after finish() on a RESP2 connection, with the
// request's commands in order: each Reply takes its command's RESP3 shape
// (exec/resp3_shape.hpp). Typed decoders have none and pay nothing.

// A decode failure's words ("received ..., wanted ..."), or the server's.
inline std::error_code failure_of(const adapt::ResponseBase& v, Reason& why) {
  std::error_code ec = v.error_code();
  if (!ec) return ec;  // the common case, before building an errc to compare with
  if (ec == errc::server_error) why.server_message = v.server_message();
  else why.detail = v.error_detail();
  return ec;
}

template <class V>
void renew(V& v) {
  std::destroy_at(&v);
  std::construct_at(&v);
}

}  // namespace internal

// One command's reply decoded into T.
template <class T>
class SingleReply {
 public:
  using result_type = T;
  explicit SingleReply(std::uint32_t /*replies*/ = 1) noexcept {}
  void on_node(const resp::Node& n) { visitor_.on_node(n); }
  void on_reply_end() { visitor_.on_message_end(); }
  std::error_code finish(T& out, Reason& why) {
    std::error_code ec = internal::failure_of(visitor_, why);
    if (!ec) out = visitor_.take();
    return ec;
  }
  void reset() { internal::renew(visitor_); }
  adapt::ResponseVisitor<T>& visitor() noexcept { return visitor_; }
  void to_resp3(T& out, Resp3Shapes& shapes)
    requires std::is_same_v<T, Reply>
  {
    shapes.apply_next(out);
  }

 private:
  adapt::ResponseVisitor<T> visitor_;
};

// Replies decoded into std::tuple<Ts...>; the first failing reply wins.
template <class... Ts>
class TupleCollector {
 public:
  using result_type = std::tuple<Ts...>;
  static constexpr std::size_t size = sizeof...(Ts);

  explicit TupleCollector(std::uint32_t = 0) { bind(std::index_sequence_for<Ts...>{}); }
  TupleCollector(const TupleCollector&) = delete;
  TupleCollector& operator=(const TupleCollector&) = delete;

  void on_node(const resp::Node& n) {
    if (i_ < size) at_[i_]->on_node(n);
  }
  void on_reply_end() {
    if (i_ < size) at_[i_++]->on_message_end();
  }
  std::error_code finish(result_type& out, Reason& why) {
    if (i_ != size) return make_error_code(errc::unexpected_reply_type);  // fewer replies than commands
    for (std::size_t i = 0; i < size; ++i) {
      if (auto ec = internal::failure_of(*at_[i], why)) {
        if (!why.detail.empty()) why.detail = "reply #" + std::to_string(i) + ": " + why.detail;
        return ec;
      }
    }
    out = take(std::index_sequence_for<Ts...>{});
    return {};
  }
  void reset() {
    std::apply([](auto&... v) { (internal::renew(v), ...); }, visitors_);
    i_ = 0;
  }
  // The Reply entries (call() in a typed pipeline); the others' commands are skipped.
  void to_resp3(result_type& out, Resp3Shapes& shapes)
    requires(std::is_same_v<Ts, Reply> || ...)
  {
    std::apply(
        [&](auto&... v) {
          auto one = [&](auto& x) {
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, Reply>) shapes.apply_next(x);
            else shapes.next();
          };
          (one(v), ...);
        },
        out);
  }

 private:
  template <std::size_t... I>
  void bind(std::index_sequence<I...>) {
    ((at_[I] = &std::get<I>(visitors_)), ...);
  }
  template <std::size_t... I>
  result_type take(std::index_sequence<I...>) {
    return result_type{std::get<I>(visitors_).take()...};
  }

  std::tuple<adapt::ResponseVisitor<Ts>...> visitors_;
  std::array<adapt::ResponseBase*, size> at_{};
  std::size_t i_ = 0;
};

// N replies kept as valkey::Reply values, error replies included: the batch
// itself only fails when the connection does.
class ReplyCollector {
 public:
  using result_type = std::vector<Reply>;
  explicit ReplyCollector(std::uint32_t n) : n_(n) { out_.reserve(n); }
  void on_node(const resp::Node& n) { builder_.on_node(n); }
  void on_reply_end() {
    builder_.on_message_end();
    out_.push_back(builder_.take());
  }
  std::error_code finish(result_type& out, Reason&) {
    out = std::move(out_);
    return {};
  }
  static void to_resp3(result_type& out, Resp3Shapes& shapes) {
    for (Reply& r : out) shapes.apply_next(r);
  }
  void reset() {
    builder_.reset();
    out_.clear();
    out_.reserve(n_);
  }

 private:
  ReplyBuilder builder_;
  std::vector<Reply> out_;
  std::uint32_t n_;
};

// N replies of the same type T; the first failing one fails the batch.
template <class T>
class VectorCollector {
 public:
  using result_type = std::vector<T>;
  explicit VectorCollector(std::uint32_t n) : n_(n) { out_.reserve(n); }
  void on_node(const resp::Node& n) { current_->on_node(n); }
  void on_reply_end() {
    current_->on_message_end();
    if (!ec_) {
      if ((ec_ = internal::failure_of(*current_, why_))) {
        if (!why_.detail.empty()) why_.detail = "reply #" + std::to_string(out_.size()) + ": " + why_.detail;
      } else {
        out_.push_back(current_->take());
      }
    }
    current_.emplace();  // a fresh decoder in place: no allocation per reply
  }
  std::error_code finish(result_type& out, Reason& why) {
    if (ec_) {
      why = why_;
      return ec_;
    }
    out = std::move(out_);
    return {};
  }
  void reset() {
    current_.emplace();
    out_.clear();
    out_.reserve(n_);
    ec_.clear();
    why_.clear();
  }

 private:
  std::optional<adapt::ResponseVisitor<T>> current_{std::in_place};
  std::vector<T> out_;
  std::error_code ec_;
  Reason why_;
  std::uint32_t n_;
};

}  // namespace valkey::exec
