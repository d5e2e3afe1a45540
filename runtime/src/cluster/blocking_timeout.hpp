#pragma once
// A blocking command sent again after a redirection (the slot it waits on
// moved: the server unblocked it with MOVED, or it was redirected before it
// blocked) waits only for what is left of its timeout, not for all of it
// again. Internal to the cluster router; exported from the shared library
// for its unit test (tests/unit/cluster_blocking_timeout.cpp).
#include <chrono>
#include <string>
#include <string_view>

#include <valkey/export.hpp>

namespace valkey::cluster {

// Rewrites the timeout argument of the blocking command encoded in `bytes`
// (BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BZPOPMIN, BZPOPMAX: the last argument,
// in seconds; BLMPOP, BZMPOP: the first; XREAD, XREADGROUP: after BLOCK, in
// milliseconds) to what is left after `elapsed`, at least one millisecond
// (0 would mean "forever"), and writes the command to `out`. False, and
// `out` untouched, when there is nothing to rewrite: another command, a
// timeout of 0 (forever), or one that does not parse.
VALKEY_CPP_EXPORT bool remaining_timeout(std::string_view bytes, std::chrono::steady_clock::duration elapsed, std::string& out);

}  // namespace valkey::cluster
