#pragma once
// Every fixture at once, for integration tests:
//   ServerProcess / ServerOptions  one server (valkey, redis or sentinel)
//   Cluster / ClusterOptions       N primaries x R replicas
//   ReplicatedSet / Sentinels      primary + replicas, sentinels watching it
//   Redis7                         compatibility target
//   RespConnection / send_command  fixture-side commands, independent of the client under test
//   wait_until                     polling with a deadline
#include "cluster.hpp"
#include "redis7.hpp"
#include "resp_client.hpp"
#include "sentinel.hpp"
#include "server_process.hpp"
#include "tls_files.hpp"
#include "wait.hpp"
