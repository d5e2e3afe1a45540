// A program that uses an installed valkey-cpp-otel the way an application
// would: the application owns the OpenTelemetry SDK (here a tracer provider
// exporting into memory), the adapter is a valkey::Observer. One GET must
// give exactly one span named GET with the server's port. Prints
// "otel consumer ok" and exits 0 when it did.
//
//   otel_consumer valkey://127.0.0.1:PORT
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <opentelemetry/exporters/memory/in_memory_span_data.h>
#include <opentelemetry/exporters/memory/in_memory_span_exporter_factory.h>
#include <opentelemetry/sdk/trace/simple_processor_factory.h>
#include <opentelemetry/sdk/trace/span_data.h>
#include <opentelemetry/sdk/trace/tracer_provider.h>
#include <opentelemetry/sdk/trace/tracer_provider_factory.h>

#include <valkey/otel/observer.hpp>
#include <valkey/valkey.hpp>

namespace {

int fail(const std::string& what) {
  std::cerr << "otel consumer: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    return fail("usage: otel_consumer valkey://host:port");
  }
  namespace sdk = opentelemetry::sdk;
  namespace memory = opentelemetry::exporter::memory;
  std::shared_ptr<memory::InMemorySpanData> spans;
  std::shared_ptr<opentelemetry::trace::TracerProvider> provider = sdk::trace::TracerProviderFactory::Create(
      sdk::trace::SimpleSpanProcessorFactory::Create(memory::InMemorySpanExporterFactory::Create(spans)));
  try {
    valkey::Config config = valkey::Config::from_url(argv[1]);
    valkey::otel::Options options;
    options.tracer_provider = opentelemetry::nostd::shared_ptr<opentelemetry::trace::TracerProvider>(provider);
    options.metrics = false;
    config.observer = valkey::otel::make_observer(options);
    valkey::Client db{config};
    (void)db.get("valkey-cpp:otel-consumer");
    db.close();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  auto ended = spans->GetSpans();
  int gets = 0;
  for (const auto& span : ended) {
    if (std::string(span->GetName()) == "GET") ++gets;
  }
  if (gets != 1) {
    return fail("expected one GET span, got " + std::to_string(gets) + " of " + std::to_string(ended.size()));
  }
  std::cout << "otel consumer ok\n";
  return 0;
}
