// The OpenTelemetry observer: one CLIENT span and one duration measurement per
// request, connection and reconnect metrics from the connection events.
#include <charconv>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <opentelemetry/common/attribute_value.h>
#include <opentelemetry/common/key_value_iterable_view.h>
#include <opentelemetry/context/runtime_context.h>
#include <opentelemetry/metrics/meter.h>
#include <opentelemetry/metrics/provider.h>
#include <opentelemetry/metrics/sync_instruments.h>
#include <opentelemetry/nostd/string_view.h>
#include <opentelemetry/trace/provider.h>
#include <opentelemetry/trace/span.h>
#include <opentelemetry/trace/span_startoptions.h>
#include <opentelemetry/trace/tracer.h>

#include <valkey/error.hpp>
#include <valkey/otel/observer.hpp>
#include <valkey/version.hpp>

#include "error_type.hpp"

namespace valkey::otel {

namespace {

namespace nostd = opentelemetry::nostd;
namespace trace = opentelemetry::trace;
namespace metrics = opentelemetry::metrics;
using Attribute = std::pair<nostd::string_view, opentelemetry::common::AttributeValue>;
using Attributes = std::vector<Attribute>;
using clock = std::chrono::steady_clock;

// Measurements go through the instruments' virtual (attributes, context)
// overloads: their template overloads would also match a Context, which
// converts from any container.
template <class Instrument, class V>
void add(Instrument& i, V value, const Attributes& a) {
  const opentelemetry::common::KeyValueIterableView<Attributes> kv(a);
  i.Add(value, static_cast<const opentelemetry::common::KeyValueIterable&>(kv),
        opentelemetry::context::RuntimeContext::GetCurrent());
}
void record(metrics::Histogram<double>& h, double value, const Attributes& a) {
  const opentelemetry::common::KeyValueIterableView<Attributes> kv(a);
  h.Record(value, static_cast<const opentelemetry::common::KeyValueIterable&>(kv),
           opentelemetry::context::RuntimeContext::GetCurrent());
}

constexpr std::string_view kScope = "valkey-cpp";

bool is_stored_procedure(std::string_view name) {
  return name == "EVALSHA" || name == "EVALSHA_RO" || name == "FCALL" || name == "FCALL_RO";
}

// "host:port" (the node a cluster request went to).
void split_node(std::string_view node, std::string& host, std::int64_t& port) {
  const std::size_t colon = node.rfind(':');
  if (colon == std::string_view::npos) {
    host = std::string(node);
    return;
  }
  host = std::string(node.substr(0, colon));
  std::int64_t p = 0;
  const auto r = std::from_chars(node.data() + colon + 1, node.data() + node.size(), p);
  if (r.ec == std::errc{}) port = p;
}

std::string pool_name(const observe::Endpoint& e) {
  if (!e.unix_path.empty()) return std::string(e.unix_path);
  return std::string(e.host) + ":" + std::to_string(e.port);
}

// What on_request_start learned, for on_request_end (the token points here).
struct Record {
  nostd::shared_ptr<trace::Span> span;
  clock::time_point started;
  std::string operation;
  std::string ns;
  std::string address;  // empty: unknown until the end (cluster)
  std::int64_t port = 0;
  std::string pool;     // the pending_requests series it was counted in
};

class OtelObserver final : public Observer {
 public:
  explicit OtelObserver(Options o) : options_(std::move(o)) {
    const std::string version = VALKEY_CPP_VERSION;
    if (options_.traces) {
      auto provider = options_.tracer_provider ? options_.tracer_provider : trace::Provider::GetTracerProvider();
      tracer_ = provider->GetTracer(nostd::string_view(kScope.data(), kScope.size()), version);
    }
    if (options_.metrics) {
      auto provider = options_.meter_provider ? options_.meter_provider : metrics::Provider::GetMeterProvider();
      meter_ = provider->GetMeter(nostd::string_view(kScope.data(), kScope.size()), version);
      duration_ = meter_->CreateDoubleHistogram("db.client.operation.duration",
                                                "Duration of database client operations.", "s");
      connections_ = meter_->CreateInt64UpDownCounter(
          "db.client.connection.count", "The number of connections that are currently in the state described by the state attribute.",
          "{connection}");
      pending_ = meter_->CreateInt64UpDownCounter("db.client.connection.pending_requests",
                                                  "The number of current pending requests.", "{request}");
      create_time_ = meter_->CreateDoubleHistogram("db.client.connection.create_time",
                                                   "The time it took to create a new connection.", "s");
      timeouts_ = meter_->CreateUInt64Counter("db.client.connection.timeouts",
                                              "The number of connection attempts that timed out.", "{timeout}");
      reconnects_ = meter_->CreateUInt64Counter("valkey.client.reconnects",
                                                "Reconnection attempts after a lost or refused connection.",
                                                "{attempt}");
      retries_ = meter_->CreateUInt64Counter("valkey.client.retries", "Requests sent again by a retry policy.",
                                             "{retry}");
      cache_hits_ = meter_->CreateUInt64Counter("valkey.client.cache.hits",
                                                "Reads answered by the client-side cache.", "{hit}");
      cache_misses_ = meter_->CreateUInt64Counter("valkey.client.cache.misses",
                                                  "Cacheable reads the client-side cache could not answer.", "{miss}");
      cache_drops_ = meter_->CreateUInt64Counter(
          "valkey.client.cache.drops",
          "Entries the client-side cache dropped on its own: to stay within its size, or past their TTL.", "{entry}");
      cache_invalidations_ = meter_->CreateUInt64Counter(
          "valkey.client.cache.invalidations",
          "Keys the server invalidated, and whole-cache flushes (a flush counts once).", "{invalidation}");
      topology_changes_ = meter_->CreateUInt64Counter(
          "valkey.client.topology.changes",
          "Changes of the servers the client talks to: cluster slot maps adopted or patched, sentinel failovers.",
          "{change}");
      circuit_transitions_ = meter_->CreateUInt64Counter(
          "valkey.client.circuit_breaker.transitions", "State changes of the per-endpoint circuit breakers.",
          "{transition}");
    }
  }

  observe::Token on_request_start(const RequestInfo& info) override {
    if (options_.filter && !options_.filter(info)) return observe::Token::of<Record*>(nullptr);
    auto rec = std::make_unique<Record>();
    rec->operation = std::string(info.name);
    rec->ns = std::to_string(info.database);
    if (!info.endpoint.unix_path.empty()) {
      rec->address = std::string(info.endpoint.unix_path);
    } else if (!info.endpoint.host.empty()) {
      rec->address = std::string(info.endpoint.host);
      rec->port = info.endpoint.port;
    }
    if (tracer_) {
      std::vector<Attribute> attrs;
      attrs.reserve(9);
      attrs.emplace_back("db.system.name", nostd::string_view(options_.system_name));
      attrs.emplace_back("db.operation.name", nostd::string_view(rec->operation));
      attrs.emplace_back("db.namespace", nostd::string_view(rec->ns));
      if (!rec->address.empty()) attrs.emplace_back("server.address", nostd::string_view(rec->address));
      if (rec->port != 0) attrs.emplace_back("server.port", rec->port);
      if (info.batch_size >= 2) attrs.emplace_back("db.operation.batch.size", static_cast<std::int64_t>(info.batch_size));
      std::string procedure;
      if (info.kind == RequestInfo::Kind::command && is_stored_procedure(info.name) && info.arguments) {
        info.arguments->for_each([&](std::size_t command, std::size_t i, std::string_view a) {
          if (command == 0 && i == 1) procedure = std::string(a);
        });
        if (!procedure.empty()) attrs.emplace_back("db.stored_procedure.name", nostd::string_view(procedure));
      }
      std::string query;
      if (options_.query_text) {
        query = sanitized_query(info, options_.mask_keys, options_.query_text_limit);
        attrs.emplace_back("db.query.text", nostd::string_view(query));
      }
      trace::StartSpanOptions so;
      so.kind = trace::SpanKind::kClient;
      rec->span = tracer_->StartSpan(rec->operation, attrs, so);
    }
    if (pending_) {
      rec->pool = rec->address.empty() ? std::string() : pool_name(info.endpoint);
      add(*pending_, std::int64_t{1}, Attributes{{"db.client.connection.pool.name", nostd::string_view(rec->pool)}});
    }
    rec->started = clock::now();
    return observe::Token::of(rec.release());
  }

  void on_request_end(observe::Token token, const RequestResult& result) override {
    std::unique_ptr<Record> rec(token.as<Record*>());
    if (!rec) return;
    const double seconds = std::chrono::duration<double>(clock::now() - rec->started).count();
    if (rec->address.empty() && !result.node.empty()) split_node(result.node, rec->address, rec->port);
    const std::string_view type = !result.ec ? std::string_view{}
                                  : !result.error_prefix.empty() ? result.error_prefix
                                                                 : error_type_name(result.ec);
    if (rec->span) {
      if (!result.node.empty()) {
        rec->span->SetAttribute("server.address", nostd::string_view(rec->address));
        if (rec->port != 0) rec->span->SetAttribute("server.port", rec->port);
      }
      if (result.ec) {
        const nostd::string_view t(type.data(), type.size());
        if (!result.error_prefix.empty()) rec->span->SetAttribute("db.response.status_code", t);
        rec->span->SetAttribute("error.type", t);
        rec->span->SetStatus(trace::StatusCode::kError, t);
      }
      rec->span->End();
    }
    if (duration_) {
      std::vector<Attribute> attrs;
      attrs.reserve(7);
      attrs.emplace_back("db.system.name", nostd::string_view(options_.system_name));
      attrs.emplace_back("db.operation.name", nostd::string_view(rec->operation));
      attrs.emplace_back("db.namespace", nostd::string_view(rec->ns));
      if (!rec->address.empty()) attrs.emplace_back("server.address", nostd::string_view(rec->address));
      if (rec->port != 0) attrs.emplace_back("server.port", rec->port);
      if (result.ec) {
        const nostd::string_view t(type.data(), type.size());
        attrs.emplace_back("error.type", t);
        if (!result.error_prefix.empty()) attrs.emplace_back("db.response.status_code", t);
      }
      record(*duration_, seconds, attrs);
      add(*pending_, std::int64_t{-1}, Attributes{{"db.client.connection.pool.name", nostd::string_view(rec->pool)}});
    }
  }

  void on_connect(const ConnectionEvent& e) override {
    if (!meter_) return;
    const std::string pool = pool_name(e.endpoint);
    add(*connections_, std::int64_t{1}, connection_attrs(pool));
    record(*create_time_, std::chrono::duration<double>(e.duration).count(),
           Attributes{{"db.client.connection.pool.name", nostd::string_view(pool)}});
  }
  void on_disconnect(const ConnectionEvent& e) override {
    if (!meter_) return;
    const std::string pool = pool_name(e.endpoint);
    if (e.established) add(*connections_, std::int64_t{-1}, connection_attrs(pool));
    else if (e.reason == errc::timeout)
      add(*timeouts_, std::uint64_t{1}, Attributes{{"db.client.connection.pool.name", nostd::string_view(pool)}});
  }
  void on_reconnect_attempt(const ConnectionEvent& e) override {
    if (!meter_) return;
    const std::string pool = pool_name(e.endpoint);
    add(*reconnects_, std::uint64_t{1}, Attributes{{"db.client.connection.pool.name", nostd::string_view(pool)}});
  }
  void on_retry(const RetryEvent&) override {
    if (retries_) add(*retries_, std::uint64_t{1}, {});
  }
  // valkey.topology.change: discovered, refreshed, moved (one slot patched
  // by a MOVED reply) or failover (sentinel); server.address/port name the
  // new owner or primary where the event has one.
  void on_topology_change(const TopologyEvent& e) override {
    if (!meter_) return;
    const nostd::string_view kind = topology_kind(e.kind);
    if (e.target.host.empty()) {
      add(*topology_changes_, std::uint64_t{1}, Attributes{{"valkey.topology.change", kind}});
    } else {
      add(*topology_changes_, std::uint64_t{1},
          Attributes{{"valkey.topology.change", kind},
                     {"server.address", nostd::string_view(e.target.host.data(), e.target.host.size())},
                     {"server.port", static_cast<std::int64_t>(e.target.port)}});
    }
  }
  void on_circuit(const CircuitEvent& e) override {
    if (!meter_) return;
    const std::string pool = pool_name(e.endpoint);
    add(*circuit_transitions_, std::uint64_t{1},
        Attributes{{"db.client.connection.pool.name", nostd::string_view(pool)},
                   {"valkey.circuit_breaker.state", circuit_state(e.state)}});
  }
  void on_cache(const CacheEvent& e) override {
    if (!meter_) return;
    const std::uint64_t n{e.count};
    switch (e.kind) {
      case CacheEvent::Kind::hit: add(*cache_hits_, n, {}); break;
      case CacheEvent::Kind::miss: add(*cache_misses_, n, {}); break;
      case CacheEvent::Kind::eviction:
        add(*cache_drops_, n, Attributes{{"valkey.cache.drop.reason", nostd::string_view("size")}});
        break;
      case CacheEvent::Kind::expiration:
        add(*cache_drops_, n, Attributes{{"valkey.cache.drop.reason", nostd::string_view("ttl")}});
        break;
      case CacheEvent::Kind::invalidation:
        add(*cache_invalidations_, n, Attributes{{"valkey.cache.invalidation", nostd::string_view("key")}});
        break;
      case CacheEvent::Kind::flush:
        add(*cache_invalidations_, std::uint64_t{1}, Attributes{{"valkey.cache.invalidation", nostd::string_view("flush")}});
        break;
    }
  }

 private:
  static nostd::string_view topology_kind(TopologyEvent::Kind k) {
    switch (k) {
      case TopologyEvent::Kind::discovered: return "discovered";
      case TopologyEvent::Kind::refreshed: return "refreshed";
      case TopologyEvent::Kind::moved: return "moved";
      case TopologyEvent::Kind::failover: return "failover";
    }
    return "unknown";
  }
  static nostd::string_view circuit_state(CircuitEvent::State s) {
    switch (s) {
      case CircuitEvent::State::closed: return "closed";
      case CircuitEvent::State::open: return "open";
      case CircuitEvent::State::half_open: return "half_open";
    }
    return "unknown";
  }
  static Attributes connection_attrs(const std::string& pool) {
    return {{"db.client.connection.pool.name", nostd::string_view(pool)},
            {"db.client.connection.state", nostd::string_view("used")}};
  }

  Options options_;
  nostd::shared_ptr<trace::Tracer> tracer_;
  nostd::shared_ptr<metrics::Meter> meter_;
  nostd::unique_ptr<metrics::Histogram<double>> duration_;
  nostd::unique_ptr<metrics::UpDownCounter<std::int64_t>> connections_;
  nostd::unique_ptr<metrics::UpDownCounter<std::int64_t>> pending_;
  nostd::unique_ptr<metrics::Histogram<double>> create_time_;
  nostd::unique_ptr<metrics::Counter<std::uint64_t>> timeouts_;
  nostd::unique_ptr<metrics::Counter<std::uint64_t>> reconnects_;
  nostd::unique_ptr<metrics::Counter<std::uint64_t>> retries_;
  nostd::unique_ptr<metrics::Counter<std::uint64_t>> cache_hits_;
  nostd::unique_ptr<metrics::Counter<std::uint64_t>> cache_misses_;
  nostd::unique_ptr<metrics::Counter<std::uint64_t>> cache_drops_;
  nostd::unique_ptr<metrics::Counter<std::uint64_t>> cache_invalidations_;
  nostd::unique_ptr<metrics::Counter<std::uint64_t>> topology_changes_;
  nostd::unique_ptr<metrics::Counter<std::uint64_t>> circuit_transitions_;
};

}  // namespace

std::shared_ptr<Observer> make_observer(Options options) { return std::make_shared<OtelObserver>(std::move(options)); }

}  // namespace valkey::otel
