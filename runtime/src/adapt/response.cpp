#include <valkey/adapt/response.hpp>

namespace valkey::adapt {

void ResponseBase::throw_if_error() const {
  if (!state_.ec) return;
  if (state_.ec == errc::server_error) throw ServerError(state_.server_message);
  throw Error(state_.ec);
}

}  // namespace valkey::adapt
