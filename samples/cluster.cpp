// Cluster: connect with seed nodes, route by key, split MSET/MGET across
// slots, sum DBSIZE over the primaries, read INFO per node.
//
//   VALKEY_CLUSTER_URL=valkey://127.0.0.1:7000,127.0.0.1:7001 ./cluster
//
// Any one seed that answers is enough; the client learns the rest of the
// cluster from it. See docs/cluster.md.
#include <cstdlib>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include <valkey/cluster/cluster_client.hpp>

int main() {
  const char* env = std::getenv("VALKEY_CLUSTER_URL");
  const std::string url = env && *env ? env : "valkey://127.0.0.1:7000";
  try {
    valkey::ClusterClient db{url};

    // One key: sent to the primary that owns its slot.
    db.set("sample:greeting", "hello from a cluster");
    std::cout << "GET sample:greeting -> " << db.get("sample:greeting").value_or("(nil)") << "\n";

    // Keys in different slots: MSET and MGET are split per slot and the
    // answers come back in the order asked. MSET is not atomic across slots.
    db.mset(std::vector<std::pair<std::string_view, std::string_view>>{
        {"sample:a", "1"}, {"sample:b", "2"}, {"sample:c", "3"}});
    auto values = db.mget(std::vector<std::string_view>{"sample:c", "sample:a", "sample:b", "sample:none"});
    std::cout << "MGET sample:c sample:a sample:b sample:none ->";
    for (const auto& v : values) std::cout << " " << v.value_or("(nil)");
    std::cout << "\n";

    // A command that cannot be split fails before anything is sent when its
    // keys are in different slots; keys sharing a hash tag share a slot.
    std::error_code ec;
    valkey::Diagnostics diag;
    db.rename("sample:a", "sample:z", ec, diag);
    std::cout << "RENAME sample:a sample:z -> " << ec.message() << "\n";
    db.rename("{sample}:a", "{sample}:z", ec, diag);  // one slot: routed (no such key: the server says so)
    std::cout << "RENAME {sample}:a {sample}:z -> " << (ec ? diag.server_message : "OK") << "\n";

    // Fan-outs: DBSIZE on every primary, summed; INFO answers per primary.
    std::cout << "DBSIZE (all primaries) -> " << db.dbsize() << "\n";
    valkey::PerNode<std::string> info = db.info();
    for (const auto& [node, text] : info) {
      const auto at = text.find("tcp_port:");
      std::cout << "INFO from " << node << ": " << text.substr(at, text.find('\r', at) - at) << "\n";
    }

    // The nodes the client knows, and what it counted.
    for (const auto& n : db.nodes()) std::cout << (n.primary ? "primary " : "replica ") << n.address << "\n";
    const auto s = db.stats();
    std::cout << "refreshes " << s.refreshes << ", MOVED " << s.moved << ", ASK " << s.ask << "\n";

    db.del(std::vector<std::string_view>{"sample:greeting", "sample:a", "sample:b", "sample:c"});
  } catch (const valkey::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
