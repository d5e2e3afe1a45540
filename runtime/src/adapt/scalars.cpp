// Bodies of the scalar decoders: kept out of the header so that every
// translation unit decoding a string or an integer does not recompile them.
#include <valkey/adapt/decoder.hpp>
#include <valkey/adapt/type_name.hpp>

#include <charconv>

#include "resp/numbers.hpp"

namespace valkey::adapt {

std::string integer_type_name(bool is_signed, std::size_t bits) {
  return std::string(is_signed ? "std::int" : "std::uint") + std::to_string(bits) + "_t";
}

namespace {

using resp::Type;

bool is_text(Type t) noexcept {
  return t == Type::simple_string || t == Type::bulk_string || t == Type::verbatim_string;
}

std::string_view text_of(const resp::Node& n) noexcept {
  return n.type == Type::verbatim_string ? n.value.substr(4) : n.value;
}

}  // namespace

void DecodeState::server_error(std::string_view message) {
  if (ec) return;
  ec = make_error_code(errc::server_error);
  server_message.assign(message);
}

void DecodeState::fail(errc e, const resp::Node& node) {
  if (ec) return;
  ec = make_error_code(e);
  received = describe_node(node);
}

void DecodeState::mismatch(const resp::Node& node) {
  if (resp::is_error(node.type)) server_error(node.value);
  else fail(node.type == Type::null ? errc::unexpected_null : errc::unexpected_reply_type, node);
}

std::string describe_node(const resp::Node& n) {
  std::string out;
  switch (n.type) {
    case Type::simple_string: out = "simple string"; break;
    case Type::simple_error: out = "simple error"; break;
    case Type::integer: out = "integer"; break;
    case Type::bulk_string: out = "bulk string"; break;
    case Type::null: out = "null"; break;
    case Type::double_: out = "double"; break;
    case Type::boolean: out = "boolean"; break;
    case Type::blob_error: out = "blob error"; break;
    case Type::verbatim_string: out = "verbatim string"; break;
    case Type::big_number: out = "big number"; break;
    case Type::array: out = "array"; break;
    case Type::map: out = "map"; break;
    case Type::set: out = "set"; break;
    case Type::attribute: out = "attribute"; break;
    case Type::push: out = "push"; break;
  }
  if (resp::is_aggregate(n.type)) {
    out += " of " + std::to_string(n.aggregate_size);
  } else if (n.type != Type::null) {
    // A short quote: enough to recognise the value, never a whole payload.
    constexpr std::size_t kQuote = 32;
    std::string_view v = n.value;
    out += " \"";
    out.append(v.substr(0, kQuote));
    if (v.size() > kQuote) out += "...";
    out += '"';
  }
  if (n.depth > 0) out += " at depth " + std::to_string(n.depth);
  return out;
}

bool Decoder<Ok>::feed(const resp::Node& n, Ok&, DecodeState& st) {
  if (n.type != Type::simple_string) st.mismatch(n);
  return true;
}

bool Decoder<std::string>::feed(const resp::Node& n, std::string& out, DecodeState& st) {
  switch (n.type) {
    case Type::simple_string:
    case Type::bulk_string:
    case Type::verbatim_string:
    case Type::big_number:
    case Type::double_:
      out.assign(text_of(n));
      break;
    case Type::integer:
      out.assign(n.value);  // the parser checked it is an integer
      break;
    default:
      st.mismatch(n);
  }
  return true;
}

bool Decoder<bool>::feed(const resp::Node& n, bool& out, DecodeState& st) {
  if (n.type == Type::boolean) {
    out = n.value == "t";
  } else if (n.type == Type::integer && (n.value == "0" || n.value == "1")) {
    out = n.value == "1";
  } else if (n.type == Type::simple_string && n.value == "OK") {
    out = true;  // "done": SET answers OK when it wrote the value...
  } else if (n.type == Type::null) {
    out = false;  // ...and nil when NX, XX or IFEQ kept it from writing
  } else {
    st.mismatch(n);
  }
  return true;
}

bool Decoder<double>::feed(const resp::Node& n, double& out, DecodeState& st) {
  // RESP3 numbers come parsed in the node; RESP2 sends them as strings.
  if (n.type == Type::double_) {
    out = n.number;
  } else if (n.type == Type::integer) {
    out = static_cast<double>(n.integer);
  } else if (is_text(n.type) || n.type == Type::big_number) {
    if (!resp::detail::parse_double(text_of(n), out)) st.fail(errc::invalid_number, n);
  } else {
    st.mismatch(n);
  }
  return true;
}

namespace detail {

bool decode_signed(const resp::Node& n, std::int64_t& out, DecodeState& st) {
  if (n.type == Type::integer) {  // parsed by the parser
    out = n.integer;
    return true;
  }
  if (is_text(n.type) || n.type == Type::big_number) {
    if (resp::detail::parse_int64(text_of(n), out)) return true;
    st.fail(errc::invalid_number, n);
    return false;
  }
  st.mismatch(n);
  return false;
}

bool decode_unsigned(const resp::Node& n, std::uint64_t& out, DecodeState& st) {
  if (n.type == Type::integer) {  // parsed by the parser
    if (n.integer >= 0) {
      out = static_cast<std::uint64_t>(n.integer);
      return true;
    }
    st.fail(errc::invalid_number, n);
    return false;
  }
  if (is_text(n.type) || n.type == Type::big_number) {
    if (resp::detail::parse_uint64(text_of(n), out)) return true;
    st.fail(errc::invalid_number, n);
    return false;
  }
  st.mismatch(n);
  return false;
}

}  // namespace detail

}  // namespace valkey::adapt
