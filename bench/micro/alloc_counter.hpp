#pragma once
// Heap allocations made by this process so far (global operator new is
// replaced in alloc_counter.cpp). Benchmarks read it around their loop and
// report allocs/iter.
#include <cstdint>

namespace valkey::bench {
std::uint64_t allocations() noexcept;
}
