#include <valkey/cluster_slot_range.hpp>

#include <valkey/reply.hpp>

#include "record_support.hpp"

namespace valkey {

namespace {

using detail::records::for_each_field;
using detail::records::integer;
using detail::records::text;

bool read_node(const Reply& r, ClusterSlotRange::Node& out) {
  if (!r.is_array() || r.size() < 2) return false;
  const Reply& endpoint = r.at(0);
  if (!endpoint.is_null() && !text(endpoint, out.endpoint)) return false;
  if (!integer(r.at(1), out.port)) return false;
  if (r.size() >= 3 && !text(r.at(2), out.id)) return false;
  if (r.size() >= 4) {
    return for_each_field(r.at(3), [&](std::string_view name, const Reply& v) {
      if (name == "hostname") return text(v, out.hostname);
      if (name == "ip") return text(v, out.ip);
      if (name == "availability-zone") return text(v, out.availability_zone);
      return true;  // a newer server's field
    });
  }
  return true;
}

}  // namespace

bool ClusterSlotRange::from_reply(const Reply& reply, ClusterSlotRange& out) {
  out = ClusterSlotRange{};
  if (!reply.is_array() || reply.size() < 3) return false;
  if (!integer(reply.at(0), out.start) || !integer(reply.at(1), out.end)) return false;
  if (!read_node(reply.at(2), out.primary)) return false;
  out.replicas.reserve(reply.size() - 3);
  for (std::size_t i = 3; i < reply.size(); ++i) {
    Node replica;
    if (!read_node(reply.at(i), replica)) return false;
    out.replicas.push_back(std::move(replica));
  }
  return true;
}

}  // namespace valkey
