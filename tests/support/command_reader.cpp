#include "command_reader.hpp"

namespace valkey::test {

bool take_command(std::string& buf, std::vector<std::string>& out) {
  out.clear();
  std::size_t p = 0;
  auto line = [&](std::string& l) {
    auto e = buf.find("\r\n", p);
    if (e == std::string::npos) return false;
    l = buf.substr(p, e - p);
    p = e + 2;
    return true;
  };
  std::string l;
  if (!line(l) || l.empty() || l[0] != '*') return false;
  int n = std::stoi(l.substr(1));
  for (int i = 0; i < n; ++i) {
    if (!line(l)) return false;
    std::size_t len = std::stoul(l.substr(1));
    if (buf.size() < p + len + 2) return false;
    out.push_back(buf.substr(p, len));
    p += len + 2;
  }
  buf.erase(0, p);
  return true;
}

}  // namespace valkey::test
