#include <valkey/role.hpp>

#include <valkey/reply.hpp>

#include "record_support.hpp"

namespace valkey {

namespace {
// A primary lists its replicas' ports and offsets as strings: integer()
// takes an integer or a string holding one.
using detail::records::integer;
using detail::records::text;
}  // namespace

bool Role::from_reply(const Reply& reply, Role& out) {
  out = Role{};
  if (!reply.is_array() || reply.size() == 0 || !reply.at(0).is_string()) return false;
  const std::string_view kind = reply.at(0).as_string();
  if (kind == "master" && reply.size() == 3 && reply.at(2).is_array()) {
    out.kind = Kind::primary;
    if (!integer(reply.at(1), out.offset)) return false;
    for (const Reply& r : reply.at(2).elements()) {
      RoleReplica replica;
      if (!r.is_array() || r.size() != 3 || !text(r.at(0), replica.host) || !integer(r.at(1), replica.port) ||
          !integer(r.at(2), replica.offset))
        return false;
      out.replicas.push_back(std::move(replica));
    }
    return true;
  }
  if (kind == "slave" && reply.size() == 5) {
    out.kind = Kind::replica;
    return text(reply.at(1), out.primary_host) && integer(reply.at(2), out.primary_port) &&
           text(reply.at(3), out.link_state) && integer(reply.at(4), out.offset);
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
