// The I/O-free sentinel resolution: ordering, questions, reply handling.
#include <valkey/sentinel/resolver.hpp>

#include <algorithm>
#include <charconv>
#include <random>

#include <valkey/error.hpp>

namespace valkey::sentinel {
namespace {

bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

std::string_view text_of(const Reply& r) { return r.is_string() ? r.as_string() : std::string_view{}; }

// A field of one SENTINEL REPLICAS/SENTINELS entry: a map on RESP3, a flat
// array of name, value, name, value... on RESP2.
std::string_view field(const Reply& entry, std::string_view name) {
  if (entry.is_map()) {
    const Reply* v = entry.find(name);
    return v ? text_of(*v) : std::string_view{};
  }
  if (!entry.is_array()) return {};
  const auto& e = entry.elements();
  for (std::size_t i = 0; i + 1 < e.size(); i += 2)
    if (text_of(e[i]) == name) return text_of(e[i + 1]);
  return {};
}

bool parse_port(std::string_view s, std::uint16_t& out) {
  unsigned p = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), p);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || p == 0 || p > 65535) return false;
  out = static_cast<std::uint16_t>(p);
  return true;
}

// "slave,s_down,disconnected": any of the flags that make a node unusable.
bool flagged_down(std::string_view flags) {
  while (!flags.empty()) {
    const auto comma = flags.find(',');
    const std::string_view f = flags.substr(0, comma);
    if (f == "s_down" || f == "o_down" || f == "disconnected") return true;
    if (comma == std::string_view::npos) break;
    flags.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

// ------------------------------------------------------------ the list

SentinelList::SentinelList(std::vector<SentinelAddress> configured)
    : list_(std::move(configured)), configured_(list_.size()) {}

std::vector<SentinelAddress> SentinelList::order() const {
  std::vector<SentinelAddress> out;
  out.reserve(list_.size());
  if (last_) out.push_back(*last_);
  for (const SentinelAddress& a : list_)
    if ((!last_ || !(a == *last_)) && (!distrusted_ || !(a == *distrusted_))) out.push_back(a);
  if (distrusted_ && std::find(list_.begin(), list_.end(), *distrusted_) != list_.end()) out.push_back(*distrusted_);
  return out;
}

void SentinelList::answered(const SentinelAddress& a) {
  last_ = a;
  if (distrusted_ && *distrusted_ == a) distrusted_.reset();
}

void SentinelList::distrust(const SentinelAddress& a) {
  if (last_ && *last_ == a) last_.reset();
  distrusted_ = a;
}

void SentinelList::learn(const std::vector<SentinelAddress>& found) {
  // Bounded: a deployment has a handful of sentinels; a reply naming more
  // than this is not worth trusting wholesale.
  constexpr std::size_t kMax = 32;
  for (const SentinelAddress& a : found) {
    if (list_.size() >= kMax) break;
    if (std::find(list_.begin(), list_.end(), a) == list_.end()) list_.push_back(a);
  }
}

// ------------------------------------------------------------- replies

PrimaryReply read_primary(const Reply& r) {
  PrimaryReply out;
  if (r.is_null()) {
    out.kind = PrimaryReply::Kind::unknown_primary;
    return out;
  }
  if (r.is_error()) {
    const std::string_view msg = r.error_message();
    out.text = std::string(msg);
    // "ERR unknown subcommand 'GET-PRIMARY-ADDR-BY-NAME'. Try SENTINEL HELP."
    // (or "Unknown sentinel subcommand" on older servers).
    const bool unknown = contains(msg, "nknown subcommand") || contains(msg, "nknown sentinel subcommand") ||
                         contains(msg, "unknown command");
    out.kind = unknown ? PrimaryReply::Kind::unknown_command : PrimaryReply::Kind::error;
    return out;
  }
  if (r.is_array() && r.elements().empty()) {  // some versions answer an empty array
    out.kind = PrimaryReply::Kind::unknown_primary;
    return out;
  }
  if (r.is_array() && r.elements().size() == 2) {
    const std::string_view host = text_of(r.elements()[0]);
    const Reply& p = r.elements()[1];
    std::uint16_t port = 0;
    const bool port_ok = p.is_integer() ? (p.as_integer() > 0 && p.as_integer() <= 65535 &&
                                           (port = static_cast<std::uint16_t>(p.as_integer())) != 0)
                                        : parse_port(text_of(p), port);
    if (!host.empty() && port_ok) {
      out.kind = PrimaryReply::Kind::address;
      out.address = NodeAddress{std::string(host), port, "master"};
      return out;
    }
  }
  out.kind = PrimaryReply::Kind::error;
  out.text = "unexpected reply to the address question";
  return out;
}

std::vector<NodeAddress> usable_replicas(const Reply& r) {
  std::vector<NodeAddress> out;
  if (!r.is_array()) return out;
  for (const Reply& entry : r.elements()) {
    if (flagged_down(field(entry, "flags"))) continue;
    const std::string_view host = field(entry, "ip");
    std::uint16_t port = 0;
    if (host.empty() || !parse_port(field(entry, "port"), port)) continue;
    out.push_back(NodeAddress{std::string(host), port, "slave"});
  }
  return out;
}

std::vector<SentinelAddress> read_sentinels(const Reply& r) {
  std::vector<SentinelAddress> out;
  if (!r.is_array()) return out;
  for (const Reply& entry : r.elements()) {
    const std::string_view host = field(entry, "ip");
    std::uint16_t port = 0;
    if (host.empty() || !parse_port(field(entry, "port"), port)) continue;
    out.push_back(SentinelAddress{std::string(host), port});
  }
  return out;
}

std::string read_role(const Reply& r) {
  if (!r.is_array() || r.elements().empty()) return {};
  return std::string(text_of(r.elements()[0]));
}

std::optional<NodeAddress> parse_switch_master(std::string_view payload, std::string_view name) {
  std::string_view parts[5];
  std::size_t n = 0;
  while (!payload.empty() && n < 5) {
    const auto sp = payload.find(' ');
    if (sp != 0) parts[n++] = payload.substr(0, sp);
    if (sp == std::string_view::npos) break;
    payload.remove_prefix(sp + 1);
  }
  if (n != 5 || parts[0] != name) return std::nullopt;
  std::uint16_t port = 0;
  if (!parse_port(parts[4], port)) return std::nullopt;
  return NodeAddress{std::string(parts[3]), port, "master"};
}

// -------------------------------------------------------------- a round

Resolver::Resolver(const SentinelConfig& config, std::function<std::size_t(std::size_t)> pick)
    : list_(config.sentinels), name_(config.primary_name), target_(config.target()), pick_(std::move(pick)) {
  if (!pick_) {
    pick_ = [rng = std::minstd_rand(std::random_device{}())](std::size_t n) mutable {
      return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
  }
}

std::vector<SentinelAddress> Resolver::begin_round() {
  answer_.reset();
  failures_.clear();
  any_answered_ = false;
  any_knew_primary_ = false;
  return list_.order();
}

std::vector<std::vector<std::string>> Resolver::questions(bool legacy) const {
  std::vector<std::vector<std::string>> q;
  q.push_back({"SENTINEL", legacy ? "GET-MASTER-ADDR-BY-NAME" : "GET-PRIMARY-ADDR-BY-NAME", name_});
  q.push_back({"SENTINEL", "SENTINELS", name_});
  if (target_ != SentinelReadFrom::primary) q.push_back({"SENTINEL", "REPLICAS", name_});
  return q;
}

void Resolver::note(const SentinelAddress& s, std::string what) {
  if (!failures_.empty()) failures_ += "; ";
  failures_ += s.to_string() + ": " + what;
}

void Resolver::on_unreachable(const SentinelAddress& s, std::string why) {
  note(s, why.empty() ? std::string("no answer") : std::move(why));
}

Resolver::Verdict Resolver::on_replies(const SentinelAddress& s, const std::vector<Reply>& replies, bool legacy) {
  if (replies.empty()) {
    note(s, "no reply");
    return Verdict::next;
  }
  const PrimaryReply primary = read_primary(replies[0]);
  switch (primary.kind) {
    case PrimaryReply::Kind::unknown_command:
      if (!legacy) return Verdict::ask_legacy;
      note(s, primary.text);
      return Verdict::next;
    case PrimaryReply::Kind::error:
      // NOAUTH, NOPERM...: this sentinel cannot help; another may.
      note(s, primary.text);
      return Verdict::next;
    case PrimaryReply::Kind::unknown_primary:
      any_answered_ = true;
      note(s, "knows no primary named " + name_);
      return Verdict::next;
    case PrimaryReply::Kind::address:
      break;
  }
  any_answered_ = true;
  any_knew_primary_ = true;
  if (replies.size() > 1) list_.learn(read_sentinels(replies[1]));
  if (target_ == SentinelReadFrom::primary) {
    list_.answered(s);
    answer_ = primary.address;
    last_answer_.emplace(s, *answer_);
    return Verdict::answered;
  }
  const std::vector<NodeAddress> replicas = replies.size() > 2 ? usable_replicas(replies[2]) : std::vector<NodeAddress>{};
  if (replicas.empty()) {
    if (target_ == SentinelReadFrom::replica_preferred) {
      list_.answered(s);
      answer_ = primary.address;
      last_answer_.emplace(s, *answer_);
      return Verdict::answered;
    }
    note(s, "no replica up");
    return Verdict::next;
  }
  list_.answered(s);
  answer_ = replicas[std::min(pick_(replicas.size()), replicas.size() - 1)];
  last_answer_.emplace(s, *answer_);
  return Verdict::answered;
}

void Resolver::wrong_role(const NodeAddress& a) {
  if (last_answer_ && last_answer_->second.host == a.host && last_answer_->second.port == a.port)
    list_.distrust(last_answer_->first);
}

Resolution Resolver::result() const {
  Resolution r;
  if (answer_) {
    r.address = *answer_;
    return r;
  }
  if (any_knew_primary_) r.ec = valkey::make_error_code(valkey::errc::no_replica);
  else if (any_answered_) r.ec = valkey::make_error_code(valkey::errc::sentinel_unknown_primary);
  else r.ec = valkey::make_error_code(valkey::errc::sentinel_unreachable);
  r.why = r.ec.message() + " (" + (failures_.empty() ? std::string("no sentinel configured") : failures_) + ")";
  return r;
}

}  // namespace valkey::sentinel
