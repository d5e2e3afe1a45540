// The multiplexed connection: queueing, auto-pipelined writes, in-order reply
// matching, push routing, deadlines, health checks and reconnection.
#include <valkey/connection.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#include <asio/post.hpp>

#include "detail/handshake.hpp"
#include "detail/transport.hpp"

namespace valkey {

namespace {
constexpr std::size_t kInitialReadBuffer = 16 * 1024;
constexpr std::size_t kInitialSlots = 64;

bool is_protocol_error(std::error_code ec) {
  if (ec.category() != category()) return false;
  auto e = static_cast<errc>(ec.value());
  return e >= errc::protocol_error && e <= errc::protocol_message_too_large;
}

// Errors a reconnect will not fix by itself: waiting requests fail with them.
bool is_configuration_error(std::error_code ec) {
  return ec == errc::auth_failed || ec == errc::handshake_failed || ec == errc::tls_error;
}
}  // namespace

// Sends each parsed node where it belongs: a push message to the push
// handler, anything else to the oldest written request.
class Connection::Router final : public resp::Visitor {
 public:
  enum class Target : std::uint8_t { none, push, reply, unsolicited };
  explicit Router(Connection& c) : c_(c) {}

  void on_node(const resp::Node& n) override {
    if (target == Target::none) {
      started = true;
      if (n.depth == 0 && n.type == resp::Type::push) {
        target = Target::push;
      } else if (c_.head_seq_ != c_.tail_seq_) {
        target = Target::reply;
        if (n.depth == 0 && resp::is_error(n.type) && c_.observer_) c_.observer_->on_error_reply(c_, n.value);
      } else {
        target = Target::unsolicited;
      }
    }
    if (target == Target::reply) {
      if (RequestBase* r = c_.slot(c_.head_seq_).req) r->on_node(n);
    } else if (target == Target::push && c_.push_) {
      c_.push_->on_node(n);
    }
  }
  void on_message_end() override {
    done = true;
    if (target == Target::reply) {
      if (RequestBase* r = c_.slot(c_.head_seq_).req) r->on_reply_end();
    } else if (target == Target::push && c_.push_) {
      c_.push_->on_message_end();
    }
  }
  void clear() noexcept {
    target = Target::none;
    done = false;
    started = false;
    holding = false;
  }

  Target target = Target::none;
  bool done = false;
  bool started = false;  // some node of the current message was delivered
  // PubsubRouter: a top-level array header waiting for its first element.
  bool holding = false;
  resp::Node held{};

 private:
  Connection& c_;
};

namespace {
// The arrays a RESP2 server sends in subscribed mode on its own: its first
// element (the kind) and the element count it comes with.
bool is_resp2_pubsub_kind(const resp::Node& first, std::size_t size) noexcept {
  if (first.depth != 1 || (first.type != resp::Type::bulk_string && first.type != resp::Type::simple_string))
    return false;
  const std::string_view k = first.value;
  if (size == 4) return k == "pmessage";
  if (size != 3) return false;
  return k == "message" || k == "smessage" || k == "subscribe" || k == "psubscribe" || k == "ssubscribe" ||
         k == "unsubscribe" || k == "punsubscribe" || k == "sunsubscribe";
}
}  // namespace

// The parser's visitor on a RESP2 connection in pub/sub mode. A top-level
// array is held back until its first element arrives (it may come in a later
// read): that element decides whether the array is a pub/sub message, for the
// push handler, or a reply. The Router does the rest, so requests, pushes and
// faults behave exactly as on any other connection.
class Connection::PubsubRouter final : public resp::Visitor {
 public:
  explicit PubsubRouter(Router& r) : r_(r) {}

  void on_node(const resp::Node& n) override {
    if (r_.holding) {
      r_.holding = false;
      if (is_resp2_pubsub_kind(n, r_.held.aggregate_size)) r_.target = Router::Target::push;
      r_.on_node(r_.held);  // the Router picks reply/unsolicited unless it is a push
    } else if (r_.target == Router::Target::none && n.depth == 0 && n.type == resp::Type::array &&
               (n.aggregate_size == 3 || n.aggregate_size == 4)) {
      r_.holding = true;
      r_.held = n;  // an aggregate header: no payload to keep alive
      r_.started = true;
      return;
    }
    r_.on_node(n);
  }
  void on_message_end() override { r_.on_message_end(); }

 private:
  Router& r_;
};

// One command of the handshake; records the first depth-0 error.
class Connection::HandshakeStep final : public RequestBase {
 public:
  void on_node(const resp::Node& n) override {
    if (n.depth == 0 && resp::is_error(n.type) && !failed) {
      failed = true;
      error.assign(n.value);
    }
  }
  void on_reply_end() override {}
  void on_complete(std::error_code ec) override {
    if (!ec) conn->on_step_done();
  }
  Connection* conn = nullptr;
  detail::StepKind kind = detail::StepKind::other;
  bool failed = false;
  std::string error;
};

// The idle health-check PING.
class Connection::Ping final : public RequestBase {
 public:
  void on_node(const resp::Node&) override {}
  void on_reply_end() override {}
  void on_complete(std::error_code) override {}
};

template <class T>
struct Connection::HandlerAllocator {
  using value_type = T;
  HandlerMemory* mem;
  explicit HandlerAllocator(HandlerMemory* m) noexcept : mem(m) {}
  template <class U>
  HandlerAllocator(const HandlerAllocator<U>& o) noexcept : mem(o.mem) {}
  T* allocate(std::size_t n) {
    const std::size_t bytes = sizeof(T) * n;
    if (!mem->in_use && bytes <= sizeof(mem->storage) && alignof(T) <= alignof(std::max_align_t)) {
      mem->in_use = true;
      return reinterpret_cast<T*>(mem->storage);
    }
    return static_cast<T*>(::operator new(bytes));
  }
  void deallocate(T* p, std::size_t) noexcept {
    if (reinterpret_cast<unsigned char*>(p) == mem->storage) mem->in_use = false;
    else ::operator delete(p);
  }
  template <class U>
  bool operator==(const HandlerAllocator<U>& o) const noexcept { return mem == o.mem; }
};

struct Connection::ReadHandler {
  std::shared_ptr<Connection> self;
  std::shared_ptr<detail::Transport> transport;  // alive until its operation returns
  std::uint64_t gen;
  using allocator_type = HandlerAllocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(&self->read_mem_); }
  void operator()(std::error_code ec, std::size_t n) { self->on_read(gen, ec, n); }
};

struct Connection::WriteHandler {
  std::shared_ptr<Connection> self;
  std::shared_ptr<detail::Transport> transport;
  std::uint64_t gen;
  using allocator_type = HandlerAllocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(&self->write_mem_); }
  void operator()(std::error_code ec, std::size_t) { self->on_write(gen, ec); }
};

std::shared_ptr<Connection> Connection::create(executor_type ex, Config config) {
  return std::make_shared<Connection>(Private{}, std::move(ex), std::move(config));
}

Connection::Connection(Private, executor_type ex, Config config)
    : ex_(std::move(ex)),
      config_(std::move(config)),
      rng_(static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(this) ^
                                 static_cast<std::uintptr_t>(clock::now().time_since_epoch().count()))),
      rbuf_(kInitialReadBuffer),
      parser_(config_.limits),
      router_(std::make_unique<Router>(*this)),
      reader_(router_.get()),
      ping_(std::make_unique<Ping>()),
      connect_timer_(ex_),
      deadline_timer_(ex_),
      health_timer_(ex_) {
  slots_.resize(kInitialSlots);
  ping_->internal_ = true;
  protocol_ = config_.protocol;
}

Connection::~Connection() = default;

void Connection::set_pubsub_mode(bool on) {
  pubsub_mode_ = on;
  if (on && !pubsub_router_) pubsub_router_ = std::make_unique<PubsubRouter>(*router_);
}

// The handshake always reads through the plain Router (its replies are never
// pub/sub arrays); once the protocol is known, a RESP2 pub/sub connection
// switches to the PubsubRouter. RESP3 connections never leave the Router.
void Connection::select_router() noexcept {
  const bool resp2_pubsub = pubsub_mode_ && state_ == ConnectionState::ready && protocol_ == Protocol::resp2;
  reader_ = resp2_pubsub ? static_cast<resp::Visitor*>(pubsub_router_.get()) : router_.get();
}

void Connection::expect_more_replies(RequestBase& r, std::uint32_t n) noexcept {
  if (r.state_ != RequestBase::State::written || head_seq_ == tail_seq_ || slot(head_seq_).req != &r) return;
  slot(head_seq_).replies_left += n;
}

// ---------------------------------------------------------------- queueing

std::error_code Connection::admit(RequestBase& r) {
  if (r.active() || r.expected_replies == 0) return make_error_code(errc::invalid_argument);
  if (state_ == ConnectionState::closed) return closed_ec_;
  if (config_.max_pending != 0 && pending() >= config_.max_pending &&
      config_.on_queue_full == QueueFullPolicy::fail)
    return make_error_code(errc::queue_full);
  if (state_ != ConnectionState::ready && ever_connected_ &&
      config_.when_disconnected == DisconnectedPolicy::fail)
    return make_error_code(errc::not_connected);
  r.retried_ = false;
  return {};
}

std::error_code Connection::submit_encoded(RequestBase& r, std::string_view bytes) {
  if (auto ec = admit(r)) return ec;
  const std::size_t begin = out_.size();
  out_.append(bytes);
  enqueue(r, begin);
  return {};
}

void Connection::enqueue(RequestBase& r, std::size_t begin) {
  r.begin_ = begin;
  r.end_ = out_.size();
  r.state_ = RequestBase::State::queued;
  link_back(r);
  if (r.deadline != clock::time_point::max()) arm_deadline(r.deadline);
  switch (state_) {
    case ConnectionState::ready:
      maybe_write();
      break;
    case ConnectionState::idle:
      start();
      break;
    default:
      if (ever_connected_) {
        r.wait_deadline_ = clock::now() + config_.connect_timeout;
        arm_deadline(r.wait_deadline_);
      }
      break;
  }
}

void Connection::link_back(RequestBase& r) {
  r.next_ = nullptr;
  r.prev_ = queue_tail_;
  if (queue_tail_) queue_tail_->next_ = &r;
  else queue_head_ = &r;
  queue_tail_ = &r;
  if (!r.internal_) ++queued_count_;
}

void Connection::unlink(RequestBase& r) {
  if (r.prev_) r.prev_->next_ = r.next_;
  else queue_head_ = r.next_;
  if (r.next_) r.next_->prev_ = r.prev_;
  else queue_tail_ = r.prev_;
  r.prev_ = r.next_ = nullptr;
  if (!r.internal_) --queued_count_;
}

// Takes a queued request out, bytes included.
void Connection::remove_queued(RequestBase& r) {
  const std::size_t len = r.end_ - r.begin_;
  out_.erase(r.begin_, len);
  for (RequestBase* q = r.next_; q; q = q->next_) {
    q->begin_ -= len;
    q->end_ -= len;
  }
  unlink(r);
}

void Connection::cancel(RequestBase& r, std::error_code ec) {
  if (r.state_ == RequestBase::State::queued) {
    remove_queued(r);
  } else if (r.state_ == RequestBase::State::written) {
    slot(r.seq_).req = nullptr;  // the reply still comes: discard it then
    if (!r.internal_) --inflight_count_;
  } else {
    return;
  }
  r.state_ = RequestBase::State::done;
  r.on_complete(ec);
}

// ------------------------------------------------------------------ slots

void Connection::push_slot(RequestBase& r) {
  if (tail_seq_ - head_seq_ == slots_.size()) {
    std::vector<Slot> bigger(slots_.size() * 2);
    for (std::uint64_t s = head_seq_; s != tail_seq_; ++s) bigger[s & (bigger.size() - 1)] = slot(s);
    slots_.swap(bigger);
  }
  r.seq_ = tail_seq_;
  slot(tail_seq_++) = Slot{&r, r.expected_replies};
}

void Connection::pop_slot() { ++head_seq_; }

// ------------------------------------------------------------------ output

void Connection::maybe_write(bool direct) {
  if (writing_ || held_ || state_ != ConnectionState::ready || !queue_head_) return;
  const std::size_t limit = config_.max_pending ? config_.max_pending : static_cast<std::size_t>(-1);
  std::size_t cut = 0;
  RequestBase* r = queue_head_;
  while (r && (r->internal_ || inflight_count_ < limit)) {
    RequestBase* next = r->next_;
    cut = r->end_;
    unlink(*r);
    r->state_ = RequestBase::State::written;
    push_slot(*r);
    if (!r->internal_) ++inflight_count_;
    ++stats_.requests_written;
    r = next;
  }
  if (cut == 0) return;
  if (!queue_head_) {
    wbuf_.swap(out_);
    out_.clear();
  } else {
    // Backpressure: only part of the queue may go; the rest waits for replies.
    wbuf_.assign(out_, 0, cut);
    out_.erase(0, cut);
    for (RequestBase* q = queue_head_; q; q = q->next_) {
      q->begin_ -= cut;
      q->end_ -= cut;
    }
  }
  if (direct) {
    const std::size_t n = transport_->try_write(asio::buffer(wbuf_));
    if (n == wbuf_.size()) {
      ++stats_.writes;
      wbuf_.clear();
      return;
    }
    wbuf_.erase(0, n);  // the rest (or all, on EAGAIN or an error) asynchronously
  }
  write_buffer();
}

void Connection::write_buffer() {
  writing_ = true;
  ++stats_.writes;
  transport_->async_write(asio::buffer(wbuf_), WriteHandler{shared_from_this(), transport_, gen_});
}

void Connection::on_write(std::uint64_t gen, std::error_code ec) {
  if (gen != gen_) return;
  writing_ = false;
  wbuf_.clear();
  if (ec) return connection_lost(ec);
  if (handshake_after_write_) {
    handshake_after_write_ = false;
    return send_handshake();
  }
  maybe_write();
}

// ------------------------------------------------------------------- input

void Connection::start_read() {
  if (rbuf_.size() - rend_ < 4096 || rbuf_.size() - rend_ < parser_.bytes_needed_hint()) {
    std::size_t want = std::max({rbuf_.size() * 2, rend_ + parser_.bytes_needed_hint(), kInitialReadBuffer});
    rbuf_.resize(want);
  }
  transport_->async_read_some(asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_),
                              ReadHandler{shared_from_this(), transport_, gen_});
}

void Connection::on_read(std::uint64_t gen, std::error_code ec, std::size_t n) {
  if (gen != gen_) return;
  if (ec) return connection_lost(ec);
  ++stats_.reads;
  rend_ += n;
  bytes_read_ += n;
  if (!process_input()) return;
  start_read();
}

bool Connection::process_input() {
  const std::uint64_t gen = gen_;
  while (rpos_ < rend_) {
    std::error_code ec;
    const std::size_t used = parser_.consume({rbuf_.data() + rpos_, rend_ - rpos_}, *reader_, ec);
    rpos_ += used;
    if (ec) {
      connection_lost(ec);
      return false;
    }
    if (!router_->done) break;  // the rest of the message is still on its way
    const auto target = router_->target;
    router_->clear();
    if (target == Router::Target::unsolicited) {
      connection_lost(make_error_code(errc::protocol_error));
      return false;
    }
    if (target != Router::Target::reply) continue;
    Slot& s = slot(head_seq_);
    if (--s.replies_left != 0) continue;
    RequestBase* r = s.req;
    pop_slot();
    if (!r) continue;
    r->state_ = RequestBase::State::done;
    if (!r->internal_) --inflight_count_;
    r->on_complete({});  // may run user code: submit, cancel, close, reset
    if (gen != gen_ || state_ == ConnectionState::closed) return false;
  }
  if (rpos_ == rend_) {
    rpos_ = rend_ = 0;
  } else if (rpos_ > 0 && rbuf_.size() - rend_ < 4096) {
    std::memmove(rbuf_.data(), rbuf_.data() + rpos_, rend_ - rpos_);
    rend_ -= rpos_;
    rpos_ = 0;
  }
  maybe_write();
  return true;
}

// ----------------------------------------------------- connect / handshake

void Connection::start() {
  if (state_ != ConnectionState::idle) return;
  connect();
}

void Connection::connect() {
  state_ = ConnectionState::connecting;
  ++gen_;
  last_error_.clear();
  transport_ = std::make_shared<detail::Transport>(ex_, config_);
  arm_connect_timer();
  transport_->async_connect([self = shared_from_this(), gen = gen_](std::error_code ec) {
    self->on_transport_ready(gen, ec);
  });
}

void Connection::arm_connect_timer() {
  if (config_.connect_timeout.count() <= 0) return;
  connect_timer_.expires_after(config_.connect_timeout);
  connect_timer_.async_wait([self = shared_from_this(), gen = gen_](std::error_code ec) {
    if (ec || gen != self->gen_) return;
    if (self->state_ == ConnectionState::connecting || self->state_ == ConnectionState::handshaking) {
      self->last_error_ = "connect timeout to " + self->config_.endpoint();
      self->attempt_failed(make_error_code(errc::timeout));
    }
  });
}

void Connection::on_transport_ready(std::uint64_t gen, std::error_code ec) {
  if (gen != gen_) return;
  if (ec) {
    if (ec == errc::tls_error) last_error_ = "TLS: " + transport_->last_error_text();
    else last_error_ = ec.message() + " (" + config_.endpoint() + ")";
    return attempt_failed(ec);
  }
  state_ = ConnectionState::handshaking;
  hello_fallback_ = config_.protocol == Protocol::resp2;
  parser_.reset();
  router_->clear();
  reader_ = router_.get();
  rpos_ = rend_ = 0;
  start_read();
  send_handshake();
}

void Connection::send_handshake() {
  if (writing_) {
    // A fallback plan can be ready before the first plan's write completion
    // ran: send it from on_write.
    handshake_after_write_ = true;
    return;
  }
  auto plan = detail::plan_handshake(config_, hello_fallback_);
  steps_ = std::make_unique<HandshakeStep[]>(plan.size());
  steps_total_ = plan.size();
  steps_done_ = 0;
  wbuf_.clear();
  for (std::size_t i = 0; i < plan.size(); ++i) {
    HandshakeStep& s = steps_[i];
    s.conn = this;
    s.kind = plan[i].kind;
    s.internal_ = true;
    resp::Writer w(wbuf_);
    w.begin_command(plan[i].args.size());
    for (const auto& a : plan[i].args) w.arg(a);
    s.state_ = RequestBase::State::written;
    push_slot(s);
  }
  write_buffer();
}

void Connection::on_step_done() {
  if (++steps_done_ != steps_total_) return;
  std::vector<detail::StepResult> results;
  results.reserve(steps_total_);
  for (std::size_t i = 0; i < steps_total_; ++i)
    results.push_back({steps_[i].kind, steps_[i].failed, steps_[i].error});
  auto verdict = detail::judge_handshake(results);
  if (verdict.retry_resp2 && !hello_fallback_) {
    hello_fallback_ = true;
    // the write of the first plan is complete (all its replies arrived)
    return send_handshake();
  }
  if (verdict.ec) {
    last_error_ = verdict.message;
    return attempt_failed(verdict.ec);
  }
  protocol_ = hello_fallback_ ? Protocol::resp2 : Protocol::resp3;
  became_ready();
}

void Connection::became_ready() {
  state_ = ConnectionState::ready;
  select_router();
  ever_connected_ = true;
  attempt_ = 0;
  ++stats_.connects;
  connect_timer_.cancel();
  health_bytes_ = bytes_read_;
  health_head_ = ~0ull;
  arm_health_timer();
  for (RequestBase* q = queue_head_; q; q = q->next_) q->wait_deadline_ = clock::time_point::max();
  if (observer_) observer_->on_connected(*this);
  if (state_ == ConnectionState::ready) maybe_write();
}

// ------------------------------------------------------------------ faults

void Connection::teardown() {
  ++gen_;
  if (transport_) transport_->close();
  writing_ = false;
  handshake_after_write_ = false;
  wbuf_.clear();
  parser_.reset();
  rpos_ = rend_ = 0;
  connect_timer_.cancel();
  health_timer_.cancel();
}

// Unlinks every queued request into a chain (through next_), clearing out_.
RequestBase* Connection::detach_queued() {
  RequestBase* head = queue_head_;
  for (RequestBase* q = head; q; q = q->next_) {
    q->state_ = RequestBase::State::done;
    if (!q->internal_) --queued_count_;
    if (!q->next_) break;
  }
  // internal requests (a pending PING) are not owned by callers: drop them
  RequestBase* chain = nullptr;
  RequestBase** tail = &chain;
  for (RequestBase* q = head; q;) {
    RequestBase* next = q->next_;
    if (q->internal_) {
      q->state_ = RequestBase::State::idle;
      q->prev_ = q->next_ = nullptr;
    } else {
      q->prev_ = nullptr;
      q->next_ = nullptr;
      *tail = q;
      tail = &q->next_;
    }
    q = next;
  }
  queue_head_ = queue_tail_ = nullptr;
  out_.clear();
  return chain;
}

// Empties the slots: returns the chain of requests that fail; read-only ones
// the policy lets go again are re-queued instead.
RequestBase* Connection::detach_inflight(bool allow_retry, bool head_partial) {
  RequestBase* chain = nullptr;
  RequestBase** tail = &chain;
  for (std::uint64_t s = head_seq_; s != tail_seq_; ++s) {
    Slot& sl = slot(s);
    RequestBase* r = sl.req;
    if (!r) continue;
    if (r->internal_) {
      r->state_ = RequestBase::State::idle;
      continue;
    }
    --inflight_count_;
    const bool untouched = sl.replies_left == r->expected_replies && !(s == head_seq_ && head_partial);
    if (allow_retry && untouched && !r->retried_ && has(r->flags, CommandFlag::readonly)) {
      const std::size_t begin = out_.size();
      resp::Writer w(out_);
      bool ok = false;
      try {
        ok = r->reencode(w);
      } catch (...) {
        ok = false;
      }
      if (ok) {
        r->retried_ = true;
        r->begin_ = begin;
        r->end_ = out_.size();
        r->state_ = RequestBase::State::queued;
        link_back(*r);
        continue;
      }
      out_.resize(begin);
    }
    r->state_ = RequestBase::State::done;
    r->next_ = nullptr;
    *tail = r;
    tail = &r->next_;
  }
  head_seq_ = tail_seq_ = 0;
  return chain;
}

void Connection::complete_chain(RequestBase* head, std::error_code ec) {
  while (head) {
    RequestBase* next = head->next_;
    head->next_ = nullptr;
    head->on_complete(ec);  // may destroy *head
    head = next;
  }
}

void Connection::connection_lost(std::error_code cause) {
  if (state_ == ConnectionState::closed) return;
  if (state_ != ConnectionState::ready) return attempt_failed(cause);
  const bool head_partial = router_->started;
  router_->clear();
  // A broken reply belongs to the oldest request: it gets the protocol error,
  // the others the plain connection loss.
  RequestBase* broken = nullptr;
  if (is_protocol_error(cause) && head_seq_ != tail_seq_ && slot(head_seq_).req &&
      !slot(head_seq_).req->internal_) {
    broken = slot(head_seq_).req;
    slot(head_seq_).req = nullptr;
    --inflight_count_;
    broken->state_ = RequestBase::State::done;
  }
  teardown();
  RequestBase* lost = detach_inflight(config_.retry_readonly, head_partial);
  state_ = ConnectionState::reconnecting;
  const auto wait_until = clock::now() + config_.connect_timeout;
  for (RequestBase* q = queue_head_; q; q = q->next_) {
    q->wait_deadline_ = wait_until;
  }
  if (queue_head_) arm_deadline(wait_until);
  if (observer_) observer_->on_disconnected(*this, cause);
  const std::uint64_t gen = gen_;
  if (broken) broken->on_complete(cause);
  // A dead peer is worth naming; any other loss is connection_lost.
  complete_chain(lost, cause == errc::health_check_failed ? cause : make_error_code(errc::connection_lost));
  if (gen == gen_ && state_ == ConnectionState::reconnecting) schedule_reconnect();
}

void Connection::attempt_failed(std::error_code ec) {
  if (state_ == ConnectionState::closed) return;
  router_->clear();
  teardown();
  // Handshake steps are internal; nothing user-owned is in flight yet.
  detach_inflight(false, false);
  state_ = ConnectionState::reconnecting;
  if (observer_) observer_->on_disconnected(*this, ec);
  const std::uint64_t gen = gen_;
  // Never connected (a wrong address, password or certificate is the likely
  // cause) or a failure a retry will not fix: the waiting requests get the
  // reason now instead of hanging.
  if (!ever_connected_ || is_configuration_error(ec)) {
    complete_chain(detach_queued(), ec);
  }
  if (gen == gen_ && state_ == ConnectionState::reconnecting) schedule_reconnect();
}

void Connection::schedule_reconnect() {
  const ReconnectPolicy& p = config_.reconnect;
  if (!p.enabled || (p.max_attempts != 0 && attempt_ >= p.max_attempts)) {
    state_ = ConnectionState::closed;
    closed_ec_ = make_error_code(errc::not_connected);
    complete_chain(detach_queued(), closed_ec_);
    return;
  }
  double delay = static_cast<double>(p.initial_delay.count()) *
                 std::pow(p.multiplier, static_cast<double>(std::min(attempt_, 30u)));
  delay = std::min(delay, static_cast<double>(p.max_delay.count()));
  if (p.jitter > 0) {
    std::uniform_real_distribution<double> d(1.0 - p.jitter, 1.0 + p.jitter);
    delay *= d(rng_);
  }
  ++attempt_;
  connect_timer_.expires_after(std::chrono::milliseconds(static_cast<std::int64_t>(delay)));
  connect_timer_.async_wait([self = shared_from_this(), gen = gen_](std::error_code ec) {
    if (ec || gen != self->gen_ || self->state_ != ConnectionState::reconnecting) return;
    self->connect();
  });
}

void Connection::reset(std::error_code why) {
  if (state_ == ConnectionState::ready || state_ == ConnectionState::connecting ||
      state_ == ConnectionState::handshaking)
    connection_lost(why);
}

void Connection::close() {
  if (state_ == ConnectionState::closed) return;
  state_ = ConnectionState::closed;
  closed_ec_ = make_error_code(errc::connection_closed);
  router_->clear();
  teardown();
  deadline_timer_.cancel();
  RequestBase* lost = detach_inflight(false, false);
  RequestBase* queued = detach_queued();
  complete_chain(lost, closed_ec_);
  complete_chain(queued, closed_ec_);
}

// --------------------------------------------------------------- deadlines

void Connection::arm_deadline(clock::time_point t) {
  if (t >= deadline_armed_) return;
  deadline_armed_ = t;
  deadline_timer_.expires_at(t);
  deadline_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec) return;
    self->deadline_armed_ = clock::time_point::max();
    self->on_deadline_timer();
  });
}

void Connection::on_deadline_timer() {
  if (state_ == ConnectionState::closed) return;
  const auto now = clock::now();
  const bool connected = state_ == ConnectionState::ready;
  RequestBase* timed_out = nullptr;
  RequestBase* not_connected = nullptr;
  auto next = clock::time_point::max();
  for (RequestBase* q = queue_head_; q;) {
    RequestBase* following = q->next_;
    if (!q->internal_ && (q->deadline <= now || (!connected && q->wait_deadline_ <= now))) {
      const bool by_deadline = q->deadline <= now;
      remove_queued(*q);
      q->state_ = RequestBase::State::done;
      RequestBase*& chain = by_deadline ? timed_out : not_connected;
      q->next_ = chain;
      chain = q;
    } else {
      next = std::min(next, q->deadline);
      if (!connected) next = std::min(next, q->wait_deadline_);
    }
    q = following;
  }
  for (std::uint64_t s = head_seq_; s != tail_seq_; ++s) {
    RequestBase* r = slot(s).req;
    if (!r || r->internal_) continue;
    if (r->deadline <= now) {
      slot(s).req = nullptr;  // the reply is discarded when it comes
      --inflight_count_;
      r->state_ = RequestBase::State::done;
      r->next_ = timed_out;
      timed_out = r;
    } else {
      next = std::min(next, r->deadline);
    }
  }
  if (next != clock::time_point::max()) arm_deadline(next);
  complete_chain(timed_out, make_error_code(errc::timeout));
  complete_chain(not_connected, make_error_code(errc::not_connected));
}

// ------------------------------------------------------------ health check

void Connection::arm_health_timer() {
  if (config_.health_check_interval.count() <= 0) return;
  health_timer_.expires_after(config_.health_check_interval);
  health_timer_.async_wait([self = shared_from_this(), gen = gen_](std::error_code ec) {
    if (ec || gen != self->gen_ || self->state_ != ConnectionState::ready) return;
    self->on_health_tick();
  });
}

void Connection::on_health_tick() {
  const bool waiting = head_seq_ != tail_seq_;
  const bool progress = bytes_read_ != health_bytes_;
  // The same reply has been awaited for a whole interval without a byte.
  if (waiting && !progress && health_head_ == head_seq_) {
    last_error_ = "health check failed: no reply from " + config_.endpoint();
    return connection_lost(make_error_code(errc::health_check_failed));
  }
  if (!waiting && !progress && health_writes_ == stats_.writes && !ping_->active()) {
    ++stats_.pings;
    static constexpr std::string_view ping = "*1\r\n$4\r\nPING\r\n";
    ping_->expected_replies = 1;
    const std::size_t begin = out_.size();
    out_.append(ping);
    enqueue(*ping_, begin);
  }
  health_bytes_ = bytes_read_;
  health_writes_ = stats_.writes;
  health_head_ = head_seq_ != tail_seq_ ? head_seq_ : ~0ull;
  arm_health_timer();
}

}  // namespace valkey
