// db.query.text without a server: names and keys kept, everything else "?",
// credentials never, the cap honoured.
#include <catch2/catch_test_macros.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

#include <valkey/command_table.hpp>
#include <valkey/otel/observer.hpp>

namespace {

std::string resp(std::initializer_list<std::initializer_list<std::string_view>> commands) {
  std::string out;
  for (const auto& c : commands) {
    out += "*" + std::to_string(c.size()) + "\r\n";
    for (std::string_view a : c) out += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
  }
  return out;
}

std::string query(std::initializer_list<std::string_view> command, bool mask_keys = false, std::size_t limit = 512) {
  const std::string bytes = resp({command});
  const valkey::observe::Arguments args(bytes);
  valkey::RequestInfo info;
  info.name = *command.begin();
  info.command = command.size() > 1 ? valkey::find_command(*command.begin(), *(command.begin() + 1))
                                    : valkey::find_command(*command.begin());
  info.arguments = &args;
  return valkey::otel::sanitized_query(info, mask_keys, limit);
}

}  // namespace

TEST_CASE("otel query text: keys from the key specs are kept, other arguments are ?", "[otel][query-text]") {
  CHECK(query({"SET", "user:1", "secret", "EX", "10"}) == "SET user:1 ? ? ?");
  CHECK(query({"MGET", "a", "b", "c"}) == "MGET a b c");
  CHECK(query({"HSET", "h", "f", "v"}) == "HSET h ? ?");
  CHECK(query({"EVALSHA", "abc123", "1", "k", "arg"}) == "EVALSHA ? ? k ?");
  CHECK(query({"client", "setname", "x"}) == "CLIENT SETNAME ?");
  CHECK(query({"SET", "user:1", "secret"}, true) == "SET ? ?");
}

TEST_CASE("otel query text: credentials and unknown commands show their name alone", "[otel][query-text]") {
  CHECK(query({"AUTH", "user", "pw"}) == "AUTH");
  CHECK(query({"HELLO", "3", "AUTH", "user", "pw"}) == "HELLO");
  CHECK(query({"MIGRATE", "h", "1", "k", "0", "10", "AUTH", "pw"}) == "MIGRATE");
  CHECK(query({"ACL", "SETUSER", "u", ">pw"}) == "ACL SETUSER");
  CHECK(query({"NOSUCHCMD", "arg"}) == "NOSUCHCMD");
}

TEST_CASE("otel query text: a batch joins its commands; the cap cuts", "[otel][query-text]") {
  const std::string bytes = resp({{"SET", "a", "1"}, {"GET", "a"}});
  const valkey::observe::Arguments args(bytes);
  valkey::RequestInfo info;
  info.kind = valkey::RequestInfo::Kind::pipeline;
  info.name = "PIPELINE";
  info.batch_size = 2;
  info.arguments = &args;
  CHECK(valkey::otel::sanitized_query(info, false, 512) == "SET a ?; GET a");
  const std::string key(600, 'k');
  const std::string capped = query({"GET", key});
  CHECK(capped.size() == 512);
  CHECK(capped.substr(0, 5) == "GET k");
}
