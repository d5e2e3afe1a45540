#pragma once
// Support for the [spec] checks (spec_check_commands.cpp): every generated
// example invocation is run against a real valkey-server 9.1.2 and compared
// with what the server says (key positions, argument parsing, reply shapes).
//
// Deliberately independent of valkey::Client: a small blocking POSIX socket
// writes the generated encoder's bytes and feeds the codec's parser, so these
// checks measure the generated code and the codec, nothing else.
#include <chrono>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <valkey/reply.hpp>

namespace valkey::spec_check {

// Thrown when the server closed the connection or did not answer in time.
struct IoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One blocking TCP connection to 127.0.0.1:port.
class Connection {
 public:
  Connection(int port, std::chrono::milliseconds timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void send(std::string_view bytes);
  // The raw bytes of the next complete top-level RESP message (framed by the
  // codec's parser, which also checks it is well-formed).
  std::string read_message();
  // Encodes argv (resp::Writer), sends it and returns the parsed reply.
  Reply command(const std::vector<std::string>& argv);

 private:
  int fd_ = -1;
  std::string buf_;  // bytes read past the last message
};

// Encodes argv as a RESP command (resp::Writer).
std::string encode_argv(const std::vector<std::string>& argv);
// Parses one complete message into a valkey::Reply (ReplyBuilder).
Reply parse_reply(std::string_view message);
// Printable form of raw protocol bytes: CR/LF and non-printables escaped, cut
// after `max` bytes.
std::string escape(std::string_view bytes, std::size_t max = 600);
std::string demangle(const char* mangled);

// How a server error reply to an example is judged.
enum class ErrorKind {
  syntax,      // the argument parser refused the invocation: a failure
  acceptable,  // a run-time condition (missing key, wrong type, ...): parsed fine
  unlisted,    // neither: a failure until it is classified here
};
struct ErrorVerdict {
  ErrorKind kind;
  std::string reason;  // the matching rule (acceptable) or the pattern (syntax)
};
ErrorVerdict classify_error(std::string_view message);

// The outcome of decoding one raw reply into a command's reply_type.
struct DecodeOutcome {
  std::error_code ec;          // empty: decoded
  std::string server_message;  // with errc::server_error
};
using DecodeFn = DecodeOutcome (*)(std::string_view message);

// One generated example, type-erased once its bytes are encoded (the example
// struct's views live only during the for_each_example callback).
struct Example {
  std::string name;         // "ZRANGE"
  std::string variant;      // empty for the base example, else the target it was made for
  std::vector<std::string> covers;  // "opt <path>" / "alt <path>" it writes
  std::string struct_label; // "ZRANGE", or "ZRANGE (ZrangeWithScores)" when a name has several structs
  std::string label;        // struct_label, plus " {variant}" for a variant
  std::string group;        // info.group
  std::string reply_type;   // demangled reply_type
  bool typed = false;       // reply_type is not valkey::Reply
  bool blocking = false;    // info has the blocking flag
  std::vector<std::string> argv;          // the example's argv (examples.hpp)
  std::vector<std::string> expected_keys; // the example's keys (examples.hpp)
  std::vector<std::string> walked_keys;   // for_each_key on the example struct
  std::string wire;         // encode() of the example struct
  std::string expected_wire;  // the example's argv (built from the spec order) as RESP
  std::string run_wire;     // encode() of the struct actually sent (timeouts/ports adjusted)
  std::string adjusted;     // why run_wire differs from wire, empty when equal
  DecodeFn decode = nullptr;
};

// Ports the examples are pointed at instead of their placeholder addresses.
struct Targets {
  int aux_port = 0;      // a throwaway server (MIGRATE target, SENTINEL MONITOR primary)
  int cluster_port = 0;      // the cluster-enabled throwaway server (CLUSTER MEET)
  int cluster_bus_port = 0;  // its cluster bus port
  std::string dump_payload;      // DUMP of a string "10" (RESTORE's serialized value)
  std::string function_payload;  // FUNCTION DUMP of library "lib" (FUNCTION RESTORE)
  std::string cluster_node_id;   // CLUSTER MYID of the cluster server (commands naming a node)
  std::string acl_file;          // aclfile of the server group's servers (ACL LOAD, ACL SAVE)
};

// How far one coverage target (an optional argument or an alternative of a
// struct) got with the server, best first.
enum class Reached { executed, runtime_error, refused, not_run };

// Figures of one run over all examples.
struct Figures {
  std::size_t examples = 0, variants = 0, commands = 0, typed = 0, generic = 0;
  // the encoder's bytes against the argv built from the spec order
  std::size_t encoding_verified = 0;
  std::vector<std::string> encoding_mismatches;
  // "STRUCT opt|alt path" -> how far it got; commands (by name) -> executed at least once
  std::map<std::string, Reached> targets;
  std::map<std::string, bool> command_executed;
  // commands (by name) -> at least one executed example replied with something
  // other than null or an empty aggregate
  std::map<std::string, bool> command_with_content;
  // COMMAND GETKEYS
  std::size_t keys_with_keys = 0, keys_verified = 0, keys_order_only = 0, keys_none_agreed = 0;
  std::vector<std::string> key_mismatches;
  std::map<std::string, std::vector<std::string>> keys_not_verified;  // reason -> labels
  // argument parsing (the run on RESP2 and RESP3 both count; a label is verified
  // when every run reached the server's command body)
  std::size_t syntax_verified = 0, syntax_runtime_error = 0;
  std::vector<std::string> syntax_failures;
  std::vector<std::string> refused_as_listed;  // refusals of targets in exceptions()
  std::map<std::string, std::vector<std::string>> skipped;  // reason -> labels
  // replies, per protocol (index 0: RESP2, 1: RESP3)
  std::size_t replies_typed_verified[2] = {0, 0}, replies_generic_verified[2] = {0, 0};
  std::map<std::string, std::vector<std::string>> replies_not_exercised[2];  // error -> labels
  std::vector<std::string> replies_typed_empty[2];  // decoded, but null or an empty aggregate (a weak check)
  std::vector<std::string> decode_failures;
  std::vector<std::string> run_failures;  // no answer, server died, seeding failed
  std::vector<std::string> notes;
};

// The checks that need no command execution, for one example: the encoder's
// bytes equal the argv built from the spec order, and the keys COMMAND GETKEYS
// finds in those bytes equal both for_each_key and the spec's keys. Returns
// the failures; `keys_compared` says whether GETKEYS compared keys.
struct OfflineVerdict {
  std::string encoding_failure;           // empty: the bytes equal the spec-order argv
  std::vector<std::string> key_failures;  // empty: the keys agree (or were not compared)
  bool keys_compared = false;
  std::string keys_not_compared;  // the server's reason when it did not
};
OfflineVerdict verify_encoding_and_keys(Connection& c, const Example& e);

// Why an example cannot run safely on a throwaway server; empty when it can.
std::string skip_reason(const Example& e);

// Builds the examples once the target servers are up (their ports go into
// the examples' addresses).
using Collect = std::vector<Example> (*)(const Targets& targets);

// The whole check: starts the servers, runs every example, returns figures.
Figures run_all(Collect collect);

// Human-readable summary (the WARN output and the figures in docs/verification.md).
std::string summary(const Figures& f);
// Commands without an executed example and coverage targets that only reached
// a run-time error: each with the reason (one table in docs/verification.md).
const std::map<std::string, std::string>& exceptions();

// Every list behind the figures, as Markdown (for docs/verification.md; the
// test writes it to $VALKEY_SPEC_REPORT when set).
std::string details(const Figures& f);

}  // namespace valkey::spec_check
