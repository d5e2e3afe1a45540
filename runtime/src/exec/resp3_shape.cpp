#include <valkey/exec/resp3_shape.hpp>

#include <algorithm>
#include <charconv>
#include <utility>

#include "../resp/numbers.hpp"

namespace valkey {

namespace detail {

// Rewrites a Reply tree by a shape string (grammar: generator/valkeygen/resp3.py).
// Every step first checks that the value has the RESP2 form the step
// expects; a value that does not is left alone, so a rule never loses data.
class Resp3Shaper {
 public:
  explicit Resp3Shaper(std::string_view s) noexcept : s_(s) {}

  void apply(Reply& r, std::size_t i) {
    if (i >= s_.size()) return;
    switch (s_[i]) {
      case 'd': to_double(r); return;
      case 'S':
        if (r.type_ == Reply::Type::array) r.type_ = Reply::Type::set;
        [[fallthrough]];
      case 'A':
        if (r.is_array())
          for (Reply& e : r.elements_) apply(e, i + 1);
        return;
      case 'M':
        if (to_map(r))
          for (std::size_t k = 1; k < r.elements_.size(); k += 2) apply(r.elements_[k], i + 1);
        return;
      case 'P': pairs(r, i + 1, end_of(i + 1)); return;
      case 'T':
      case 'U': tuple(r, i); return;
      case 'R': record(r, i); return;
      default: return;  // '.'
    }
  }

 private:
  // The position just after the node that starts at i.
  std::size_t end_of(std::size_t i) const noexcept {
    if (i >= s_.size()) return i;
    switch (s_[i]) {
      case 'S':
      case 'A':
      case 'M': return end_of(i + 1);
      case 'P': return end_of(end_of(i + 1));
      case 'T':
      case 'U': {
        std::size_t j = i + 2;
        while (j < s_.size() && s_[j] != ')') j = s_[j] == '|' ? j + 1 : end_of(j);
        return j + 1;
      }
      case 'R': {
        std::size_t j = i + 2;
        while (j < s_.size() && s_[j] != '}') {
          j = s_.find('=', j);
          if (j == std::string_view::npos) return s_.size();
          j = end_of(j + 1);
          if (j < s_.size() && s_[j] == ',') ++j;
        }
        return j + 1;
      }
      default: return i + 1;
    }
  }

  static bool text(const Reply& r) noexcept {
    return r.type_ == Reply::Type::bulk_string || r.type_ == Reply::Type::simple_string;
  }
  static bool scalar(const Reply& r) noexcept { return !r.is_aggregate(); }
  static bool pair_array(const Reply& r) noexcept { return r.type_ == Reply::Type::array && r.elements_.size() == 2; }

  // A bulk string holding a number becomes a double; its text stays as raw().
  static void to_double(Reply& r) {
    double v;
    if (!text(r) || !resp::detail::parse_double(r.str_, v)) return;
    r.type_ = Reply::Type::double_;
    r.real_ = v;
  }
  static bool would_be_double(const Reply& r) {
    double v;
    return text(r) && resp::detail::parse_double(r.str_, v);
  }

  // A flat array k, v, ... (keys scalars) or an array of [k, v] arrays
  // becomes a map; a map stays one. False: neither form, left alone.
  static bool to_map(Reply& r) {
    if (r.type_ == Reply::Type::map) return true;
    if (r.type_ != Reply::Type::array) return false;
    auto& e = r.elements_;
    bool flat = e.size() % 2 == 0;
    for (std::size_t k = 0; flat && k < e.size(); k += 2) flat = scalar(e[k]);
    if (flat) {
      r.type_ = Reply::Type::map;
      return true;
    }
    if (!std::all_of(e.begin(), e.end(), [](const Reply& p) { return pair_array(p) && scalar(p.elements_[0]); }))
      return false;
    std::vector<Reply> out;
    out.reserve(2 * e.size());
    for (Reply& p : e) {
      out.push_back(std::move(p.elements_[0]));
      out.push_back(std::move(p.elements_[1]));
    }
    e = std::move(out);
    r.type_ = Reply::Type::map;
    return true;
  }

  // P x y: a flat array x, y, x, y ... becomes [[x, y], ...]; an array that
  // already holds [x, y] arrays has x and y applied inside.
  void pairs(Reply& r, std::size_t x, std::size_t y) {
    if (r.type_ != Reply::Type::array || r.elements_.empty()) return;
    auto& e = r.elements_;
    if (std::all_of(e.begin(), e.end(), pair_array)) {
      for (Reply& p : e) {
        apply(p.elements_[0], x);
        apply(p.elements_[1], y);
      }
      return;
    }
    if (e.size() % 2 != 0) return;
    for (std::size_t k = 0; k < e.size(); k += 2) {
      if (!scalar(e[k])) return;
      // a score that is not a number: this is not the flat pair form
      if (y < s_.size() && s_[y] == 'd' && !would_be_double(e[k + 1])) return;
    }
    std::vector<Reply> out(e.size() / 2);
    for (std::size_t k = 0; k < out.size(); ++k) {
      out[k].type_ = Reply::Type::array;
      out[k].elements_.reserve(2);
      out[k].elements_.push_back(std::move(e[2 * k]));
      out[k].elements_.push_back(std::move(e[2 * k + 1]));
      apply(out[k].elements_[0], x);
      apply(out[k].elements_[1], y);
    }
    e = std::move(out);
  }

  // T(x...) exactly these elements; U(x...|y) at least these, the rest y.
  void tuple(Reply& r, std::size_t i) {
    if (r.type_ != Reply::Type::array) return;
    std::vector<std::size_t> items;
    std::size_t rest = std::string_view::npos;
    std::size_t j = i + 2;
    while (j < s_.size() && s_[j] != ')') {
      if (s_[j] == '|') {
        rest = j + 1;
        j = end_of(j + 1);
        continue;
      }
      items.push_back(j);
      j = end_of(j);
    }
    auto& e = r.elements_;
    if (s_[i] == 'T' ? e.size() != items.size() : e.size() < items.size()) return;
    for (std::size_t k = 0; k < e.size(); ++k) apply(e[k], k < items.size() ? items[k] : rest);
  }

  // R{k=x,...}: a map whose value under k is x.
  void record(Reply& r, std::size_t i) {
    if (!to_map(r)) return;
    std::size_t j = i + 2;
    while (j < s_.size() && s_[j] != '}') {
      const std::size_t eq = s_.find('=', j);
      if (eq == std::string_view::npos) return;
      const std::string_view key = s_.substr(j, eq - j);
      for (std::size_t k = 0; k + 1 < r.elements_.size(); k += 2) {
        const Reply& name = r.elements_[k];
        if (text(name) && name.str_ == key) apply(r.elements_[k + 1], eq + 1);
      }
      j = end_of(eq + 1);
      if (j < s_.size() && s_[j] == ',') ++j;
    }
  }

  std::string_view s_;
};

void apply_resp3_shape(Reply& r, std::string_view shape) { Resp3Shaper{shape}.apply(r, 0); }

}  // namespace detail

namespace exec {

namespace {

constexpr char upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// Table name (upper case) against user input, ignoring the input's case.
int compare(std::string_view table_name, std::string_view input) noexcept {
  const std::size_t n = std::min(table_name.size(), input.size());
  for (std::size_t i = 0; i < n; ++i) {
    const char a = table_name[i], b = upper(input[i]);
    if (a != b) return a < b ? -1 : 1;
  }
  if (table_name.size() == input.size()) return 0;
  return table_name.size() < input.size() ? -1 : 1;
}

bool iequals(std::string_view table_token, std::string_view arg) noexcept {
  return table_token.size() == arg.size() && compare(table_token, arg) == 0;
}

std::span<const detail::Resp3ShapeRow> rows_named(std::string_view name) noexcept {
  const auto rows = detail::resp3_shape_rows();
  auto lo = std::lower_bound(rows.begin(), rows.end(), name,
                             [](const detail::Resp3ShapeRow& r, std::string_view n) { return compare(r.name, n) < 0; });
  auto hi = lo;
  while (hi != rows.end() && compare(hi->name, name) == 0) ++hi;
  return {lo, hi};
}

}  // namespace

std::string_view resp3_shape_of(std::span<const std::string_view> argv) noexcept {
  if (argv.empty()) return {};
  std::span<const detail::Resp3ShapeRow> rows;
  if (argv.size() >= 2) {  // a subcommand's own row first ("CONFIG GET")
    char buf[96];
    const std::size_t n = argv[0].size() + 1 + argv[1].size();
    if (n <= sizeof buf) {
      std::copy(argv[0].begin(), argv[0].end(), buf);
      buf[argv[0].size()] = ' ';
      std::copy(argv[1].begin(), argv[1].end(), buf + argv[0].size() + 1);
      rows = rows_named(std::string_view(buf, n));
    }
  }
  if (rows.empty()) rows = rows_named(argv[0]);
  for (const auto& row : rows) {
    if (!row.token.empty()) {
      // after the first argument: it is a key for every command with such a row
      const bool present = argv.size() > 2 && std::any_of(argv.begin() + 2, argv.end(), [&](std::string_view a) {
                             return iequals(row.token, a);
                           });
      if (present) return row.shape;
    } else if (row.min_argc != 0) {
      if (argv.size() >= row.min_argc) return row.shape;
    } else {
      return row.shape;
    }
  }
  return {};
}

namespace {

// One command of encoded bytes: *<n>\r\n then n × $<len>\r\n<bytes>\r\n.
bool next_command(std::string_view& b, std::vector<std::string_view>& argv) {
  argv.clear();
  auto number = [&](char prefix, std::size_t& out) {
    if (b.empty() || b[0] != prefix) return false;
    auto [p, ec] = std::from_chars(b.data() + 1, b.data() + b.size(), out);
    if (ec != std::errc{} || static_cast<std::size_t>(p - b.data()) + 2 > b.size()) return false;
    b.remove_prefix(static_cast<std::size_t>(p - b.data()) + 2);
    return true;
  };
  std::size_t n = 0;
  if (!number('*', n)) return false;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t len = 0;
    if (!number('$', len) || len + 2 > b.size()) return false;
    argv.push_back(b.substr(0, len));
    b.remove_prefix(len + 2);
  }
  return true;
}

}  // namespace

std::string_view Resp3Shapes::next() {
  std::vector<std::string_view> argv;
  if (single_) {
    if (argv_.empty()) return {};
    argv.reserve(argv_.size());
    argv_.for_each([&](std::string_view a) { argv.push_back(a); });
    argv_ = {};
    return resp3_shape_of(argv);
  }
  if (!next_command(bytes_, argv)) {
    bytes_ = {};
    return {};
  }
  return resp3_shape_of(argv);
}

}  // namespace exec

}  // namespace valkey
