// Commands the generated table does not know (modules): COMMAND INFO asked
// once per name, the jobs that need it held until it answers.
#include <valkey/cluster/router.hpp>

#include <span>
#include <utility>

#include <asio/post.hpp>

#include <valkey/resp/writer.hpp>

#include "cluster/router_internal.hpp"
#include "detail/ascii.hpp"

namespace valkey::cluster {

// COMMAND INFO <name> for a command the generated table does not know.
struct Router::Lookup final : Built {
  using Built::Built;
  std::string name;  // upper case
  std::string bytes;
  std::shared_ptr<Connection> conn;

  void on_complete(std::error_code ec) override {
    const std::shared_ptr<Router> hold = router.shared_from_this();
    router.looked_up(*this, ec);
  }
};

bool Router::route_or_wait(Job& job, std::span<const std::string_view> argv, Route& r) {
  r = route(argv);
  if (r.info || argv.empty()) return false;
  const std::string_view sub = argv.size() > 1 ? argv[1] : std::string_view{};
  if (const CommandInfo* described = server_commands_.find(argv[0], sub)) {
    r = route(*described, argv);
    return false;
  }
  if (!wait_for_description(job, argv[0])) return false;
  job.parts_.clear();  // none was sent
  return true;
}

bool Router::wait_for_description(Job& job, std::string_view name) {
  if (job.looked_up_) return false;  // asked for it already: routed as an unknown command
  std::string key = valkey::detail::ascii_upper(name);
  if (described_.count(key)) return false;  // the server does not know it either
  const Node* node = pick_primary();
  if (!node) return false;
  job.looked_up_ = true;
  auto [waiting, first] = describing_.try_emplace(key);
  waiting->second.push_back(&job);
  if (!first) return true;  // asked already: waits with the others

  auto* l = new Lookup(*this);
  keep(*l);
  l->name = key;
  {
    resp::Writer w(l->bytes);
    w.begin_command(3);
    w.arg(std::string_view{"COMMAND"});
    w.arg(std::string_view{"INFO"});
    w.arg(std::string_view{key});
  }
  if (config_.node.request_timeout.count() > 0) l->deadline = clock::now() + config_.node.request_timeout;
  l->conn = connection(node->host, node->port);
  if (std::error_code ec = l->conn->submit_encoded(*l, l->bytes))  // as a failed lookup, not inside this call
    asio::post(ex_, [self = shared_from_this(), l, ec] { l->on_complete(ec); });
  return true;
}

void Router::looked_up(Lookup& l, std::error_code ec) {
  struct Done {  // the lookup ends with this call, however it returns
    Router& router;
    Lookup& lookup;
    ~Done() { router.release(lookup); }
  } done{*this, l};
  // An answer, even an error (COMMAND refused by an ACL) or a null entry
  // (the server does not know the name), is kept: the name is not asked
  // again. A lost connection is not: the next job naming it asks again.
  if (!ec) {
    if (!l.reply.is_error()) server_commands_.add(l.reply);
    described_.insert(l.name);
  }
  auto it = describing_.find(l.name);
  if (it == describing_.end()) return;  // close() failed the waiting jobs
  std::vector<Job*> jobs = std::move(it->second);
  describing_.erase(it);
  for (Job* j : jobs) {
    if (closed_) fail(*j, make_error_code(errc::connection_closed), {});
    else start(*j);  // routed by the description, or as an unknown command
  }
}

}  // namespace valkey::cluster
