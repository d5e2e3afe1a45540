// The record of covered slots of scan_all's SCAN fallback (scan_record.hpp).
#include <valkey/cluster/scan_record.hpp>

#include <algorithm>
#include <charconv>

namespace valkey::cluster {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const auto at = s.find(sep);
    const auto part = s.substr(0, at);
    if (!part.empty()) out.push_back(part);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

bool parse_slot(std::string_view s, int& slot) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), slot);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && slot >= 0 && slot < slot_count;
}

bool has_flag(std::string_view flags, std::string_view flag) {
  for (auto f : split(flags, ','))
    if (f == flag) return true;
  return false;
}

}  // namespace

bool parse_cluster_nodes(std::string_view text, NodesView& out) {
  out = NodesView{};
  bool found_self = false;
  for (auto line : split(text, '\n')) {
    if (line.back() == '\r') line.remove_suffix(1);
    const auto f = split(line, ' ');
    // <id> <ip:port@cport[,hostname]> <flags> <primary> <ping> <pong> <epoch> <link> <slot>...
    if (f.size() < 8) continue;
    const bool self = has_flag(f[2], "myself");
    const bool primary = has_flag(f[2], "master");
    NodesView::Primary p{std::string(f[0]), std::string(f[1].substr(0, f[1].find('@'))), {}};
    SlotSet migrating;
    for (std::size_t i = 8; i < f.size(); ++i) {
      const std::string_view s = f[i];
      int first = 0, last = 0;
      if (s.front() == '[') {
        // "[slot->-id]" migrating away, "[slot-<-id]" importing: only the
        // myself line has them. An importing slot is not served yet.
        const auto arrow = s.find("->-");
        if (arrow != std::string_view::npos && parse_slot(s.substr(1, arrow - 1), first)) migrating.set(first);
        continue;
      }
      const auto dash = s.find('-');
      if (dash == std::string_view::npos) {
        if (!parse_slot(s, first)) continue;
        last = first;
      } else if (!parse_slot(s.substr(0, dash), first) || !parse_slot(s.substr(dash + 1), last) || last < first) {
        continue;
      }
      for (int slot = first; slot <= last; ++slot) p.slots.set(slot);
    }
    if (self) {
      found_self = true;
      out.self_id = p.id;
      out.self_primary = primary;
      if (primary) out.self_stable = p.slots & ~migrating;
    }
    if (primary && p.slots.any()) out.primaries.push_back(std::move(p));
  }
  return found_self;
}

ScanRecord::ScanRecord(std::chrono::milliseconds max_stall, clock::time_point now)
    : max_stall_(max_stall), last_progress_(now) {
  uncovered_.set();
}

std::vector<std::string> ScanRecord::plan(const std::vector<NodeDescription>& topology) const {
  std::vector<std::string> out;
  auto add = [&](const std::string& address) {
    if (!address.empty() && std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
  };
  // Primaries first, then (after the first round) their replicas: a replica
  // promoted by a failover the client has not heard of yet says so in its
  // own first read.
  for (const bool primaries : {true, false})
    for (const auto& n : topology) {
      if (n.primary != primaries || (!primaries && round_ == 0)) continue;
      const bool wanted = std::any_of(n.slots.begin(), n.slots.end(), [&](const SlotRange& r) {
        for (int s = r.first; s <= r.last; ++s)
          if (uncovered_.test(s)) return true;
        return false;
      });
      if (wanted) add(n.address);
    }
  if (latest_) {
    for (const auto& p : latest_->primaries) {
      if ((p.slots & uncovered_).none()) continue;
      // The client's name for the node when it knows its id (a hostname
      // rather than the IP the line shows), else the line's address.
      auto known = std::find_if(topology.begin(), topology.end(), [&](const auto& n) { return n.id == p.id; });
      add(known != topology.end() ? known->address : p.address);
    }
  }
  return out;
}

bool ScanRecord::begin_walk(const NodesView& before) {
  latest_ = before;
  return before.self_primary && (before.self_stable & uncovered_).any();
}

std::size_t ScanRecord::end_walk(const NodesView& before, const NodesView& after) {
  latest_ = after;
  if (!before.self_primary || !after.self_primary || before.self_id != after.self_id) return 0;
  const SlotSet covered = before.self_stable & after.self_stable & uncovered_;
  uncovered_ &= ~covered;
  covered_this_round_ += covered.count();
  return covered.count();
}

std::optional<std::chrono::milliseconds> ScanRecord::next_round(clock::time_point now) {
  ++round_;
  if (covered_this_round_ > 0) {
    // Progress: go on at once (the slots left moved or were migrating).
    covered_this_round_ = 0;
    idle_rounds_ = 0;
    last_progress_ = now;
    return std::chrono::milliseconds(0);
  }
  if (now - last_progress_ >= max_stall_) return std::nullopt;
  // Nothing covered: a migration or a failover is under way. Back off, 20 ms
  // doubling to 500 ms, never past the bound.
  const auto delay = std::chrono::milliseconds(20) * (1 << std::min(idle_rounds_++, 5));
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(max_stall_ - (now - last_progress_));
  return std::min({delay, std::chrono::milliseconds(500), left});
}

std::string ScanRecord::failure() const {
  std::string out = std::to_string(uncovered_.count()) + " slots not covered (first: ";
  for (int s = 0; s < slot_count; ++s)
    if (uncovered_.test(s)) {
      out += std::to_string(s);
      break;
    }
  out += ")";
  if (!last_failure_.empty()) out += "; last failure: " + last_failure_;
  return out;
}

}  // namespace valkey::cluster
