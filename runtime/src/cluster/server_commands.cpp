// COMMAND INFO entries to CommandInfo. Field names and flag spellings follow
// the server's reply (key spec flags come in upper and lower case); anything
// unrecognised is ignored rather than guessed.
#include <valkey/cluster/server_commands.hpp>

#include <algorithm>
#include <stdexcept>

#include <valkey/command_table.hpp>

#include "detail/ascii.hpp"

namespace valkey::cluster {
namespace {

struct Bad {
  std::string why;
};

using valkey::detail::iequals;

std::string_view str(const Reply& r, std::string_view what) {
  if (!r.is_string()) throw Bad{std::string(what) + " is not a string"};
  return r.as_string();
}

int small_int(const Reply& r, std::string_view what) {
  if (!r.is_integer()) throw Bad{std::string(what) + " is not an integer"};
  const auto v = r.as_integer();
  if (v < -1000000 || v > 1000000) throw Bad{std::string(what) + " out of range"};
  return static_cast<int>(v);
}

// A map (RESP3) or flat key/value array (RESP2) field by name.
const Reply* field(const Reply& obj, std::string_view name) {
  if (obj.is_map()) {
    for (std::size_t i = 0; i < obj.size(); ++i)
      if (obj.key(i).is_string() && obj.key(i).as_string() == name) return &obj.value(i);
    return nullptr;
  }
  if (obj.is_array()) {
    for (std::size_t i = 0; i + 1 < obj.size(); i += 2)
      if (obj[i].is_string() && obj[i].as_string() == name) return &obj[i + 1];
    return nullptr;
  }
  throw Bad{"a key spec part is neither a map nor an array"};
}

CommandFlag flag_named(std::string_view f) {
  struct Named {
    std::string_view name;
    CommandFlag flag;
  };
  static constexpr Named names[] = {
      {"readonly", CommandFlag::readonly},     {"write", CommandFlag::write},
      {"denyoom", CommandFlag::denyoom},       {"admin", CommandFlag::admin},
      {"pubsub", CommandFlag::pubsub},         {"noscript", CommandFlag::noscript},
      {"blocking", CommandFlag::blocking},     {"loading", CommandFlag::loading},
      {"stale", CommandFlag::stale},           {"skip_monitor", CommandFlag::skip_monitor},
      {"skip_slowlog", CommandFlag::skip_slowlog}, {"fast", CommandFlag::fast},
      {"no_auth", CommandFlag::no_auth},       {"may_replicate", CommandFlag::may_replicate},
      {"no_mandatory_keys", CommandFlag::no_mandatory_keys}, {"no_multi", CommandFlag::no_multi},
      {"allow_busy", CommandFlag::allow_busy}, {"module", CommandFlag::module},
      {"no_async_loading", CommandFlag::no_async_loading},
  };
  for (const auto& n : names)
    if (iequals(n.name, f)) return n.flag;
  return CommandFlag::none;
}

RequestPolicy request_policy(std::string_view p) {
  if (iequals(p, "all_nodes")) return RequestPolicy::all_nodes;
  if (iequals(p, "all_shards")) return RequestPolicy::all_shards;
  if (iequals(p, "multi_shard")) return RequestPolicy::multi_shard;
  if (iequals(p, "special")) return RequestPolicy::special;
  return RequestPolicy::default_;
}

ResponsePolicy response_policy(std::string_view p) {
  if (iequals(p, "one_succeeded")) return ResponsePolicy::one_succeeded;
  if (iequals(p, "all_succeeded")) return ResponsePolicy::all_succeeded;
  if (iequals(p, "agg_logical_and")) return ResponsePolicy::agg_logical_and;
  if (iequals(p, "agg_logical_or")) return ResponsePolicy::agg_logical_or;
  if (iequals(p, "agg_min")) return ResponsePolicy::agg_min;
  if (iequals(p, "agg_max")) return ResponsePolicy::agg_max;
  if (iequals(p, "agg_sum")) return ResponsePolicy::agg_sum;
  if (iequals(p, "special")) return ResponsePolicy::special;
  return ResponsePolicy::default_;
}

KeySpec key_spec(const Reply& m, std::deque<std::string>& keywords) {
  KeySpec s;
  if (const Reply* flags = field(m, "flags")) {
    if (!flags->is_array()) throw Bad{"key spec flags are not an array"};
    for (const Reply& f : *flags) {
      const std::string_view n = str(f, "key spec flag");
      if (iequals(n, "RO") || iequals(n, "RW") || iequals(n, "access")) s.read = true;
      if (iequals(n, "RW") || iequals(n, "OW") || iequals(n, "RM") || iequals(n, "insert") || iequals(n, "delete") ||
          iequals(n, "update"))
        s.write = true;
      if (iequals(n, "incomplete")) s.incomplete = true;
    }
  }
  const Reply* bs = field(m, "begin_search");
  const Reply* fk = field(m, "find_keys");
  if (!bs || !fk) throw Bad{"a key spec without begin_search or find_keys"};
  const Reply* bt = field(*bs, "type");
  const Reply* bspec = field(*bs, "spec");
  const std::string_view btype = bt ? str(*bt, "begin_search type") : std::string_view{};
  if (btype == "index" && bspec) {
    const Reply* i = field(*bspec, "index");
    if (!i) throw Bad{"index begin_search without index"};
    s.begin = KeySpec::Begin::index;
    s.begin_index = small_int(*i, "begin_search index");
    if (s.begin_index < 1) throw Bad{"begin_search index below 1"};
  } else if (btype == "keyword" && bspec) {
    const Reply* k = field(*bspec, "keyword");
    const Reply* from = field(*bspec, "startfrom");
    if (!k || !from) throw Bad{"keyword begin_search without keyword or startfrom"};
    keywords.emplace_back(str(*k, "keyword"));
    s.begin = KeySpec::Begin::keyword;
    s.keyword = keywords.back();
    s.keyword_startfrom = small_int(*from, "startfrom");
  }  // "unknown" or anything else: Begin::unknown
  const Reply* ft = field(*fk, "type");
  const Reply* fspec = field(*fk, "spec");
  const std::string_view ftype = ft ? str(*ft, "find_keys type") : std::string_view{};
  if (ftype == "range" && fspec) {
    const Reply *last = field(*fspec, "lastkey"), *step = field(*fspec, "keystep"), *limit = field(*fspec, "limit");
    if (!last || !step || !limit) throw Bad{"range find_keys without lastkey, keystep or limit"};
    s.find = KeySpec::Find::range;
    s.lastkey = small_int(*last, "lastkey");
    s.keystep = small_int(*step, "keystep");
    s.limit = small_int(*limit, "limit");
    if (s.keystep < 1 || s.limit < 0 || (s.limit > 0 && s.lastkey != -1)) throw Bad{"range find_keys out of range"};
  } else if (ftype == "keynum" && fspec) {
    const Reply *idx = field(*fspec, "keynumidx"), *first = field(*fspec, "firstkey"), *step = field(*fspec, "keystep");
    if (!idx || !first || !step) throw Bad{"keynum find_keys without keynumidx, firstkey or keystep"};
    s.find = KeySpec::Find::keynum;
    s.keynumidx = small_int(*idx, "keynumidx");
    s.firstkey = small_int(*first, "firstkey");
    s.keynum_step = small_int(*step, "keystep");
    if (s.keynumidx < 0 || s.firstkey < 1 || s.keynum_step < 1) throw Bad{"keynum find_keys out of range"};
  }
  return s;
}

}  // namespace

void ServerCommands::add_entry(const Reply& e, std::string_view parent, std::size_t& added,
                               std::vector<std::string>* errors, int depth) {
  if (e.is_null()) return;
  std::string name, label;
  try {
    if (!e.is_array() || e.size() < 7) throw Bad{"a COMMAND INFO entry is not an array of at least 7 fields"};
    name = valkey::detail::ascii_upper(str(e[0], "command name"));
    if (name.empty() || name.size() > 128) throw Bad{"command name empty or too long"};
    std::replace(name.begin(), name.end(), '|', ' ');
    if (!parent.empty() && name.find(' ') == std::string::npos) name = std::string(parent) + " " + name;
    if (index_.find(name) != index_.end()) return;  // first description wins
    label = name;

    Entry& en = entries_.emplace_back();
    try {
      en.name = std::move(name);
      en.info.name = en.name;
      en.info.arity = small_int(e[1], "arity");
      CommandFlag flags = CommandFlag::none;
      if (!e[2].is_array()) throw Bad{"flags are not an array"};
      for (const Reply& f : e[2]) flags = flags | flag_named(str(f, "flag"));
      en.info.flags = flags;
      std::uint64_t acl = 0;
      if (e[6].is_array()) {
        for (const Reply& c : e[6]) {
          std::string_view cat = str(c, "ACL category");
          if (!cat.empty() && cat.front() == '@') cat.remove_prefix(1);
          for (std::size_t i = 0; i < std::size(acl_category_names); ++i)
            if (acl_category_names[i] == cat) acl |= std::uint64_t{1} << i;
        }
      }
      en.info.acl_categories = acl;
      en.info.request_policy = RequestPolicy::default_;
      en.info.response_policy = ResponsePolicy::default_;
      if (e.size() > 7 && e[7].is_array()) {
        for (const Reply& t : e[7]) {
          const std::string_view tip = str(t, "tip");
          const auto colon = tip.find(':');
          const std::string_view key = tip.substr(0, colon);
          if (iequals(key, "request_policy") && colon != std::string_view::npos)
            en.info.request_policy = request_policy(tip.substr(colon + 1));
          else if (iequals(key, "response_policy") && colon != std::string_view::npos)
            en.info.response_policy = response_policy(tip.substr(colon + 1));
          else if (iequals(tip, "nondeterministic_output"))
            en.info.nondeterministic_output = true;
        }
      }
      if (e.size() > 8 && e[8].is_array()) {
        if (e[8].size() > 64) throw Bad{"more than 64 key specs"};
        for (const Reply& ks : e[8]) en.specs.push_back(key_spec(ks, en.keywords));
      }
      en.info.key_specs = en.specs;
    } catch (...) {
      entries_.pop_back();
      throw;
    }
    index_.emplace(en.name, &en.info);
    ++added;
    if (depth == 0 && e.size() > 9 && e[9].is_array()) {
      const std::string container = en.name;
      for (const Reply& sub : e[9]) add_entry(sub, container, added, errors, depth + 1);
    }
  } catch (const Bad& b) {
    if (errors) errors->push_back((label.empty() ? name.empty() ? std::string("?") : name : label) + ": " + b.why);
  } catch (const std::exception& x) {
    if (errors) errors->push_back((label.empty() ? std::string("?") : label) + ": malformed (" + x.what() + ")");
  }
}

std::size_t ServerCommands::add(const Reply& reply, std::vector<std::string>* errors) {
  std::size_t added = 0;
  if (!reply.is_array()) {
    if (errors) errors->push_back("the COMMAND INFO reply is not an array");
    return 0;
  }
  for (const Reply& e : reply) add_entry(e, {}, added, errors, 0);
  return added;
}

const CommandInfo* ServerCommands::find(std::string_view name, std::string_view subcommand) const noexcept {
  char buf[256];
  if (name.size() + 1 + subcommand.size() > sizeof buf) return nullptr;
  auto put_upper = [&](std::size_t at, std::string_view s) {
    for (char c : s) buf[at++] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    return at;
  };
  std::size_t n = put_upper(0, name);
  const std::string_view just_name(buf, n);
  if (!subcommand.empty()) {
    buf[n] = ' ';
    const std::size_t m = put_upper(n + 1, subcommand);
    if (auto it = index_.find(std::string_view(buf, m)); it != index_.end()) return it->second;
  }
  if (auto it = index_.find(just_name); it != index_.end()) return it->second;
  return nullptr;
}

}  // namespace valkey::cluster
