#pragma once
// An OpenTelemetry SDK set up for one test: spans into the SDK's in-memory
// exporter (simple processor: exported as each span ends); metrics collected
// on flush() by a reader of our own, on the calling thread, cumulative (each
// flush holds the totals so far). The SDK's periodic reader exports from its
// own thread, and a flush right after it started can return before the
// export it asked for: a test would then read an older collection.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <opentelemetry/exporters/memory/in_memory_span_data.h>
#include <opentelemetry/exporters/memory/in_memory_span_exporter_factory.h>
#include <opentelemetry/sdk/metrics/data/metric_data.h>
#include <opentelemetry/sdk/metrics/export/metric_producer.h>
#include <opentelemetry/sdk/metrics/metric_reader.h>
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
    meter_provider_->AddMetricReader(reader_);
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

  using Points = std::vector<otel_sdk::metrics::PointDataAttributes>;
  // Collects the metrics now; then points() reads them.
  void flush() {
    collected_.clear();
    reader_->Collect([this](otel_sdk::metrics::ResourceMetrics& rm) {
      for (auto& scope : rm.scope_metric_data_) {
        if (!scope.scope_ || scope.scope_->GetName() != "valkey-cpp") continue;
        for (auto& m : scope.metric_data_) {
          Points& p = collected_[m.instrument_descriptor.name_];
          for (auto& point : m.point_data_attr_) p.push_back(std::move(point));
        }
      }
      return true;
    });
  }
  const Points& points(const std::string& metric) { return collected_[metric]; }
  // Histogram: total count over every series of `metric`.
  std::uint64_t histogram_count(const std::string& metric) {
    std::uint64_t n = 0;
    for (const auto& p : points(metric))
      if (auto* h = opentelemetry::nostd::get_if<otel_sdk::metrics::HistogramPointData>(&p.point_data)) n += h->count_;
    return n;
  }
  // Counter / up-down counter: the sum over every series of `metric`; with
  // `attribute`, over the series where that attribute is the string `value`.
  std::int64_t sum(const std::string& metric, const std::string& attribute = {}, const std::string& value = {}) {
    std::int64_t n = 0;
    for (const auto& p : points(metric)) {
      if (!attribute.empty()) {
        auto it = p.attributes.find(attribute);
        if (it == p.attributes.end()) continue;
        auto* v = opentelemetry::nostd::get_if<std::string>(&it->second);
        if (!v || *v != value) continue;
      }
      if (auto* s = opentelemetry::nostd::get_if<otel_sdk::metrics::SumPointData>(&p.point_data)) {
        if (auto* i = opentelemetry::nostd::get_if<std::int64_t>(&s->value_)) n += *i;
        else if (auto* d = opentelemetry::nostd::get_if<double>(&s->value_)) n += static_cast<std::int64_t>(*d);
      }
    }
    return n;
  }

 private:
  std::shared_ptr<otel_mem::InMemorySpanData> spans_;
  // Collects when asked, on the caller's thread.
  class ManualReader final : public otel_sdk::metrics::MetricReader {
   public:
    otel_sdk::metrics::AggregationTemporality GetAggregationTemporality(
        otel_sdk::metrics::InstrumentType) const noexcept override {
      return otel_sdk::metrics::AggregationTemporality::kCumulative;
    }

   private:
    bool OnForceFlush(std::chrono::microseconds) noexcept override { return true; }
    bool OnShutDown(std::chrono::microseconds) noexcept override { return true; }
  };
  std::shared_ptr<ManualReader> reader_ = std::make_shared<ManualReader>();
  std::map<std::string, Points> collected_;
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
