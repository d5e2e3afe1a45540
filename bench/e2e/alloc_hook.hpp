#pragma once
// Heap allocations made by the whole bench process so far (every thread,
// the client's I/O thread included): global operator new is replaced in
// alloc_hook.cpp. Workloads read it around their measured loop.
#include <cstdint>

namespace e2e {
std::uint64_t allocations() noexcept;
}
