// The connection's request/reply bookkeeping: queue, batches, reply ring,
// deadlines. No I/O; see valkey/mux/multiplexer.hpp.
#include <valkey/mux/multiplexer.hpp>

#include <algorithm>
#include <cstring>

#include <valkey/error.hpp>

#include "mux/routers.hpp"

namespace valkey {

namespace {
constexpr std::size_t kInitialReadBuffer = 16 * 1024;
constexpr std::size_t kMinReadRoom = 4096;
constexpr std::size_t kInitialSlots = 64;

bool is_protocol_error(std::error_code ec) {
  if (ec.category() != category()) return false;
  auto e = static_cast<errc>(ec.value());
  return e >= errc::protocol_error && e <= errc::protocol_message_too_large;
}
}  // namespace

// ---------------------------------------------------------- completions

std::size_t Multiplexer::Completions::size() const noexcept {
  std::size_t n = 0;
  for (RequestBase* r = head_; r; r = r->next_) ++n;
  return n;
}

void Multiplexer::Completions::add(RequestBase& r, std::error_code ec) noexcept {
  r.result_ = ec;
  r.next_ = nullptr;
  if (tail_) tail_->next_ = &r;
  else head_ = &r;
  tail_ = &r;
}

void Multiplexer::Completions::splice(Completions&& o) noexcept {
  if (!o.head_) return;
  if (tail_) tail_->next_ = o.head_;
  else head_ = o.head_;
  tail_ = o.tail_;
  o.head_ = o.tail_ = nullptr;
}

void Multiplexer::Completions::run() {
  while (RequestBase* r = head_) {
    head_ = r->next_;
    if (!head_) tail_ = nullptr;
    r->next_ = nullptr;
    const std::error_code ec = r->result_;
    r->on_complete(ec);  // may destroy *r
  }
}

// ---------------------------------------------------------------- setup

Multiplexer::Multiplexer(Options options)
    : options_(std::move(options)),
      slots_(kInitialSlots),
      rbuf_(kInitialReadBuffer),
      parser_(options_.limits),
      router_(std::make_unique<Router>(*this)),
      pubsub_router_(std::make_unique<PubsubRouter>(*router_)),
      reader_(router_.get()) {
  db_known_ = options_.database;
}

Multiplexer::~Multiplexer() = default;

// ------------------------------------------------------------- queueing

std::error_code Multiplexer::admit(const RequestBase& r, bool fail_when_full) const noexcept {
  if (r.active() || r.expected_replies == 0) return make_error_code(errc::invalid_argument);
  if (fail_when_full && options_.max_pending != 0 && pending() >= options_.max_pending)
    return make_error_code(errc::queue_full);
  return {};
}

void Multiplexer::add_encoded(RequestBase& r, std::string_view bytes, time_point now) {
  const std::size_t begin = base_ + out_.size();
  out_.append(bytes);
  enqueue(r, begin, now);
}

void Multiplexer::add_internal(RequestBase& r, std::string_view bytes) {
  r.internal_ = true;
  const std::size_t begin = base_ + out_.size();
  out_.append(bytes);
  r.begin_ = begin;
  r.end_ = base_ + out_.size();
  r.state_ = RequestBase::State::queued;
  link_back(r);
}

void Multiplexer::enqueue(RequestBase& r, std::size_t begin, time_point now) {
  r.begin_ = begin;
  r.end_ = base_ + out_.size();
  r.state_ = RequestBase::State::queued;
  r.retried_ = false;
  r.sent_ = false;
  r.result_ = {};
  // While disconnected (after a first connection) a request waits at most
  // wait_timeout for the next one. Requests queued later wait until later,
  // so the queue stays ordered by this deadline.
  r.wait_deadline_ = (!connected_ && ever_connected_) ? now + options_.wait_timeout : time_point::max();
#ifndef VALKEY_CPP_NO_POLICY_HOOK  // defined only to measure this test's cost (scripts/bench-hook-cost.sh policy)
  if (connected_ && options_.queue_timeout.count() > 0 && options_.max_pending != 0 &&
      inflight_count_ + queued_count_ >= options_.max_pending) [[unlikely]]
    r.wait_deadline_ = now + options_.queue_timeout;  // behind the bound: its wait is timed
#endif
  link_back(r);
  if (r.deadline != time_point::max()) track_deadline(r);
}

void Multiplexer::link_back(RequestBase& r) noexcept {
  r.next_ = nullptr;
  r.prev_ = queue_tail_;
  if (queue_tail_) queue_tail_->next_ = &r;
  else queue_head_ = &r;
  queue_tail_ = &r;
  if (!r.internal_) ++queued_count_;
}

void Multiplexer::unlink(RequestBase& r) noexcept {
  if (r.prev_) r.prev_->next_ = r.next_;
  else queue_head_ = r.next_;
  if (r.next_) r.next_->prev_ = r.prev_;
  else queue_tail_ = r.prev_;
  r.prev_ = r.next_ = nullptr;
  if (!r.internal_) --queued_count_;
}

// With no request queued every byte in out_ is a hole: drop them.
void Multiplexer::drop_output_if_idle() noexcept {
  if (queue_head_) return;
  base_ += out_.size();
  out_.clear();
}

void Multiplexer::take(RequestBase& r, std::error_code ec, Completions& out) noexcept {
  if (r.state_ == RequestBase::State::queued) {
    unlink(r);
    drop_output_if_idle();
  } else if (r.state_ == RequestBase::State::written) {
    slot(r.seq_).req = nullptr;  // the reply still comes: discarded then
    if (!r.internal_) --inflight_count_;
  }
  untrack_deadline(r);
  r.state_ = RequestBase::State::done;
  out.add(r, ec);
}

bool Multiplexer::cancel(RequestBase& r, std::error_code ec, Completions& out) noexcept {
  if (!r.active() || r.internal_) return false;
  // A request of another multiplexer is not ours to touch.
  if (r.state_ == RequestBase::State::written) {
    if (r.seq_ - head_seq_ >= tail_seq_ - head_seq_ || slot(r.seq_).req != &r) return false;
  }
  take(r, ec, out);
  return true;
}

void Multiplexer::expect_more_replies(RequestBase& r, std::uint32_t n) noexcept {
  if (r.state_ != RequestBase::State::written || head_seq_ == tail_seq_ || slot(head_seq_).req != &r) return;
  slot(head_seq_).replies_left += n;
}

// ---------------------------------------------------------------- slots

Multiplexer::Slot& Multiplexer::next_slot() {
  if (tail_seq_ - head_seq_ == slots_.size()) {
    std::vector<Slot> bigger(slots_.size() * 2);
    for (std::uint64_t s = head_seq_; s != tail_seq_; ++s) bigger[s & (bigger.size() - 1)] = slot(s);
    slots_.swap(bigger);
  }
  return slot(tail_seq_++);
}

void Multiplexer::push_slot(RequestBase& r) {
  r.seq_ = tail_seq_;
  next_slot() = Slot{&r, r.expected_replies};
}

// -------------------------------------------------------------- writing

std::string_view Multiplexer::next_write() {
  // Nothing queued: nothing to batch (the common case after a reply).
  if (wpos_ == wbuf_.size() && connected_ && queue_head_) build_batch();
  return std::string_view(wbuf_).substr(wpos_);
}

void Multiplexer::on_written(std::size_t n) noexcept {
  wpos_ += n;
  if (wpos_ >= wbuf_.size()) {
    wbuf_.clear();
    wpos_ = 0;
  }
}

// Moves queued requests into the ring and their bytes into wbuf_. The whole
// output leaves by a swap when it holds exactly the batch; otherwise (holes,
// or backpressure keeping a tail back) the requests' ranges are copied, which
// costs the batch's size, never the queue's.
void Multiplexer::build_batch() {
  wbuf_.clear();
  wpos_ = 0;
  if (select_alone_) [[unlikely]]
    return;  // nothing goes behind a SELECT of a database not known yet
  const std::size_t limit = options_.max_pending ? options_.max_pending : static_cast<std::size_t>(-1);
  std::size_t run_begin = 0, run_end = 0;
  bool any = false, contiguous = true;
  RequestBase* r = queue_head_;
  while (r && (r->internal_ || inflight_count_ < limit)) {
    RequestBase* next = r->next_;
    if (r->database != db_) [[unlikely]] {
      contiguous = false;  // a SELECT may go between the runs
      if (!write_select(*r, run_begin, run_end, any)) break;
    }
    if (!any) {
      run_begin = r->begin_;
      run_end = r->end_;
      any = true;
    } else if (r->begin_ == run_end) {
      run_end = r->end_;
    } else {
      wbuf_.append(out_, run_begin - base_, run_end - run_begin);
      run_begin = r->begin_;
      run_end = r->end_;
      contiguous = false;
    }
    unlink(*r);
    r->state_ = RequestBase::State::written;
    r->sent_ = true;
    push_slot(*r);
    if (!r->internal_) ++inflight_count_;
    ++requests_written_;
    r = next;
  }
  if (!any && wbuf_.empty()) return;
  if (contiguous && !queue_head_ && run_begin == base_ && run_end == base_ + out_.size()) {
    wbuf_.swap(out_);
    out_.clear();
    base_ = run_end;
    return;
  }
  if (any) wbuf_.append(out_, run_begin - base_, run_end - run_begin);
  if (!queue_head_) {
    drop_output_if_idle();
    return;
  }
  // Backpressure left requests queued: drop the sent prefix once it is the
  // larger part, so the bytes moved stay proportional to the bytes sent.
  const std::size_t keep_from = queue_head_->begin_ - base_;
  if (keep_from * 2 >= out_.size()) {
    out_.erase(0, keep_from);
    base_ += keep_from;
  }
}

bool Multiplexer::write_select(RequestBase& r, std::size_t& run_begin, std::size_t& run_end, bool& any) {
  if (r.internal_) return true;  // a health-check PING runs in any database
  const std::int32_t want = r.database < 0 ? options_.database : r.database;
  const std::int32_t have = db_ < 0 ? options_.database : db_;
  if (want == have) return true;  // the same database, spelled differently
  if (any) {
    wbuf_.append(out_, run_begin - base_, run_end - run_begin);
    any = false;
  }
  resp::Writer w(wbuf_);
  w.begin_command(2);
  w.arg(std::string_view{"SELECT"});
  w.arg(static_cast<std::int64_t>(want));
  ++selects_written_;
  const bool known = want <= db_known_;
  next_slot() = Slot{nullptr, 1, known ? SlotKind::select : SlotKind::select_alone};
  if (known) {
    db_ = r.database;
    return true;
  }
  select_alone_ = true;
  db_waiting_ = r.database;
  return false;
}

// -------------------------------------------------------------- reading

std::span<char> Multiplexer::read_space() {
  const std::size_t hint = parser_.bytes_needed_hint();
  if (rbuf_.size() - rend_ < kMinReadRoom || rbuf_.size() - rend_ < hint) {
    if (rpos_ > 0) {
      std::memmove(rbuf_.data(), rbuf_.data() + rpos_, rend_ - rpos_);
      rend_ -= rpos_;
      rpos_ = 0;
    }
    if (rbuf_.size() - rend_ < kMinReadRoom || rbuf_.size() - rend_ < hint) {
      rbuf_.resize(std::max({rbuf_.size() * 2, rend_ + hint, rend_ + kMinReadRoom, kInitialReadBuffer}));
    }
  }
  return {rbuf_.data() + rend_, rbuf_.size() - rend_};
}

Multiplexer::ReadResult Multiplexer::commit_read(std::size_t n) {
  rend_ += n;
  bytes_read_ += n;
  return process();
}

Multiplexer::ReadResult Multiplexer::on_read(std::string_view bytes) {
  while (!bytes.empty()) {
    std::span<char> room = read_space();
    const std::size_t n = std::min(room.size(), bytes.size());
    std::memcpy(room.data(), bytes.data(), n);
    rend_ += n;
    bytes_read_ += n;
    bytes.remove_prefix(n);
  }
  return process();
}

void Multiplexer::consume_unread(std::size_t n) noexcept {
  rpos_ += n;
  if (rpos_ == rend_) rpos_ = rend_ = 0;
}

Multiplexer::ReadResult Multiplexer::process() {
  const std::uint64_t epoch = epoch_;
  while (rpos_ < rend_) {
    std::error_code ec;
    const std::size_t used = parser_.consume({rbuf_.data() + rpos_, rend_ - rpos_}, *reader_, ec);
    rpos_ += used;
    if (ec) return {ec, false};
    if (!router_->done) break;  // the rest of the message is still on its way
    const auto target = router_->target;
    router_->clear();
    if (target == Router::Target::unsolicited) return {make_error_code(errc::protocol_error), false};
    if (target != Router::Target::reply) continue;
    Slot& s = slot(head_seq_);
    if (--s.replies_left != 0) continue;
    RequestBase* r = s.req;
    const SlotKind kind = s.kind;
    ++head_seq_;
    if (!r) {
      if (kind != SlotKind::request) [[unlikely]] {
        ReadResult stop;
        if (!on_select_reply(kind, stop)) return stop;
        if (epoch != epoch_) return {{}, true};
      }
      continue;
    }
    if (r->dl_index_ != RequestBase::DeadlineIndex::none) untrack_deadline(*r);
    r->state_ = RequestBase::State::done;
    if (!r->internal_) --inflight_count_;
    r->on_complete({});  // user code: may submit, cancel, close, reset
    if (epoch != epoch_) return {{}, true};
  }
  if (rpos_ == rend_) {
    rpos_ = rend_ = 0;
  } else if (rpos_ > 0 && rbuf_.size() - rend_ < kMinReadRoom) {
    std::memmove(rbuf_.data(), rbuf_.data() + rpos_, rend_ - rpos_);
    rend_ -= rpos_;
    rpos_ = 0;
  }
  return {};
}

// The reply of an inserted SELECT. Accepted: the connection is in the
// database now. Refused while nothing was written behind it: the request it
// was for gets the server's error as its reply(ies), never having been sent.
// Refused within a batch (a known database): the connection drops.
bool Multiplexer::on_select_reply(SlotKind kind, ReadResult& result) {
  std::string error = std::move(select_error_);
  select_error_.clear();
  if (kind == SlotKind::select) {
    if (error.empty()) return true;
    result.drop = make_error_code(errc::connection_lost);
    return false;
  }
  select_alone_ = false;
  if (error.empty()) {
    db_ = db_waiting_;
    db_known_ = std::max(db_known_, db_waiting_ < 0 ? options_.database : db_waiting_);
    return true;
  }
  RequestBase* r = queue_head_;
  while (r && r->internal_) r = r->next_;
  // Gone meanwhile (cancelled, expired): nobody to tell; the next request
  // for that database gets its own SELECT.
  if (!r || r->database != db_waiting_) return true;
  unlink(*r);
  drop_output_if_idle();
  untrack_deadline(*r);
  r->state_ = RequestBase::State::done;
  const resp::Node n{resp::Type::simple_error, 1, 0, error};
  for (std::uint32_t i = 0; i < r->expected_replies; ++i) {
    r->on_node(n);
    r->on_reply_end();
  }
  r->on_complete({});  // user code: may submit, cancel, close, reset
  return true;
}

// ------------------------------------------------------- the connection

void Multiplexer::on_connected(bool resp2_pubsub) noexcept {
  connected_ = true;
  // Waits for the connection are over; the bulkhead times only waits for room.
  for (RequestBase* q = queue_head_; q; q = q->next_) q->wait_deadline_ = time_point::max();
  ever_connected_ = true;
  reader_ = resp2_pubsub ? static_cast<resp::Visitor*>(pubsub_router_.get()) : router_.get();
}

void Multiplexer::reset_read_state() noexcept {
  // A new connection starts where its handshake puts it.
  db_ = -1;
  db_known_ = options_.database;
  select_alone_ = false;
  select_error_.clear();
  router_->clear();
  reader_ = router_.get();
  parser_.reset();
  rpos_ = rend_ = 0;
  wbuf_.clear();
  wpos_ = 0;
  connected_ = false;
  ++epoch_;
}

void Multiplexer::on_attempt_failed() noexcept { reset_read_state(); }

Multiplexer::Completions Multiplexer::on_connection_lost(std::error_code cause, time_point now) {
  Completions out;
  const bool head_partial = router_->started;
  // A broken reply belongs to the oldest request: it gets the protocol
  // error, the others the plain connection loss.
  if (is_protocol_error(cause) && head_seq_ != tail_seq_) {
    if (RequestBase* broken = slot(head_seq_).req; broken && !broken->internal_) take(*broken, cause, out);
  }
  reset_read_state();
  const std::error_code lost =
      cause == errc::health_check_failed ? cause : make_error_code(errc::connection_lost);
  // Internal requests (a PING) are not owned by callers: they just go.
  for (RequestBase* q = queue_head_; q;) {
    RequestBase* next = q->next_;
    if (q->internal_) {
      unlink(*q);
      q->state_ = RequestBase::State::idle;
    }
    q = next;
  }
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
    if (options_.retry_readonly && untouched && !r->retried_ && has(r->flags, CommandFlag::readonly)) {
      const std::size_t begin = out_.size();
      bool ok = false;
      try {
        resp::Writer w(out_);
        ok = r->reencode(w);
      } catch (...) {
        ok = false;  // the request fails below like any other
        if (listener_) listener_->on_retry_encode_failed();
      }
      if (ok) {
        r->retried_ = true;
        r->begin_ = base_ + begin;
        r->end_ = base_ + out_.size();
        r->state_ = RequestBase::State::queued;
        link_back(*r);
        continue;
      }
      out_.resize(begin);
    }
    untrack_deadline(*r);
    r->state_ = RequestBase::State::done;
    out.add(*r, lost);
  }
  head_seq_ = tail_seq_ = 0;
  drop_output_if_idle();
  const time_point wait_until = now + options_.wait_timeout;
  for (RequestBase* q = queue_head_; q; q = q->next_) q->wait_deadline_ = wait_until;
  return out;
}

Multiplexer::Completions Multiplexer::fail_queued(std::error_code ec) {
  Completions out;
  while (RequestBase* q = queue_head_) {
    if (q->internal_) {
      unlink(*q);
      q->state_ = RequestBase::State::idle;
    } else {
      take(*q, ec, out);
    }
  }
  drop_output_if_idle();
  return out;
}

Multiplexer::Completions Multiplexer::close(std::error_code ec) {
  Completions out;
  for (std::uint64_t s = head_seq_; s != tail_seq_; ++s) {
    RequestBase* r = slot(s).req;
    if (!r) continue;
    if (r->internal_) {
      r->state_ = RequestBase::State::idle;
      continue;
    }
    --inflight_count_;
    untrack_deadline(*r);
    r->state_ = RequestBase::State::done;
    out.add(*r, ec);
  }
  head_seq_ = tail_seq_ = 0;
  out.splice(fail_queued(ec));
  reset_read_state();
  ever_connected_ = false;
  return out;
}

// ------------------------------------------------------------ deadlines

void Multiplexer::track_deadline(RequestBase& r) {
  if (!dl_tail_ || dl_tail_->deadline <= r.deadline) {
    r.dl_prev_ = dl_tail_;
    r.dl_next_ = nullptr;
    if (dl_tail_) dl_tail_->dl_next_ = &r;
    else dl_head_ = &r;
    dl_tail_ = &r;
    r.dl_index_ = RequestBase::DeadlineIndex::fifo;
    return;
  }
  heap_.push_back(&r);
  r.dl_index_ = RequestBase::DeadlineIndex::heap;
  heap_set(heap_.size() - 1, &r);
  heap_up(heap_.size() - 1);
}

void Multiplexer::untrack_deadline(RequestBase& r) noexcept {
  switch (r.dl_index_) {
    case RequestBase::DeadlineIndex::none:
      return;
    case RequestBase::DeadlineIndex::fifo:
      if (r.dl_prev_) r.dl_prev_->dl_next_ = r.dl_next_;
      else dl_head_ = r.dl_next_;
      if (r.dl_next_) r.dl_next_->dl_prev_ = r.dl_prev_;
      else dl_tail_ = r.dl_prev_;
      r.dl_prev_ = r.dl_next_ = nullptr;
      break;
    case RequestBase::DeadlineIndex::heap: {
      const std::size_t i = r.heap_index_;
      RequestBase* last = heap_.back();
      heap_.pop_back();
      if (last != &r) {
        heap_set(i, last);
        heap_up(i);
        heap_down(last->heap_index_);
      }
      break;
    }
  }
  r.dl_index_ = RequestBase::DeadlineIndex::none;
}

void Multiplexer::heap_up(std::size_t i) noexcept {
  RequestBase* r = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (heap_[parent]->deadline <= r->deadline) break;
    heap_set(i, heap_[parent]);
    i = parent;
  }
  heap_set(i, r);
}

void Multiplexer::heap_down(std::size_t i) noexcept {
  RequestBase* r = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->deadline < heap_[child]->deadline) ++child;
    if (r->deadline <= heap_[child]->deadline) break;
    heap_set(i, heap_[child]);
    i = child;
  }
  heap_set(i, r);
}

Multiplexer::time_point Multiplexer::next_deadline() const noexcept {
  time_point t = time_point::max();
  if (dl_head_) t = dl_head_->deadline;
  if (!heap_.empty()) t = std::min(t, heap_.front()->deadline);
  if (queue_head_ && (!connected_ || options_.queue_timeout.count() > 0)) t = std::min(t, queue_head_->wait_deadline_);
  return t;
}

Multiplexer::Completions Multiplexer::expire(time_point now) {
  Completions out;
  const std::error_code timeout = make_error_code(errc::timeout);
  while (dl_head_ && dl_head_->deadline <= now) take(*dl_head_, timeout, out);
  while (!heap_.empty() && heap_.front()->deadline <= now) take(*heap_.front(), timeout, out);
  if (!connected_) {
    const std::error_code not_connected = make_error_code(errc::not_connected);
    while (queue_head_ && !queue_head_->internal_ && queue_head_->wait_deadline_ <= now)
      take(*queue_head_, not_connected, out);
  } else if (options_.queue_timeout.count() > 0) {
    // The bulkhead: requests that waited behind max_pending too long.
    const std::error_code full = make_error_code(errc::queue_full);
    while (queue_head_ && !queue_head_->internal_ && queue_head_->wait_deadline_ <= now)
      take(*queue_head_, full, out);
  }
  return out;
}

}  // namespace valkey
