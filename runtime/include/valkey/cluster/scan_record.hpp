#pragma once
// The record of covered slots behind scan_all's SCAN fallback (servers
// without CLUSTERSCAN), free of I/O so both clients drive it the same way.
//
// A walk is SCAN from cursor 0 back to 0 on one primary N, between two reads
// of `CLUSTER NODES` on N. A slot counts as covered by the walk only if both
// reads show the same node id, flagged master, serving the slot and not
// migrating it: then N held the slot's keys for the whole walk, and SCAN
// returns every key present from its first page to its last. Any other slot
// stays uncovered (it moved in or out, is migrating, N failed over, or a
// page failed) and is walked again in a later round, at the owners the
// latest views name, keeping only keys of slots still uncovered.
#include <bitset>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <valkey/cluster/router.hpp>
#include <valkey/cluster/slot.hpp>
#include <valkey/export.hpp>

namespace valkey::cluster {

using SlotSet = std::bitset<slot_count>;

// What one node's `CLUSTER NODES` says.
struct NodesView {
  struct Primary {
    std::string id;
    std::string address;  // "ip:port" as the line names it
    SlotSet slots;
  };
  std::string self_id;
  bool self_primary = false;
  SlotSet self_stable;               // slots it serves and is not migrating
  std::vector<Primary> primaries;    // every primary with slots, itself included
};

// Parses a CLUSTER NODES reply; false when no line is flagged `myself`.
VALKEY_CPP_EXPORT bool parse_cluster_nodes(std::string_view text, NodesView& out);

class VALKEY_CPP_EXPORT ScanRecord {
 public:
  using clock = std::chrono::steady_clock;
  // `max_stall`: how long a round may go on covering nothing before the scan
  // gives up (a shard lost, a migration that never ends).
  ScanRecord(std::chrono::milliseconds max_stall, clock::time_point now);

  bool complete() const noexcept { return uncovered_.none(); }
  const SlotSet& uncovered() const noexcept { return uncovered_; }

  // The nodes to walk next ("host:port"): the nodes of the shards serving
  // the uncovered slots in `topology` (the client's view; after the first
  // round their replicas too, in case one was promoted) and the owners of those slots in the latest
  // CLUSTER NODES read, named by the client's address for their id where it
  // knows them. A node whose first read shows it serves none is not walked.
  std::vector<std::string> plan(const std::vector<NodeDescription>& topology) const;

  // A walk's first read: whether its SCAN can cover anything (the node is a
  // primary serving an uncovered slot). The view is kept for plan().
  bool begin_walk(const NodesView& before);
  // Whether a key found by a walk is kept: its slot is not covered yet (a
  // key of a covered slot was returned by the walk that covered it).
  bool keep(std::string_view key) const noexcept { return uncovered_.test(hash_slot(key)); }
  // A walk's last read: covers the slots both reads agree on; how many.
  std::size_t end_walk(const NodesView& before, const NodesView& after);
  // A read that failed or a page that failed: the walk covers nothing.
  void abandon_walk(std::string why) { last_failure_ = std::move(why); }
  // Time the scan stood still because its consumer had not taken its pages
  // (the streaming scan_all): not a stall of the cluster, so it does not
  // count towards max_stall.
  void held(clock::duration d) noexcept { last_progress_ += d; }

  // At the end of a round that left slots uncovered: how long to wait
  // before the next, or nullopt once nothing was covered for max_stall.
  std::optional<std::chrono::milliseconds> next_round(clock::time_point now);
  // Why the scan gives up: the uncovered slots and the last failure.
  std::string failure() const;

 private:
  SlotSet uncovered_;
  std::optional<NodesView> latest_;  // the last view read, for plan()
  std::chrono::milliseconds max_stall_;
  clock::time_point last_progress_;
  std::size_t covered_this_round_ = 0;
  int round_ = 0;
  int idle_rounds_ = 0;
  std::string last_failure_;
};

}  // namespace valkey::cluster
