#pragma once
// The umbrella header: both clients, the generated command structs and the
// generated method surface.
#include <valkey/async_client.hpp>
#include <valkey/client.hpp>
#include <valkey/cmd/all.hpp>
#include <valkey/commands.hpp>
#include <valkey/config.hpp>
#include <valkey/connection.hpp>
#include <valkey/diagnostics.hpp>
#include <valkey/error.hpp>
#include <valkey/reply.hpp>
