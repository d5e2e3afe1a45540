#include "temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace valkey::test {

TempDir::TempDir(const std::string& prefix) {
  const char* root = std::getenv("VALKEY_TEST_TMPDIR");
  if (!root || !*root) root = std::getenv("TMPDIR");
  if (!root || !*root) root = "/tmp";
  std::filesystem::create_directories(root);
  // Unix socket paths must fit in 108 bytes: keep the name short.
  std::string tmpl = std::string(root) + "/valkey-cpp-" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data()))
    throw std::runtime_error("mkdtemp(" + tmpl + ") failed: " + std::strerror(errno));
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (std::getenv("VALKEY_TEST_KEEP_DIRS")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void TempDir::write(const std::string& name, const std::string& content) const {
  std::ofstream out(file(name), std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + file(name));
}

std::string TempDir::read(const std::string& name) const {
  std::ifstream in(file(name), std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace valkey::test
