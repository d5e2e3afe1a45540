#pragma once
// Where each parsed node goes: the parser's visitors inside the Multiplexer.
#include <string_view>

#include <valkey/mux/multiplexer.hpp>

namespace valkey {

// A push message to the push handler, anything else to the oldest written
// request; a reply when no request waits is "unsolicited" (the stream is out
// of sync and the connection must drop).
class Multiplexer::Router final : public resp::Visitor {
 public:
  enum class Target : std::uint8_t { none, push, reply, unsolicited };
  explicit Router(Multiplexer& m) : m_(m) {}

  void on_node(const resp::Node& n) override {
    if (target == Target::none) {
      started = true;
      if (n.depth == 0 && n.type == resp::Type::push) {
        target = Target::push;
      } else if (m_.head_seq_ != m_.tail_seq_) {
        target = Target::reply;
        if (n.depth == 0 && resp::is_error(n.type)) [[unlikely]] {
          if (m_.listener_) m_.listener_->on_error_reply(n.value);
          if (m_.slot(m_.head_seq_).kind != SlotKind::request) m_.select_error_.assign(n.value);
        }
      } else {
        target = Target::unsolicited;
      }
    }
    if (target == Target::reply) {
      if (RequestBase* r = m_.slot(m_.head_seq_).req) r->on_node(n);
    } else if (target == Target::push && m_.push_) {
      m_.push_->on_node(n);
    }
  }
  void on_message_end() override {
    done = true;
    if (target == Target::reply) {
      if (RequestBase* r = m_.slot(m_.head_seq_).req) r->on_reply_end();
    } else if (target == Target::push && m_.push_) {
      m_.push_->on_message_end();
    }
  }
  // A top-level array header held back by the PubsubRouter is now known to
  // be a pub/sub message.
  void route_held_as_push() noexcept { target = Target::push; }
  void clear() noexcept {
    target = Target::none;
    done = false;
    started = false;
    holding = false;
  }

  Target target = Target::none;
  bool done = false;
  bool started = false;  // some node of the current message was delivered
  // PubsubRouter: a top-level array header waiting for its first element.
  bool holding = false;
  resp::Node held{};

 private:
  Multiplexer& m_;
};

namespace mux_detail {
// The arrays a RESP2 server sends in subscribed mode on its own: its first
// element (the kind) and the element count it comes with.
inline bool is_resp2_pubsub_kind(const resp::Node& first, std::size_t size) noexcept {
  if (first.depth != 1 || (first.type != resp::Type::bulk_string && first.type != resp::Type::simple_string))
    return false;
  const std::string_view k = first.value;
  if (size == 4) return k == "pmessage";
  if (size != 3) return false;
  return k == "message" || k == "smessage" || k == "subscribe" || k == "psubscribe" || k == "ssubscribe" ||
         k == "unsubscribe" || k == "punsubscribe" || k == "sunsubscribe";
}
}  // namespace mux_detail

// The parser's visitor on a RESP2 connection in pub/sub mode. A top-level
// array is held back until its first element arrives (it may come in a later
// read): that element decides whether the array is a pub/sub message, for the
// push handler, or a reply. The Router does the rest.
class Multiplexer::PubsubRouter final : public resp::Visitor {
 public:
  explicit PubsubRouter(Router& r) : r_(r) {}

  void on_node(const resp::Node& n) override {
    if (r_.holding) {
      r_.holding = false;
      if (mux_detail::is_resp2_pubsub_kind(n, r_.held.aggregate_size)) r_.route_held_as_push();
      r_.on_node(r_.held);  // the Router picks reply/unsolicited unless it is a push
    } else if (r_.target == Router::Target::none && n.depth == 0 && n.type == resp::Type::array &&
               (n.aggregate_size == 3 || n.aggregate_size == 4)) {
      r_.holding = true;
      r_.held = n;  // an aggregate header: no payload to keep alive
      r_.started = true;
      return;
    }
    r_.on_node(n);
  }
  void on_message_end() override { r_.on_message_end(); }

 private:
  Router& r_;
};

}  // namespace valkey
