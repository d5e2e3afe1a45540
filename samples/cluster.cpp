// Cluster: connect with seed nodes, route by key, split MSET/MGET across
// slots, a pipeline, sum DBSIZE over the primaries, read INFO per node, scan
// every key, and sharded pub/sub (each shard channel on its slot's owner).
//
//   VALKEY_CLUSTER_URL=valkey://127.0.0.1:7000,127.0.0.1:7001 ./cluster
//
// Any one seed that answers is enough; the client learns the rest of the
// cluster from it. See docs/cluster.md.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_client.hpp>
#include <valkey/cluster/cluster_subscriber.hpp>

namespace {

// Sharded pub/sub: a ClusterSubscriber holds each shard channel on the
// primary that owns its slot (two slots here, likely two nodes), and follows
// it when the slot moves or the node fails (on_event reports `moved`).
asio::awaitable<void> sharded_pubsub(valkey::AsyncClusterClient& c, valkey::ClusterSubscriber& sub) {
  const std::vector<std::string_view> channels{"{sample-room-1}:chat", "{sample-room-2}:chat"};
  co_await sub.ssubscribe(channels, asio::use_awaitable);
  for (auto ch : channels) {
    std::cout << "SSUBSCRIBE " << ch << " on " << sub.node_of(ch) << "\n";
    co_await c.spublish(ch, "hello " + std::string(ch), asio::use_awaitable);  // routed to the same owner
  }
  for (std::size_t i = 0; i < channels.size(); ++i) {
    valkey::Message m = co_await sub.receive(asio::use_awaitable);
    std::cout << "smessage on " << m.channel << ": " << m.payload << "\n";
  }
  sub.close();
}

}  // namespace

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

    // A pipeline: each command routed on its own, every node's share in one
    // write, the replies in command order.
    auto [one, two] = db.pipeline().get("sample:a").incr("sample:counter").exec();
    std::cout << "pipeline GET sample:a, INCR sample:counter -> " << one.value_or("(nil)") << " " << two << "\n";

    // Every key of the cluster, from every primary.
    valkey::ScanAllOptions scan;
    scan.match = "sample:*";
    std::size_t sample_keys = 0;
    for (const std::string& key : db.scan_all(scan)) sample_keys += key.starts_with("sample:");
    std::cout << "scan_all sample:* -> " << sample_keys << " keys\n";

    // The nodes the client knows, and what it counted.
    for (const auto& n : db.nodes()) std::cout << (n.primary ? "primary " : "replica ") << n.address << "\n";
    const auto s = db.stats();
    std::cout << "refreshes " << s.refreshes << ", MOVED " << s.moved << ", ASK " << s.ask << "\n";

    db.del(std::vector<std::string_view>{"sample:greeting", "sample:a", "sample:b", "sample:c", "sample:counter"});

    asio::io_context ioc;
    valkey::AsyncClusterClient async_db{ioc.get_executor(), url};
    valkey::ClusterSubscriber sub{async_db};
    std::exception_ptr failed;
    asio::co_spawn(ioc, sharded_pubsub(async_db, sub), [&](std::exception_ptr e) {
      failed = e;
      async_db.close();
    });
    ioc.run();
    if (failed) std::rethrow_exception(failed);
  } catch (const std::exception& e) {  // valkey::Error, or the message queue's error
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
