#include "resp_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace valkey::test {
namespace {

[[noreturn]] void io_fail(const std::string& what) {
  throw RespIoError(what + ": " + std::strerror(errno));
}

}  // namespace

std::string RespValue::as_string() const {
  switch (type) {
    case Type::simple:
    case Type::error:
    case Type::bulk: return str;
    case Type::integer: return std::to_string(integer);
    default: throw std::runtime_error("RESP reply is not a string: " + to_string());
  }
}

std::string RespValue::to_string() const {
  switch (type) {
    case Type::simple: return "+" + str;
    case Type::error: return "-" + str;
    case Type::integer: return ":" + std::to_string(integer);
    case Type::bulk: return "$\"" + str + "\"";
    case Type::null: return "(nil)";
    case Type::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i) out += ", ";
        out += elements[i].to_string();
      }
      return out + "]";
    }
  }
  return "?";
}

RespConnection::RespConnection(const std::string& host, int port, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  if (port == 0) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (host.size() >= sizeof(addr.sun_path)) throw RespIoError("unix socket path too long: " + host);
    std::memcpy(addr.sun_path, host.c_str(), host.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) io_fail("socket");
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      int e = errno;
      ::close(fd_);
      fd_ = -1;
      errno = e;
      io_fail("connect " + host);
    }
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    std::string ip = host == "localhost" ? "127.0.0.1" : host;
    if (::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1)
      throw RespIoError("not an IPv4 address: " + host);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) io_fail("socket");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Loopback connects either succeed or are refused at once; no need for a
    // non-blocking connect with its own timeout.
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      int e = errno;
      ::close(fd_);
      fd_ = -1;
      errno = e;
      io_fail("connect " + ip + ":" + std::to_string(port));
    }
  }
}

RespConnection::~RespConnection() {
  if (fd_ >= 0) ::close(fd_);
}

RespConnection::RespConnection(RespConnection&& other) noexcept
    : fd_(other.fd_), timeout_(other.timeout_), buf_(std::move(other.buf_)), pos_(other.pos_) {
  other.fd_ = -1;
}

RespConnection& RespConnection::operator=(RespConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    timeout_ = other.timeout_;
    buf_ = std::move(other.buf_);
    pos_ = other.pos_;
    other.fd_ = -1;
  }
  return *this;
}

void RespConnection::send(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  std::size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_fail("send");
    }
    sent += static_cast<std::size_t>(n);
  }
}

RespValue RespConnection::command(const std::vector<std::string>& args) {
  send(args);
  return read_reply();
}

RespValue RespConnection::read_reply() {
  // Compact the buffer between replies so it does not grow without bound.
  buf_.erase(0, pos_);
  pos_ = 0;
  return parse();
}

void RespConnection::fill() {
  pollfd p{fd_, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, static_cast<int>(timeout_.count()));
  } while (r < 0 && errno == EINTR);
  if (r < 0) io_fail("poll");
  if (r == 0) throw RespIoError("timed out waiting for a reply after " + std::to_string(timeout_.count()) + " ms");
  char tmp[16384];
  ssize_t n;
  do {
    n = ::recv(fd_, tmp, sizeof tmp, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) io_fail("recv");
  if (n == 0) throw RespIoError("connection closed by the server");
  buf_.append(tmp, static_cast<std::size_t>(n));
}

std::string RespConnection::read_line() {
  for (;;) {
    auto end = buf_.find("\r\n", pos_);
    if (end != std::string::npos) {
      std::string line = buf_.substr(pos_, end - pos_);
      pos_ = end + 2;
      return line;
    }
    fill();
  }
}

RespValue RespConnection::parse() {
  std::string line = read_line();
  if (line.empty()) throw RespIoError("empty RESP line");
  char tag = line[0];
  std::string rest = line.substr(1);
  RespValue v;
  auto read_bulk = [&](long long len) {
    while (buf_.size() - pos_ < static_cast<std::size_t>(len) + 2) fill();
    std::string s = buf_.substr(pos_, static_cast<std::size_t>(len));
    pos_ += static_cast<std::size_t>(len) + 2;
    return s;
  };
  switch (tag) {
    case '+':
      v.type = RespValue::Type::simple;
      v.str = rest;
      break;
    case '-':
      v.type = RespValue::Type::error;
      v.str = rest;
      break;
    case ':':
      v.type = RespValue::Type::integer;
      v.integer = std::stoll(rest);
      break;
    case '#':
      v.type = RespValue::Type::integer;
      v.integer = rest == "t" ? 1 : 0;
      break;
    case ',':
    case '(':
      v.type = RespValue::Type::bulk;
      v.str = rest;
      break;
    case '_':
      v.type = RespValue::Type::null;
      break;
    case '$':
    case '=':
    case '!': {
      long long len = std::stoll(rest);
      if (len < 0) break;  // null bulk
      v.type = tag == '!' ? RespValue::Type::error : RespValue::Type::bulk;
      v.str = read_bulk(len);
      if (tag == '=' && v.str.size() >= 4) v.str.erase(0, 4);  // "txt:"
      break;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      long long n = std::stoll(rest);
      if (n < 0) break;  // null array
      if (tag == '%') n *= 2;
      v.type = RespValue::Type::array;
      v.elements.reserve(static_cast<std::size_t>(n));
      for (long long i = 0; i < n; ++i) v.elements.push_back(parse());
      break;
    }
    case '|': {  // attribute: skip it, return the value that follows
      long long n = std::stoll(rest) * 2;
      for (long long i = 0; i < n; ++i) parse();
      return parse();
    }
    default: throw RespIoError("unexpected RESP type byte '" + std::string(1, tag) + "'");
  }
  return v;
}

RespValue send_command(int port, const std::vector<std::string>& args, const std::string& password,
                       std::chrono::milliseconds timeout) {
  RespConnection c("127.0.0.1", port, timeout);
  if (!password.empty()) {
    auto r = c.command({"AUTH", password});
    if (r.is_error()) return r;
  }
  return c.command(args);
}

std::string info_field(const std::string& info, const std::string& key) {
  std::istringstream in(info);
  std::string line;
  const std::string prefix = key + ":";
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return {};
}

}  // namespace valkey::test
