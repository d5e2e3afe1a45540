#include "detail/transport.hpp"

#include <algorithm>
#include <cerrno>

#include <sys/socket.h>
#include <sys/types.h>

#include <asio/connect.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <valkey/error.hpp>

#include "detail/syscalls.hpp"
#include "detail/tls_context.hpp"

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
      resolver_(ex),
      tls_timer_(ex) {}

void Transport::close() noexcept {
  std::error_code ignored;
  resolver_.cancel();
  tls_timer_.cancel();
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
  auto connected = [this, self = shared_from_this(), done = std::move(done)](std::error_code ec) mutable {
    if (ec) return done(ec);
    tcp_.set_option(asio::ip::tcp::no_delay(true), ec);
    if (kind_ != Kind::tls) return done({});
    tls_handshake(std::move(done));
  };
  // An address needs no resolver: Asio's runs getaddrinfo on a thread of
  // its own per io_context, which a connection to 127.0.0.1 has no use for.
  std::error_code ec;
  const asio::ip::address address = asio::ip::make_address(config_.host, ec);
  if (!ec) {
    tcp_.async_connect(asio::ip::tcp::endpoint(address, config_.port), std::move(connected));
    return;
  }
  resolver_.async_resolve(config_.host, std::to_string(config_.port),
                          [this, self = shared_from_this(), connected = std::move(connected)](
                              std::error_code ec, asio::ip::tcp::resolver::results_type r) mutable {
                            if (ec) return connected(ec);
                            asio::async_connect(tcp_, r, [connected = std::move(connected)](
                                                             std::error_code ec, const auto&) mutable { connected(ec); });
                          });
}

void Transport::tls_handshake(Done done) {
  // A server without TLS on this port reads the client hello as the start of
  // a command and waits for the rest: nothing ever comes back. The timer
  // closes the socket, which ends the handshake with operation_aborted.
  tls_timed_out_ = false;
  tls_timer_.expires_after(std::min(config_.tls.handshake_timeout, config_.connect_timeout));
  tls_timer_.async_wait([this, self = shared_from_this()](std::error_code ec) {
    if (ec) return;
    tls_timed_out_ = true;
    std::error_code ignored;
    tcp_.close(ignored);
  });
  tls_->async_handshake(asio::ssl::stream_base::client,
                        [this, self = shared_from_this(), done = std::move(done)](std::error_code ec) {
    tls_timer_.cancel();
    if (tls_timed_out_) {
      error_text_ = "no TLS handshake from " + config_.endpoint() + ": is the server TLS-enabled?";
      return done(make_error_code(errc::tls_error));
    }
    if (ec) {
      error_text_ = openssl_reason(ec);
      return done(make_error_code(errc::tls_error));
    }
    done({});
  });
}

void Transport::setup_tls(std::error_code& ec) {
  const TlsOptions& t = config_.tls;
  // A Config whose cache was reset to null (by the user) still works: the
  // context is then built for this attempt alone.
  ssl_ctx_ = t.context_cache ? t.context_cache->get(t, ec, error_text_) : TlsContextCache{}.get(t, ec, error_text_);
  if (!ssl_ctx_) return;
  asio::ssl::context& ctx = *ssl_ctx_;
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
  const long n = sys::send(fd, b.data(), b.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

long Transport::try_read(asio::mutable_buffer b, int& err) noexcept {
  const int fd = plain_fd();
  if (fd < 0) {
    err = EBADF;
    return -1;
  }
  for (;;) {
    const long n = sys::recv(fd, b.data(), b.size(), MSG_DONTWAIT);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    err = errno == EWOULDBLOCK ? EAGAIN : errno;
    return -1;
  }
}

}  // namespace valkey::detail
