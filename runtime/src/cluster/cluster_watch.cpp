// The slot check of WATCH on a cluster, and ClusterClient::watch().
#include <valkey/cluster/cluster_client.hpp>
#include <valkey/cluster/cluster_watch.hpp>

#include <future>

#include <valkey/cluster/slot.hpp>

namespace valkey {

namespace cluster {

std::error_code watch_slot(Strings keys, std::uint16_t& slot, std::string& why) {
  bool first = true;
  std::string first_key;
  std::error_code ec;
  keys.for_each([&](std::string_view k) {
    if (ec) return;
    const std::uint16_t s = hash_slot(k);
    if (first) {
      first = false;
      slot = s;
      first_key = std::string(k);
    } else if (s != slot) {
      ec = make_error_code(errc::cross_slot);
      why = "WATCH: keys '" + first_key + "' (slot " + std::to_string(slot) + ") and '" + std::string(k) + "' (slot " +
            std::to_string(s) + ") are in different slots; a transaction runs on one node: give them a common hash tag";
    }
  });
  if (first) {
    why = "WATCH needs at least one key";
    return make_error_code(errc::invalid_argument);
  }
  return ec;
}

}  // namespace cluster

Watch ClusterClient::watch(Strings keys) {
  std::uint16_t slot = 0;
  std::string why;
  if (std::error_code ec = cluster::watch_slot(keys, slot, why)) throw Error(ec, why);
  // The owner, once the topology is known (asked on the client's thread).
  std::promise<std::pair<std::error_code, Config>> p;
  auto f = p.get_future();
  cluster::Router& router = *lanes_.first().router;
  lanes_.first().driver.post([&router, slot, &p] {
    router.when_ready([&router, slot, &p](std::error_code ec) {
      std::string host;
      std::uint16_t port = 0;
      if (!ec && !router.owner_of(slot, host, port)) ec = make_error_code(errc::cluster_down);
      Config node = ec ? Config{} : router.node_config(host, port);
      // The watch's connection is its own: it keeps no cache (its writes
      // reach the client's cache through the server's invalidations).
      node.cache.reset();
      p.set_value({ec, std::move(node)});
    });
  });
  auto [ec, node] = f.get();
  if (ec) throw Error(ec, "WATCH: the owner of slot " + std::to_string(slot));
  return Watch(node, keys);
}

}  // namespace valkey
