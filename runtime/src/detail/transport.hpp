#pragma once
// The byte stream under a Connection: TCP, Unix domain socket or TLS over TCP.
// One object per connection attempt; the Connection drives it. Always held
// by shared_ptr: its connect-phase handlers keep it alive until they ran.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include <asio/any_io_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/read.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <valkey/config.hpp>

namespace valkey::detail {

class Transport : public std::enable_shared_from_this<Transport> {
 public:
  enum class Kind { tcp, unix_socket, tls };
  using Done = std::function<void(std::error_code)>;  // once per connection attempt

  Transport(const asio::any_io_executor& ex, const Config& config);

  // Resolves, connects and (TLS) handshakes. `done` gets tls_error for a TLS
  // failure (what() carries OpenSSL's reason via last_error_text()).
  void async_connect(Done done);
  // Closes the socket; outstanding operations complete with an error.
  void close() noexcept;
  // Why the last TLS handshake failed ("certificate verify failed ..."), for
  // error messages; empty when it did not.
  const std::string& last_error_text() const noexcept { return error_text_; }

  template <class Handler>
  void async_read_some(asio::mutable_buffer b, Handler&& h) {
    switch (kind_) {
      case Kind::tcp: tcp_.async_read_some(b, std::forward<Handler>(h)); break;
      case Kind::unix_socket: unix_.async_read_some(b, std::forward<Handler>(h)); break;
      case Kind::tls: tls_->async_read_some(b, std::forward<Handler>(h)); break;
    }
  }
  // Plain sockets (TCP, Unix) can be waited on for readability and then read
  // without blocking; TLS cannot (the record layer may hold decrypted bytes).
  bool can_wait_then_read() const noexcept { return kind_ != Kind::tls; }
  // The socket's descriptor (plain sockets), -1 for TLS or when closed.
  int plain_fd() const noexcept {
    if (kind_ == Kind::tcp) return const_cast<asio::ip::tcp::socket&>(tcp_).native_handle();
    if (kind_ == Kind::unix_socket) return const_cast<asio::local::stream_protocol::socket&>(unix_).native_handle();
    return -1;
  }
  // The descriptor under any kind, TLS included (-1 when closed): for
  // watching it for a hang-up, never for reading.
  int socket_fd() const noexcept {
    if (kind_ == Kind::unix_socket) return const_cast<asio::local::stream_protocol::socket&>(unix_).native_handle();
    return const_cast<asio::ip::tcp::socket&>(tcp_).native_handle();
  }
  // Completes when the socket is readable (plain sockets only).
  template <class Handler>
  void async_wait_readable(Handler&& h) {
    if (kind_ == Kind::tcp) tcp_.async_wait(asio::socket_base::wait_read, std::forward<Handler>(h));
    else unix_.async_wait(asio::socket_base::wait_read, std::forward<Handler>(h));
  }
  // Reads what the socket holds right now without blocking (plain sockets
  // only), as recv(2) does: the bytes read (0: the peer closed), or -1 with
  // `err` set (EAGAIN when there is nothing to read).
  long try_read(asio::mutable_buffer b, int& err) noexcept;

  // Writes what the socket takes right now without blocking (TCP and Unix
  // sockets): the bytes written, 0 when it would block, failed, or the
  // transport is TLS. A failure is left for the asynchronous write that
  // follows to report, so it surfaces the usual way.
  std::size_t try_write(asio::const_buffer b) noexcept;

  template <class Handler>
  void async_write(asio::const_buffer b, Handler&& h) {
    switch (kind_) {
      case Kind::tcp: asio::async_write(tcp_, b, std::forward<Handler>(h)); break;
      case Kind::unix_socket: asio::async_write(unix_, b, std::forward<Handler>(h)); break;
      case Kind::tls: asio::async_write(*tls_, b, std::forward<Handler>(h)); break;
    }
  }

 private:
  void connect_tcp(Done done);
  void tls_handshake(Done done);
  void setup_tls(std::error_code& ec);

  asio::any_io_executor ex_;
  const Config& config_;
  Kind kind_;
  asio::ip::tcp::socket tcp_;
  asio::local::stream_protocol::socket unix_;
  // Shared by every transport made from the same configuration (see
  // TlsOptions::context_cache): the CA bundle and certificates are read once.
  std::shared_ptr<asio::ssl::context> ssl_ctx_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer tls_timer_;  // bounds the TLS handshake
  bool tls_timed_out_ = false;
  std::string error_text_;
};

}  // namespace valkey::detail
