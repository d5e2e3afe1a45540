// Pub/sub: a Subscriber receives what a publisher sends, on a channel, a
// pattern and a sharded channel (SSUBSCRIBE/SPUBLISH: in a cluster these stay
// within the shard that owns the channel's slot); subscriptions survive
// reconnects (events tell you when they were restored).
#include <chrono>
#include <cstdio>
#include <string>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <valkey/pubsub.hpp>
#include <valkey/valkey.hpp>

int main() {
  asio::io_context ioc;
  valkey::AsyncClient c{ioc.get_executor(), valkey::Config::from_env()};
  valkey::Subscriber sub{c};
  sub.on_event([](const valkey::SubscriptionEvent& e) {
    if (e.kind == valkey::SubscriptionEvent::Kind::resubscribed) std::printf("event: resubscribed\n");
  });
  int received = 0;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    std::vector<std::string> channels{"sample:news"}, patterns{"sample:weather.*"}, shard{"sample:orders{eu}"};
    co_await sub.subscribe(channels, asio::use_awaitable);
    co_await sub.psubscribe(patterns, asio::use_awaitable);
    co_await sub.ssubscribe(shard, asio::use_awaitable);
    co_await c.publish("sample:news", "hello", asio::use_awaitable);
    co_await c.publish("sample:weather.rome", "sunny", asio::use_awaitable);
    co_await c.spublish("sample:orders{eu}", "order 17", asio::use_awaitable);
    for (; received < 3; ++received) {
      valkey::Message m = co_await sub.receive(asio::use_awaitable);
      const char* kind = m.kind == valkey::Message::Kind::pmessage   ? "pmessage"
                         : m.kind == valkey::Message::Kind::smessage ? "smessage"
                                                                     : "message";
      std::printf("%s %s: %s\n", kind,
                  m.channel.c_str(), m.payload.c_str());
    }
    sub.close();
    c.close();
  }, [&](std::exception_ptr e) {
    if (e) {
      sub.close();
      c.close();
    }
  });
  asio::steady_timer guard{ioc, std::chrono::seconds(10)};  // never hang
  guard.async_wait([&](std::error_code ec) {
    if (!ec) {
      sub.close();
      c.close();
    }
  });
  while (received < 3 && ioc.run_one()) {}
  guard.cancel();
  sub.close();
  c.close();
  ioc.run();
  return received == 3 ? 0 : 1;
}
