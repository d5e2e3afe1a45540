// A batch routed command by command (build_batch()) and sent as one request
// per node (add_to_group(), close_group()), a transaction kept on one node
// (build_transaction()), a multi-slot command split into one share per slot
// (build_split()), and a batch's command that several nodes answer run as a
// job of its own (start_entry(), entry_done()).
#include <valkey/cluster/router.hpp>

#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <valkey/cluster/slot.hpp>
#include <valkey/exec/encoded_command.hpp>
#include <valkey/resp/writer.hpp>

#include "cluster/router_internal.hpp"
#include "detail/ascii.hpp"

namespace valkey::cluster {

void Router::start_entry(Part& p) {
  BatchEntry& e = *p.entry_;
  e.router_ = p.job_.router_;
  e.bytes = exec::Bytes(std::string(p.command_bytes()));
  e.options = p.job_.options;
  start(e);
}

void Router::entry_done(Part& p, JobResult&& r) {
  // Failures without a reply (a node lost, redirects exhausted) fail the
  // batch as a part's own would; replies, error replies included, are its entry.
  if (r.ec) {
    p.ec_ = r.ec;
    p.detail_ = r.why ? std::move(r.why->detail) : std::string();
    p.connection_error_ = r.why ? std::move(r.why->connection_error) : std::string();
    p.may_have_run_ = r.written;
  } else {
    p.reply_ = r.reply ? std::move(*r.reply) : Reply{};
  }
  p.entry_->endpoint.assign(r.endpoint);  // r is the entry job's: its parts may end before the batch's
  part_final(p);
}

bool Router::build_batch(Job& job) {
  std::string_view rest = job.bytes.view();
  std::vector<std::string_view>& argv = argv_;  // one buffer for every job
  // A cluster client's builder noted each command's end and, for a typed
  // command with its keys at fixed positions, its slot (Job::marks): those
  // commands are neither parsed back nor hashed again. Marks whose last end
  // is not the batch's size are not used.
  const std::vector<exec::CommandMark>& marks = job.marks;
  const bool marked = !marks.empty() && marks.back().end == rest.size();
  std::size_t mark = 0;
  std::size_t at = 0;  // the offset of `rest` in the bytes
  if (marked) job.parts_.reserve(marks.size());
  // A batch of one kind of command (48 GETs) routes every command after the
  // first without looking its name up or walking its key specs again: one
  // sent under the previous command's name, whose only key sits at a fixed
  // position (fixed_key_positions(): GET, SET, INCR...), takes that key's slot.
  const CommandInfo* repeat_info = nullptr;
  std::string_view repeat_name;
  std::size_t repeat_key = 0;
  // The next command's part, holding its `n` bytes.
  auto next_part = [&](std::size_t n) -> Part& {
    Part& p = job.parts_.add(job);
    p.slice_ = rest.substr(0, n);
    rest.remove_prefix(n);
    at += n;
    return p;
  };
  while (!rest.empty()) {
    std::size_t n = 0;
    const exec::CommandMark* m = nullptr;
    if (marked) {
      m = &marks[mark++];
      if (m->end <= at || m->end - at > rest.size()) {
        fail(job, make_error_code(errc::invalid_argument), "a batch whose command marks do not match its bytes");
        return false;
      }
      n = m->end - at;
      if (m->info && m->slot >= 0 && !m->info->is(CommandFlag::blocking)) {
        // The common command of a batch, a typed one whose slot its builder
        // found: its part at once, as route_slot() and the switch below
        // would make it, without a Route built and destroyed.
        Part& p = next_part(n);
        p.slot_ = m->slot;
        p.read_only_ = m->info->is(CommandFlag::readonly);
        continue;
      }
    }
    Route r;
    if (m && m->info && m->slot >= 0) {  // a blocking one: its own job, below
      route_slot(r, *m->info, static_cast<std::uint16_t>(m->slot));
    } else {
      const std::size_t parsed = exec::parse_first_command(rest, argv);
      if (parsed == 0 || argv.empty() || (m && parsed != n)) {
        fail(job, make_error_code(errc::invalid_argument), "a batch that is not a sequence of commands");
        return false;
      }
      n = parsed;
      if (job.parts_.empty()) {
        if (valkey::detail::iequals(argv.front(), "MULTI")) return build_transaction(job, 0);
        // Room for as many parts as the batch holds commands as long as its
        // first one: exact for a batch of one kind of command, and no more
        // pointers than the batch has bytes otherwise.
        if (!marked) job.parts_.reserve(job.bytes.size() / n);
      }
      if (repeat_info && argv.front() == repeat_name && argv.size() > repeat_key) {
        route_slot(r, *repeat_info, hash_slot(argv[repeat_key]));
      } else {
        if (route_or_wait(job, std::span<const std::string_view>(argv.data(), argv.size()), r)) return false;
        repeat_info = nullptr;
        if (r.kind == RouteKind::slot && r.info && r.info->key_specs.size() == 1 && fixed_key_positions(*r.info) &&
            r.info->name.find(' ') == std::string_view::npos) {
          repeat_info = r.info;
          repeat_name = argv.front();
          repeat_key = static_cast<std::size_t>(r.info->key_specs.front().begin_index);
        }
      }
    }
    Part& p = next_part(n);
    auto refuse = [&](std::string why) {
      p.preset_ = true;
      p.reply_ = Reply::error("ERR " + why);
    };
    if (r.info && r.info->is(CommandFlag::blocking)) {
      // Runs as its own job on a connection leased from its node's pool, as
      // when sent alone: it must not hold the connection the others share.
      p.entry_ = std::make_unique<BatchEntry>(p);
      p.entry_->flags = r.info->flags;
      continue;
    }
    switch (r.kind) {
      case RouteKind::slot:
        p.slot_ = r.slot;
        p.read_only_ = r.read_only;
        break;
      case RouteKind::unknown_keys: p.slot_ = r.hint_slot; break;
      case RouteKind::any_primary: p.slot_ = -1; break;
      case RouteKind::multi_slot:
      case RouteKind::all_nodes:
      case RouteKind::all_shards:
        // Split or fanned out as when sent alone; its combined reply is the entry.
        p.entry_ = std::make_unique<BatchEntry>(p);
        if (r.info) p.entry_->flags = r.info->flags;
        break;
      default: refuse(describe(r)); break;
    }
  }
  if (job.parts_.empty()) {
    fail(job, make_error_code(errc::invalid_argument), "an empty batch");
    return false;
  }
  if (!job.batch_) job.batch_.reset(new BatchState);
  job.batch_->replies.resize(job.parts_.size());  // filled in place as the replies arrive
  return true;
}

void Router::add_to_group(Part& p) {
  // Every open group is this job's: only a batch's own parts join one, and
  // its send_all() queues them all before it returns.
  PartGroup* g = nullptr;
  for (PartGroup* open : open_groups_)
    if (&open->conn == p.conn_.get()) g = open;
  if (!g) {
    Job& job = p.job_;
    g = new PartGroup(*p.conn_);
    g->next_group = std::exchange(job.batch_->groups, g);  // the job owns it from here
    g->expected_replies = 0;
    g->flags = job.flags;
    g->deadline = job.deadline_;
    g->database = job.options.database;
    open_groups_.push_back(g);
  }
  g->add(p);
}

void Router::close_group(PartGroup& g) {
  // The parts' commands, gathered in order (a plain first attempt sends
  // command_bytes() as it is); the connection copies them into its queue.
  group_bytes_.clear();
  for (Part* p = g.first(); p; p = p->group_next_) group_bytes_.append(p->command_bytes());
  std::error_code ec;
  try {
    ec = g.conn.submit_encoded(g, group_bytes_);
  } catch (...) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  constexpr std::size_t kKeep = 256 * 1024;  // a larger buffer is not kept between batches
  if (group_bytes_.capacity() > kKeep) std::string().swap(group_bytes_);
  if (!ec) return;
  // Refused (the node is down, its queue full): nothing was written, and
  // each part fails or is sent again as it would have been alone (never at
  // once: a retry waits for a timer).
  for (Part* p = g.first(); p;) {
    Part* next = p->group_next_;
    p->accepted_ = false;
    --in_flight_;
    part_done(*p, ec);
    p = next;
  }
}

void Router::close_group_on(const Connection* c) {
  for (auto it = open_groups_.begin(); it != open_groups_.end(); ++it) {
    if (&(*it)->conn != c) continue;
    PartGroup& g = **it;
    open_groups_.erase(it);
    return close_group(g);
  }
}

// MULTI ... EXEC as one part to the owner of every key's slot: all keys in
// one slot (else cross_slot), and only commands a single node can run.
bool Router::build_transaction(Job& job, std::size_t) {
  std::string_view rest = job.bytes.view();
  std::vector<std::string_view> argv;
  std::uint32_t commands = 0;
  int slot = -1;
  std::string first_key_command;
  while (!rest.empty()) {
    const std::size_t n = exec::parse_first_command(rest, argv);
    if (n == 0 || argv.empty()) {
      fail(job, make_error_code(errc::invalid_argument), "a transaction that is not a sequence of commands");
      return false;
    }
    rest.remove_prefix(n);
    ++commands;
    const bool frame = valkey::detail::iequals(argv.front(), "MULTI") || valkey::detail::iequals(argv.front(), "EXEC");
    if (frame) continue;
    Route r;
    if (route_or_wait(job, std::span<const std::string_view>(argv.data(), argv.size()), r)) return false;
    std::string why;
    switch (r.kind) {
      case RouteKind::any_primary: break;
      case RouteKind::slot:
      case RouteKind::unknown_keys:
        if (r.kind == RouteKind::unknown_keys && r.hint_slot < 0) break;
        if (slot < 0) {
          slot = r.kind == RouteKind::slot ? r.slot : r.hint_slot;
          first_key_command = std::string(argv.front());
        } else if (slot != (r.kind == RouteKind::slot ? r.slot : r.hint_slot)) {
          fail(job, make_error_code(errc::cross_slot),
               "transaction: " + first_key_command + " uses slot " + std::to_string(slot) + " and " +
                   std::string(argv.front()) + " uses slot " + std::to_string(r.kind == RouteKind::slot ? r.slot : r.hint_slot) +
                   "; a transaction runs on one node: give its keys a common hash tag");
          return false;
        }
        break;
      case RouteKind::cross_slot: why = describe(r); break;
      case RouteKind::multi_slot:
        why = std::string(argv.front()) + " has keys in several slots, which one node cannot run";
        break;
      default:
        why = r.kind == RouteKind::all_nodes || r.kind == RouteKind::all_shards
                  ? std::string(argv.front()) + " runs on several nodes, which a transaction cannot do"
                  : describe(r);
        break;
    }
    // A blocking command inside MULTI does not block (the server runs it
    // as its non-blocking form), so it goes along with the others.
    if (!why.empty()) {
      fail(job, r.kind == RouteKind::cross_slot ? make_error_code(errc::cross_slot)
                                                : make_error_code(errc::invalid_argument),
           "transaction: " + why);
      return false;
    }
  }
  Part& p = job.parts_.add(job);
  p.slot_ = slot;
  p.commands_ = commands;
  return true;
}

void Router::build_split(Job& job) {
  const Route& r = *job.route_;
  const std::vector<std::string_view>& argv = argv_;  // start()'s
  const int first = r.positions.front();
  const int end_keys = r.positions.back() + r.key_step;
  // A key count among the leading arguments (MSETEX numkeys ...) is rewritten per share.
  int numkeys_at = -1;
  if (r.info && !r.info->key_specs.empty()) {
    const KeySpec& s = r.info->key_specs.front();
    if (s.find == KeySpec::Find::keynum && s.begin == KeySpec::Begin::index) numkeys_at = s.begin_index + s.keynumidx;
  }
  for (const SlotGroup& g : r.groups) {
    Part& p = job.parts_.add(job);
    p.slot_ = g.slot;
    Part::Extra& x = p.extra();
    x.keys = g.keys;
    p.read_only_ = r.read_only;
    const std::size_t argc = static_cast<std::size_t>(first) + g.keys.size() * static_cast<std::size_t>(r.key_step) +
                             (argv.size() - static_cast<std::size_t>(std::min<int>(end_keys, static_cast<int>(argv.size()))));
    resp::Writer w(x.share);
    w.begin_command(argc);
    for (int i = 0; i < first; ++i) {
      if (i == numkeys_at) w.arg(static_cast<long long>(g.keys.size()));
      else w.arg(argv[static_cast<std::size_t>(i)]);
    }
    for (std::uint32_t k : g.keys) {
      const int pos = r.positions[k];
      for (int j = 0; j < r.key_step && static_cast<std::size_t>(pos + j) < argv.size(); ++j)
        w.arg(argv[static_cast<std::size_t>(pos + j)]);
    }
    for (std::size_t i = static_cast<std::size_t>(end_keys); i < argv.size(); ++i) w.arg(argv[i]);
  }
}

}  // namespace valkey::cluster
