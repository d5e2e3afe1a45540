// Writes the seed corpus for fuzz_resp_parser into the directory given as
// argv[1]: every RESP3/RESP2 type, nested shapes, attributes, limits edges.
// Each file is one control byte (chunking seed / limits choice) + the stream.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
    return 2;
  }
  const std::vector<std::string> samples = {
      "+OK\r\n", "-ERR unknown command\r\n", ":42\r\n", ":-9223372036854775808\r\n", "$5\r\nhello\r\n",
      "$0\r\n\r\n", "$-1\r\n", "*-1\r\n", "_\r\n", ",3.14\r\n", ",inf\r\n", ",-inf\r\n", ",nan\r\n",
      ",1.5e-10\r\n", "#t\r\n", "#f\r\n", "!21\r\nSYNTAX invalid syntax\r\n", "=15\r\ntxt:Some string\r\n",
      "(3492890328409238509324850943850943825024385\r\n", "*3\r\n:1\r\n$3\r\nfoo\r\n+bar\r\n", "*0\r\n",
      "*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n$-1\r\n", "%2\r\n+first\r\n:1\r\n+second\r\n,2.5\r\n",
      "~2\r\n+a\r\n+b\r\n", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
      "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*1\r\n:2039123\r\n",
      "*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n",
      "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n",
      "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n",
      "*3\r\n:1\r\n$1\r\nx\r\n#t\r\n",
      "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
      "+OK\r\n:1\r\n$3\r\nabc\r\n*2\r\n+a\r\n-ERR x\r\n",
      ":+7\r\n", ":9223372036854775807\r\n", ",-1e-400\r\n", ",1e400\r\n", ",+inf\r\n", ",.5\r\n",
      ",2E+300\r\n", "*3\r\n,1.5\r\n:2\r\n$3\r\n2.5\r\n",
  };
  std::string all;
  for (const auto& s : samples) all += s;
  int n = 0;
  auto write = [&](char control, const std::string& body) {
    std::ofstream out(std::string(argv[1]) + "/seed-" + std::to_string(n++), std::ios::binary);
    out.put(control);
    out << body;
  };
  for (const auto& s : samples) {
    write('\0', s);
    write('\1', s);  // small limits
  }
  write('\2', all);
  write('\3', all);
  return 0;
}
