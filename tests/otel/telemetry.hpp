#pragma once
// An OpenTelemetry SDK set up for one test: spans into the SDK's in-memory
// exporter (simple processor: exported as each span ends), metrics into its
// in-memory metric exporter on flush(), cumulative (each flush holds the
// totals so far).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opentelemetry/exporters/memory/in_memory_metric_data.h>
#include <opentelemetry/exporters/memory/in_memory_metric_exporter_factory.h>
#include <opentelemetry/exporters/memory/in_memory_span_data.h>
#include <opentelemetry/exporters/memory/in_memory_span_exporter_factory.h>
#include <opentelemetry/sdk/metrics/export/periodic_exporting_metric_reader_factory.h>
#include <opentelemetry/sdk/metrics/meter_provider.h>
#include <opentelemetry/sdk/metrics/meter_provider_factory.h>
#include <opentelemetry/sdk/trace/simple_processor_factory.h>
#include <opentelemetry/sdk/trace/span_data.h>
#include <opentelemetry/sdk/trace/tracer_provider.h>
#include <opentelemetry/sdk/trace/tracer_provider_factory.h>

#include <valkey/otel/observer.hpp>

namespace valkey::test {

namespace otel_sdk = opentelemetry::sdk;
namespace otel_mem = opentelemetry::exporter::memory;

class Telemetry {
 public:
  Telemetry() {
    tracer_provider_ = otel_sdk::trace::TracerProviderFactory::Create(
        otel_sdk::trace::SimpleSpanProcessorFactory::Create(otel_mem::InMemorySpanExporterFactory::Create(spans_)));
    meter_provider_ = otel_sdk::metrics::MeterProviderFactory::Create();
    otel_sdk::metrics::PeriodicExportingMetricReaderOptions o;
    o.export_interval_millis = std::chrono::hours(1);  // only flush() exports
    o.export_timeout_millis = std::chrono::seconds(5);
    meter_provider_->AddMetricReader(otel_sdk::metrics::PeriodicExportingMetricReaderFactory::Create(
        otel_mem::InMemoryMetricExporterFactory::Create(
            metrics_, [](otel_sdk::metrics::InstrumentType) { return otel_sdk::metrics::AggregationTemporality::kCumulative; }),
        o));
  }

  valkey::otel::Options options() const {
    valkey::otel::Options o;
    o.tracer_provider = opentelemetry::nostd::shared_ptr<opentelemetry::trace::TracerProvider>(
        std::shared_ptr<opentelemetry::trace::TracerProvider>(tracer_provider_));
    o.meter_provider = opentelemetry::nostd::shared_ptr<opentelemetry::metrics::MeterProvider>(
        std::shared_ptr<opentelemetry::metrics::MeterProvider>(meter_provider_));
    return o;
  }
  opentelemetry::nostd::shared_ptr<opentelemetry::trace::Tracer> app_tracer() const {
    return tracer_provider_->GetTracer("application");
  }

  // Spans ended since the last call, oldest first.
  std::vector<std::unique_ptr<otel_sdk::trace::SpanData>> take_spans() { return spans_->GetSpans(); }

  // Exports the metrics now; then points() reads them.
  void flush() { meter_provider_->ForceFlush(); }
  const otel_mem::SimpleAggregateInMemoryMetricData::AttributeToPoint& points(const std::string& metric) {
    return metrics_->Get("valkey-cpp", metric);
  }
  // Histogram: total count over every series of `metric`.
  std::uint64_t histogram_count(const std::string& metric) {
    std::uint64_t n = 0;
    for (const auto& [attrs, point] : points(metric))
      if (auto* h = opentelemetry::nostd::get_if<otel_sdk::metrics::HistogramPointData>(&point)) n += h->count_;
    return n;
  }
  // Counter / up-down counter: the sum over every series of `metric`.
  std::int64_t sum(const std::string& metric) {
    std::int64_t n = 0;
    for (const auto& [attrs, point] : points(metric))
      if (auto* s = opentelemetry::nostd::get_if<otel_sdk::metrics::SumPointData>(&point)) {
        if (auto* i = opentelemetry::nostd::get_if<std::int64_t>(&s->value_)) n += *i;
        else if (auto* d = opentelemetry::nostd::get_if<double>(&s->value_)) n += static_cast<std::int64_t>(*d);
      }
    return n;
  }

 private:
  std::shared_ptr<otel_mem::InMemorySpanData> spans_;
  std::shared_ptr<otel_mem::SimpleAggregateInMemoryMetricData> metrics_ =
      std::make_shared<otel_mem::SimpleAggregateInMemoryMetricData>();
  std::shared_ptr<otel_sdk::trace::TracerProvider> tracer_provider_;
  std::shared_ptr<otel_sdk::metrics::MeterProvider> meter_provider_;
};

// An attribute value as text (strings as they are, integers in decimal).
inline std::string attribute_text(const otel_sdk::common::OwnedAttributeValue& v) {
  if (auto* s = opentelemetry::nostd::get_if<std::string>(&v)) return *s;
  if (auto* i = opentelemetry::nostd::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto* u = opentelemetry::nostd::get_if<std::uint32_t>(&v)) return std::to_string(*u);
  if (auto* i32 = opentelemetry::nostd::get_if<std::int32_t>(&v)) return std::to_string(*i32);
  if (auto* b = opentelemetry::nostd::get_if<bool>(&v)) return *b ? "true" : "false";
  return "(other)";
}

}  // namespace valkey::test
