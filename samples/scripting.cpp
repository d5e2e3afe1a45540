// Scripting: a Lua script run by SHA1 (loaded on demand), and a function
// library called through FCALL.
#include <cstdio>
#include <string>

#include <valkey/script.hpp>
#include <valkey/valkey.hpp>

int main() try {
  valkey::Client db{valkey::Config::from_env()};
  // rate limiter: at most `limit` hits per window
  static const valkey::Script limiter{
      "local n = redis.call('INCR', KEYS[1])\n"
      "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end\n"
      "return n <= tonumber(ARGV[1]) and 1 or 0\n"};
  db.del({"sample:rate"});
  int allowed = 0;
  for (int i = 0; i < 5; ++i) allowed += limiter.run<std::int64_t>(db, {"sample:rate"}, {"3", "60"}) ? 1 : 0;
  std::printf("script %s: %d of 5 allowed\n", limiter.sha1().c_str(), allowed);

  std::string lib =
      "#!lua name=samplelib\n"
      "redis.register_function('greet', function(keys, args) return 'hello ' .. args[1] end)\n";
  db.function_load(lib, {.replace = true});
  valkey::Reply r = db.fcall("greet", {.args = {"world"}});
  std::printf("fcall: %s\n", std::string(r.as_string()).c_str());
  return allowed == 3 && r.as_string() == "hello world" ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "scripting: %s\n", e.what());
  return 1;
}
