#include "detail/tls_context.hpp"

#include <openssl/err.h>

#include <valkey/error.hpp>

namespace valkey::detail {
namespace {

// What makes two contexts interchangeable: the trust store, the client
// certificate and whether the peer is verified.
std::string key_of(const TlsOptions& t) {
  std::string k;
  for (const std::string* s : {&t.ca_file, &t.ca_dir, &t.cert_file, &t.key_file}) {
    k += *s;
    k += '\0';
  }
  k += t.verify_peer ? '1' : '0';
  return k;
}

std::string reason(const std::error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    if (const char* r = ERR_reason_error_string(static_cast<unsigned long>(ec.value()))) return r;
  }
  return ec.message();
}

std::shared_ptr<asio::ssl::context> build(const TlsOptions& t, std::error_code& ec, std::string& why) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3);
  auto fail = [&](const char* what, const std::error_code& e) {
    why = std::string(what) + ": " + reason(e);
    ec = make_error_code(errc::tls_error);
    return nullptr;
  };
  std::error_code e;
  if (!t.ca_file.empty()) {
    ctx->load_verify_file(t.ca_file, e);
    if (e) return fail("cannot load ca_file", e);
  }
  if (!t.ca_dir.empty()) {
    ctx->add_verify_path(t.ca_dir, e);
    if (e) return fail("cannot use ca_dir", e);
  }
  if (t.ca_file.empty() && t.ca_dir.empty()) {
    ctx->set_default_verify_paths(e);
    if (e) return fail("cannot load the system CA store", e);
  }
  if (!t.cert_file.empty()) {
    ctx->use_certificate_chain_file(t.cert_file, e);
    if (e) return fail("cannot load cert_file", e);
    ctx->use_private_key_file(t.key_file, asio::ssl::context::pem, e);
    if (e) return fail("cannot load key_file", e);
  }
  ctx->set_verify_mode(t.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
  return ctx;
}

}  // namespace

std::shared_ptr<TlsContextCache> make_tls_context_cache() { return std::make_shared<TlsContextCache>(); }

std::shared_ptr<asio::ssl::context> TlsContextCache::get(const TlsOptions& options, std::error_code& ec,
                                                         std::string& why) {
  std::string key = key_of(options);
  std::lock_guard lk(mu_);
  if (context_ && key == key_) return context_;
  auto ctx = build(options, ec, why);
  if (ctx) {
    context_ = ctx;
    key_ = std::move(key);
  }
  return ctx;
}

}  // namespace valkey::detail
