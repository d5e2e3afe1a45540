// The OpenTelemetry adapter against a real server, read back through the
// SDK's in-memory exporter: one span per request with exactly the attributes
// the database conventions name, errors and timeouts as error.type, a
// pipeline as one span, the caller's span as parent, no secret exported.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <opentelemetry/trace/scope.h>

#include <valkey/otel/observer.hpp>
#include <valkey/valkey.hpp>

#include "support/server_process.hpp"
#include "telemetry.hpp"

using namespace std::chrono_literals;
using valkey::test::ServerOptions;
using valkey::test::ServerProcess;
using valkey::test::Telemetry;

namespace {

std::map<std::string, std::string> attributes_of(const opentelemetry::sdk::trace::SpanData& span) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : span.GetAttributes()) out[k] = valkey::test::attribute_text(v);
  return out;
}

valkey::Config traced(const ServerProcess& server, const Telemetry& t, valkey::otel::Options o) {
  auto cfg = valkey::Config::from_url(server.url());
  cfg.observer = valkey::otel::make_observer(std::move(o));
  (void)t;
  return cfg;
}

}  // namespace

TEST_CASE("otel: one GET is one CLIENT span with exactly the conventional attributes", "[otel]") {
  ServerProcess server;
  Telemetry t;
  valkey::Client db{traced(server, t, t.options())};
  CHECK(t.take_spans().empty());  // connecting is not a request
  CHECK_FALSE(db.get("k").has_value());
  auto spans = t.take_spans();
  REQUIRE(spans.size() == 1);
  const auto& s = *spans[0];
  CHECK(std::string(s.GetName()) == "GET");
  CHECK(s.GetSpanKind() == opentelemetry::trace::SpanKind::kClient);
  CHECK(s.GetStatus() == opentelemetry::trace::StatusCode::kUnset);
  const std::map<std::string, std::string> want{
      {"db.system.name", "redis"},
      {"db.operation.name", "GET"},
      {"db.namespace", "0"},
      {"server.address", "127.0.0.1"},
      {"server.port", std::to_string(server.port())},
  };
  CHECK(attributes_of(s) == want);
}

TEST_CASE("otel: db.system.name valkey by option; EVALSHA names its stored procedure", "[otel]") {
  ServerProcess server;
  Telemetry t;
  auto o = t.options();
  o.system_name = "valkey";
  valkey::Client db{traced(server, t, o)};
  const std::string sha{db.call({"SCRIPT", "LOAD", "return 1"}).as_string()};
  CHECK(db.call({"EVALSHA", sha, "0"}).as_integer() == 1);
  auto spans = t.take_spans();
  REQUIRE(spans.size() == 2);
  auto a = attributes_of(*spans[1]);
  CHECK(a["db.system.name"] == "valkey");
  CHECK(std::string(spans[1]->GetName()) == "EVALSHA");
  CHECK(a["db.stored_procedure.name"] == sha);
  CHECK(attributes_of(*spans[0]).count("db.stored_procedure.name") == 0);
}

TEST_CASE("otel: WRONGTYPE is an error span with its status code and error.type", "[otel]") {
  ServerProcess server;
  Telemetry t;
  valkey::Client db{traced(server, t, t.options())};
  db.lpush("list", {"a"});
  std::error_code ec;
  db.get("list", ec);
  REQUIRE(ec == valkey::errc::server_error);
  auto spans = t.take_spans();
  REQUIRE(spans.size() == 2);
  const auto& s = *spans[1];
  CHECK(s.GetStatus() == opentelemetry::trace::StatusCode::kError);
  auto a = attributes_of(s);
  CHECK(a["db.response.status_code"] == "WRONGTYPE");
  CHECK(a["error.type"] == "WRONGTYPE");
}

TEST_CASE("otel: a paused server gives error.type timeout", "[otel]") {
  ServerProcess server;
  Telemetry t;
  auto cfg = traced(server, t, t.options());
  cfg.request_timeout = 200ms;
  cfg.health_check_interval = 0ms;
  valkey::Client db{cfg};
  db.set("k", "v");
  server.pause();
  std::error_code ec;
  db.get("k", ec);
  server.resume();
  REQUIRE(ec == valkey::errc::timeout);
  auto spans = t.take_spans();
  REQUIRE(spans.size() == 2);
  CHECK(spans[1]->GetStatus() == opentelemetry::trace::StatusCode::kError);
  auto a = attributes_of(*spans[1]);
  CHECK(a["error.type"] == "timeout");
  CHECK(a.count("db.response.status_code") == 0);
}

TEST_CASE("otel: a pipeline of 3 is one PIPELINE span of batch size 3", "[otel]") {
  ServerProcess server;
  Telemetry t;
  valkey::Client db{traced(server, t, t.options())};
  auto [ok, n, v] = valkey::pipeline(db).set("a", "1").incr("a").get("a").exec();
  (void)ok;
  (void)v;
  CHECK(n == 2);
  auto spans = t.take_spans();
  REQUIRE(spans.size() == 1);
  CHECK(std::string(spans[0]->GetName()) == "PIPELINE");
  auto a = attributes_of(*spans[0]);
  CHECK(a["db.operation.batch.size"] == "3");
  CHECK(a["db.operation.name"] == "PIPELINE");
}

TEST_CASE("otel: a GET inside an application span is its child, in the same trace", "[otel]") {
  ServerProcess server;
  Telemetry t;
  auto tracer = t.app_tracer();
  SECTION("sync Client") {
    valkey::Client db{traced(server, t, t.options())};
    auto parent = tracer->StartSpan("handle-request");
    {
      opentelemetry::trace::Scope scope(parent);
      db.get("k");
    }
    parent->End();
    auto spans = t.take_spans();
    REQUIRE(spans.size() == 2);
    CHECK(std::string(spans[0]->GetName()) == "GET");
    CHECK(spans[0]->GetTraceId() == spans[1]->GetTraceId());
    CHECK(spans[0]->GetParentSpanId() == spans[1]->GetSpanId());
  }
  SECTION("a coroutine on AsyncClient") {
    asio::io_context ioc;
    valkey::AsyncClient c{ioc.get_executor(), traced(server, t, t.options())};
    bool done = false;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          auto parent = tracer->StartSpan("handle-request");
          {
            opentelemetry::trace::Scope scope(parent);
            // The span starts inside the initiation, on this thread, under the scope.
            co_await c.get("k", asio::use_awaitable);
          }
          parent->End();
          done = true;
        },
        asio::detached);
    const auto limit = std::chrono::steady_clock::now() + 10s;
    while (!done && std::chrono::steady_clock::now() < limit) ioc.run_one_for(50ms);
    REQUIRE(done);
    auto spans = t.take_spans();
    REQUIRE(spans.size() == 2);
    CHECK(std::string(spans[0]->GetName()) == "GET");
    CHECK(spans[0]->GetTraceId() == spans[1]->GetTraceId());
    CHECK(spans[0]->GetParentSpanId() == spans[1]->GetSpanId());
  }
}

TEST_CASE("otel: query text is off by default; on, it keeps command names and keys only", "[otel]") {
  ServerProcess server;
  Telemetry t;
  auto o = t.options();
  SECTION("off") {
    valkey::Client db{traced(server, t, o)};
    db.set("k", "value");
    auto spans = t.take_spans();
    REQUIRE(spans.size() == 1);
    CHECK(attributes_of(*spans[0]).count("db.query.text") == 0);
  }
  SECTION("on") {
    o.query_text = true;
    valkey::Client db{traced(server, t, o)};
    db.set("k", "value");
    db.call({"MSET", "k1", "v1", "k2", "v2"});
    valkey::pipeline(db).get("k").hset("h", {{"f", "v"}}).exec();
    auto spans = t.take_spans();
    REQUIRE(spans.size() == 3);
    CHECK(attributes_of(*spans[0])["db.query.text"] == "SET k ?");
    CHECK(attributes_of(*spans[1])["db.query.text"] == "MSET k1 ? k2 ?");
    CHECK(attributes_of(*spans[2])["db.query.text"] == "GET k; HSET h ? ?");
  }
  SECTION("on, keys masked, capped") {
    o.query_text = true;
    o.mask_keys = true;
    o.query_text_limit = 10;
    valkey::Client db{traced(server, t, o)};
    db.call({"MSET", "k1", "v1", "k2", "v2", "k3", "v3"});
    auto spans = t.take_spans();
    REQUIRE(spans.size() == 1);
    CHECK(attributes_of(*spans[0])["db.query.text"] == "MSET ? ? ?");
  }
}

TEST_CASE("otel: neither a secret value nor the password appears in exported data", "[otel]") {
  ServerOptions so;
  so.password = "p4ss-w0rd-never-exported";
  ServerProcess server{so};
  Telemetry t;
  auto o = t.options();
  o.query_text = true;
  auto cfg = traced(server, t, o);
  cfg.password = so.password;
  {
    valkey::Client db{cfg};
    db.set("secret:key", "s3cr3t-value-never-exported");
    CHECK(db.get("secret:key") == std::optional<std::string>{"s3cr3t-value-never-exported"});
    db.call({"AUTH", so.password});
    db.call({"HELLO", "3", "AUTH", "default", so.password});
    std::error_code ec;
    db.call({"CONFIG", "SET", "requirepass", so.password}, ec);
  }
  t.flush();
  std::string exported;
  for (const auto& s : t.take_spans()) {
    exported += std::string(s->GetName()) + "\n";
    for (const auto& [k, v] : s->GetAttributes()) exported += k + "=" + valkey::test::attribute_text(v) + "\n";
    exported += std::string(s->GetDescription()) + "\n";
  }
  for (const char* metric : {"db.client.operation.duration", "db.client.connection.count",
                             "db.client.connection.create_time", "db.client.connection.pending_requests"}) {
    for (const auto& p : t.points(metric))
      for (const auto& [k, v] : p.attributes)
        exported += std::string(metric) + " " + k + "=" + valkey::test::attribute_text(v) + "\n";
  }
  INFO(exported);
  CHECK(exported.find("SET secret:key ?") != std::string::npos);  // the span is there, its value is not
  CHECK(exported.find("AUTH\n") != std::string::npos);
  CHECK(exported.find("s3cr3t-value") == std::string::npos);
  CHECK(exported.find("p4ss-w0rd") == std::string::npos);
}
