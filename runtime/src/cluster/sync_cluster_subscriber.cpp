// SyncClusterSubscriber: drives a ClusterSubscriber's io_context (and its
// cluster client's) on the calling thread.
#include <valkey/cluster/sync_cluster_subscriber.hpp>

#include <algorithm>
#include <utility>

#include <valkey/cluster/cluster_client.hpp>
#include <valkey/error.hpp>

#include "features/sync_loop.hpp"

namespace valkey {

namespace {

const char* command_of(ClusterSubscriber::Verb verb) {
  using Verb = ClusterSubscriber::Verb;
  switch (verb) {
    case Verb::subscribe: return "SUBSCRIBE";
    case Verb::psubscribe: return "PSUBSCRIBE";
    case Verb::ssubscribe: return "SSUBSCRIBE";
    case Verb::unsubscribe: return "UNSUBSCRIBE";
    case Verb::punsubscribe: return "PUNSUBSCRIBE";
    case Verb::sunsubscribe: return "SUNSUBSCRIBE";
  }
  return "SUBSCRIBE";
}

}  // namespace

SyncClusterSubscriber::SyncClusterSubscriber(std::string_view seeds, std::size_t capacity)
    : SyncClusterSubscriber(ClusterConfig::from_url(seeds), capacity) {}

SyncClusterSubscriber::SyncClusterSubscriber(ClusterConfig config, std::size_t capacity)
    : client_(ioc_.get_executor(), std::move(config)), sub_(client_, capacity), capacity_(capacity) {
  sub_.on_message([this](const Message& m) { detail::enqueue_message(queue_, capacity_, dropped_, m); });
}

SyncClusterSubscriber::SyncClusterSubscriber(const ClusterClient& client, std::size_t capacity)
    : SyncClusterSubscriber(client.config(), capacity) {}

SyncClusterSubscriber::~SyncClusterSubscriber() { close(); }

void SyncClusterSubscriber::close() {
  if (closed_) return;
  closed_ = true;
  sub_.close();
  client_.close();
  work_.reset();
  // Let the connections finish closing (their completions are posted here).
  ioc_.restart();
  ioc_.run_for(detail::kSyncCloseBound);
}

void SyncClusterSubscriber::change(Verb verb, Strings names, std::error_code& ec) {
  if (closed_) {
    ec = make_error_code(errc::connection_closed);
    return;
  }
  ec = detail::run_change(ioc_, [&](auto handler) {
    switch (verb) {
      case Verb::subscribe: return sub_.subscribe(names, std::move(handler));
      case Verb::psubscribe: return sub_.psubscribe(names, std::move(handler));
      case Verb::ssubscribe: return sub_.ssubscribe(names, std::move(handler));
      case Verb::unsubscribe: return sub_.unsubscribe(names, std::move(handler));
      case Verb::punsubscribe: return sub_.punsubscribe(names, std::move(handler));
      case Verb::sunsubscribe: return sub_.sunsubscribe(names, std::move(handler));
    }
  });
}

void SyncClusterSubscriber::change_or_throw(Verb verb, Strings names) {
  std::error_code ec;
  change(verb, names, ec);
  if (!ec) return;
  const char* command = command_of(verb);
  throw Error(ec, std::string(command) + " on the cluster: " + ec.message(), ErrorContext{{}, command, {}});
}

void SyncClusterSubscriber::subscribe(Strings names) { change_or_throw(Verb::subscribe, names); }
void SyncClusterSubscriber::subscribe(Strings names, std::error_code& ec) { change(Verb::subscribe, names, ec); }
void SyncClusterSubscriber::psubscribe(Strings names) { change_or_throw(Verb::psubscribe, names); }
void SyncClusterSubscriber::psubscribe(Strings names, std::error_code& ec) { change(Verb::psubscribe, names, ec); }
void SyncClusterSubscriber::ssubscribe(Strings names) { change_or_throw(Verb::ssubscribe, names); }
void SyncClusterSubscriber::ssubscribe(Strings names, std::error_code& ec) { change(Verb::ssubscribe, names, ec); }
void SyncClusterSubscriber::unsubscribe(Strings names) { change_or_throw(Verb::unsubscribe, names); }
void SyncClusterSubscriber::unsubscribe(Strings names, std::error_code& ec) { change(Verb::unsubscribe, names, ec); }
void SyncClusterSubscriber::punsubscribe(Strings names) { change_or_throw(Verb::punsubscribe, names); }
void SyncClusterSubscriber::punsubscribe(Strings names, std::error_code& ec) {
  change(Verb::punsubscribe, names, ec);
}
void SyncClusterSubscriber::sunsubscribe(Strings names) { change_or_throw(Verb::sunsubscribe, names); }
void SyncClusterSubscriber::sunsubscribe(Strings names, std::error_code& ec) {
  change(Verb::sunsubscribe, names, ec);
}

std::optional<Message> SyncClusterSubscriber::receive(std::chrono::milliseconds timeout) {
  if (closed_) throw Error(make_error_code(errc::connection_closed), "SyncClusterSubscriber");
  bool stopped = false;
  const auto deadline = detail::SyncClock::now() + std::max(timeout, std::chrono::milliseconds(0));
  return detail::next_message(ioc_, queue_, stop_, deadline, stopped);
}

void SyncClusterSubscriber::consume(const std::function<void(const Message&)>& f) {
  for (;;) {
    if (closed_) throw Error(make_error_code(errc::connection_closed), "SyncClusterSubscriber");
    bool stopped = false;
    std::optional<Message> m = detail::next_message(ioc_, queue_, stop_, detail::kSyncNever, stopped);
    if (stopped) return;
    if (m) f(*m);
  }
}

void SyncClusterSubscriber::stop() { detail::request_stop(ioc_, stop_); }

}  // namespace valkey
