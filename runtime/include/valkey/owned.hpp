#pragma once
/// \class valkey::Owned
/// `valkey::Owned<Cmd>`: a command built now and sent later.
///
/// A command struct holds views (valkey::Arg, valkey::ArgList) of the strings
/// it was built from, so it may not outlive them. owned(cmd) encodes the
/// command at once into bytes of its own and keeps a copy of its keys: the
/// result can be stored, moved, put in a container and sent any number of
/// times, by any client, after the strings it was built from are gone.
///
/// \code
///   std::vector<valkey::Owned<valkey::cmd::Set>> writes;
///   for (int n = 0; n < 3; ++n) {
///     const std::string key = "k:" + std::to_string(n);
///     writes.push_back(valkey::owned(valkey::cmd::Set{.key = key, .value = "v"}));
///   }
///   for (const auto& w : writes) db.exec(w);   // the keys are long gone
/// \endcode
///
/// It is a Command like the struct it came from: the same reply type, flags
/// and key specs, so exec(), pipelines, transactions and the cluster clients
/// (which route by its keys) take it as they take Cmd. The bytes are the
/// command's RESP encoding, the same on RESP2 and RESP3.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <valkey/command.hpp>
#include <valkey/command_info.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey {

template <Command Cmd>
class Owned {
 public:
  /// The command type it was built from.
  using command_type = Cmd;
  /// The command's reply type.
  using reply_type = typename Cmd::reply_type;
  /// The command's compile-time facts (flags, key specs...).
  static constexpr CommandInfo info = Cmd::info;

  /// Encodes `cmd` and copies its keys; `cmd` may be destroyed afterwards.
  explicit Owned(const Cmd& cmd) {
    resp::Writer w(bytes_);
    encode(cmd, w);
    auto keep = [this](std::string_view key) {
      key_ends_.push_back(static_cast<std::uint32_t>(key_text_.size() + key.size()));
      key_text_.append(key);
    };
    for_each_key(cmd, keep);
  }

  /// The command as sent: its RESP array of bulk strings.
  std::string_view bytes() const noexcept { return bytes_; }

  /// Appends the encoded command to `w`.
  friend void encode(const Owned& o, resp::Writer& w) { w.buffer().append(o.bytes_); }
  /// Calls `k` with each key it copied, in order.
  friend void for_each_key(const Owned& o, KeyCallback k) {
    std::uint32_t begin = 0;
    for (std::uint32_t end : o.key_ends_) {
      k(std::string_view(o.key_text_).substr(begin, end - begin));
      begin = end;
    }
  }

 private:
  std::string bytes_;
  // The keys, one after another; key_ends_[i] is where key i ends.
  std::string key_text_;
  std::vector<std::uint32_t> key_ends_;
};

/// owned(cmd): the command encoded now, to send later (see Owned).
template <Command Cmd>
Owned<Cmd> owned(const Cmd& cmd) {
  return Owned<Cmd>(cmd);
}

}  // namespace valkey
