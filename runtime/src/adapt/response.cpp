#include <valkey/adapt/response.hpp>

namespace valkey::adapt {

std::string ResponseBase::error_detail() const {
  const auto ec = state_.ec;
  if (ec != errc::unexpected_reply_type && ec != errc::unexpected_null && ec != errc::invalid_number) return {};
  std::string out = state_.received.empty() ? std::string("a reply of another shape") : state_.received;
  out.insert(0, "received ");
  if (wanted_) out += ", wanted " + wanted_();
  return out;
}

void ResponseBase::throw_if_error() const {
  if (!state_.ec) return;
  if (state_.ec == errc::server_error) throw ServerError(state_.server_message);
  std::string detail = error_detail();
  if (detail.empty()) throw Error(state_.ec);
  throw Error(state_.ec, state_.ec.message() + " (" + detail + ")", ErrorContext{});
}

}  // namespace valkey::adapt
