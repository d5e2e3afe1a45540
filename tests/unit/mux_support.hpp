#pragma once
// Helpers for the Multiplexer unit tests: a request that records what it
// receives, a push recorder, and RESP encoding of commands.
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <valkey/error.hpp>
#include <valkey/mux/multiplexer.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey::test {

inline std::string encode_command(std::initializer_list<std::string_view> args) {
  std::string out;
  resp::Writer w(out);
  w.begin_command(args.size());
  for (std::string_view a : args) w.arg(a);
  return out;
}

inline std::string node_text(const resp::Node& n) {
  std::string e{resp::to_string(n.type)};
  e += '@';
  e += std::to_string(n.depth);
  if (!n.value.empty()) {
    e += ':';
    e.append(n.value);
  }
  return e;
}

class MuxRequest final : public RequestBase {
 public:
  explicit MuxRequest(std::uint32_t replies = 1) { expected_replies = replies; }

  void on_node(const resp::Node& n) override {
    nodes.push_back(node_text(n));
    if (on_node_hook) on_node_hook(n);
  }
  void on_reply_end() override {
    ++reply_ends;
    nodes.emplace_back("END");
  }
  void on_complete(std::error_code e) override {
    ++completions;
    ec = e;
    if (on_done) on_done(*this);
  }
  bool reencode(resp::Writer& w) override {
    if (throw_on_reencode) throw std::runtime_error("cannot encode");
    if (resend.empty()) return false;
    ++reencodes;
    w.begin_command(1);
    w.arg(std::string_view{resend});
    return true;
  }

  std::vector<std::string> nodes;
  int reply_ends = 0;
  int completions = 0;
  int reencodes = 0;
  std::error_code ec;
  std::string resend;  // non-empty: reencode() writes this one-word command
  bool throw_on_reencode = false;
  std::function<void(MuxRequest&)> on_done;
  std::function<void(const resp::Node&)> on_node_hook;
};

class PushRecorder final : public resp::Visitor {
 public:
  void on_node(const resp::Node& n) override { nodes.push_back(node_text(n)); }
  void on_message_end() override { ++messages; nodes.emplace_back("END"); }
  std::vector<std::string> nodes;
  int messages = 0;
};

inline Multiplexer::Options mux_options(std::size_t max_pending = 0) {
  Multiplexer::Options o;
  o.max_pending = max_pending;
  o.wait_timeout = std::chrono::milliseconds(100);
  return o;
}

// Writes everything next_write() offers, in one go.
inline std::string write_all(Multiplexer& m) {
  std::string sent;
  for (;;) {
    std::string_view w = m.next_write();
    if (w.empty()) return sent;
    sent.append(w);
    m.on_written(w.size());
  }
}

inline Multiplexer::time_point t0() { return Multiplexer::time_point{} + std::chrono::hours(1); }

}  // namespace valkey::test
