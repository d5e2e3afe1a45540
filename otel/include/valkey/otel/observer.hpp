#pragma once
// valkey::otel: a valkey::Observer that reports to OpenTelemetry, following
// the database semantic conventions for Redis-compatible clients. It uses
// the OpenTelemetry API only: the application owns the SDK, its processors,
// exporters and views (docs/observability.md shows a setup).
//
//   valkey::Config cfg = valkey::Config::from_url(url);
//   cfg.observer = valkey::otel::make_observer();   // the global tracer and meter providers
//
// Spans: kind CLIENT, named after the command ("GET", "CLIENT SETNAME"), or
// PIPELINE / MULTI for batches, started on the caller's thread as a child of
// the caller's active span. Attributes: db.system.name, db.operation.name,
// db.namespace (the database index), server.address, server.port,
// db.operation.batch.size (batches of 2 or more), db.stored_procedure.name
// (EVALSHA, FCALL and their _RO forms), and on failure error.type (the error
// reply's prefix, or the failure's name: timeout, connection_lost, ...) with
// db.response.status_code (the prefix) and the span status Error.
// db.query.text only when asked for, sanitized (see Options::query_text).
//
// Metrics: db.client.operation.duration (s), db.client.connection.count,
// db.client.connection.pending_requests, db.client.connection.create_time (s),
// db.client.connection.timeouts, valkey.client.reconnects,
// valkey.client.retries, valkey.client.cache.hits, valkey.client.cache.misses.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <opentelemetry/metrics/meter_provider.h>
#include <opentelemetry/nostd/shared_ptr.h>
#include <opentelemetry/trace/tracer_provider.h>

#include <valkey/observe/observer.hpp>

namespace valkey::otel {

struct Options {
  // db.system.name: "redis" is what the conventions define for this
  // protocol today; "valkey" once a backend expects it.
  std::string system_name = "redis";

  // null: the global providers (opentelemetry::trace::Provider,
  // opentelemetry::metrics::Provider) as they are when make_observer() runs.
  opentelemetry::nostd::shared_ptr<opentelemetry::trace::TracerProvider> tracer_provider;
  opentelemetry::nostd::shared_ptr<opentelemetry::metrics::MeterProvider> meter_provider;
  bool traces = true;
  bool metrics = true;

  // db.query.text, off by default. On: the command name and its keys (found
  // through the command's key specs) as sent, every other argument "?"
  // (with mask_keys, the keys too), capped at query_text_limit bytes. The
  // arguments of AUTH, HELLO, MIGRATE and ACL never appear, nor do those of
  // a command the table does not know.
  bool query_text = false;
  bool mask_keys = false;
  std::size_t query_text_limit = 512;

  // Decides per request whether it is traced and measured (null: all are).
  std::function<bool(const RequestInfo&)> filter;
};

std::shared_ptr<Observer> make_observer(Options options = {});

// The sanitized query text Options::query_text describes, for `info` (its
// arguments must be set). Exposed for tests and for other exporters.
std::string sanitized_query(const RequestInfo& info, bool mask_keys, std::size_t limit);

}  // namespace valkey::otel
