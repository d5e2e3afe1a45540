// Codec micro-benchmarks: parsing replies into valkey::Reply and into typed
// values, and encoding commands with resp::Writer into a reused buffer.
// allocs/iter counts global operator new calls inside the timed loop.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include <valkey/adapt/response.hpp>
#include <valkey/reply.hpp>
#include <valkey/resp/parser.hpp>
#include <valkey/resp/writer.hpp>

#include "alloc_counter.hpp"

namespace {

using valkey::bench::allocations;

std::string bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }

const std::string& wire_integer() {
  static const std::string w = ":1234567\r\n";
  return w;
}
const std::string& wire_double() {  // ZSCORE, RESP3
  static const std::string w = ",3.141592653589793\r\n";
  return w;
}
const std::string& wire_double_bulk() {  // ZSCORE, RESP2: the number as a bulk string
  static const std::string w = "$17\r\n3.141592653589793\r\n";
  return w;
}
const std::string& wire_integer_array100() {  // e.g. SMISMEMBER or BITFIELD of 100
  static const std::string w = [] {
    std::string s = "*100\r\n";
    for (int i = 0; i < 100; ++i) s += ":" + std::to_string(i * 7919) + "\r\n";
    return s;
  }();
  return w;
}
const std::string& wire_bulk3() {
  static const std::string w = "$3\r\nbar\r\n";
  return w;
}
const std::string& wire_bulk4k() {
  static const std::string w = bulk(std::string(4096, 'x'));
  return w;
}
const std::string& wire_array100() {
  static const std::string w = [] {
    std::string s = "*100\r\n";
    for (int i = 0; i < 100; ++i) s += bulk("member:" + std::to_string(i));
    return s;
  }();
  return w;
}
const std::string& wire_map() {  // HGETALL of 20 fields, RESP3
  static const std::string w = [] {
    std::string s = "%20\r\n";
    for (int i = 0; i < 20; ++i) s += bulk("field" + std::to_string(i)) + bulk("value" + std::to_string(i));
    return s;
  }();
  return w;
}

void report(benchmark::State& state, std::uint64_t allocs, std::size_t bytes) {
  state.counters["allocs/iter"] =
      benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// Parser alone, with a visitor that does nothing.
class Discard final : public valkey::resp::Visitor {
 public:
  void on_node(const valkey::resp::Node& n) override { benchmark::DoNotOptimize(n.value.data()); }
};

template <const std::string& (*Wire)()>
void BM_ParseOnly(benchmark::State& state) {
  const std::string& wire = Wire();
  valkey::resp::Parser parser;
  Discard v;
  std::error_code ec;
  const auto before = allocations();
  for (auto _ : state) {
    benchmark::DoNotOptimize(parser.consume(wire, v, ec));
  }
  report(state, allocations() - before, wire.size());
  if (ec) state.SkipWithError("parse error");
}

template <const std::string& (*Wire)()>
void BM_ParseReply(benchmark::State& state) {
  const std::string& wire = Wire();
  valkey::resp::Parser parser;
  valkey::ReplyBuilder builder;
  std::error_code ec;
  const auto before = allocations();
  for (auto _ : state) {
    parser.consume(wire, builder, ec);
    valkey::Reply r = builder.take();
    benchmark::DoNotOptimize(r);
  }
  report(state, allocations() - before, wire.size());
  if (ec) state.SkipWithError("parse error");
}

// One ResponseVisitor<T> per reply, as the connection does per request.
template <class T, const std::string& (*Wire)()>
void BM_ParseTyped(benchmark::State& state) {
  const std::string& wire = Wire();
  valkey::resp::Parser parser;
  std::error_code ec;
  bool ok = true;
  const auto before = allocations();
  for (auto _ : state) {
    valkey::adapt::ResponseVisitor<T> v;
    parser.consume(wire, v, ec);
    ok = ok && !v.error_code();
    benchmark::DoNotOptimize(v.value());
  }
  report(state, allocations() - before, wire.size());
  if (ec || !ok) state.SkipWithError("decode error");
}

void BM_EncodeGet(benchmark::State& state) {
  std::string buf;
  buf.reserve(256);
  const auto before = allocations();
  for (auto _ : state) {
    buf.clear();
    valkey::resp::Writer w{buf};
    w.begin_command(2);
    w.arg("GET");
    w.arg(std::string_view{"user:1000:session"});
    benchmark::DoNotOptimize(buf.data());
  }
  report(state, allocations() - before, buf.size());
}

void BM_EncodeSet4K(benchmark::State& state) {
  const std::string value(4096, 'v');
  std::string buf;
  buf.reserve(8192);
  const auto before = allocations();
  for (auto _ : state) {
    buf.clear();
    valkey::resp::Writer w{buf};
    w.begin_command(3);
    w.arg("SET");
    w.arg(std::string_view{"user:1000:blob"});
    w.arg(value);
    benchmark::DoNotOptimize(buf.data());
  }
  report(state, allocations() - before, buf.size());
}

void BM_EncodeMset100(benchmark::State& state) {
  std::vector<std::string> keys, values;
  for (int i = 0; i < 100; ++i) {
    keys.push_back("key:" + std::to_string(i));
    values.push_back("value:" + std::to_string(i));
  }
  std::string buf;
  buf.reserve(8192);
  const auto before = allocations();
  for (auto _ : state) {
    buf.clear();
    valkey::resp::Writer w{buf};
    w.begin_command(201);
    w.arg("MSET");
    for (int i = 0; i < 100; ++i) {
      w.arg(keys[i]);
      w.arg(values[i]);
    }
    benchmark::DoNotOptimize(buf.data());
  }
  report(state, allocations() - before, buf.size());
}

void BM_EncodeIncrByInteger(benchmark::State& state) {
  std::string buf;
  buf.reserve(256);
  std::int64_t n = 0;
  const auto before = allocations();
  for (auto _ : state) {
    buf.clear();
    valkey::resp::Writer w{buf};
    w.begin_command(3);
    w.arg("INCRBY");
    w.arg(std::string_view{"counter"});
    w.arg(++n);
    benchmark::DoNotOptimize(buf.data());
  }
  report(state, allocations() - before, buf.size());
}

using Strings = std::vector<std::string>;
using StringMap = std::unordered_map<std::string, std::string>;

}  // namespace

BENCHMARK(BM_ParseOnly<wire_integer>)->Name("parse/raw/integer");
BENCHMARK(BM_ParseOnly<wire_double>)->Name("parse/raw/double");
BENCHMARK(BM_ParseOnly<wire_bulk3>)->Name("parse/raw/bulk3");
BENCHMARK(BM_ParseOnly<wire_bulk4k>)->Name("parse/raw/bulk4k");
BENCHMARK(BM_ParseOnly<wire_array100>)->Name("parse/raw/array100");
BENCHMARK(BM_ParseOnly<wire_map>)->Name("parse/raw/map20");

BENCHMARK(BM_ParseReply<wire_integer>)->Name("parse/Reply/integer");
BENCHMARK(BM_ParseReply<wire_double>)->Name("parse/Reply/double");
BENCHMARK(BM_ParseReply<wire_integer_array100>)->Name("parse/Reply/integer_array100");
BENCHMARK(BM_ParseReply<wire_bulk3>)->Name("parse/Reply/bulk3");
BENCHMARK(BM_ParseReply<wire_bulk4k>)->Name("parse/Reply/bulk4k");
BENCHMARK(BM_ParseReply<wire_array100>)->Name("parse/Reply/array100");
BENCHMARK(BM_ParseReply<wire_map>)->Name("parse/Reply/map20");

BENCHMARK(BM_ParseTyped<std::int64_t, wire_integer>)->Name("parse/typed/int64");
BENCHMARK(BM_ParseTyped<std::int32_t, wire_integer>)->Name("parse/typed/int32");
BENCHMARK(BM_ParseTyped<double, wire_double>)->Name("parse/typed/double");
BENCHMARK(BM_ParseTyped<double, wire_double_bulk>)->Name("parse/typed/double_from_bulk");
BENCHMARK(BM_ParseTyped<std::vector<std::int64_t>, wire_integer_array100>)->Name("parse/typed/vector_int64_100");
BENCHMARK(BM_ParseTyped<std::string, wire_bulk3>)->Name("parse/typed/string3");
BENCHMARK(BM_ParseTyped<std::optional<std::string>, wire_bulk3>)->Name("parse/typed/optional_string3");
BENCHMARK(BM_ParseTyped<std::string, wire_bulk4k>)->Name("parse/typed/string4k");
BENCHMARK(BM_ParseTyped<Strings, wire_array100>)->Name("parse/typed/vector_string100");
BENCHMARK(BM_ParseTyped<StringMap, wire_map>)->Name("parse/typed/unordered_map20");

BENCHMARK(BM_EncodeGet)->Name("encode/GET");
BENCHMARK(BM_EncodeSet4K)->Name("encode/SET_4KiB");
BENCHMARK(BM_EncodeMset100)->Name("encode/MSET_100_pairs");
BENCHMARK(BM_EncodeIncrByInteger)->Name("encode/INCRBY_integer");
