#pragma once
// A fresh directory per server, removed when the owner goes away.
#include <string>

namespace valkey::test {

class TempDir {
 public:
  // Created under $VALKEY_TEST_TMPDIR, else $TMPDIR, else /tmp, named
  // valkey-cpp-<prefix>-XXXXXX. scripts/test.sh points VALKEY_TEST_TMPDIR at a
  // run-private root so that it can find servers that outlive their test.
  explicit TempDir(const std::string& prefix = "srv");
  ~TempDir();  // removes the tree unless VALKEY_TEST_KEEP_DIRS is set
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& content) const;
  std::string read(const std::string& name) const;  // empty when missing

 private:
  std::string path_;
};

}  // namespace valkey::test
