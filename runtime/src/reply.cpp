#include <valkey/reply.hpp>

#include <charconv>
#include <cmath>
#include <stdexcept>

#include <valkey/error.hpp>

#include "resp/numbers.hpp"

namespace valkey {

namespace {

[[noreturn]] void throw_type() { throw Error(make_error_code(errc::unexpected_reply_type)); }
[[noreturn]] void throw_number() { throw Error(make_error_code(errc::invalid_number)); }

std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

bool string_like(resp::Type t) noexcept {
  return t == resp::Type::simple_string || t == resp::Type::bulk_string ||
         t == resp::Type::verbatim_string;
}

}  // namespace

Reply Reply::verbatim_string(std::string_view format, std::string_view text) {
  if (format.size() != 3) throw std::invalid_argument("verbatim format must be 3 characters");
  std::string s;
  s.reserve(4 + text.size());
  s.append(format).append(1, ':').append(text);
  return Reply{Type::verbatim_string, std::move(s)};
}

Reply Reply::integer(std::int64_t v) {
  Reply r;
  r.type_ = Type::integer;
  r.integer_ = v;
  return r;
}

Reply Reply::double_(double v) {
  Reply r{Type::double_, format_double(v)};
  r.real_ = v;
  return r;
}

Reply Reply::boolean(bool v) {
  Reply r;
  r.type_ = Type::boolean;
  r.integer_ = v ? 1 : 0;
  return r;
}

Reply Reply::map(std::vector<Reply> flat_pairs) {
  if (flat_pairs.size() % 2 != 0) throw std::invalid_argument("a map needs an even number of children");
  return Reply{Type::map, std::move(flat_pairs)};
}

std::string_view Reply::as_string() const {
  switch (type_) {
    case Type::verbatim_string: return std::string_view{str_}.substr(4);
    case Type::simple_string:
    case Type::bulk_string:
    case Type::big_number:
    case Type::simple_error:
    case Type::blob_error: return str_;
    default: throw_type();
  }
}

std::int64_t Reply::as_integer() const {
  if (type_ == Type::integer) return integer_;
  if (string_like(type_) || type_ == Type::big_number) {
    std::int64_t v;
    if (!resp::detail::parse_int64(as_string(), v)) throw_number();
    return v;
  }
  throw_type();
}

double Reply::as_double() const {
  if (type_ == Type::double_) return real_;
  if (type_ == Type::integer) return static_cast<double>(integer_);
  if (string_like(type_) || type_ == Type::big_number) {
    double v;
    if (!resp::detail::parse_double(as_string(), v)) throw_number();
    return v;
  }
  throw_type();
}

bool Reply::as_bool() const {
  if (type_ == Type::boolean) return integer_ != 0;
  if (type_ == Type::integer && (integer_ == 0 || integer_ == 1)) return integer_ == 1;
  throw_type();
}

std::string_view Reply::error_message() const {
  if (!is_error()) throw_type();
  return str_;
}

std::string_view Reply::verbatim_format() const {
  if (type_ != Type::verbatim_string) throw_type();
  return std::string_view{str_}.substr(0, 3);
}

const Reply& Reply::at(std::size_t i) const {
  if (!is_array()) throw_type();
  if (i >= elements_.size()) throw std::out_of_range("valkey::Reply::at: index out of range");
  return elements_[i];
}

const Reply& Reply::key(std::size_t i) const {
  if (!is_map()) throw_type();
  if (i >= size()) throw std::out_of_range("valkey::Reply::key: index out of range");
  return elements_[2 * i];
}

const Reply& Reply::value(std::size_t i) const {
  if (!is_map()) throw_type();
  if (i >= size()) throw std::out_of_range("valkey::Reply::value: index out of range");
  return elements_[2 * i + 1];
}

const Reply* Reply::find(std::string_view k) const noexcept {
  if (!is_map()) return nullptr;
  for (std::size_t i = 0; i + 1 < elements_.size(); i += 2) {
    const Reply& key = elements_[i];
    if ((string_like(key.type_) || key.type_ == Type::big_number) && key.as_string() == k)
      return &elements_[i + 1];
  }
  return nullptr;
}

const Reply& Reply::operator[](std::string_view k) const {
  if (!is_map()) throw_type();
  const Reply* v = find(k);
  if (v == nullptr) throw std::out_of_range("valkey::Reply: no such key");
  return *v;
}

bool operator==(const Reply& a, const Reply& b) noexcept {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case resp::Type::integer:
    case resp::Type::boolean:
      if (a.integer_ != b.integer_) return false;
      break;
    case resp::Type::double_:
      if (!(a.real_ == b.real_ || (std::isnan(a.real_) && std::isnan(b.real_)))) return false;
      break;
    default:
      if (a.str_ != b.str_) return false;
  }
  if (a.elements_ != b.elements_) return false;
  if ((a.attribute_ == nullptr) != (b.attribute_ == nullptr)) return false;
  return a.attribute_ == nullptr || *a.attribute_ == *b.attribute_;
}

namespace {

void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void render(const Reply& r, std::string& out, std::size_t indent);

// "1) a\n   2) b" with children aligned under the first one, as redis-cli does.
void render_children(const Reply& r, std::string& out, std::size_t indent) {
  const auto& e = r.elements();
  if (e.empty()) {
    out += r.is_map() ? "(empty map)" : "(empty array)";
    return;
  }
  const std::size_t n = r.is_map() ? e.size() / 2 : e.size();
  const std::size_t width = std::to_string(n).size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0) {
      out += '\n';
      out.append(indent, ' ');
    }
    std::string label = std::to_string(i + 1);
    out.append(width - label.size(), ' ');
    out += label;
    out += ") ";
    const std::size_t child_indent = indent + width + 2;
    if (r.is_map()) {
      render(e[2 * i], out, child_indent);
      out += " => ";
      render(e[2 * i + 1], out, child_indent + 4);
    } else {
      render(e[i], out, child_indent);
    }
  }
}

void render(const Reply& r, std::string& out, std::size_t indent) {
  using T = resp::Type;
  switch (r.type()) {
    case T::null: out += "(nil)"; break;
    case T::simple_string: out += r.raw(); break;
    case T::bulk_string: append_quoted(out, r.raw()); break;
    case T::verbatim_string: append_quoted(out, r.as_string()); break;
    case T::simple_error:
    case T::blob_error: out += "(error) "; out += r.raw(); break;
    case T::integer: out += "(integer) "; out += std::to_string(r.as_integer()); break;
    case T::double_: out += "(double) "; out += r.raw(); break;
    case T::boolean: out += r.as_bool() ? "(true)" : "(false)"; break;
    case T::big_number: out += "(big number) "; out += r.raw(); break;
    case T::array:
    case T::set:
    case T::push:
    case T::map:
    case T::attribute: render_children(r, out, indent); break;
  }
}

}  // namespace

std::string Reply::to_string() const {
  std::string out;
  render(*this, out, 0);
  return out;
}

}  // namespace valkey
