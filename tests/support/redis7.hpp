#pragma once
// A Redis 7 server (REDIS_SERVER, installed by scripts/setup.sh from Debian)
// for compatibility tests: same fixture, other binary.
//
//   valkey::test::Redis7 redis;
//   valkey::Client db{redis.url()};
#include "server_process.hpp"

namespace valkey::test {

class Redis7 : public ServerProcess {
 public:
  explicit Redis7(ServerOptions options = {}) : ServerProcess(as_redis(std::move(options))) {}

 private:
  static ServerOptions as_redis(ServerOptions o) {
    o.kind = ServerKind::redis;
    return o;
  }
};

}  // namespace valkey::test
