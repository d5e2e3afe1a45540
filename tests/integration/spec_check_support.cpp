// Bodies of spec_check_support.hpp: the socket, error classification, the
// skip list, state seeding and the run over all examples.
#include "spec_check_support.hpp"

#include <arpa/inet.h>
#include <cxxabi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <sstream>
#include <tuple>

#include <valkey/error.hpp>
#include <valkey/resp/parser.hpp>
#include <valkey/resp/writer.hpp>

#include "support/valkey_test.hpp"

namespace valkey::spec_check {

// ---------------------------------------------------------------- socket

Connection::Connection(int port, std::chrono::milliseconds timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw IoError(std::string("socket: ") + std::strerror(errno));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd_);
    fd_ = -1;
    throw IoError("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(e));
  }
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

void Connection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw IoError(std::string("send: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

namespace {
// Frames one message; keeps nothing.
struct NullVisitor final : resp::Visitor {
  void on_node(const resp::Node&) override {}
};
}  // namespace

std::string Connection::read_message() {
  resp::Parser parser;
  NullVisitor visitor;
  std::string message;
  for (;;) {
    if (!buf_.empty()) {
      std::error_code ec;
      std::size_t used = parser.consume(buf_, visitor, ec);
      if (ec) throw IoError("protocol error from server: " + ec.message() + " in " + escape(buf_));
      message.append(buf_, 0, used);
      buf_.erase(0, used);
      if (parser.message_complete()) return message;
    }
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) throw IoError("connection closed by the server");
    if (n < 0) {
      throw IoError(errno == EAGAIN || errno == EWOULDBLOCK ? std::string("no reply before the timeout")
                                                             : std::string("recv: ") + std::strerror(errno));
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
}

Reply Connection::command(const std::vector<std::string>& argv) {
  send(encode_argv(argv));
  return parse_reply(read_message());
}

std::string encode_argv(const std::vector<std::string>& argv) {
  std::string out;
  resp::Writer w{out};
  w.begin_command(argv.size());
  for (const auto& a : argv) w.arg(std::string_view{a});
  return out;
}

Reply parse_reply(std::string_view message) {
  resp::Parser parser;
  ReplyBuilder builder;
  std::error_code ec;
  parser.consume(message, builder, ec);
  if (ec || !builder.done()) throw IoError("cannot parse " + escape(message));
  return builder.take();
}

std::string escape(std::string_view bytes, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\\') out += "\\\\";
    else if (std::isprint(c)) out += static_cast<char>(c);
    else {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (bytes.size() > max) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> p{abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free};
  return status == 0 && p ? std::string(p.get()) : std::string(mangled);
}

// ------------------------------------------------------ error classification

namespace {

std::string argv_text(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += escape(a, 80);
  }
  return s;
}

std::vector<std::string> args_of(std::string_view wire) {
  std::vector<std::string> out;
  for (const auto& a : parse_reply(wire)) out.emplace_back(a.as_string());
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Errors from the server's argument parsing: the encoder or the example is wrong.
constexpr std::string_view kSyntaxPatterns[] = {
    "syntax error",
    "wrong number of arguments",
    "unknown subcommand",
    "unknown command",
    "invalid number of arguments",
    "unrecognized option",
    "unsupported option",
};

// Run-time conditions: the server parsed the invocation and refused to carry
// it out in this state (or with this placeholder value). Matched as
// case-insensitive substrings of the error text; each says why it is fine.
struct Acceptable {
  std::string_view pattern;
  std::string_view reason;
};
constexpr Acceptable kAcceptable[] = {
    {"wrongtype", "key of another type"},
    {"no such key", "key missing"},
    {"specified key does not exist", "key missing"},
    {"noscript", "script not loaded"},
    {"notbusy", "no script running"},
    {"busygroup", "consumer group exists"},
    {"nogroup", "no such consumer group"},
    {"busykey", "target key exists"},
    {"cluster support disabled", "cluster mode disabled"},
    {"cluster mode is not enabled", "cluster mode disabled"},
    {"value is not an integer or out of range", "placeholder value is not a number"},
    {"value is not a valid float", "placeholder value is not a number"},
    {"not an integer or out of range", "placeholder value is not a number"},
    {"invalid stream id", "placeholder stream ID"},
    {"payload version or checksum are wrong", "placeholder serialized value"},
    {"source and destination objects are the same", "MOVE to its own db"},
    {"no such client", "no client with that address/id"},
    {"no such master with that name", "sentinel: unknown primary"},
    {"no such primary with that name", "sentinel: unknown primary"},
    {"unknown node", "cluster: placeholder node id"},
    {"don't know about node", "cluster: placeholder node id"},
    {"no such user", "ACL: unknown user"},
    {"no functions registered", "FUNCTION LOAD: library without functions"},
    {"library 'lib' already exists", "FUNCTION LOAD: library already loaded"},
    {"library not found", "FUNCTION: unknown library"},
    {"function not found", "FCALL: unknown function"},
    {"error loading the extension", "MODULE LOAD: placeholder path"},
    {"error unloading module", "MODULE UNLOAD: placeholder name"},
    {"no such module", "MODULE UNLOAD: placeholder name"},
    {"no samples available for event", "LATENCY GRAPH: no samples"},
    {"exec without multi", "EXEC without MULTI"},
    {"discard without multi", "DISCARD without MULTI"},
    {"cannot be used when numlocal is set but appendonly is disabled", "WAITAOF without AOF"},
    {"config set failed", "CONFIG SET: placeholder value"},
    {"invalid argument '", "placeholder argument value (SENTINEL CONFIG SET)"},
    {"no password is set", "AUTH without a password configured"},
    {"called without any password configured", "AUTH without a password configured"},
    {"this instance has no acl file", "ACL LOAD/SAVE without aclfile"},
    {"there is no acl file", "ACL LOAD/SAVE without aclfile"},
    {"the user can assign a config epoch only when", "CLUSTER SET-CONFIG-EPOCH on a configured node"},
    {"should send cluster failover to a replica", "CLUSTER FAILOVER on a primary"},
    {"requires connected replicas", "FAILOVER without replicas"},
    {"background save already in progress", "BGSAVE already running"},
    {"background append only file rewriting already in progress", "BGREWRITEAOF already running"},
    {"an lfu maxmemory policy is not selected", "OBJECT FREQ needs an LFU policy"},
    {"client caching can be called only when", "CLIENT CACHING outside OPTIN/OPTOUT tracking"},
    {"not configured to use an acl file", "ACL LOAD/SAVE without aclfile"},
    {"another child process is active", "a background save/rewrite is running"},
    {"server is not in import mode", "CLIENT IMPORT-SOURCE outside import mode"},
    {"the command has no key arguments", "COMMAND GETKEYS: placeholder command without keys"},
    {"invalid library metadata", "FUNCTION LOAD: placeholder library code"},
    {"invalid min-idle-time", "placeholder min-idle-time"},
    {"no migrations ongoing", "CLUSTER CANCELSLOTMIGRATIONS without a migration"},
    {"config epoch is already non-zero", "CLUSTER SET-CONFIG-EPOCH on a configured node"},
    {"nogoodslave", "SENTINEL FAILOVER without replicas"},
    {"no suitable replica", "SENTINEL FAILOVER without replicas"},
    {"nogoodprimary", "SENTINEL FAILOVER COORDINATED: the primary cannot run FAILOVER (no replicas)"},
    {"unknown option or number of arguments for sentinel set", "SENTINEL SET: placeholder option name"},
    {"already the owner of hash slot", "CLUSTER SETSLOT IMPORTING on the slot's owner"},
    {"invalid cursor", "placeholder scan cursor"},
    {"is smaller than the target stream top item", "XSETID below the stream's last ID"},
    {"target instance replied with error", "MIGRATE AUTH/AUTH2: the target has no such user or password"},
    {"background saving is currently not in progress", "BGSAVE CANCEL without a save running"},
    {"no failover in progress", "FAILOVER ABORT without a failover"},
    {"client id you want redirect to does not exist", "CLIENT TRACKING REDIRECT to an id not connected"},
};

}  // namespace

ErrorVerdict classify_error(std::string_view message) {
  std::string m = lower(message);
  for (auto p : kSyntaxPatterns)
    if (m.find(p) != std::string::npos) return {ErrorKind::syntax, std::string(p)};
  // "Unknown PFDEBUG subcommand 'x'" and similar spellings
  if (m.find("unknown") != std::string::npos && m.find("subcommand") != std::string::npos)
    return {ErrorKind::syntax, "unknown ... subcommand"};
  for (const auto& a : kAcceptable)
    if (m.find(a.pattern) != std::string::npos) return {ErrorKind::acceptable, std::string(a.reason)};
  return {ErrorKind::unlisted, std::string(message)};
}

// ------------------------------------------------ encoding and key positions

OfflineVerdict verify_encoding_and_keys(Connection& c, const Example& e) {
  OfflineVerdict v;
  std::vector<std::string> sent = args_of(e.wire);
  if (e.wire != e.expected_wire)
    v.encoding_failure = e.label + ": the encoder wrote [" + argv_text(sent) + "] but the spec order gives [" +
                         argv_text(e.argv) + "]";
  const auto& ours = e.walked_keys;
  if (ours != e.expected_keys)
    v.key_failures.push_back(e.label + ": for_each_key [" + argv_text(ours) + "] but the spec's keys are [" +
                             argv_text(e.expected_keys) + "]");
  // GETKEYS on the bytes the encoder wrote, compared in order
  std::vector<std::string> argv{"COMMAND", "GETKEYS"};
  argv.insert(argv.end(), sent.begin(), sent.end());
  Reply r = c.command(argv);
  if (r.is_error()) {
    v.keys_not_compared = std::string(r.error_message());
    return v;
  }
  std::vector<std::string> theirs;
  for (const auto& k : r) theirs.emplace_back(k.as_string());
  if (theirs.empty() && ours.empty()) {  // e.g. EVAL with numkeys 0
    v.keys_not_compared = "empty key list";
    return v;
  }
  v.keys_compared = true;
  if (theirs != ours || theirs != e.expected_keys)
    v.key_failures.push_back(e.label + ": COMMAND GETKEYS on the encoded bytes [" + argv_text(theirs) +
                             "], for_each_key [" + argv_text(ours) + "], spec keys [" + argv_text(e.expected_keys) +
                             "] for argv: " + argv_text(sent));
  return v;
}

// ------------------------------------------------------------ exceptions

const std::map<std::string, std::string>& exceptions() {
  // Commands no example can execute, or execute with a reply other than null
  // or an empty aggregate, on the throwaway servers; each with the reason.
  // Their encoding, key positions and argument parsing are still checked.
  static const std::map<std::string, std::string> table = {
      {"CLUSTER CANCELSLOTMIGRATIONS", "needs a slot migration in progress (a one-node cluster has none)"},
      {"CLUSTER FAILOVER", "needs a replica node"},
      {"CLUSTER FORGET", "needs the id of another node (a one-node cluster)"},
      {"CLUSTER GETSLOTMIGRATIONS", "empty: no slot migration on a one-node cluster"},
      {"CLUSTER LINKS", "empty: a one-node cluster has no links"},
      {"CLUSTER MIGRATESLOTS", "needs the id of another node (a one-node cluster)"},
      {"CLUSTER REPLICAS", "empty: the cluster server has no replicas"},
      {"CLUSTER SET-CONFIG-EPOCH", "only on a node whose config epoch is still 0 (the cluster server's is set once it owns slots)"},
      {"CLUSTER SLAVES", "empty: the cluster server has no replicas"},
      {"FAILOVER", "needs a connected replica"},
      {"MODULE LOAD", "needs a module binary (none is built with the server)"},
      {"MODULE LOADEX", "needs a module binary (none is built with the server)"},
      {"MODULE UNLOAD", "needs a loaded module"},
      {"SENTINEL FAILOVER", "needs a replica of the monitored primary"},
      {"SENTINEL PENDING-SCRIPTS", "empty: the sentinel runs no scripts"},
      // alternatives the server refuses by design in a typed entry point
      {"ZRANGE (ZrangeWithScores) alt sortby.bylex", "the server refuses WITHSCORES together with BYLEX"},
      {"SENTINEL REPLICAS", "empty: the monitored primary has no replicas"},
      {"SENTINEL SENTINELS", "empty: no other sentinel monitors the primary"},
      {"SENTINEL SLAVES", "empty: the monitored primary has no replicas"},
  };
  return table;
}

// ------------------------------------------------------------ skip list

std::string skip_reason(const Example& e) {
  static const std::map<std::string, std::string, std::less<>> kSkipped = {
      {"SHUTDOWN", "stops the server"},
      {"SYNC", "starts a replication stream (raw RDB payload, not a RESP reply)"},
      {"PSYNC", "starts a replication stream (raw RDB payload, not a RESP reply)"},
      {"REPLICAOF", "turns the server into a replica (read-only) of another server"},
      {"SLAVEOF", "turns the server into a replica (read-only) of another server"},
      {"REPLCONF", "replication-internal handshake"},
  };
  if (auto it = kSkipped.find(e.name); it != kSkipped.end()) return it->second;
  return {};
}

// ------------------------------------------------------------ servers

namespace {

using test::ServerKind;
using test::ServerOptions;
using test::ServerProcess;

constexpr auto kTimeout = std::chrono::milliseconds(3000);

enum class ServerClass { standalone, cluster, sentinel };

ServerClass class_of(const Example& e) {
  if (e.group == "sentinel") return ServerClass::sentinel;
  if (e.group == "cluster" || e.name == "READONLY" || e.name == "READWRITE" || e.name == "ASKING" ||
      e.name == "CLUSTERSCAN")
    return ServerClass::cluster;
  return ServerClass::standalone;
}

// Library "lib" with a read-only function "f" (FCALL f 0 and FCALL_RO f 0).
constexpr const char* kLibrary =
    "#!lua name=lib\nserver.register_function{function_name='f', callback=function() return 1 end, "
    "flags={'no-writes'}}";

// Library "spin" with a read-only function that never returns (FUNCTION KILL).
constexpr const char* kSpinLibrary =
    "#!lua name=spin\nserver.register_function{function_name='spin', callback=function() while true do end end, "
    "flags={'no-writes'}}";

// The key type each command group works on; the examples name key:1, key:2.
void seed_keys(Connection& c, const Example& e, std::vector<std::string>& problems) {
  auto run = [&](std::vector<std::string> argv) {
    Reply r = c.command(argv);
    if (r.is_error()) problems.push_back(argv[0] + ": " + std::string(r.error_message()));
  };
  const std::string& g = e.group;
  if (e.name == "SORT" || e.name == "SORT_RO") {
    run({"RPUSH", "key:1", "3", "1", "2"});
    run({"RPUSH", "key:2", "5", "4"});
  } else if (g == "list") {
    run({"RPUSH", "key:1", "element", "pivot", "a", "b"});
    run({"RPUSH", "key:2", "element", "c"});
  } else if (g == "hash") {
    run({"HSET", "key:1", "field", "5", "other", "x"});
    run({"HSET", "key:2", "field", "7"});
  } else if (g == "set") {
    run({"SADD", "key:1", "member", "a", "b"});
    run({"SADD", "key:2", "member", "c"});
  } else if (g == "sorted_set") {
    run({"ZADD", "key:1", "1.5", "member", "2", "a", "3", "b"});
    run({"ZADD", "key:2", "1.5", "member", "4", "c"});
  } else if (g == "geo") {
    for (const char* k : {"key:1", "key:2"})
      run({"GEOADD", k, "13.361389", "38.115556", "member", "13.361", "38.1155", "member1", "15.087269",
           "37.502669", "member2"});
  } else if (g == "hyperloglog") {
    run({"PFADD", "key:1", "a", "b"});
    run({"PFADD", "key:2", "c"});
  } else if (g == "stream") {
    run({"XADD", "key:1", "1-1", "field", "value"});
    run({"XADD", "key:1", "2-1", "field", "value"});
    run({"XADD", "key:2", "1-1", "field", "value"});
    if (e.name != "XGROUP CREATE") {
      run({"XGROUP", "CREATE", "key:1", "group:1", "0"});
      // one delivered, unacknowledged entry: a pending list and consumer:1
      run({"XREADGROUP", "GROUP", "group:1", "consumer:1", "COUNT", "1", "STREAMS", "key:1", ">"});
    }
  } else if (e.name == "RESTORE" || e.name == "RESTORE-ASKING") {
    run({"SET", "key:2", "20"});  // key:1 is the one restored
  } else {
    // strings (numbers, so INCR/DECR and bit operations work) for every other group
    run({"SET", "key:1", "10"});
    run({"SET", "key:2", "20"});
  }
  if (e.name == "BGSAVE" || e.name == "BGREWRITEAOF" || e.name == "SAVE") {
    // the previous run's background child must be gone, or this one is refused
    for (int i = 0; i < 150; ++i) {
      Reply info = c.command({"INFO", "persistence"});
      std::string_view text = info.is_error() ? std::string_view{} : info.as_string();
      if (text.find("rdb_bgsave_in_progress:0") != std::string_view::npos &&
          text.find("aof_rewrite_in_progress:0") != std::string_view::npos)
        break;
      ::usleep(20000);
    }
  }
  if (e.name.rfind("ACL ", 0) == 0) run({"ACL", "SETUSER", "user:1", "on", "nopass", "~*", "&*", "+@all"});
  // the examples' user:1 / secret, for AUTH and HELLO ... AUTH
  if (e.name == "AUTH" || e.name == "HELLO") run({"ACL", "SETUSER", "user:1", "on", ">secret", "~*", "&*", "+@all"});
  if (g == "generic")  // OBJECT FREQ needs an LFU policy, OBJECT IDLETIME an LRU one
    run({"CONFIG", "SET", "maxmemory-policy", e.name == "OBJECT FREQ" ? "allkeys-lfu" : "noeviction"});
  if (e.name.rfind("LATENCY ", 0) == 0 && e.name != "LATENCY RESET" && e.name != "LATENCY HELP") {
    // one latency sample of the event "command"
    run({"CONFIG", "SET", "latency-monitor-threshold", "1"});
    run({"DEBUG", "SLEEP", "0.01"});
  }
  if (e.name == "COMMANDLOG GET") {  // every command is logged, the seeding ones included
    run({"CONFIG", "SET", "commandlog-execution-slower-than", "0"});
    run({"PING"});
  }
  if (g == "scripting") {
    run({"SCRIPT", "LOAD", "return 1"});  // e0e1f9fa..., the examples' sha1
    if (e.name != "FUNCTION LOAD" && e.name != "FUNCTION RESTORE")
      run({"FUNCTION", "LOAD", "REPLACE", kLibrary});
    if (e.name == "FUNCTION KILL") run({"FUNCTION", "LOAD", "REPLACE", kSpinLibrary});
  }
}

// A one-node cluster owning every slot (so the keyspace and CLUSTERSCAN
// work), except slot 1 for the commands that add it. Slots are only
// reassigned when a command removed some: each loss of coverage costs the
// node a rejoin delay before cluster_state is ok again.
void seed_cluster(Connection& c, const Example& e, std::vector<std::string>& problems) {
  auto run = [&](std::vector<std::string> argv, bool check = true) {
    Reply r = c.command(argv);
    if (check && r.is_error()) problems.push_back(argv[1] + ": " + std::string(r.error_message()));
  };
  Reply info = c.command({"CLUSTER", "INFO"});
  bool full = !info.is_error() && info.as_string().find("cluster_slots_assigned:16384") != std::string_view::npos;
  if (!full) {
    run({"CLUSTER", "FLUSHSLOTS"});
    run({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"});
  }
  if (e.name == "CLUSTER ADDSLOTS") run({"CLUSTER", "DELSLOTS", "1"});
  if (e.name == "CLUSTER ADDSLOTSRANGE") run({"CLUSTER", "DELSLOTSRANGE", "1", "2"});
  bool slot_key = e.name == "CLUSTER GETKEYSINSLOT" || e.name == "CLUSTER COUNTKEYSINSLOT";
  if (e.name == "CLUSTERSCAN" || slot_key) {  // needs cluster_state:ok
    bool ok = false;
    for (int i = 0; i < 300 && !ok; ++i) {
      Reply state = c.command({"CLUSTER", "INFO"});
      ok = !state.is_error() && state.as_string().find("cluster_state:ok") != std::string_view::npos;
      if (!ok) ::usleep(20000);
    }
    if (!ok) problems.push_back("cluster_state did not become ok");
  }
  if (slot_key) run({"SET", "key:slot1:42943", "x"});  // a key in slot 1, the examples' slot
}

// Commands on the example's own connection before it: state it needs.
std::vector<std::vector<std::string>> connection_setup(const Example& e) {
  if (e.name == "EXEC") return {{"MULTI"}, {"PING"}};
  if (e.name == "DISCARD") return {{"MULTI"}};
  if (e.name == "CLIENT CACHING" && e.variant == "alt mode.no") return {{"CLIENT", "TRACKING", "ON", "OPTOUT"}};
  if (e.name == "CLIENT CACHING") return {{"CLIENT", "TRACKING", "ON", "OPTIN"}};
  if (e.name == "CLIENT GETNAME") return {{"CLIENT", "SETNAME", "name:1"}};
  if (e.name == "AUTH") return {{"CONFIG", "SET", "requirepass", "secret"}};
  if (e.name == "CLIENT IMPORT-SOURCE") return {{"CONFIG", "SET", "import-mode", "yes"}};
  return {};
}

// ... and after it, on the same connection: server-wide state put back.
std::vector<std::vector<std::string>> connection_teardown(const Example& e) {
  if (e.name == "AUTH") return {{"CONFIG", "SET", "requirepass", ""}};
  if (e.name == "CLIENT IMPORT-SOURCE") return {{"CONFIG", "SET", "import-mode", "no"}};
  if (e.name == "COMMANDLOG GET") return {{"CONFIG", "SET", "commandlog-execution-slower-than", "10000"}};
  if (e.name.rfind("LATENCY ", 0) == 0) return {{"CONFIG", "SET", "latency-monitor-threshold", "0"}};
  return {};
}

class ServerSet {
 public:
  ServerSet(ServerProcess& cluster, const Targets& targets) : cluster_(cluster), targets_(targets) {}

  ServerProcess& get(ServerClass c, const std::string& group) {
    if (c == ServerClass::cluster) return *(last_ = &cluster_);
    std::string want = c == ServerClass::standalone ? "std:" + group : "sentinel";
    if (!current_ || want != current_name_) {
      current_.reset();
      ServerOptions o;
      if (c == ServerClass::sentinel) o.kind = ServerKind::sentinel;
      if (group == "server") {
        o.config.push_back("enable-module-command yes");  // MODULE LOAD reaches its parser
        o.config.push_back("aclfile " + targets_.acl_file);  // ACL LOAD, ACL SAVE
      }
      if (group == "generic") o.config.push_back("appendonly yes");  // WAITAOF numlocal 1
      o.unix_socket = false;
      current_ = std::make_unique<ServerProcess>(o);
      current_name_ = want;
      ++started_;
    }
    return *(last_ = current_.get());
  }
  // After a command killed or blocked the server last handed out.
  void restart() {
    if (last_) last_->restart();
    ++started_;
  }
  int started() const { return started_; }

 private:
  ServerProcess& cluster_;
  const Targets& targets_;
  ServerProcess* last_ = nullptr;
  std::unique_ptr<ServerProcess> current_;
  std::string current_name_;
  int started_ = 0;
};

bool alive(int port) {
  try {
    Connection c(port, std::chrono::milliseconds(1000));
    return !c.command({"PING"}).is_error();
  } catch (const IoError&) {
    return false;
  }
}

void check_keys(const std::vector<Example>& examples, Figures& f) {
  ServerProcess server{[] {
    ServerOptions o;
    o.unix_socket = false;
    return o;
  }()};
  Connection c(server.port(), kTimeout);
  for (const auto& e : examples) {
    OfflineVerdict v = verify_encoding_and_keys(c, e);
    if (v.encoding_failure.empty()) ++f.encoding_verified;
    else f.encoding_mismatches.push_back(v.encoding_failure);
    if (!e.walked_keys.empty()) ++f.keys_with_keys;
    f.key_mismatches.insert(f.key_mismatches.end(), v.key_failures.begin(), v.key_failures.end());
    if (v.keys_compared && v.key_failures.empty()) ++f.keys_verified;
    if (!v.keys_compared) {
      if (e.walked_keys.empty()) {
        ++f.keys_none_agreed;
        f.keys_not_verified["no key in the example; server: " + v.keys_not_compared].push_back(e.label);
      } else {
        f.keys_not_verified["server refuses GETKEYS: " + v.keys_not_compared].push_back(e.label);
      }
    }
  }
}

// Runs one example on one protocol; updates the figures.
// Returns false when the server must be restarted.
struct RunResult {
  enum { replied_ok, replied_runtime_error, failed } status;
};

RunResult run_one(ServerProcess& server, const Example& e, int proto, const Targets& targets, Figures& f) {
  const std::string tag = e.label + " [RESP" + std::to_string(proto) + "]";
  const int pi = proto == 3 ? 1 : 0;
  ServerClass cls = class_of(e);
  // Fresh state: empty keyspace (and scripts), then the keys this group uses.
  try {
    Connection ctl(server.port(), kTimeout);
    std::vector<std::string> problems;
    if (cls == ServerClass::sentinel) {
      ctl.command({"SENTINEL", "REMOVE", "name"});  // what SENTINEL MONITOR's example adds
      Reply r = ctl.command({"SENTINEL", "MONITOR", "primary_name", "127.0.0.1", std::to_string(targets.aux_port), "1"});
      if (r.is_error() && lower(r.error_message()).find("duplicate") == std::string::npos)
        problems.push_back("SENTINEL MONITOR: " + std::string(r.error_message()));
    } else {
      ctl.command({"FLUSHALL"});
      if (e.group == "scripting") {
        ctl.command({"SCRIPT", "FLUSH"});
        ctl.command({"FUNCTION", "FLUSH"});
      }
      if (cls == ServerClass::standalone) seed_keys(ctl, e, problems);
      if (cls == ServerClass::cluster) seed_cluster(ctl, e, problems);
      if (e.name == "MIGRATE") {
        Connection aux(targets.aux_port, kTimeout);
        aux.command({"FLUSHALL"});
      }
    }
    if (!problems.empty()) {
      std::string all;
      for (auto& p : problems) all += p + "; ";
      f.run_failures.push_back(tag + ": seeding failed: " + all);
    }
  } catch (const IoError& ex) {
    f.run_failures.push_back(tag + ": reset/seed: " + ex.what());
    return {RunResult::failed};
  }

  std::string message;
  try {
    Connection c(server.port(), kTimeout);
    if (proto == 3) {
      Reply hello = c.command({"HELLO", "3"});
      if (hello.is_error()) {
        f.run_failures.push_back(tag + ": HELLO 3 refused: " + std::string(hello.error_message()));
        return {RunResult::failed};
      }
    }
    for (const auto& setup : connection_setup(e)) c.command(setup);
    if (e.name == "CLIENT REPLY" && !e.variant.empty()) {
      // OFF and SKIP answer nothing by design: the ECHO after CLIENT REPLY ON
      // answering (and nothing else before it but OK) shows they ran.
      c.send(e.run_wire + encode_argv({"CLIENT", "REPLY", "ON"}) + encode_argv({"ECHO", "after"}));
      for (;;) {
        Reply r = parse_reply(c.read_message());
        if (r.is_string() && r.as_string() == "after") break;
        if (r.is_error() || !r.is_string() || r.as_string() != "OK") {
          f.syntax_failures.push_back(tag + ": unexpected reply " + r.to_string() + "; sent: " + escape(e.run_wire));
          return {RunResult::failed};
        }
      }
      ++f.replies_generic_verified[pi];
      f.command_with_content[e.name] = true;
      return {RunResult::replied_ok};
    }
    // SCRIPT KILL / FUNCTION KILL need a script busy on another connection
    // (answered by the server once it runs longer than busy-reply-threshold)
    std::unique_ptr<Connection> busy;
    if (e.name == "SCRIPT KILL" || e.name == "FUNCTION KILL") {
      c.command({"CONFIG", "SET", "busy-reply-threshold", "10"});
      busy = std::make_unique<Connection>(server.port(), kTimeout);
      busy->send(e.name == "SCRIPT KILL" ? encode_argv({"EVAL", "while true do end", "0"})
                                         : encode_argv({"FCALL", "spin", "0"}));
      ::usleep(100000);
    }
    // PUBSUB introspection: a subscriber to channel:1, the examples' channel
    std::unique_ptr<Connection> subscriber;
    if (e.name.rfind("PUBSUB ", 0) == 0) {
      subscriber = std::make_unique<Connection>(server.port(), kTimeout);
      subscriber->command({"SUBSCRIBE", "channel:1"});
      subscriber->command({"SSUBSCRIBE", "channel:1"});
    }
    c.send(e.run_wire);
    message = c.read_message();
    if (busy) busy->read_message();  // the killed script's error
    for (const auto& teardown : connection_teardown(e)) {
      Reply r = c.command(teardown);
      if (r.is_error()) f.run_failures.push_back(tag + ": teardown " + teardown[0] + ": " + std::string(r.error_message()));
    }
  } catch (const IoError& ex) {
    f.run_failures.push_back(tag + ": " + ex.what() + "; sent: " + escape(e.run_wire));
    return {RunResult::failed};
  }

  Reply reply = parse_reply(message);
  if (reply.is_error()) {
    std::string msg(reply.error_message());
    ErrorVerdict v = classify_error(msg);
    if (v.kind == ErrorKind::acceptable) {
      f.replies_not_exercised[pi][v.reason + " (" + msg + ")"].push_back(e.label);
      return {RunResult::replied_runtime_error};
    }
    std::string line = tag + (v.kind == ErrorKind::syntax ? ": parser refused: " : ": unlisted error: ") + msg +
                       "; argv: " + argv_text(e.argv) + "; sent: " + escape(e.run_wire);
    if (!e.variant.empty() && exceptions().count(e.struct_label + " " + e.variant))
      f.refused_as_listed.push_back(line);
    else
      f.syntax_failures.push_back(line);
    return {RunResult::failed};
  }
  DecodeOutcome d = e.decode(message);
  if (d.ec == errc::server_error) {
    f.replies_not_exercised[pi]["error inside the reply (" + d.server_message + ")"].push_back(e.label);
    return {RunResult::replied_ok};
  }
  if (d.ec) {
    f.decode_failures.push_back(tag + ": " + e.reply_type + " refused the reply: " + d.ec.message() + "\n  reply: " +
                                reply.to_string() + "\n  raw: " + escape(message));
    return {RunResult::replied_ok};
  }
  bool& content = f.command_with_content[e.name];
  content = content || !(reply.is_null() || (reply.is_aggregate() && reply.empty()));
  if (e.typed) {
    ++f.replies_typed_verified[pi];
    if (reply.is_null() || (reply.is_aggregate() && reply.empty())) f.replies_typed_empty[pi].push_back(e.label);
  } else {
    ++f.replies_generic_verified[pi];
  }
  return {RunResult::replied_ok};
}

// Keeps the best outcome per coverage target and per command name.
void record(const Example& e, Reached reached, Figures& f) {
  for (const auto& c : e.covers) {
    auto [it, fresh] = f.targets.emplace(e.struct_label + " " + c, reached);
    if (!fresh && reached < it->second) it->second = reached;
  }
  if (reached == Reached::not_run) return;  // skipped commands have their own table
  bool& ran = f.command_executed[e.name];
  ran = ran || reached == Reached::executed;
}

void run_examples(const std::vector<Example>& examples, const Targets& targets, ServerProcess& cluster, Figures& f) {
  // One server per command group (in order), so one group's leftovers never
  // meet another group's commands; FLUSHALL + seed before every run.
  std::vector<const Example*> order;
  for (const auto& e : examples) order.push_back(&e);
  // On the cluster server, the keyspace commands (CLUSTERSCAN, READONLY...)
  // run before the CLUSTER commands that reset and reshape it.
  // CLUSTER RESET (HARD gives the node a new id) runs last, after the
  // commands that name the node by the id collected at the start.
  auto rank = [](const Example* e) {
    return std::make_tuple(static_cast<int>(class_of(*e)), e->group == "cluster", e->name == "CLUSTER RESET",
                           e->group);
  };
  std::stable_sort(order.begin(), order.end(), [&](const Example* a, const Example* b) { return rank(a) < rank(b); });
  ServerSet servers(cluster, targets);
  for (const Example* e : order) {
    if (std::string why = skip_reason(*e); !why.empty()) {
      f.skipped[why].push_back(e->label);
      record(*e, Reached::not_run, f);
      continue;
    }
    // SCRIPT KILL gets a server of its own: on 9.1.2 a script run after
    // SCRIPT DEBUG (another connection, earlier in the group) crashes the
    // server in the debugger's line hook.
    ServerProcess& server = servers.get(class_of(*e), e->name == "SCRIPT KILL" ? "scripting (SCRIPT KILL)" : e->group);
    bool parsed = true, ran = false;
    for (int proto : {2, 3}) {
      RunResult r = run_one(server, *e, proto, targets, f);
      if (r.status == RunResult::failed) parsed = false;
      if (r.status == RunResult::replied_ok) ran = true;
      if (!alive(server.port())) {
        f.run_failures.push_back(e->label + " [RESP" + std::to_string(proto) + "]: server stopped answering; restarted");
        servers.restart();
      }
    }
    if (parsed && ran) ++f.syntax_verified;
    else if (parsed) ++f.syntax_runtime_error;
    record(*e, parsed && ran ? Reached::executed : parsed ? Reached::runtime_error : Reached::refused, f);
  }
  f.notes.push_back("servers started for the run: " + std::to_string(servers.started()));
}

}  // namespace

Figures run_all(Collect collect) {
  Figures f;
  ServerOptions plain;
  plain.unix_socket = false;
  ServerProcess aux{plain};
  ServerOptions clustered = plain;
  clustered.cluster = true;
  // The cluster-enabled server lives for the whole run: CLUSTER MEET is
  // pointed at it (its own address and bus port), so nothing leaves it.
  ServerProcess cluster{clustered};
  test::TempDir acl_dir("acl");
  acl_dir.write("users.acl", "user default on nopass sanitize-payload ~* &* +@all\n");
  Targets targets;
  targets.acl_file = acl_dir.file("users.acl");
  {
    Connection c(cluster.port(), kTimeout);
    targets.cluster_node_id = std::string(c.command({"CLUSTER", "MYID"}).as_string());
  }
  targets.aux_port = aux.port();
  targets.cluster_port = cluster.port();
  targets.cluster_bus_port = cluster.cluster_bus_port();
  {
    // Real serialized values for RESTORE and FUNCTION RESTORE, made by the
    // same server version.
    Connection c(aux.port(), kTimeout);
    c.command({"SET", "x", "10"});
    targets.dump_payload = std::string(c.command({"DUMP", "x"}).as_string());
    c.command({"FUNCTION", "LOAD", "REPLACE", kLibrary});
    targets.function_payload = std::string(c.command({"FUNCTION", "DUMP"}).as_string());
    c.command({"FUNCTION", "FLUSH"});
    c.command({"FLUSHALL"});
  }
  std::vector<Example> examples = collect(targets);
  f.examples = examples.size();
  std::set<std::string> names;
  for (const auto& e : examples) {
    names.insert(e.name);
    if (!e.variant.empty()) ++f.variants;
    (e.typed ? f.typed : f.generic) += 1;
    if (!e.adjusted.empty()) f.notes.push_back(e.label + ": run with " + e.adjusted);
  }
  f.commands = names.size();
  check_keys(examples, f);
  run_examples(examples, targets, cluster, f);
  return f;
}

// ------------------------------------------------------------ summary

std::string summary(const Figures& f) {
  std::ostringstream o;
  std::size_t skipped = 0;
  for (const auto& [why, labels] : f.skipped) skipped += labels.size();
  std::size_t ran = f.examples - skipped;
  o << "generated: " << f.commands << " commands, " << f.examples << " examples (" << (f.examples - f.variants)
    << " base + " << f.variants << " variants; " << f.typed << " with typed replies, " << f.generic
    << " generic valkey::Reply)\n";
  o << "encoding: " << f.encoding_verified << "/" << f.examples
    << " examples: the encoder's bytes equal the argv built from the spec order, " << f.encoding_mismatches.size()
    << " mismatches\n";
  for (const char* kind : {"opt", "alt"}) {
    std::size_t n[4] = {0, 0, 0, 0}, total = 0;
    for (const auto& [target, reached] : f.targets) {
      auto sp = target.find(std::string(" ") + kind + " ");
      if (sp == std::string::npos) continue;
      ++total;
      ++n[static_cast<int>(reached)];
    }
    o << (kind[0] == 'o' ? "optional arguments: " : "alternatives of choices: ") << total << ", " << n[0]
      << " executed by the server, " << n[1] << " parsed then refused at run time, " << n[2] << " refused by the parser, "
      << n[3] << " not run (skipped command)\n";
  }
  std::size_t executed = 0;
  for (const auto& [name, ran] : f.command_executed) executed += ran ? 1 : 0;
  std::size_t with_content = 0;
  for (const auto& [name, yes] : f.command_with_content) with_content += yes ? 1 : 0;
  o << "commands executed by the server (at least one example): " << executed << "/" << f.command_executed.size()
    << ", with a reply other than null/empty: " << with_content << "; the others are exceptions with a reason\n";
  o << "key positions: " << f.keys_verified << "/" << f.keys_with_keys << " examples with keys equal COMMAND GETKEYS"
    << " (" << f.keys_order_only << " same keys in another order), " << f.key_mismatches.size() << " mismatches; "
    << f.keys_none_agreed << " examples without keys (server finds none either)\n";
  for (const auto& [why, labels] : f.keys_not_verified) {
    if (why.rfind("no key in the example", 0) == 0) continue;
    o << "  keys not verified (" << labels.size() << "): " << why << ":";
    for (const auto& l : labels) o << " " << l;
    o << "\n";
  }
  o << "argument parsing: " << (f.syntax_verified + f.syntax_runtime_error) << "/" << ran
    << " run examples accepted by the server (" << f.syntax_verified << " executed, " << f.syntax_runtime_error
    << " parsed then refused at run time), " << f.syntax_failures.size() << " refusals; " << skipped << " skipped\n";
  for (const auto& [why, labels] : f.skipped) {
    o << "  skipped (" << labels.size() << "): " << why << ":";
    for (const auto& l : labels) o << " " << l;
    o << "\n";
  }
  for (int p = 0; p < 2; ++p) {
    std::size_t not_ex = 0;
    for (const auto& [why, labels] : f.replies_not_exercised[p]) not_ex += labels.size();
    o << "replies RESP" << (p ? 3 : 2) << ": " << f.replies_typed_verified[p] << " typed + " << f.replies_generic_verified[p]
      << " generic decoded (" << f.replies_typed_empty[p].size() << " typed ones null/empty), " << not_ex
      << " not exercised (server error)\n";
  }
  o << "decode failures: " << f.decode_failures.size() << ", run failures: " << f.run_failures.size() << "\n";
  return o.str();
}

std::string details(const Figures& f) {
  std::ostringstream o;
  auto list = [&](const std::string& title, const std::map<std::string, std::vector<std::string>>& m) {
    o << "\n### " << title << "\n\n";
    if (m.empty()) o << "(none)\n";
    for (const auto& [why, labels] : m) {
      o << "* " << why << " (" << labels.size() << "):";
      for (const auto& l : labels) o << " " << l << ",";
      o.seekp(-1, std::ios_base::cur);
      o << "\n";
    }
  };
  auto lines = [&](const std::string& title, const std::vector<std::string>& v) {
    o << "\n### " << title << "\n\n";
    if (v.empty()) o << "(none)\n";
    for (const auto& l : v) o << "* " << l << "\n";
  };
  o << "## Figures\n\n```\n" << summary(f) << "```\n";
  {
    std::vector<std::string> not_run, empty;
    for (const auto& [name, ran] : f.command_executed) {
      bool content = f.command_with_content.count(name) && f.command_with_content.at(name);
      if (!ran) not_run.push_back(name);
      else if (!content) empty.push_back(name);
    }
    o << "\nCommands not executed by any example (" << not_run.size() << "):";
    for (const auto& n : not_run) o << " " << n << ",";
    o << "\n\nCommands executed, every reply null or empty (" << empty.size() << "):";
    for (const auto& n : empty) o << " " << n << ",";
    o << "\n";
  }
  o << "\n### Exceptions\n\n| command or target | reason |\n| --- | --- |\n";
  for (const auto& [what, why] : exceptions()) o << "| " << what << " | " << why << " |\n";
  lines("Encoder bytes that differ from the spec-order argv", f.encoding_mismatches);
  {
    std::map<std::string, std::vector<std::string>> by;
    for (const auto& [target, reached] : f.targets) {
      if (reached == Reached::executed) continue;
      by[reached == Reached::runtime_error ? "parsed, refused at run time"
         : reached == Reached::refused     ? "refused by the parser"
                                           : "not run (skipped command)"]
          .push_back(target);
    }
    list("Optional arguments and alternatives not executed", by);
  }
  list("Key positions not compared", f.keys_not_verified);
  lines("Key mismatches", f.key_mismatches);
  list("Skipped", f.skipped);
  lines("Refused by the server's argument parser (or unlisted errors)", f.syntax_failures);
  lines("Refused as listed in the exceptions", f.refused_as_listed);
  list("Replies not exercised over RESP2 (server error, reason and text)", f.replies_not_exercised[0]);
  list("Replies not exercised over RESP3 (server error, reason and text)", f.replies_not_exercised[1]);
  lines("Decode failures", f.decode_failures);
  for (int p = 0; p < 2; ++p) {
    o << "\n### Typed replies that decoded but were null or empty over RESP" << (p ? 3 : 2) << "\n\n";
    for (const auto& l : f.replies_typed_empty[p]) o << l << ", ";
    o << "\n";
  }
  lines("Run failures", f.run_failures);
  lines("Notes", f.notes);
  return o.str();
}

}  // namespace valkey::spec_check
