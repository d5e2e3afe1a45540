#include <valkey/server_command_info.hpp>

#include <valkey/reply.hpp>

#include "record_support.hpp"

namespace valkey {

namespace {

using detail::records::for_each_field;
using detail::records::integer;
using detail::records::text;
using detail::records::texts;

bool read_begin_search(const Reply& r, ServerCommandInfo::KeySpec::BeginSearch& out) {
  return for_each_field(r, [&](std::string_view name, const Reply& v) {
    if (name == "type") return text(v, out.type);
    if (name == "spec") {
      return for_each_field(v, [&](std::string_view n, const Reply& x) {
        if (n == "index") return integer(x, out.index);
        if (n == "keyword") return text(x, out.keyword);
        if (n == "startfrom") return integer(x, out.startfrom);
        return true;
      });
    }
    return true;
  });
}

bool read_find_keys(const Reply& r, ServerCommandInfo::KeySpec::FindKeys& out) {
  return for_each_field(r, [&](std::string_view name, const Reply& v) {
    if (name == "type") return text(v, out.type);
    if (name == "spec") {
      return for_each_field(v, [&](std::string_view n, const Reply& x) {
        if (n == "lastkey") return integer(x, out.lastkey);
        if (n == "keystep") return integer(x, out.keystep);
        if (n == "limit") return integer(x, out.limit);
        if (n == "keynumidx") return integer(x, out.keynumidx);
        if (n == "firstkey") return integer(x, out.firstkey);
        return true;
      });
    }
    return true;
  });
}

bool read_key_spec(const Reply& r, ServerCommandInfo::KeySpec& out) {
  return for_each_field(r, [&](std::string_view name, const Reply& v) {
    if (name == "notes") return text(v, out.notes);
    if (name == "flags") return texts(v, out.flags);
    if (name == "begin_search") return read_begin_search(v, out.begin_search);
    if (name == "find_keys") return read_find_keys(v, out.find_keys);
    return true;  // a newer server's field
  });
}

}  // namespace

bool ServerCommandInfo::from_reply(const Reply& reply, ServerCommandInfo& out) {
  out = ServerCommandInfo{};
  if (!reply.is_array() || reply.size() < 6) return false;
  if (!text(reply.at(0), out.name) || !integer(reply.at(1), out.arity) || !texts(reply.at(2), out.flags) ||
      !integer(reply.at(3), out.first_key) || !integer(reply.at(4), out.last_key) ||
      !integer(reply.at(5), out.key_step))
    return false;
  if (reply.size() > 6 && !texts(reply.at(6), out.acl_categories)) return false;
  if (reply.size() > 7 && !texts(reply.at(7), out.tips)) return false;
  if (reply.size() > 8) {
    const Reply& specs = reply.at(8);
    if (!specs.is_array()) return false;
    out.key_specs.resize(specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i)
      if (!read_key_spec(specs.at(i), out.key_specs[i])) return false;
  }
  if (reply.size() > 9) {
    const Reply& subs = reply.at(9);
    if (!subs.is_array()) return false;
    out.subcommands.resize(subs.size());
    for (std::size_t i = 0; i < subs.size(); ++i)
      if (!from_reply(subs.at(i), out.subcommands[i])) return false;
  }
  return true;
}

}  // namespace valkey
