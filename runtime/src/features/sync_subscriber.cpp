// SyncSubscriber: drives a Subscriber's io_context on the calling thread.
#include <valkey/sync_subscriber.hpp>

#include <algorithm>

#include <valkey/client.hpp>
#include <valkey/error.hpp>

#include "features/sync_loop.hpp"

namespace valkey {

using Clock = std::chrono::steady_clock;

SyncSubscriber::SyncSubscriber(std::string_view url, std::size_t capacity)
    : SyncSubscriber(Config::from_url(url), capacity) {}

SyncSubscriber::SyncSubscriber(Config config, std::size_t capacity)
    : sub_(ioc_.get_executor(), std::move(config), capacity), capacity_(capacity) {
  sub_.on_message([this](const Message& m) { detail::enqueue_message(queue_, capacity_, dropped_, m); });
}

SyncSubscriber::SyncSubscriber(const Client& client, std::size_t capacity)
    : SyncSubscriber(client.config(), capacity) {}

SyncSubscriber::~SyncSubscriber() { close(); }

void SyncSubscriber::close() {
  if (closed_) return;
  closed_ = true;
  sub_.close();
  work_.reset();
  // Let the connection finish closing (its completions are posted here).
  ioc_.restart();
  ioc_.run_for(detail::kSyncCloseBound);
}

template <class Start>
void SyncSubscriber::change(const Start& start, std::error_code& ec, Diagnostics* diag) {
  if (closed_) {
    ec = make_error_code(errc::connection_closed);
    return;
  }
  Diagnostics local;
  Diagnostics& d = diag ? *diag : local;
  ec = detail::run_change(ioc_, [&](auto handler) { start(d, std::move(handler)); });
}

template <class Start>
void SyncSubscriber::change_or_throw(const char* verb, const Start& start) {
  std::error_code ec;
  Diagnostics diag;
  change(start, ec, &diag);
  if (!ec) return;
  // Subscriber fills only the server's words; the sentence is made here.
  const std::string endpoint = sub_.connection().config().endpoint();
  std::string text = std::string(verb) + " on " + endpoint + ": ";
  text += diag.server_message.empty() ? ec.message() : diag.server_message;
  throw Error(ec, std::move(text), ErrorContext{diag.server_message, verb, endpoint});
}

#define VALKEY_SYNC_SUBSCRIBER_CHANGE(method, VERB)                                              \
  void SyncSubscriber::method(Strings names, std::error_code& ec, Diagnostics* diag) {           \
    change([&](Diagnostics& d, auto h) { sub_.method(names, d, std::move(h)); }, ec, diag);      \
  }                                                                                              \
  void SyncSubscriber::method(Strings names) {                                                   \
    change_or_throw(VERB, [&](Diagnostics& d, auto h) { sub_.method(names, d, std::move(h)); }); \
  }

VALKEY_SYNC_SUBSCRIBER_CHANGE(subscribe, "SUBSCRIBE")
VALKEY_SYNC_SUBSCRIBER_CHANGE(psubscribe, "PSUBSCRIBE")
VALKEY_SYNC_SUBSCRIBER_CHANGE(ssubscribe, "SSUBSCRIBE")
VALKEY_SYNC_SUBSCRIBER_CHANGE(unsubscribe, "UNSUBSCRIBE")
VALKEY_SYNC_SUBSCRIBER_CHANGE(punsubscribe, "PUNSUBSCRIBE")
VALKEY_SYNC_SUBSCRIBER_CHANGE(sunsubscribe, "SUNSUBSCRIBE")
#undef VALKEY_SYNC_SUBSCRIBER_CHANGE

std::optional<Message> SyncSubscriber::next(Clock::time_point deadline, bool& stopped) {
  if (closed_) throw Error(make_error_code(errc::connection_closed), "SyncSubscriber");
  return detail::next_message(ioc_, queue_, stop_, deadline, stopped);
}

std::optional<Message> SyncSubscriber::receive(std::chrono::milliseconds timeout) {
  bool stopped = false;
  return next(Clock::now() + std::max(timeout, std::chrono::milliseconds(0)), stopped);
}

void SyncSubscriber::consume(const std::function<void(const Message&)>& f) {
  for (;;) {
    bool stopped = false;
    std::optional<Message> m = next(detail::kSyncNever, stopped);
    if (stopped) return;
    if (m) f(*m);
  }
}

void SyncSubscriber::stop() { detail::request_stop(ioc_, stop_); }

}  // namespace valkey
