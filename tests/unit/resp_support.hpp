#pragma once
// Helpers for the codec unit tests: a visitor that records nodes as text, and
// a driver that feeds a byte stream the way the connection does (keep the
// unconsumed tail, append the next read) in any chunking.
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <valkey/error.hpp>
#include <valkey/resp/parser.hpp>

namespace valkey::test {

class Recorder final : public resp::Visitor {
 public:
  void on_node(const resp::Node& n) override {
    std::string e{resp::to_string(n.type)};
    e += ' ';
    e += std::to_string(n.aggregate_size);
    e += " @";
    e += std::to_string(n.depth);
    if (!n.value.empty()) {
      e += " '";
      e.append(n.value);
      e += '\'';
    }
    events.push_back(std::move(e));
  }
  void on_message_end() override { events.emplace_back("END"); }
  std::vector<std::string> events;
};

// Records the numbers the parser stored in each node (Node::integer and
// Node::number), the double in its shortest exact spelling.
class NumberRecorder final : public resp::Visitor {
 public:
  void on_node(const resp::Node& n) override {
    std::string e{resp::to_string(n.type)};
    e += " i=";
    e += std::to_string(n.integer);
    e += " d=";
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, n.number);
    e.append(buf, r.ptr);
    events.push_back(std::move(e));
  }
  void on_message_end() override { events.emplace_back("END"); }
  std::vector<std::string> events;
};

struct FeedResult {
  std::vector<std::string> events;
  std::error_code ec;
  std::size_t messages = 0;
  std::string leftover;  // bytes never consumed
};

// Feeds `wire` cut at the given offsets (ascending) through one parser,
// draining every complete message, like a connection's read loop. `Rec` says
// what of each node is recorded.
template <class Rec = Recorder>
FeedResult feed_cuts(std::string_view wire, const std::vector<std::size_t>& cuts, resp::Limits limits = {}) {
  resp::Parser parser{limits};
  Rec rec;
  FeedResult r;
  std::string buf;
  std::size_t from = 0;
  auto drain = [&] {
    for (;;) {
      std::size_t n = parser.consume(buf, rec, r.ec);
      if (r.ec) return;
      buf.erase(0, n);
      if (!parser.message_complete()) return;  // needs more input
      ++r.messages;
      if (buf.empty()) return;
    }
  };
  for (std::size_t cut : cuts) {
    buf.append(wire.substr(from, cut - from));
    from = cut;
    drain();
    if (r.ec) break;
  }
  if (!r.ec) {
    buf.append(wire.substr(from));
    drain();
  }
  r.events = std::move(rec.events);
  r.leftover = buf;
  return r;
}

template <class Rec = Recorder>
FeedResult feed_whole(std::string_view wire, resp::Limits limits = {}) {
  return feed_cuts<Rec>(wire, {}, limits);
}

template <class Rec = Recorder>
FeedResult feed_bytewise(std::string_view wire, resp::Limits limits = {}) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < wire.size(); ++i) cuts.push_back(i);
  return feed_cuts<Rec>(wire, cuts, limits);
}

}  // namespace valkey::test
