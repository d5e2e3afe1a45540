#pragma once
// Which lane a sync client's call takes: a connection of the single-node
// Client (sync/lane.hpp) or a router of the ClusterClient
// (cluster/sync_lanes.hpp). Both open lanes on demand, so that threads that
// call at the same time rarely wait on each other, while one thread's calls
// keep to one lane.
#include <cstddef>
#include <memory>

namespace valkey::detail {

// The first lane while nobody calls on it; else a free lane, preferring the
// one this thread used last; else the lane open(i) opened at index i (null
// at the limit, or once closed); else the lane with the fewest callers,
// whose driver runs this call with the others. `lanes` holds `n` open ones;
// callers(lane) counts the calls in progress on it.
template <class Lane, class Callers, class Open>
Lane& pick_lane(const std::unique_ptr<Lane>* lanes, std::size_t n, Callers callers, Open open) {
  if (callers(*lanes[0]) == 0) return *lanes[0];
  thread_local std::size_t preferred = 0;
  const std::size_t start = preferred < n ? preferred : 0;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (start + k) % n;
    if (callers(*lanes[i]) == 0) {
      preferred = i;
      return *lanes[i];
    }
  }
  std::size_t at = 0;
  if (Lane* opened = open(at)) {
    preferred = at;
    return *opened;
  }
  std::size_t best = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (callers(*lanes[i]) < callers(*lanes[best])) best = i;
  return *lanes[best];
}

}  // namespace valkey::detail
