#pragma once
// Heap allocations made by this process so far (global operator new is
// replaced in alloc_counter.cpp, for every thread). Benchmarks read it
// around their loop and report allocations per iteration or request.
#include <cstdint>

namespace valkey::bench {
std::uint64_t allocations() noexcept;
}
