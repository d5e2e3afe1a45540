// valkey::exec::Bytes: a request's encoded commands. Moves leave an empty
// handle behind, a dropped buffer is what the thread's next request encodes
// into (so steady state allocates nothing), a buffer grown by a large value
// is not kept at that size, and a buffer may be dropped on another thread.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <valkey/exec/bytes.hpp>

using valkey::exec::Bytes;

namespace {

Bytes with_text(std::string_view text) {
  Bytes b = Bytes::pooled();
  b.buffer().append(text);
  return b;
}

}  // namespace

TEST_CASE("Bytes: a move takes the buffer and leaves an empty handle", "[exec][bytes]") {
  Bytes a = with_text("*1\r\n$4\r\nPING\r\n");
  Bytes b = std::move(a);
  CHECK(b.view() == "*1\r\n$4\r\nPING\r\n");
  CHECK(b.size() == 14);
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  CHECK(a.view().empty());

  Bytes c = with_text("other");
  c = std::move(b);
  CHECK(c.view() == "*1\r\n$4\r\nPING\r\n");
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)

  Bytes empty;
  CHECK(empty.empty());
  CHECK(empty.view().empty());
}

TEST_CASE("Bytes: a dropped buffer is the next pooled() buffer of the same thread", "[exec][bytes]") {
  const char* first = nullptr;
  std::size_t capacity = 0;
  {
    Bytes b = Bytes::pooled();
    b.buffer().assign(200, 'x');
    first = b.buffer().data();
    capacity = b.buffer().capacity();
  }
  Bytes again = Bytes::pooled();
  CHECK(again.empty());
  CHECK(again.buffer().data() == first);  // the same allocation, kept
  CHECK(again.buffer().capacity() == capacity);
}

TEST_CASE("Bytes: a buffer grown past 16 KiB goes back to the pool small", "[exec][bytes]") {
  { Bytes big = with_text(std::string(100 * 1024, 'v')); }
  Bytes next = Bytes::pooled();
  CHECK(next.empty());
  CHECK(next.buffer().capacity() <= 16 * 1024);
}

TEST_CASE("Bytes: taking a string keeps its text; dropping it on another thread is safe", "[exec][bytes]") {
  Bytes b(std::string(100, 'k'));
  CHECK(b.view() == std::string(100, 'k'));
  std::size_t seen = 0;
  std::thread t([&seen, moved = std::move(b)]() mutable {
    seen = moved.size();
    Bytes local = std::move(moved);  // dropped here, into this thread's pool
  });
  t.join();
  CHECK(seen == 100);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
  // The thread's pool went away with the thread; this thread's still works.
  Bytes mine = with_text("GET");
  CHECK(mine.view() == "GET");
}

TEST_CASE("Bytes: a thread keeps 32 dropped buffers and frees the rest", "[exec][bytes]") {
  std::size_t reused = 0;
  std::thread t([&reused] {
    std::vector<Bytes> held;
    std::vector<const char*> kept;
    for (int i = 0; i < 40; ++i) {
      held.push_back(Bytes::pooled());
      held.back().buffer().assign(100, 'x');  // past the small-string buffer: an allocation of its own
    }
    for (Bytes& b : held) kept.push_back(b.buffer().data());
    held.clear();  // 40 dropped: 32 kept, 8 freed
    for (int i = 0; i < 40; ++i) held.push_back(Bytes::pooled());
    for (Bytes& b : held)
      if (b.buffer().capacity() >= 100 && std::find(kept.begin(), kept.end(), b.buffer().data()) != kept.end())
        ++reused;
  });
  t.join();
  CHECK(reused == 32);
}
