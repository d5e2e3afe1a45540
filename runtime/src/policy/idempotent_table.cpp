// Generated from commands/idempotent.json by generator/idempotent_table.py; do not edit.
#include <string_view>

#include <valkey/policy/idempotency.hpp>

namespace valkey::policy {

namespace {
constexpr std::string_view copy_only_with[] = {"REPLACE"};
constexpr std::string_view expireat_unless_any[] = {"NX", "XX", "GT", "LT"};
constexpr std::string_view geoadd_unless_any[] = {"NX", "XX"};
constexpr std::string_view pexpireat_unless_any[] = {"NX", "XX", "GT", "LT"};
constexpr std::string_view set_unless_any[] = {"GET", "NX", "XX", "IFEQ", "EX", "PX"};
constexpr std::string_view zadd_unless_any[] = {"INCR", "NX", "XX", "GT", "LT"};

// Sorted by command name (binary search).
constexpr IdempotentRule rules[] = {
    {"COPY", 3, {}, copy_only_with,
     "with REPLACE the destination becomes a copy of the source each time; without it a retry fails to copy onto the key its first run created and reports 0"},
    {"DEL", 0, {}, {},
     "a deleted key stays deleted; the reply counts the keys this run removed"},
    {"EXPIREAT", 3, expireat_unless_any, {},
     "an absolute expiry set twice is the same expiry; the conditional forms answer whether the condition held, which the first run changes"},
    {"GEOADD", 2, geoadd_unless_any, {},
     "like ZADD: a member placed twice at the same position is placed once; CH only changes what the reply counts"},
    {"HDEL", 0, {}, {},
     "a deleted field stays deleted; the reply counts the fields this run removed"},
    {"HMSET", 0, {}, {},
     "fields set to the same values twice hold those values"},
    {"HSET", 0, {}, {},
     "fields set to the same values twice hold those values; the reply counts the fields this run created"},
    {"LSET", 0, {}, {},
     "the element at an index set to the same value twice holds that value; the reply is OK both times"},
    {"MSET", 0, {}, {},
     "keys set to the same values twice hold those values; removes their expiries both times"},
    {"PERSIST", 0, {}, {},
     "a removed expiry stays removed; the reply says whether this run removed one"},
    {"PEXPIREAT", 3, pexpireat_unless_any, {},
     "an absolute expiry set twice is the same expiry; the conditional forms answer whether the condition held, which the first run changes"},
    {"PFADD", 0, {}, {},
     "a HyperLogLog register takes the maximum of what it saw, so the same elements added twice change nothing more; the reply says whether this run changed a register"},
    {"PFMERGE", 0, {}, {},
     "merging takes the register-wise maximum, which gives the same result when repeated, even with the destination among the sources"},
    {"SADD", 0, {}, {},
     "a set holds a member once; the reply counts the members this run added"},
    {"SCRIPT LOAD", 0, {}, {},
     "the same script body loads under the same SHA1 and leaves the cache as it was"},
    {"SET", 3, set_unless_any, {},
     "a key set to the same value twice holds that value (KEEPTTL, EXAT and PXAT give the same expiry twice); GET would return the value the first run wrote, NX/XX/IFEQ answer a condition the first run changes, EX/PX expire relative to the run"},
    {"SREM", 0, {}, {},
     "a removed member stays removed; the reply counts the members this run removed"},
    {"UNLINK", 0, {}, {},
     "as DEL: an unlinked key stays gone; the reply counts the keys this run removed"},
    {"XACK", 0, {}, {},
     "an acknowledged entry leaves the pending list once; the reply counts the entries this run acknowledged"},
    {"XDEL", 0, {}, {},
     "a deleted entry stays deleted; the reply counts the entries this run deleted"},
    {"ZADD", 2, zadd_unless_any, {},
     "members set to the same scores twice hold those scores; CH only changes what the reply counts; INCR adds again, the conditional forms answer a condition the first run changes"},
    {"ZREM", 0, {}, {},
     "a removed member stays removed; the reply counts the members this run removed"},
    {"ZREMRANGEBYLEX", 0, {}, {},
     "a lexicographic range emptied once is empty; the reply counts what this run removed"},
    {"ZREMRANGEBYSCORE", 0, {}, {},
     "a score range emptied once is empty; the reply counts what this run removed"},
};
}  // namespace

std::span<const IdempotentRule> idempotent_rules() noexcept { return rules; }

}  // namespace valkey::policy
