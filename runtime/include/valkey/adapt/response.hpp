#pragma once
/// \class valkey::adapt::ResponseVisitor
/// valkey::adapt::ResponseVisitor<T>: the resp::Visitor the connection hands
/// the parser for one request. An error reply at depth 0 fails the request with
/// errc::server_error and keeps the server's text (server_message(), to build a
/// valkey::ServerError); otherwise the reply is decoded into T. A reply that
/// does not fit T fails with unexpected_reply_type / unexpected_null /
/// invalid_number, and the rest of the message is still consumed (the parser
/// frames it), so the connection stays usable.
///
/// Attributes are skipped unless T is valkey::Reply (which keeps them).
/// For scalar T nothing is allocated beyond the value itself.
#include <cstddef>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include <valkey/adapt/decoder.hpp>
#include <valkey/adapt/type_name.hpp>
#include <valkey/export.hpp>
#include <valkey/resp/visitor.hpp>

namespace valkey::adapt {

/// The type-independent half, so the runtime can keep pending requests of
/// different T behind one pointer type.
class VALKEY_CPP_EXPORT ResponseBase : public resp::Visitor {
 public:
  /// The request's error, set once the reply ended: empty on success.
  std::error_code error_code() const noexcept { return state_.ec; }
  /// The server's error text (without '-'), when error_code() is server_error.
  const std::string& server_message() const noexcept { return state_.server_message; }
  /// Whether error_code() is errc::server_error.
  bool is_server_error() const noexcept { return state_.ec == errc::server_error; }
  /// True once on_message_end() arrived.
  bool complete() const noexcept { return complete_; }
  /// For a decode failure (unexpected_reply_type, unexpected_null,
  /// invalid_number): what was received and what was wanted, in words
  /// ("received bulk string \"abc\", wanted std::int64_t"). Empty otherwise.
  std::string error_detail() const;

  void on_message_end() override {
    complete_ = true;
    if (!done_ && !state_.failed()) state_.fail(errc::unexpected_reply_type);
  }

  /// Throws valkey::ServerError for a server error, valkey::Error for any
  /// other failure; returns when the reply decoded.
  void throw_if_error() const;

 protected:
  ~ResponseBase() = default;

  /// Filters one node before the decoder sees it: false when it must not reach it.
  bool admit(const resp::Node& n, bool keep_attributes) {
    if (done_ || state_.failed()) return false;
    if (skip_above_ != kNoSkip) {
      if (n.depth > skip_above_) return false;  // inside a skipped attribute
      skip_above_ = kNoSkip;
    }
    if (n.type == resp::Type::attribute && !keep_attributes) {
      skip_above_ = n.depth;
      return false;
    }
    if (n.depth == 0 && resp::is_error(n.type)) {
      state_.server_error(n.value);
      return false;
    }
    return true;
  }

  static constexpr std::size_t kNoSkip = static_cast<std::size_t>(-1);
  /// The decoded type's name, built only for an error message.
  std::string (*wanted_)() = nullptr;
  DecodeState state_;
  std::size_t skip_above_ = kNoSkip;
  bool done_ = false;
  bool complete_ = false;
};

template <class T>
  requires Decodable<T>
class ResponseVisitor final : public ResponseBase {
 public:
  ResponseVisitor() noexcept { wanted_ = &type_name<T>; }

  void on_node(const resp::Node& n) override {
    if (admit(n, std::is_same_v<T, Reply>)) done_ = decoder_.feed(n, value_, state_);
  }

  /// The decoded value.
  T& value() & noexcept { return value_; }
  /// The decoded value.
  const T& value() const& noexcept { return value_; }
  /// Moves the decoded value out.
  T take() { return std::move(value_); }

 private:
  Decoder<T> decoder_{};
  T value_{};
};

}  // namespace valkey::adapt
