#pragma once
// valkey::Multiplexer: the request/reply bookkeeping of one connection, with
// no socket and no clock of its own. A driver (valkey::Connection over Asio,
// or a unit test) moves the bytes and tells it the time:
//
//   add()/add_encoded()   a request's commands go into the output stream
//   next_write()          the bytes to send now (queued requests become a batch)
//   on_written(n)         n of them left
//   read_space()/commit_read(n), on_read(bytes)
//                         reply bytes in; replies reach their requests in order,
//                         pushes go to the push handler, and a request whose
//                         last reply arrived completes right there
//   expire(now)           requests whose deadline passed (next_deadline() says
//                         when to call it)
//   on_connected(), on_connection_lost(), close()
//
// Databases: a request with RequestBase::database set runs in that database.
// The multiplexer tracks the connection's database and, while building a
// batch, writes `SELECT n` before a request whose database differs from the
// one the request before it left (nothing when they match: one compare per
// request). The SELECT's +OK is swallowed. A database not yet selected on this
// connection is selected alone: the requests behind it wait for its reply, so
// a refused SELECT (out of range, an ACL) fails exactly the request it was
// for, with the server's error as that request's reply(ies), and nothing runs
// in the wrong database. Databases up to the highest one selected so far are
// known to exist (the server's `databases` is fixed) and are switched to
// within the batch; should such a SELECT fail anyway, the connection drops
// (connection_lost: the requests behind it may have run elsewhere). A new
// connection starts in Options::database (the handshake selected it).
//
// Failures never complete a request inside the multiplexer: they come back as
// a Completions list that the driver runs where it is safe (posted, when the
// user's own call caused them). Only a reply completes a request inline.
//
// Costs: a request is O(1) to add, write and complete. Cancelling a queued
// request leaves its bytes as a hole that the next batch skips (no shifting).
// Deadlines that come in submission order (one request_timeout for all) sit
// in a FIFO; others in a min-heap: O(1) or O(log n) each, and expire() visits
// only the requests that expired.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <valkey/export.hpp>
#include <valkey/request.hpp>
#include <valkey/resp/limits.hpp>
#include <valkey/resp/parser.hpp>
#include <valkey/resp/visitor.hpp>
#include <valkey/resp/writer.hpp>

namespace valkey {

class VALKEY_CPP_EXPORT Multiplexer {
 public:
  using clock = RequestBase::clock;
  using time_point = clock::time_point;

  struct Options {
    // Requests written and awaiting replies at once (0: unbounded); the
    // rest stay queued until replies free room.
    std::size_t max_pending = 0;
    // How long a queued request waits for a lost connection to come back
    // before it fails with not_connected (the connect timeout).
    std::chrono::milliseconds wait_timeout{5000};
    // Resend a read-only request whose reply had not started, once, after
    // a connection loss (RequestBase::reencode).
    bool retry_readonly = false;
    // Bulkhead: a request queued while max_pending requests are in flight
    // fails with queue_full (never written) after waiting this long; 0: it
    // waits as long as it takes. `now` must then be passed to add() always.
    std::chrono::milliseconds queue_timeout{0};
    // The database the handshake selects (Config::database): where a request
    // with database -1 runs, and where every new connection starts.
    std::int32_t database = 0;
    resp::Limits limits;
  };

  // What the multiplexer reports while reading.
  class Listener {
   public:
    // A depth-0 error reply, before the request it answers gets it.
    virtual void on_error_reply(std::string_view message) = 0;
    // A read-only request's reencode() threw during the retry after a loss:
    // the request fails with the loss instead (for the log).
    virtual void on_retry_encode_failed() {}

   protected:
    ~Listener() = default;
  };

  // Requests that finished, each with its result, no longer known to the
  // multiplexer. run() calls their on_complete() in order. The driver must
  // run every list it gets (inline, or from a posted handler): a list
  // destroyed unrun leaves its requests uncompleted.
  class Completions {
   public:
    Completions() = default;
    Completions(Completions&& o) noexcept : head_(o.head_), tail_(o.tail_) { o.head_ = o.tail_ = nullptr; }
    // Appends: a list is never dropped by an assignment.
    Completions& operator=(Completions&& o) noexcept {
      if (this != &o) splice(std::move(o));
      return *this;
    }
    Completions(const Completions&) = delete;
    Completions& operator=(const Completions&) = delete;
    ~Completions() = default;

    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept;
    void add(RequestBase& r, std::error_code ec) noexcept;
    void splice(Completions&& o) noexcept;
    // Completes each request (it may destroy itself or submit new ones).
    void run();

   private:
    RequestBase* head_ = nullptr;
    RequestBase* tail_ = nullptr;
  };

  // The outcome of feeding reply bytes.
  struct ReadResult {
    // Set: the stream is broken (a protocol error, a reply nobody asked for);
    // the driver must drop the connection with this reason.
    std::error_code drop;
    // A completion closed or reset the multiplexer while replies were being
    // delivered: the rest of the bytes were discarded with the connection.
    bool interrupted = false;
  };

  explicit Multiplexer(Options options);
  ~Multiplexer();
  Multiplexer(const Multiplexer&) = delete;
  Multiplexer& operator=(const Multiplexer&) = delete;

  const Options& options() const noexcept { return options_; }

  // ------------------------------------------------------------ queueing
  // Why `r` cannot be added: invalid_argument (already active, or expects
  // no reply), queue_full (with fail_when_full and max_pending reached).
  std::error_code admit(const RequestBase& r, bool fail_when_full) const noexcept;
  // Appends `r`'s commands, encoded by `encode(resp::Writer&)`, to the output
  // stream and queues it. On an exception nothing is queued. `now` is read
  // only while disconnected (the request may wait until now + wait_timeout).
  template <class Encode>
  void add(RequestBase& r, Encode&& encode, time_point now) {
    const std::size_t begin = out_.size();
    try {
      resp::Writer w(out_);
      encode(w);
    } catch (...) {
      out_.resize(begin);
      throw;
    }
    enqueue(r, base_ + begin, now);
  }
  void add_encoded(RequestBase& r, std::string_view bytes, time_point now);
  // A request of the connection itself (a health-check PING): not counted in
  // pending(), not bound by max_pending, dropped (never completed) when the
  // connection goes.
  void add_internal(RequestBase& r, std::string_view bytes);

  // Takes `r` out and adds it to `out` with `ec`. Queued: its bytes are never
  // sent. Written: its reply is discarded when it arrives. False when `r` is
  // not active here.
  bool cancel(RequestBase& r, std::error_code ec, Completions& out) noexcept;

  // Lets the request now receiving a reply wait for `n` more (see
  // Connection::expect_more_replies).
  void expect_more_replies(RequestBase& r, std::uint32_t n) noexcept;

  // ------------------------------------------------------------- writing
  // The bytes to write now: the rest of the current batch, or a new batch of
  // the queued requests (as many as max_pending allows; they count as
  // written from here on). Empty when there is nothing to write or no
  // connection. The view stays valid until on_written() consumed it.
  std::string_view next_write();
  // `n` bytes of next_write() were sent.
  void on_written(std::size_t n) noexcept;
  // Requests queued and not yet in a batch (true may still yield no bytes
  // under backpressure).
  bool has_queued() const noexcept { return queue_head_ != nullptr; }

  // ------------------------------------------------------------- reading
  // Room for the next read (at least what the parser says it needs).
  std::span<char> read_space();
  // `n` bytes were read into read_space(): delivers what they complete.
  ReadResult commit_read(std::size_t n);
  // Copies `bytes` in and delivers (tests; the handshake's leftover bytes).
  ReadResult on_read(std::string_view bytes);
  // Unparsed bytes, for the handshake that reads before the multiplexer does.
  std::string_view unread() const noexcept { return {rbuf_.data() + rpos_, rend_ - rpos_}; }
  void consume_unread(std::size_t n) noexcept;
  // `n` bytes were read into read_space() while the handshake reads: kept
  // for it (unread()) and for process() afterwards.
  void commit_unprocessed(std::size_t n) noexcept {
    rend_ += n;
    bytes_read_ += n;
  }
  // Delivers what is buffered (after the handshake).
  ReadResult process();

  // RESP3 push messages (and, in RESP2 pub/sub mode, subscribed-mode arrays).
  void set_push_handler(resp::Visitor* v) noexcept { push_ = v; }
  void set_listener(Listener* l) noexcept { listener_ = l; }

  // ------------------------------------------------------ the connection
  // The connection is ready: batches may be built. `resp2_pubsub`: route
  // RESP2 subscribed-mode arrays to the push handler.
  void on_connected(bool resp2_pubsub) noexcept;
  bool connected() const noexcept { return connected_; }
  // The connection went (read/write error, protocol error, health check,
  // reset). Requests written fail: the one whose reply was broken by a
  // protocol error with `cause`, the rest with connection_lost (or
  // health_check_failed); read-only ones the policy resends are queued
  // again. Queued requests stay, waiting for the next connection until
  // now + wait_timeout.
  Completions on_connection_lost(std::error_code cause, time_point now);
  // A connection attempt failed before it was ready: only the read state goes.
  void on_attempt_failed() noexcept;
  // Fails every queued request with `ec`.
  Completions fail_queued(std::error_code ec);
  // Fails everything with `ec` and forgets the connection.
  Completions close(std::error_code ec);

  // ------------------------------------------------------------ deadlines
  // The earliest time expire() has work (max(): none).
  time_point next_deadline() const noexcept;
  // Requests past their deadline (timeout), and, while disconnected, queued
  // requests that waited too long (not_connected).
  Completions expire(time_point now);

  // ----------------------------------------------------------- inspection
  // User requests queued or awaiting replies.
  std::size_t pending() const noexcept { return queued_count_ + inflight_count_; }
  std::size_t queued() const noexcept { return queued_count_; }
  std::size_t in_flight() const noexcept { return inflight_count_; }
  // Some written request (user or internal) still awaits a reply.
  bool awaiting_reply() const noexcept { return head_seq_ != tail_seq_; }
  // The sequence number of the oldest written request.
  std::uint64_t head_seq() const noexcept { return head_seq_; }
  std::uint64_t bytes_read() const noexcept { return bytes_read_; }
  std::uint64_t requests_written() const noexcept { return requests_written_; }
  // The database the connection is in once what was written ran (-1:
  // Options::database), and SELECTs the multiplexer wrote (for tests).
  std::int32_t database() const noexcept { return db_; }
  std::uint64_t selects_written() const noexcept { return selects_written_; }
  // Bytes held in the output stream (queued requests and holes), for tests.
  std::size_t buffered_bytes() const noexcept { return out_.size(); }

 private:
  enum class SlotKind : std::uint8_t {
    request,
    select,        // a SELECT of a known database, pipelined with what follows
    select_alone,  // a SELECT of a database not known yet: nothing is written behind it
  };
  struct Slot {
    RequestBase* req;  // nullptr: abandoned, the reply is discarded (or a SELECT's)
    std::uint32_t replies_left;
    SlotKind kind = SlotKind::request;
  };
  class Router;
  class PubsubRouter;

  void enqueue(RequestBase& r, std::size_t begin, time_point now);
  void link_back(RequestBase& r) noexcept;
  void unlink(RequestBase& r) noexcept;
  void drop_output_if_idle() noexcept;
  void build_batch();
  // build_batch() met `r`, whose database is not the connection's: writes
  // the SELECT (after the run of bytes before it). False: `r` must wait for
  // the SELECT's reply (a database not known yet).
  bool write_select(RequestBase& r, std::size_t& run_begin, std::size_t& run_end, bool& any);
  // The reply of a SELECT arrived: kind and whether the server refused it
  // (select_error_). False when the read must stop (`result` says why).
  bool on_select_reply(SlotKind kind, ReadResult& result);
  void reset_read_state() noexcept;

  Slot& slot(std::uint64_t seq) noexcept { return slots_[seq & (slots_.size() - 1)]; }
  // The slot after the last, the ring grown when full.
  Slot& next_slot();
  void push_slot(RequestBase& r);

  // Takes a request out of wherever it is and records its result.
  void take(RequestBase& r, std::error_code ec, Completions& out) noexcept;

  // Deadline index.
  void track_deadline(RequestBase& r);
  void untrack_deadline(RequestBase& r) noexcept;
  void heap_up(std::size_t i) noexcept;
  void heap_down(std::size_t i) noexcept;
  void heap_set(std::size_t i, RequestBase* r) noexcept {
    heap_[i] = r;
    r->heap_index_ = static_cast<std::uint32_t>(i);
  }

  Options options_;

  // Output: queued requests' bytes. out_[i] is stream position base_ + i;
  // a request's begin_/end_ are stream positions, so nothing shifts when a
  // prefix is dropped. Cancelled queued requests leave holes.
  std::string out_;
  std::size_t base_ = 0;
  std::string wbuf_;      // the batch being written
  std::size_t wpos_ = 0;  // how much of it left
  RequestBase* queue_head_ = nullptr;
  RequestBase* queue_tail_ = nullptr;
  std::size_t queued_count_ = 0;

  // Written requests awaiting replies: a ring indexed by sequence number.
  std::vector<Slot> slots_;
  std::uint64_t head_seq_ = 0;
  std::uint64_t tail_seq_ = 0;
  std::size_t inflight_count_ = 0;
  std::uint64_t requests_written_ = 0;

  // Databases (see the top). db_: where the connection is once the written
  // SELECTs ran (-1: Options::database); db_known_: the highest database a
  // SELECT succeeded for (every lower one exists); select_alone_: a SELECT
  // of db_waiting_ is in flight and nothing is written until its reply.
  std::int32_t db_ = -1;
  std::int32_t db_known_ = 0;
  std::int32_t db_waiting_ = -1;
  bool select_alone_ = false;
  std::string select_error_;  // the error reply of the SELECT being read
  std::uint64_t selects_written_ = 0;

  // Input.
  std::vector<char> rbuf_;
  std::size_t rpos_ = 0;
  std::size_t rend_ = 0;
  std::uint64_t bytes_read_ = 0;
  resp::Parser parser_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<PubsubRouter> pubsub_router_;
  resp::Visitor* reader_;
  resp::Visitor* push_ = nullptr;
  Listener* listener_ = nullptr;
  // Bumped whenever the connection state is thrown away (loss, close): a
  // delivery loop that sees it change after a completion stops.
  std::uint64_t epoch_ = 0;
  bool connected_ = false;
  bool ever_connected_ = false;

  // Deadlines: a FIFO for those that arrive in order, a heap for the rest.
  RequestBase* dl_head_ = nullptr;
  RequestBase* dl_tail_ = nullptr;
  std::vector<RequestBase*> heap_;
};

}  // namespace valkey
