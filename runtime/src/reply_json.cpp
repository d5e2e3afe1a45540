#include <valkey/reply.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

namespace valkey {

namespace {

bool string_key(const Reply& k) noexcept {
  return k.is_string() || k.is_big_number();
}

}  // namespace

void to_json(nlohmann::json& j, const Reply& r) {
  using T = resp::Type;
  switch (r.type()) {
    case T::null: j = nullptr; return;
    case T::simple_string:
    case T::bulk_string:
    case T::verbatim_string:
    case T::big_number: j = std::string(r.as_string()); return;
    case T::simple_error:
    case T::blob_error: j = nlohmann::json{{"error", std::string(r.raw())}}; return;
    case T::integer: j = r.as_integer(); return;
    case T::double_: {
      const double d = r.as_double();
      if (std::isfinite(d)) j = d;
      else j = std::string(r.raw());  // JSON has no inf/nan
      return;
    }
    case T::boolean: j = r.as_bool(); return;
    case T::array:
    case T::set:
    case T::push: {
      j = nlohmann::json::array();
      for (const Reply& e : r.elements()) j.push_back(e.to_json());
      return;
    }
    case T::map:
    case T::attribute: {
      bool keys_are_strings = true;
      for (std::size_t i = 0; i < r.size(); ++i) keys_are_strings = keys_are_strings && string_key(r.key(i));
      if (keys_are_strings) {
        j = nlohmann::json::object();
        for (std::size_t i = 0; i < r.size(); ++i) j[std::string(r.key(i).as_string())] = r.value(i).to_json();
      } else {
        j = nlohmann::json::array();
        for (std::size_t i = 0; i < r.size(); ++i)
          j.push_back(nlohmann::json::array({r.key(i).to_json(), r.value(i).to_json()}));
      }
      return;
    }
  }
}

nlohmann::json Reply::to_json() const {
  nlohmann::json j;
  valkey::to_json(j, *this);
  return j;
}

}  // namespace valkey
