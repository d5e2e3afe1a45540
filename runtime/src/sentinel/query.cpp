// A short-lived connection that sends a few commands and collects replies.
#include <valkey/sentinel/query.hpp>

#include <asio/post.hpp>

#include <valkey/connection.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey::sentinel {
namespace {

class Query final : public RequestBase {
 public:
  Query(std::shared_ptr<Connection> c, std::size_t n, QueryDone done)
      : conn_(std::move(c)), done_(std::move(done)) {
    replies_.resize(n);
  }

  void on_node(const resp::Node& node) override {
    if (next_ < replies_.size() && assembler_.feed(node, replies_[next_])) ++next_;
  }
  void on_reply_end() override {}
  void on_complete(std::error_code ec) override {
    std::string why = ec ? conn_->last_error() : std::string{};
    if (ec && why.empty()) why = ec.message();
    conn_->close();
    // The connection calls this from its read path: hand the result over
    // from a handler of its own, and free this request there.
    asio::post(conn_->get_executor(), [self = std::move(self_), ec, why = std::move(why)]() mutable {
      std::vector<Reply> replies;
      if (!ec) replies = std::move(self->replies_);
      QueryDone done = std::move(self->done_);
      self.reset();
      done(ec, std::move(replies), std::move(why));
    });
  }

  std::unique_ptr<Query> self_;  // the request owns itself until it completed

 private:
  std::shared_ptr<Connection> conn_;
  QueryDone done_;
  std::vector<Reply> replies_;
  std::size_t next_ = 0;
  detail::ReplyAssembler assembler_;
};

}  // namespace

std::shared_ptr<Connection> query(asio::any_io_executor ex, Config config,
                                  const std::vector<std::vector<std::string>>& commands, QueryDone done) {
  config.reconnect.enabled = false;
  config.health_check_interval = std::chrono::milliseconds(0);
  if (config.connect_timeout.count() <= 0) config.connect_timeout = std::chrono::milliseconds(5000);
  const auto limit = 2 * config.connect_timeout;
  auto conn = Connection::create(std::move(ex), std::move(config));
  auto q = std::make_unique<Query>(conn, commands.size(), std::move(done));
  std::string bytes;
  resp::Writer w(bytes);
  for (const auto& c : commands) {
    w.begin_command(c.size());
    for (const std::string& a : c) w.arg(std::string_view{a});
  }
  q->expected_replies = static_cast<std::uint32_t>(commands.size());
  q->deadline = RequestBase::clock::now() + limit;
  Query& r = *q;
  r.self_ = std::move(q);
  if (auto ec = conn->submit_encoded(r, bytes)) {
    // Refused before it was queued: complete it the same way, posted.
    r.on_complete(ec);
  }
  return conn;
}

}  // namespace valkey::sentinel
