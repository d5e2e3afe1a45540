// The clients' side of the cache that is not a cached read: write evictions,
// invalidation pushes, observer events; and the RESP re-encoding of a reply's
// nodes (cache/read.hpp).
#include <valkey/cache/client_hooks.hpp>
#include <valkey/cache/read.hpp>

#include <charconv>
#include <vector>

#include <valkey/cluster/key_specs.hpp>
#include <valkey/command_table.hpp>
#include <valkey/config.hpp>
#include <valkey/observe/observer.hpp>
#include <valkey/resp/parser.hpp>

namespace valkey::cache_detail {

namespace {

void header(std::string& out, char kind, std::size_t n) {
  char buf[24];
  buf[0] = kind;
  auto r = std::to_chars(buf + 1, buf + sizeof buf - 2, n);
  *r.ptr++ = '\r';
  *r.ptr++ = '\n';
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void line(std::string& out, char kind, std::string_view text) {
  out.push_back(kind);
  out.append(text);
  out.append("\r\n", 2);
}

void blob(std::string& out, char kind, std::string_view body) {
  header(out, kind, body.size());
  out.append(body);
  out.append("\r\n", 2);
}

// Collects each command's arguments (views into the encoded bytes) and acts
// on it when its array ends.
class CommandWalker final : public resp::Visitor {
 public:
  explicit CommandWalker(CacheStore& s) : store_(s) {
    args_.clear();
    keys_.clear();
  }
  void on_node(const resp::Node& n) override {
    if (n.depth == 1) args_.push_back(n.value);
  }
  void on_message_end() override {
    if (!args_.empty()) act();
    args_.clear();
  }

 private:
  void act() {
    const CommandInfo* info = args_.size() > 1 ? find_command(args_[0], args_[1]) : find_command(args_[0]);
    if (!info || info->is(CommandFlag::readonly)) return;
    if (info->name == "FLUSHALL" || info->name == "FLUSHDB" || info->name == "SWAPDB") {
      store_.flush_all(FlushReason::user);
      return;
    }
    keys_.clear();
    auto sink = [&](int pos, const KeySpec&) {
      if (pos > 0 && static_cast<std::size_t>(pos) < args_.size()) keys_.push_back(args_[static_cast<std::size_t>(pos)]);
    };
    cluster::walk_key_specs(*info, args_, cluster::KeyPositionSink(sink));
    if (!keys_.empty()) store_.evict_written(keys_);
  }

  CacheStore& store_;
  // Per thread, reused: a write's eviction allocates nothing once warm.
  static thread_local std::vector<std::string_view> args_;
  static thread_local std::vector<std::string_view> keys_;
};
thread_local std::vector<std::string_view> CommandWalker::args_;
thread_local std::vector<std::string_view> CommandWalker::keys_;

}  // namespace

void record_node(std::string& out, const resp::Node& n) {
  using resp::Type;
  switch (n.type) {
    case Type::simple_string: return line(out, '+', n.value);
    case Type::simple_error: return line(out, '-', n.value);
    case Type::integer: return line(out, ':', n.value);
    case Type::double_: return line(out, ',', n.value);
    case Type::boolean: return line(out, '#', n.integer ? "t" : "f");
    case Type::big_number: return line(out, '(', n.value);
    case Type::null: out.append("_\r\n", 3); return;
    case Type::bulk_string: return blob(out, '$', n.value);
    case Type::verbatim_string: return blob(out, '=', n.value);
    case Type::blob_error: return blob(out, '!', n.value);
    case Type::array: return header(out, '*', n.aggregate_size);
    case Type::map: return header(out, '%', n.aggregate_size);
    case Type::set: return header(out, '~', n.aggregate_size);
    case Type::attribute: return header(out, '|', n.aggregate_size);
    case Type::push: return header(out, '>', n.aggregate_size);
  }
}

void evict_written_in(CacheStore& store, std::string_view encoded) {
  CommandWalker w(store);
  resp::Parser parser;
  while (!encoded.empty()) {
    std::error_code ec;
    const std::size_t used = parser.consume(encoded, w, ec);
    if (ec || used == 0) return;
    encoded.remove_prefix(used);
  }
}

void InvalidationHandler::on_node(const resp::Node& n) {
  if (n.depth == 0) {
    first_ = true;
    is_invalidate_ = false;
    flush_ = false;
    keys_ = 0;
    return;
  }
  if (n.depth == 1 && first_) {
    first_ = false;
    is_invalidate_ = n.value == "invalidate";
    return;
  }
  if (!is_invalidate_) return;
  if (n.depth == 1 && n.type == resp::Type::null) {
    flush_ = true;
  } else if (n.depth == 2) {
    store_.invalidate(n.value);
    ++keys_;
  }
}

void InvalidationHandler::on_message_end() {
  if (!is_invalidate_) return;
  if (flush_) store_.flush_all(FlushReason::null_invalidation);
  if (config_.observer) [[unlikely]] {
    CacheEvent e;
    e.kind = flush_ ? CacheEvent::Kind::flush : CacheEvent::Kind::invalidation;
    e.count = flush_ ? 1 : keys_;
    notify_cache(config_, e);
  }
}

namespace {

void notify(Observer* o, const CacheEvent& event) noexcept {
  if (!o) return;
  try {
    o->on_cache(event);
  } catch (...) {
    // An observer never changes what the cache does; the request hooks count
    // and log their failures (observe/probe.cpp).
  }
}

}  // namespace

void notify_cache(const Config& config, const CacheEvent& event) noexcept { notify(config.observer.get(), event); }

std::shared_ptr<CacheStore> make_store(const Config& config) {
  if (!config.cache) return nullptr;
  auto store = std::make_shared<CacheStore>(*config.cache);
  if (config.observer) {
    // The observer itself, not the Config: the store is shared and may
    // outlive the object that holds the Config.
    store->on_drop([o = config.observer](CacheDrop drop, std::size_t count) {
      const auto kind = drop == CacheDrop::eviction ? CacheEvent::Kind::eviction : CacheEvent::Kind::expiration;
      notify(o.get(), CacheEvent{kind, count});
    });
  }
  return store;
}

}  // namespace valkey::cache_detail
