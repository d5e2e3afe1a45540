#pragma once
// Included ahead of every source file of the library (runtime/CMakeLists.txt
// passes it with -include when the library is shared). The shared library is
// built with hidden symbol visibility, but Asio is header-only and the
// program shares its state with the library: the io_context's services, the
// per-thread call stack behind running_in_this_thread() and dispatch(), the
// recycled handler memory, the error categories. Declared here first, with
// default visibility, Asio's templates instantiate with default visibility
// in the library as well, so the dynamic linker binds the program and the
// library to one copy of that state. Every Asio header the library's sources
// and public headers include is listed; scripts/package_test.sh checks that.
//
// <cstddef> comes first: Asio's configuration reads the standard library's
// macros (_GLIBCXX_HAVE_ALIGNED_ALLOC chooses between aligned_alloc + free
// and operator new + delete for handler memory), and the program's Asio,
// included after some standard header, must see the same ones.
#include <cstddef>

#pragma GCC visibility push(default)
#include <asio/any_io_executor.hpp>
#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/bind_allocator.hpp>
#include <asio/bind_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/co_spawn.hpp>
#include <asio/compose.hpp>
#include <asio/connect.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/channel.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/recycling_allocator.hpp>
#include <asio/ssl.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <asio/write.hpp>
#pragma GCC visibility pop
