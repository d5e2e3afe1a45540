// Idempotency of a command and its arguments (see idempotency.hpp).
#include <algorithm>
#include <cstddef>

#include <valkey/command_table.hpp>
#include <valkey/policy/idempotency.hpp>

namespace valkey::policy {

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != b[i]) return false;  // tokens are stored upper-case
  }
  return true;
}

bool any_of(std::span<const std::string_view> tokens, std::string_view arg) noexcept {
  return std::any_of(tokens.begin(), tokens.end(), [&](std::string_view t) { return iequals(arg, t); });
}

// Applies a rule's argument conditions to arguments delivered one by one.
class RuleCheck {
 public:
  explicit RuleCheck(const IdempotentRule& r) noexcept : rule_(r), found_only_(r.only_with.empty()) {}
  void operator()(std::string_view arg) noexcept {
    if (index_++ < rule_.options_from || rule_.options_from == 0) return;
    if (any_of(rule_.unless_any, arg)) forbidden_ = true;
    if (any_of(rule_.only_with, arg)) found_only_ = true;
  }
  bool result() const noexcept { return !forbidden_ && found_only_; }

 private:
  const IdempotentRule& rule_;
  int index_ = 0;
  bool forbidden_ = false;
  bool found_only_;
};

// Reads RESP arrays of bulk strings; any other shape is malformed.
class RespCommands {
 public:
  explicit RespCommands(std::string_view s) noexcept : s_(s) {}
  bool done() const noexcept { return pos_ == s_.size(); }

  // Reads an array header; the count of its elements, or -1.
  long array() noexcept { return header('*'); }
  // Reads one bulk string into `out`.
  bool bulk(std::string_view& out) noexcept {
    const long n = header('$');
    if (n < 0 || s_.size() - pos_ < static_cast<std::size_t>(n) + 2) return false;
    out = s_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    if (s_[pos_] != '\r' || s_[pos_ + 1] != '\n') return false;
    pos_ += 2;
    return true;
  }

 private:
  long header(char type) noexcept {
    if (pos_ >= s_.size() || s_[pos_] != type) return -1;
    long n = 0;
    std::size_t i = pos_ + 1;
    if (i >= s_.size() || s_[i] < '0' || s_[i] > '9') return -1;
    for (; i < s_.size() && s_[i] >= '0' && s_[i] <= '9'; ++i) {
      n = n * 10 + (s_[i] - '0');
      if (n > (1L << 40)) return -1;
    }
    if (s_.size() - i < 2 || s_[i] != '\r' || s_[i + 1] != '\n') return -1;
    pos_ = i + 2;
    return n;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

const IdempotentRule* idempotent_rule(std::string_view command) noexcept {
  const auto rules = idempotent_rules();
  const auto it = std::lower_bound(rules.begin(), rules.end(), command,
                                   [](const IdempotentRule& r, std::string_view n) { return r.command < n; });
  return it != rules.end() && it->command == command ? &*it : nullptr;
}

bool may_mark_idempotent(const CommandInfo& info) noexcept { return !info.is(CommandFlag::blocking); }

Idempotency idempotency_of(const CommandInfo& info) noexcept {
  if (info.is(CommandFlag::blocking)) return Idempotency::never;
  if (info.is(CommandFlag::readonly)) return Idempotency::always;
  const IdempotentRule* rule = idempotent_rule(info.name);
  if (!rule) return Idempotency::never;
  return rule->options_from == 0 ? Idempotency::always : Idempotency::depends_on_arguments;
}

bool idempotent(const CommandInfo& info, Strings argv) noexcept {
  if (info.is(CommandFlag::blocking)) return false;
  if (info.is(CommandFlag::readonly)) return true;
  const IdempotentRule* rule = idempotent_rule(info.name);
  if (!rule) return false;
  RuleCheck check(*rule);
  argv.for_each([&](std::string_view a) { check(a); });
  return check.result();
}

bool idempotent_encoded(std::string_view resp) noexcept {
  RespCommands in(resp);
  if (in.done()) return false;
  while (!in.done()) {
    const long argc = in.array();
    if (argc < 1) return false;
    std::string_view name, sub;
    if (!in.bulk(name)) return false;
    // The subcommand decides for containers ("SCRIPT LOAD"); read it before
    // the lookup, then feed the rule the arguments in argv order.
    const bool has_sub = argc > 1;
    if (has_sub && !in.bulk(sub)) return false;
    const CommandInfo* info = has_sub ? find_command(name, sub) : find_command(name);
    if (!info || info->is(CommandFlag::blocking)) return false;
    if (info->is(CommandFlag::readonly)) {
      std::string_view skip;
      for (long i = 2; i < argc; ++i)
        if (!in.bulk(skip)) return false;
      continue;
    }
    const IdempotentRule* rule = idempotent_rule(info->name);
    if (!rule) return false;
    RuleCheck check(*rule);
    check(name);
    if (has_sub) check(sub);
    std::string_view a;
    for (long i = 2; i < argc; ++i) {
      if (!in.bulk(a)) return false;
      check(a);
    }
    if (!check.result()) return false;
  }
  return true;
}

}  // namespace valkey::policy
