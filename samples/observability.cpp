// Observability: valkey-cpp's requests as OpenTelemetry spans and metrics,
// printed by the SDK's ostream exporters. Built with VALKEY_CPP_WITH_OTEL=ON.
//
// The application owns the SDK: it sets the providers (here, globally) and
// valkey::otel::make_observer() reports through them.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <opentelemetry/exporters/ostream/metric_exporter_factory.h>
#include <opentelemetry/exporters/ostream/span_exporter_factory.h>
#include <opentelemetry/metrics/provider.h>
#include <opentelemetry/sdk/metrics/aggregation/histogram_aggregation.h>
#include <opentelemetry/sdk/metrics/export/periodic_exporting_metric_reader_factory.h>
#include <opentelemetry/sdk/metrics/meter_provider.h>
#include <opentelemetry/sdk/metrics/meter_provider_factory.h>
#include <opentelemetry/sdk/metrics/view/instrument_selector_factory.h>
#include <opentelemetry/sdk/metrics/view/meter_selector_factory.h>
#include <opentelemetry/sdk/metrics/view/view_factory.h>
#include <opentelemetry/sdk/trace/simple_processor_factory.h>
#include <opentelemetry/sdk/trace/tracer_provider.h>
#include <opentelemetry/sdk/trace/tracer_provider_factory.h>
#include <opentelemetry/trace/provider.h>
#include <opentelemetry/trace/scope.h>

#include <valkey/otel/observer.hpp>
#include <valkey/pipeline.hpp>
#include <valkey/valkey.hpp>

namespace sdk = opentelemetry::sdk;
namespace nostd = opentelemetry::nostd;

static std::string server_url() {
  const char* u = std::getenv("VALKEY_URL");
  return u ? u : "valkey://127.0.0.1:6379";
}

int main() try {
  // Traces: every span printed as it ends.
  std::shared_ptr<opentelemetry::trace::TracerProvider> tracer_provider = sdk::trace::TracerProviderFactory::Create(
      sdk::trace::SimpleSpanProcessorFactory::Create(opentelemetry::exporter::trace::OStreamSpanExporterFactory::Create()));
  opentelemetry::trace::Provider::SetTracerProvider(nostd::shared_ptr<opentelemetry::trace::TracerProvider>(tracer_provider));

  // Metrics: printed when flushed. Commands take tens of microseconds, so the
  // duration histogram gets sub-millisecond buckets through a view.
  std::shared_ptr<sdk::metrics::MeterProvider> meter_provider = sdk::metrics::MeterProviderFactory::Create();
  auto buckets = std::make_shared<sdk::metrics::HistogramAggregationConfig>();
  buckets->boundaries_ = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 1.0};
  meter_provider->AddView(
      sdk::metrics::InstrumentSelectorFactory::Create(sdk::metrics::InstrumentType::kHistogram,
                                                      "db.client.operation.duration", "s"),
      sdk::metrics::MeterSelectorFactory::Create("valkey-cpp", "", ""),
      sdk::metrics::ViewFactory::Create("db.client.operation.duration", "", "s",
                                        sdk::metrics::AggregationType::kHistogram, buckets));
  sdk::metrics::PeriodicExportingMetricReaderOptions reader;
  reader.export_interval_millis = std::chrono::milliseconds(60000);
  reader.export_timeout_millis = std::chrono::milliseconds(5000);
  meter_provider->AddMetricReader(sdk::metrics::PeriodicExportingMetricReaderFactory::Create(
      opentelemetry::exporter::metrics::OStreamMetricExporterFactory::Create(), reader));
  opentelemetry::metrics::Provider::SetMeterProvider(
      nostd::shared_ptr<opentelemetry::metrics::MeterProvider>(std::shared_ptr<opentelemetry::metrics::MeterProvider>(meter_provider)));

  // The client: one observer for its requests and connections.
  valkey::Config cfg = valkey::Config::from_url(server_url());
  valkey::otel::Options options;
  options.query_text = true;  // sanitized: "SET sample:greeting ?"
  cfg.observer = valkey::otel::make_observer(options);
  valkey::Client db{cfg};

  // The application's own span: the client's spans become its children.
  auto tracer = opentelemetry::trace::Provider::GetTracerProvider()->GetTracer("sample");
  auto span = tracer->StartSpan("handle-request");
  int rc = 1;
  {
    opentelemetry::trace::Scope scope(span);
    db.set("sample:greeting", "hello");
    auto [greeting, visits] = valkey::pipeline(db).get("sample:greeting").incr("sample:visits").exec();
    std::printf("greeting=%s visits=%lld\n", greeting.value_or("(nil)").c_str(), static_cast<long long>(visits));
    rc = greeting == std::optional<std::string>{"hello"} ? 0 : 1;
  }
  span->End();

  meter_provider->ForceFlush();
  std::cout.flush();
  return rc;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
