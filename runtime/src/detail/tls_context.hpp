#pragma once
// The OpenSSL context of a TLS configuration, built once and shared by every
// connection made from it (TlsOptions::context_cache): reconnects, leased
// connections and WATCH connections reuse the verified CA store and the
// client certificate instead of reading the files again each time.
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

#include <asio/ssl/context.hpp>

#include <valkey/config.hpp>

namespace valkey::detail {

class TlsContextCache {
 public:
  // The context for `options` (SNI and host-name checks are per connection
  // and not part of it): the one built before, unless the options changed
  // since. On failure returns null, sets `ec` to errc::tls_error and `why`
  // to what could not be loaded; nothing is cached then.
  std::shared_ptr<asio::ssl::context> get(const TlsOptions& options, std::error_code& ec, std::string& why);

 private:
  std::mutex mu_;  // copies of one Config may connect from several threads
  std::string key_;
  std::shared_ptr<asio::ssl::context> context_;
};

}  // namespace valkey::detail
