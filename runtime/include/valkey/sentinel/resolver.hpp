#pragma once
// The sentinel resolution logic, without I/O: which sentinels to ask and in
// what order, what to ask them, and what their replies mean. The Asio part
// (sentinel_service) connects, sends questions() and feeds the replies here.
//
// A round asks the sentinels one at a time, the last one that answered
// first, then the others in the configured order, then those learned from
// SENTINEL SENTINELS. A sentinel that answers with an address ends the round;
// one that cannot be reached, or does not know the primary, passes the turn
// to the next. When every sentinel was tried, the round fails with:
//   sentinel_unreachable      none answered (why lists each and the reason)
//   sentinel_unknown_primary  those that answered know no such primary
//   no_replica                replicas asked for and none is up
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <valkey/export.hpp>
#include <valkey/reply.hpp>
#include <valkey/sentinel/address_source.hpp>
#include <valkey/sentinel/sentinel_config.hpp>

namespace valkey::sentinel {

// The sentinels known: the configured ones (never dropped), then the learned.
class VALKEY_CPP_EXPORT SentinelList {
 public:
  explicit SentinelList(std::vector<SentinelAddress> configured);
  // The order of a round: the last that answered first, then the rest as listed.
  std::vector<SentinelAddress> order() const;
  void answered(const SentinelAddress& a);
  // The sentinel's answer proved wrong (the node's ROLE disagreed): it goes
  // last in the next rounds until it answers again.
  void distrust(const SentinelAddress& a);
  // Adds the sentinels a SENTINEL SENTINELS reply named that are not known yet.
  void learn(const std::vector<SentinelAddress>& found);
  const std::vector<SentinelAddress>& all() const noexcept { return list_; }
  std::size_t configured() const noexcept { return configured_; }

 private:
  std::vector<SentinelAddress> list_;
  std::size_t configured_;
  std::optional<SentinelAddress> last_;
  std::optional<SentinelAddress> distrusted_;
};

// ---- replies ----

// SENTINEL GET-PRIMARY-ADDR-BY-NAME / GET-MASTER-ADDR-BY-NAME.
struct PrimaryReply {
  enum class Kind { address, unknown_primary, unknown_command, error } kind = Kind::error;
  NodeAddress address;
  std::string text;  // the server's error, or what was wrong with the reply
};
VALKEY_CPP_EXPORT PrimaryReply read_primary(const Reply& r);

// SENTINEL REPLICAS: the replicas not flagged s_down, o_down or
// disconnected, in the order listed.
VALKEY_CPP_EXPORT std::vector<NodeAddress> usable_replicas(const Reply& r);
// SENTINEL SENTINELS: the other sentinels' addresses.
VALKEY_CPP_EXPORT std::vector<SentinelAddress> read_sentinels(const Reply& r);
// ROLE's first element: "master", "slave", "sentinel"; empty when the reply is not a ROLE reply.
VALKEY_CPP_EXPORT std::string read_role(const Reply& r);

// A "+switch-master" message: "<name> <old-ip> <old-port> <new-ip> <new-port>";
// the new primary when `name` matches.
VALKEY_CPP_EXPORT std::optional<NodeAddress> parse_switch_master(std::string_view payload, std::string_view name);

// ---- a round ----

struct Resolution {
  std::error_code ec;
  NodeAddress address;  // with the role ROLE must report there
  std::string why;      // when ec: every sentinel asked and what it said
};

class VALKEY_CPP_EXPORT Resolver {
 public:
  // `pick(n)` chooses one of n usable replicas (0 <= result < n); the
  // default picks at random.
  Resolver(const SentinelConfig& config, std::function<std::size_t(std::size_t)> pick = {});

  // Starts a round: the sentinels to ask, in order.
  std::vector<SentinelAddress> begin_round();
  // The commands for one sentinel: the address question first, then
  // SENTINEL SENTINELS, then (for replica targets) SENTINEL REPLICAS.
  // legacy: GET-MASTER-ADDR-BY-NAME instead of GET-PRIMARY-ADDR-BY-NAME.
  std::vector<std::vector<std::string>> questions(bool legacy) const;

  enum class Verdict {
    answered,    // result() holds the address
    next,        // ask the next sentinel
    ask_legacy,  // the sentinel lacks GET-PRIMARY-ADDR-BY-NAME: ask it again with questions(true)
  };
  // The replies to questions(legacy), in order.
  Verdict on_replies(const SentinelAddress& s, const std::vector<Reply>& replies, bool legacy);
  // The sentinel could not be reached or did not answer in time.
  void on_unreachable(const SentinelAddress& s, std::string why);
  // After `answered`: the address. After the last sentinel: the error.
  Resolution result() const;
  // A connection found another role at `a` than the one reported: the
  // sentinel that named it goes last next time.
  void wrong_role(const NodeAddress& a);
  // `s` announced a switch that ROLE confirmed: it is asked first next time
  // (the others may still name the old primary for a second or so).
  void announced(const SentinelAddress& s) { list_.answered(s); }

  const SentinelList& sentinels() const noexcept { return list_; }
  SentinelReadFrom target() const noexcept { return target_; }

 private:
  void note(const SentinelAddress& s, std::string what);

  SentinelList list_;
  std::string name_;
  SentinelReadFrom target_;
  std::function<std::size_t(std::size_t)> pick_;
  // This round.
  std::optional<NodeAddress> answer_;
  std::optional<std::pair<SentinelAddress, NodeAddress>> last_answer_;  // who named what, last
  std::string failures_;
  bool any_answered_ = false;
  bool any_knew_primary_ = false;
};

}  // namespace valkey::sentinel
