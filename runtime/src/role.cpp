#include <valkey/role.hpp>

#include <charconv>

#include <valkey/reply.hpp>

namespace valkey {

namespace {

// An integer, or a string holding one (a primary lists its replicas' ports
// and offsets as strings).
bool number(const Reply& r, std::int64_t& out) {
  if (r.is_integer()) {
    out = r.as_integer();
    return true;
  }
  if (!r.is_string()) return false;
  const std::string_view s = r.as_string();
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

bool text(const Reply& r, std::string& out) {
  if (!r.is_string()) return false;
  out.assign(r.as_string());
  return true;
}

}  // namespace

bool Role::from_reply(const Reply& reply, Role& out) {
  out = Role{};
  if (!reply.is_array() || reply.size() == 0 || !reply.at(0).is_string()) return false;
  const std::string_view kind = reply.at(0).as_string();
  if (kind == "master" && reply.size() == 3 && reply.at(2).is_array()) {
    out.kind = Kind::primary;
    if (!number(reply.at(1), out.offset)) return false;
    for (const Reply& r : reply.at(2).elements()) {
      RoleReplica replica;
      if (!r.is_array() || r.size() != 3 || !text(r.at(0), replica.host) || !number(r.at(1), replica.port) ||
          !number(r.at(2), replica.offset))
        return false;
      out.replicas.push_back(std::move(replica));
    }
    return true;
  }
  if (kind == "slave" && reply.size() == 5) {
    out.kind = Kind::replica;
    return text(reply.at(1), out.primary_host) && number(reply.at(2), out.primary_port) &&
           text(reply.at(3), out.link_state) && number(reply.at(4), out.offset);
  }
  if (kind == "sentinel" && reply.size() == 2 && reply.at(1).is_array()) {
    out.kind = Kind::sentinel;
    for (const Reply& r : reply.at(1).elements()) {
      std::string name;
      if (!text(r, name)) return false;
      out.monitored.push_back(std::move(name));
    }
    return true;
  }
  return false;
}

}  // namespace valkey
