#include "detail/transport.hpp"

#include <sys/socket.h>
#include <sys/types.h>

#include <asio/connect.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <valkey/error.hpp>

namespace valkey::detail {
namespace {

bool is_ip_literal(const std::string& host) {
  std::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

std::string openssl_reason(const std::error_code& ec) {
  std::string text = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (reason) text = reason;
  }
  return text;
}

}  // namespace

Transport::Transport(const asio::any_io_executor& ex, const Config& config)
    : ex_(ex),
      config_(config),
      kind_(!config.unix_path.empty() ? Kind::unix_socket : config.tls.enabled ? Kind::tls : Kind::tcp),
      tcp_(ex),
      unix_(ex),
      resolver_(ex) {}

void Transport::close() noexcept {
  std::error_code ignored;
  resolver_.cancel();
  tcp_.close(ignored);
  unix_.close(ignored);
}

void Transport::async_connect(Done done) {
  error_text_.clear();
  if (kind_ == Kind::unix_socket) {
    unix_.async_connect(asio::local::stream_protocol::endpoint(config_.unix_path),
                        [done = std::move(done)](std::error_code ec) { done(ec); });
    return;
  }
  if (kind_ == Kind::tls) {
    std::error_code ec;
    setup_tls(ec);
    if (ec) {
      asio::post(ex_, [done = std::move(done), ec] { done(ec); });
      return;
    }
  }
  connect_tcp(std::move(done));
}

void Transport::connect_tcp(Done done) {
  resolver_.async_resolve(
      config_.host, std::to_string(config_.port),
      [this, done = std::move(done)](std::error_code ec, asio::ip::tcp::resolver::results_type r) mutable {
        if (ec) return done(ec);
        asio::async_connect(tcp_, r, [this, done = std::move(done)](std::error_code ec, const auto&) mutable {
          if (ec) return done(ec);
          tcp_.set_option(asio::ip::tcp::no_delay(true), ec);
          if (kind_ != Kind::tls) return done({});
          tls_->async_handshake(asio::ssl::stream_base::client,
                                [this, done = std::move(done)](std::error_code ec) {
                                  if (ec) {
                                    error_text_ = openssl_reason(ec);
                                    return done(make_error_code(errc::tls_error));
                                  }
                                  done({});
                                });
        });
      });
}

void Transport::setup_tls(std::error_code& ec) {
  const TlsOptions& t = config_.tls;
  ssl_ctx_.emplace(asio::ssl::context::tls_client);
  auto& ctx = *ssl_ctx_;
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3);
  auto fail = [&](const char* what, std::error_code e) {
    error_text_ = std::string(what) + ": " + openssl_reason(e);
    ec = make_error_code(errc::tls_error);
  };
  if (!t.ca_file.empty()) {
    ctx.load_verify_file(t.ca_file, ec);
    if (ec) return fail("cannot load ca_file", ec);
  }
  if (!t.ca_dir.empty()) {
    ctx.add_verify_path(t.ca_dir, ec);
    if (ec) return fail("cannot use ca_dir", ec);
  }
  if (t.ca_file.empty() && t.ca_dir.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) return fail("cannot load the system CA store", ec);
  }
  if (!t.cert_file.empty()) {
    ctx.use_certificate_chain_file(t.cert_file, ec);
    if (ec) return fail("cannot load cert_file", ec);
    ctx.use_private_key_file(t.key_file, asio::ssl::context::pem, ec);
    if (ec) return fail("cannot load key_file", ec);
  }
  ctx.set_verify_mode(t.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);

  tls_.emplace(tcp_, ctx);
  SSL* ssl = tls_->native_handle();
  const std::string& name = t.sni.empty() ? config_.host : t.sni;
  if (!is_ip_literal(name)) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (t.verify_peer && t.verify_hostname) {
    // OpenSSL checks the name (or IP) against the certificate's SAN/CN during
    // the handshake; a mismatch fails it with "certificate verify failed".
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int ok = is_ip_literal(name) ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                                 : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    if (ok != 1) {
      error_text_ = "cannot set the host name to verify";
      ec = make_error_code(errc::tls_error);
    }
  }
}

std::size_t Transport::try_write(asio::const_buffer b) noexcept {
  int fd = -1;
  switch (kind_) {
    case Kind::tcp: fd = tcp_.native_handle(); break;
    case Kind::unix_socket: fd = unix_.native_handle(); break;
    case Kind::tls: return 0;  // the TLS record layer is Asio's
  }
  if (fd < 0) return 0;
  ssize_t n = ::send(fd, b.data(), b.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace valkey::detail
