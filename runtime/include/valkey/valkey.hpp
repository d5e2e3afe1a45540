#pragma once
/// \file
/// The umbrella header: both clients, the generated command structs and the
/// generated method surface, and the features built on them (pipelines,
/// transactions, blocking-command pools, pub/sub for async and sync code,
/// scripts). Include the single headers instead to compile less.
#include <valkey/async_client.hpp>
#include <valkey/async_watch.hpp>
#include <valkey/client.hpp>
#include <valkey/cluster/async_cluster_client.hpp>
#include <valkey/cluster/cluster_client.hpp>
#include <valkey/cluster/cluster_subscriber.hpp>
#include <valkey/cluster/cluster_watch.hpp>
#include <valkey/cluster/sync_cluster_subscriber.hpp>
#include <valkey/cmd/all.hpp>
#include <valkey/commands.hpp>
#include <valkey/config.hpp>
#include <valkey/connection.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/error.hpp>
#include <valkey/lease.hpp>
#include <valkey/list.hpp>
#include <valkey/owned.hpp>
#include <valkey/pipeline.hpp>
#include <valkey/pubsub.hpp>
#include <valkey/sync_subscriber.hpp>
#include <valkey/tokens.hpp>
#include <valkey/reply.hpp>
#include <valkey/script.hpp>
#include <valkey/sentinel/sentinel_config.hpp>
#include <valkey/transaction.hpp>
#include <valkey/watch_retry.hpp>
