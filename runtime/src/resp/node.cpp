#include <valkey/resp/node.hpp>

namespace valkey::resp {

std::string_view to_string(Type t) noexcept {
  switch (t) {
    case Type::simple_string: return "simple_string";
    case Type::simple_error: return "simple_error";
    case Type::integer: return "integer";
    case Type::bulk_string: return "bulk_string";
    case Type::null: return "null";
    case Type::double_: return "double";
    case Type::boolean: return "boolean";
    case Type::blob_error: return "blob_error";
    case Type::verbatim_string: return "verbatim_string";
    case Type::big_number: return "big_number";
    case Type::array: return "array";
    case Type::map: return "map";
    case Type::set: return "set";
    case Type::attribute: return "attribute";
    case Type::push: return "push";
  }
  return "unknown";
}

}  // namespace valkey::resp
