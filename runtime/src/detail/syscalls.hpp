#pragma once
// The syscalls of a request's hot path (send, poll, recv) made directly.
// glibc's wrappers of these are thread-cancellation points: each call switches
// asynchronous cancellation on and off around the syscall, about 90
// instructions, which is several percent of a whole sequential request. This
// library never cancels threads, so it calls the kernel without them.
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <ctime>

namespace valkey::detail::sys {

inline long send(int fd, const void* data, std::size_t size, int flags) noexcept {
  return ::syscall(SYS_sendto, fd, data, size, flags, nullptr, 0);
}

inline long recv(int fd, void* data, std::size_t size, int flags) noexcept {
  return ::syscall(SYS_recvfrom, fd, data, size, flags, nullptr, nullptr);
}

// poll(2); timeout_ms < 0 waits without limit.
inline int poll(pollfd* fds, nfds_t n, int timeout_ms) noexcept {
#ifdef SYS_poll
  return static_cast<int>(::syscall(SYS_poll, fds, n, timeout_ms));
#else
  timespec ts{timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1'000'000};
  return static_cast<int>(::syscall(SYS_ppoll, fds, n, timeout_ms < 0 ? nullptr : &ts, nullptr, 0));
#endif
}

}  // namespace valkey::detail::sys
