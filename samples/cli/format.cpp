#include "format.hpp"

#include <cstdio>

namespace cli {

namespace {

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (ch < 0x20 || ch >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  return out + "\"";
}

void render(const valkey::Reply& r, std::string& out, std::size_t indent) {
  using T = valkey::resp::Type;
  switch (r.type()) {
    case T::null: out += "(nil)\n"; return;
    case T::integer: out += "(integer) " + std::to_string(r.as_integer()) + "\n"; return;
    case T::double_: out += "(double) " + std::string(r.raw().empty() ? std::to_string(r.as_double()) : std::string(r.raw())) + "\n"; return;
    case T::boolean: out += r.as_bool() ? "(true)\n" : "(false)\n"; return;
    case T::big_number: out += "(big number) " + std::string(r.as_string()) + "\n"; return;
    case T::simple_string: out += std::string(r.as_string()) + "\n"; return;
    default: break;
  }
  if (r.is_error()) {
    out += "(error) " + std::string(r.error_message()) + "\n";
    return;
  }
  if (!r.is_aggregate()) {
    out += quoted(r.as_string()) + "\n";
    return;
  }
  if (r.empty()) {
    out += r.is_map() ? "(empty hash)\n" : "(empty array)\n";
    return;
  }
  const std::size_t n = r.size();
  const std::size_t width = std::to_string(n).size();
  for (std::size_t i = 0; i < n; ++i) {
    std::string label = std::to_string(i + 1);
    label.insert(0, width - label.size(), ' ');
    if (i > 0) out.append(indent, ' ');
    if (r.is_map()) {
      out += label + "# ";
      std::string key;
      render(r.key(i), key, 0);
      key.pop_back();
      out += key + " => ";
      render(r.value(i), out, indent + width + 2 + key.size() + 4);
    } else {
      out += label + ") ";
      render(r.elements()[i], out, indent + width + 2);
    }
  }
}

}  // namespace

std::string to_text(const valkey::Reply& r) {
  std::string out;
  render(r, out, 0);
  return out;
}

}  // namespace cli
