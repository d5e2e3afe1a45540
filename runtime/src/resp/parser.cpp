#include <valkey/resp/parser.hpp>

#include <cstdint>
#include <cstring>

#include <valkey/error.hpp>

#include "resp/numbers.hpp"

namespace valkey::resp {

namespace {

constexpr std::size_t kMinLine = 3;  // type byte + CRLF

std::error_code make(int code) noexcept { return make_error_code(static_cast<errc>(code)); }
constexpr int E(errc e) noexcept { return static_cast<int>(e); }

}  // namespace

Parser::Parser(Limits limits) : limits_(limits) {
  // The usual nesting fits without growing the stack while parsing.
  pending_.reserve(limits_.max_depth < 16 ? limits_.max_depth : 16);
}

void Parser::reset() noexcept {
  pending_.clear();
  message_bytes_ = 0;
  needed_ = 0;
  scanned_ = 0;
  body_length_ = 0;
  error_ = 0;
  body_pending_ = false;
  complete_ = false;
}

std::size_t Parser::fail(std::error_code& ec, int code) noexcept {
  error_ = code;
  ec = make(code);
  needed_ = 0;
  return 0;
}

bool Parser::element_done() noexcept {
  while (!pending_.empty()) {
    Frame& top = pending_.back();
    if (--top.remaining != 0) return false;
    const bool attribute = top.attribute;
    pending_.pop_back();
    // An attribute describes the element that follows it: finishing one
    // finishes no element of the enclosing aggregate.
    if (attribute) return false;
  }
  return true;
}

std::size_t Parser::consume(std::string_view input, Visitor& visitor, std::error_code& ec) {
  if (error_ != 0) {
    ec = make(error_);
    return 0;
  }
  if (complete_) {
    complete_ = false;
    message_bytes_ = 0;
  }
  const char* const begin = input.data();
  const char* const end = begin + input.size();
  const char* p = begin;

  // Bytes of this message once `upto` is consumed; checked before each emit.
  auto over_message_limit = [&](const char* upto) noexcept {
    return message_bytes_ + static_cast<std::size_t>(upto - begin) > limits_.max_message_bytes;
  };
  auto stop = [&](const char* at) noexcept {
    message_bytes_ += static_cast<std::size_t>(at - begin);
    return static_cast<std::size_t>(at - begin);
  };
  auto finish = [&](const char* at) noexcept {
    complete_ = true;
    needed_ = 0;
    scanned_ = 0;
    const std::size_t used = stop(at);
    visitor.on_message_end();
    return used;
  };

  while (p < end) {
    const std::size_t depth = pending_.size();

    if (body_pending_) {
      const auto avail = static_cast<std::size_t>(end - p);
      if (avail < body_length_ + 2) {
        needed_ = body_length_ + 2 - avail;
        return stop(p);
      }
      if (p[body_length_] != '\r' || p[body_length_ + 1] != '\n')
        return fail(ec, E(errc::protocol_error));
      if (body_type_ == Type::verbatim_string && (body_length_ < 4 || p[3] != ':'))
        return fail(ec, E(errc::protocol_error));
      body_pending_ = false;
      visitor.on_node(Node{body_type_, 1, depth, std::string_view{p, body_length_}});
      p += body_length_ + 2;
      if (element_done()) return finish(p);
      continue;
    }

    // One line: type byte, content, CRLF. Resume the CR search where the last
    // call left off instead of rescanning the partial line.
    //
    // The outcome must not depend on how the bytes were split into reads, so
    // a line is judged on its first max_line_length + 2 bytes (type byte,
    // longest content, CR) in this order: a bare LF there is malformed; no CR
    // there is too long; a CR not followed by LF is malformed.
    const auto avail = static_cast<std::size_t>(end - p);
    const std::size_t window =
        limits_.max_line_length > SIZE_MAX - 2 ? SIZE_MAX : limits_.max_line_length + 2;
    const std::size_t from = scanned_ < avail ? scanned_ : 0;
    const char* cr = static_cast<const char*>(std::memchr(p + from, '\r', avail - from));
    if (cr == nullptr || cr + 1 == end) {
      const std::size_t seen = cr == nullptr ? avail : static_cast<std::size_t>(cr - p);
      const std::size_t check_to = seen < window ? seen : window;
      if (check_to > from && std::memchr(p + from, '\n', check_to - from) != nullptr)
        return fail(ec, E(errc::protocol_error));
      if (seen >= window) return fail(ec, E(errc::protocol_line_too_long));
      scanned_ = seen;
      needed_ = avail < kMinLine ? kMinLine - avail : 1;
      return stop(p);
    }
    scanned_ = 0;
    const auto line_end = static_cast<std::size_t>(cr - p);
    if (line_end >= window) {
      if (std::memchr(p, '\n', window) != nullptr) return fail(ec, E(errc::protocol_error));
      return fail(ec, E(errc::protocol_line_too_long));
    }
    if (cr[1] != '\n') return fail(ec, E(errc::protocol_error));
    if (cr == p) return fail(ec, E(errc::protocol_error));  // "\r\n" with no type byte
    const std::string_view line{p + 1, line_end - 1};
    const char* const next = cr + 2;
    if (over_message_limit(next)) return fail(ec, E(errc::protocol_message_too_large));

    const char kind = *p;
    Type type;
    switch (kind) {
      case '+':
      case '-':
        if (std::memchr(line.data(), '\n', line.size()) != nullptr)
          return fail(ec, E(errc::protocol_error));
        type = kind == '+' ? Type::simple_string : Type::simple_error;
        break;
      // Numbers and booleans hand on what was read (Node::integer,
      // Node::number). Their locals live only here: out of this case they
      // would cost two stores on every other line.
      case ':': {
        std::int64_t v;
        if (!detail::parse_int64(line, v)) return fail(ec, E(errc::protocol_error));
        visitor.on_node(Node{Type::integer, 1, depth, line, v});
        p = next;
        if (element_done()) return finish(p);
        continue;
      }
      case ',': {
        double v;
        if (!detail::parse_double(line, v)) return fail(ec, E(errc::protocol_error));
        visitor.on_node(Node{Type::double_, 1, depth, line, 0, v});
        p = next;
        if (element_done()) return finish(p);
        continue;
      }
      case '#':
        if (line.size() != 1 || (line[0] != 't' && line[0] != 'f'))
          return fail(ec, E(errc::protocol_error));
        visitor.on_node(Node{Type::boolean, 1, depth, line, line[0] == 't' ? 1 : 0});
        p = next;
        if (element_done()) return finish(p);
        continue;
      case '(':
        if (!detail::is_big_number(line)) return fail(ec, E(errc::protocol_error));
        type = Type::big_number;
        break;
      case '_':
        if (!line.empty()) return fail(ec, E(errc::protocol_error));
        type = Type::null;
        break;
      case '$':
      case '=':
      case '!': {
        std::int64_t n;
        if (!detail::parse_length(line, kind == '$', n)) return fail(ec, E(errc::protocol_error));
        if (n < 0) {  // RESP2 null bulk string
          visitor.on_node(Node{Type::null, 1, depth, {}});
          p = next;
          if (element_done()) return finish(p);
          continue;
        }
        const auto len = static_cast<std::uint64_t>(n);
        if (len > limits_.max_bulk_length) return fail(ec, E(errc::protocol_bulk_too_large));
        // Refuse an oversized message on its header, before buffering its body.
        if (len + 2 > limits_.max_message_bytes ||
            message_bytes_ + static_cast<std::size_t>(next - begin) > limits_.max_message_bytes - len - 2)
          return fail(ec, E(errc::protocol_message_too_large));
        body_type_ = kind == '$' ? Type::bulk_string : kind == '=' ? Type::verbatim_string : Type::blob_error;
        body_length_ = static_cast<std::size_t>(len);
        body_pending_ = true;
        p = next;
        continue;
      }
      case '*':
      case '%':
      case '~':
      case '|':
      case '>': {
        std::int64_t n;
        if (!detail::parse_length(line, kind == '*', n)) return fail(ec, E(errc::protocol_error));
        if (n < 0) {  // RESP2 null array
          visitor.on_node(Node{Type::null, 1, depth, {}});
          p = next;
          if (element_done()) return finish(p);
          continue;
        }
        const auto count = static_cast<std::uint64_t>(n);
        if (count > limits_.max_aggregate_size) return fail(ec, E(errc::protocol_aggregate_too_large));
        if (depth >= limits_.max_depth) return fail(ec, E(errc::protocol_depth_exceeded));
        type = kind == '*'   ? Type::array
               : kind == '%' ? Type::map
               : kind == '~' ? Type::set
               : kind == '|' ? Type::attribute
                             : Type::push;
        const std::size_t size = static_cast<std::size_t>(count);
        visitor.on_node(Node{type, size, depth, {}, n});
        p = next;
        const std::size_t children = child_count(type, size);
        if (children != 0) {
          pending_.push_back(Frame{children, type == Type::attribute});
          continue;
        }
        if (type == Type::attribute) continue;  // empty attribute: the element still follows
        if (element_done()) return finish(p);
        continue;
      }
      default:
        return fail(ec, E(errc::protocol_error));
    }
    visitor.on_node(Node{type, 1, depth, line});
    p = next;
    if (element_done()) return finish(p);
    continue;

  }

  // Out of input inside the message: at least one more line (or the rest of
  // a pending body) is needed.
  needed_ = body_pending_ ? body_length_ + 2 : kMinLine;
  return stop(p);
}

}  // namespace valkey::resp
