#pragma once
// scan_all for the cluster clients: CLUSTERSCAN where the server has it
// (Valkey 9.1: one cursor across the cluster, each page at the owner of the
// slot its cursor names), else SCAN on every primary that owns slots, cursor
// by cursor. ClusterClient::scan_all() blocks; AsyncClusterClient's
// takes a completion token: void(std::error_code, std::vector<std::string>).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <valkey/cluster/router.hpp>
#include <valkey/cluster/slot.hpp>
#include <valkey/reply.hpp>

namespace valkey {

// What scan_all() asks each primary (every field has a default, so that
// {.match = "user:*"} alone compiles under -Wmissing-field-initializers).
struct ScanAllOptions {
  std::string_view match = {};  // MATCH pattern; empty: every key
  std::int64_t count = 0;       // COUNT hint per call; 0: the server's default
  std::string_view type = {};   // TYPE filter; empty: any type
};

namespace cluster {

// The SCAN arguments for one page (views into `cursor`, `count` and the options).
std::vector<std::string_view> scan_args(const std::string& cursor, const std::string& count, std::string_view match,
                                        std::string_view type);
// The same for CLUSTERSCAN (Valkey 9.1): its cursor names a slot by a hash
// tag ("<fingerprint>-{tag}-<n>"), so each page goes to that slot's owner
// and the walk survives slots moving under it.
std::vector<std::string_view> clusterscan_args(const std::string& cursor, const std::string& count,
                                               std::string_view match, std::string_view type);
// The node serving `slot` in `nodes` (a primary's address), empty if none.
std::string owner_address(const std::vector<NodeDescription>& nodes, std::uint16_t slot);
// Reads one SCAN page: the next cursor and the keys appended; false when the
// reply is not [cursor, [keys...]].
bool read_scan_page(const Reply& page, std::string& cursor, std::vector<std::string>& keys);

// The asynchronous walk: node by node, page by page, on the client's
// executor. `Client` is AsyncClusterClient (call_on with a callback).
template <class Client, class Handler>
class ScanAllOp : public std::enable_shared_from_this<ScanAllOp<Client, Handler>> {
 public:
  ScanAllOp(Client& c, Handler h, const ScanAllOptions& o)
      : client_(c), handler_(std::move(h)), match_(o.match), type_(o.type),
        count_(o.count > 0 ? std::to_string(o.count) : std::string()) {}

  void start() {
    auto self = this->shared_from_this();
    // A fan-out waits for the first topology; then the node list is known.
    client_.call_on_primaries({"PING"}, [self](std::error_code ec, PerNode<Reply>) {
      if (ec) return self->done(ec);
      for (const auto& n : self->client_.nodes())
        if (n.primary && !n.slots.empty()) self->nodes_.push_back(n.address);
      if (self->nodes_.empty()) return self->done({});
      // CLUSTERSCAN where the server has it (an error reply: SCAN per node).
      const auto args = clusterscan_args(self->cursor_, self->count_, self->match_, self->type_);  // cursor_ is "0"
      self->client_.call_on(self->nodes_.front(), args, [self](std::error_code page_ec, Reply page) {
        if (!page_ec && read_scan_page(page, self->cursor_, self->keys_)) {
          self->cluster_scan_ = true;
          return self->next_cluster_page();
        }
        self->cursor_ = "0";
        self->keys_.clear();
        self->next_page();
      });
    });
  }

 private:
  void next_cluster_page() {
    if (cursor_ == "0") return done({});
    auto self = this->shared_from_this();
    std::string node = owner_address(client_.nodes(), hash_slot(cursor_));
    if (node.empty()) node = nodes_.front();  // a MOVED corrects it
    const auto args = clusterscan_args(cursor_, count_, match_, type_);
    client_.call_on(node, args, [self](std::error_code ec, Reply page) {
      if (ec) return self->done(ec);
      if (!read_scan_page(page, self->cursor_, self->keys_)) return self->done(make_error_code(errc::unexpected_reply_type));
      self->next_cluster_page();
    });
  }

  void next_page() {
    if (node_ == nodes_.size()) return done({});
    auto self = this->shared_from_this();
    const auto args = scan_args(cursor_, count_, match_, type_);
    client_.call_on(nodes_[node_], args, [self](std::error_code ec, Reply page) {
      if (ec) return self->done(ec);
      if (!read_scan_page(page, self->cursor_, self->keys_)) return self->done(make_error_code(errc::unexpected_reply_type));
      if (self->cursor_ == "0") ++self->node_;
      self->next_page();
    });
  }
  void done(std::error_code ec) {
    if (ec) keys_.clear();
    std::move(handler_)(ec, std::move(keys_));
  }

  Client& client_;
  Handler handler_;
  std::string match_, type_, count_;
  std::vector<std::string> nodes_;
  std::size_t node_ = 0;
  std::string cursor_ = "0";
  std::vector<std::string> keys_;
  bool cluster_scan_ = false;
};

}  // namespace cluster
}  // namespace valkey
