#include "libcore/stage/read_ahead.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "libcore/capture/live.hpp"
#include "libcore/interrupt.hpp"
#include "libcore/stage/input.hpp"

namespace nl {

namespace {

constexpr size_t kKeepBytes = 16 << 10;

// Applies the filter; a filter that cannot compile for a link type is reported
// once per input (`reported`).
bool filter_passes(BpfFilterSet& bpf, const Packet& p, InputEvent& ev, bool& reported) {
  std::string err;
  if (bpf.matches(p, err)) return true;
  ev.kind = InputEvent::Kind::filtered;
  if (!err.empty() && !reported) {
    ev.text = "filter: " + err;
    reported = true;
  }
  return false;
}

// Without a filter, a test where the packet is (a call per packet was 1% of flowstat).
[[gnu::always_inline]] inline bool passes(BpfFilterSet& bpf, const Packet& p, InputEvent& ev, bool& reported) {
  return bpf.empty() || filter_passes(bpf, p, ev, reported);
}

}  // namespace

LineDecoder::LineDecoder(const std::string& filter, bool need_payload, DecodeOptions decode, bool skim_other_types,
                         bool lines_outlive_events, ShardSpec shard)
    : bpf_(std::make_unique<BpfFilterSet>(filter)),
      need_payload_(need_payload),
      decode_(decode),
      lines_outlive_events_(lines_outlive_events),
      shard_(shard) {
  if (skim_other_types) reader_.skim_other_types();
}
LineDecoder::~LineDecoder() = default;

void LineDecoder::fill(std::string_view line, InputEvent& ev, bool& filter_reported) {
  switch (reader_.read(line, need_payload_, rebuilt_, type_, message_)) {
    case PktReadStatus::ok:
      ev.packet = rebuilt_.packet;
      ev.frame.swap(rebuilt_.frame);  // the event takes the frame; the reader reuses the old one
      ev.packet.data = Bytes(ev.frame.data(), ev.frame.size());
      if (passes(*bpf_, ev.packet, ev, filter_reported)) {
        ev.kind = InputEvent::Kind::packet;
        decode_frame(ev.packet.linktype, ev.packet.data, ev.packet.origlen, ev.decoded, decode_);
        if (!in_shard(ev.decoded, shard_)) ev.kind = InputEvent::Kind::other_shard;
      }
      return;
    case PktReadStatus::not_pkt:
      ev.kind = InputEvent::Kind::other_line;
      if (lines_outlive_events_) {
        ev.line = line;
      } else {
        ev.text.assign(line);
        ev.line = ev.text;
      }
      return;
    case PktReadStatus::no_ip:
      ev.kind = InputEvent::Kind::no_ip;
      return;
    case PktReadStatus::error:
      ev.kind = InputEvent::Kind::line_error;
      ev.text = message_;
      ev.problem = reader_.problem();
      return;
  }
}

// Produces the events of all inputs one at a time; owns everything the reading
// side needs, so that it can run on its own thread.
struct ReadAhead::Producer {
  explicit Producer(ReadAheadOptions o)
      : opt(std::move(o)),
        bpf(opt.filter),
        lines(opt.filter, opt.need_payload, opt.decode, opt.skim_other_lines, !opt.thread, opt.shard) {
    if (opt.inputs.empty()) opt.inputs.push_back("-");
  }

  StageInput finished;  // the input of the last end_input event, for the caller to retire

  // Fills `ev`; false when there is nothing more.
  bool produce(InputEvent& ev) {
    // A slot keeps small buffers for reuse, not the memory of a rare huge line.
    if (ev.text.capacity() > kKeepBytes) std::string().swap(ev.text);
    if (ev.frame.capacity() > kKeepBytes) FrameBytes().swap(ev.frame);
    if (ev.output.capacity() > kKeepBytes) std::string().swap(ev.output);
    ev.formatted = false;
    ev.from_json = false;
    ev.text.clear();
    ev.frame.clear();
    ev.line_no = 0;
    // A stop signal: the current input ends here (its end_input still comes)
    // and no other is opened. One relaxed load per event.
    if (stop_requested() && !stopped_) {
      stopped_ = true;
      if (open_) ended_ = true;
    }
    for (;;) {
      if (!open_) {
        if (stopped_ || index >= opt.inputs.size()) return false;
        return open_next(ev);
      }
      if (ended_) {
        ev.kind = InputEvent::Kind::end_input;
        ev.input = index;
        ev.bytes_read = bytes_read();
        // Its packets may still be in use on the other side: the caller keeps the
        // input open until they are handled.
        finished = std::move(in);
        in = StageInput{};
        open_ = ended_ = false;
        ++index;
        return true;
      }
      ev.input = index;
      if (in.kind == StageInput::Kind::capture ? read_capture(ev) : read_line(ev)) return true;
    }
  }

 private:
  bool open_next(InputEvent& ev) {
    const std::string& name = opt.inputs[index];
    in = open_stage_input(name, opt.accept_pkt_jsonl);
    ev.input = index;
    ev.bytes_read = 0;
    filter_reported = false;
    if (in.kind == StageInput::Kind::failed) {
      // No end_input follows a failed open.
      ev.kind = InputEvent::Kind::open_failed;
      ev.text = in.error;
      in = StageInput{};
      ++index;
      return true;
    }
    open_ = true;
    ended_ = false;
    ev.kind = InputEvent::Kind::begin_input;
    ev.text = display_name(name);
    return true;
  }

  uint64_t bytes_read() const {
    return in.capture ? in.capture->bytes_read() : in.lines ? in.lines->bytes_read() : 0;
  }

  void decode(InputEvent& ev) {
    ev.kind = InputEvent::Kind::packet;
    Packet& p = ev.packet;
    // The shard filter comes first, before any formatting or per-flow work, and
    // for most of the other shards' packets before decoding.
    if (peek_other_shard(p, opt.shard, ev.decoded)) {
      ev.kind = InputEvent::Kind::other_shard;
      return;
    }
    decode_packet(p, ev.decoded, opt.decode);
    if (!in_shard(ev.decoded, opt.shard)) {
      ev.kind = InputEvent::Kind::other_shard;
      return;
    }
    // Formats here while the caller is behind (a backlog in the ring), so each
    // thread ends up with the share of the formatting that keeps both busy.
    if (opt.format && backlog > kRing / 4) {
      ev.output.clear();
      opt.format(p, ev.decoded, ev.output);
      ev.formatted = true;
    }
  }

  // At the end of a compressed input whose data was corrupt or cut: a read_error
  // saying so (after `before`, what the reader itself found). False if none.
  bool decompression_failed(InputEvent& ev, const std::string& before) {
    if (!in.decompressor) return false;
    std::string e = in.decompressor->error();
    if (e.empty()) return false;
    ev.kind = InputEvent::Kind::read_error;
    ev.text = before.empty() ? e : before + " (" + e + ")";
    return true;
  }

  // False when the input ended without an event (the caller goes on to end_input).
  bool read_capture(InputEvent& ev) {
    Packet& p = ev.packet;
    ReadStatus rs = in.capture->next(p);
    ev.bytes_read = bytes_read();
    if (rs == ReadStatus::end) {
      ended_ = true;
      return decompression_failed(ev, "");
    }
    if (rs == ReadStatus::error) {
      ev.kind = InputEvent::Kind::read_error;
      ev.text = in.capture->error();
      ended_ = true;
      decompression_failed(ev, ev.text);
      return true;
    }
    if (rs == ReadStatus::skipped) {
      ev.kind = InputEvent::Kind::read_skipped;
      ev.text = in.capture->error();
      ev.line_no = in.capture->packets_read() + 1;
      return true;
    }
    p.number = ++number_;  // filtered packets keep their place in the count
    p.rebuilt = false;     // the slot may have held a packet rebuilt from a pkt line
    if (!in.capture->stable_data()) {
      // Valid only until the next read: the event keeps its own copy.
      ev.frame.assign(p.data.data(), p.data.data() + p.data.size());
      p.data = Bytes(ev.frame.data(), ev.frame.size());
    }
    if (passes(bpf, p, ev, filter_reported)) decode(ev);
    return true;
  }

  bool read_line(InputEvent& ev) {
    std::string_view line;
    LineReader::Status ls = in.lines->next(line);
    ev.bytes_read = bytes_read();
    ev.line_no = in.lines->line_number();
    ev.from_json = true;
    switch (ls) {
      case LineReader::Status::end:
        ended_ = true;
        return decompression_failed(ev, "");
      case LineReader::Status::error:
        ev.kind = InputEvent::Kind::read_error;
        ev.text = in.lines->error();
        ended_ = true;
        return true;
      case LineReader::Status::too_long:
        ev.kind = InputEvent::Kind::line_too_long;
        if (opt.strict) ended_ = true;
        return true;
      case LineReader::Status::line:
        break;
    }
    if (opt.share_lines && backlog < kRing / 8) {
      // The caller is waiting for events: let it parse this line itself.
      ev.kind = InputEvent::Kind::raw_line;
      ev.text.assign(line);
      return true;
    }
    lines.fill(line, ev, filter_reported);
    if (ev.kind == InputEvent::Kind::line_error && opt.strict) ended_ = true;
    return true;
  }

  ReadAheadOptions opt;
  BpfFilterSet bpf;
  LineDecoder lines;
  size_t index = 0;
  StageInput in;
  bool open_ = false;     // `in` is the current input
  bool ended_ = false;    // it has no more packets: end_input is next
  bool stopped_ = false;  // a stop signal came: nothing more is read
  bool filter_reported = false;
  uint64_t number_ = 0;   // packets read so far, all inputs (the formatter's numbers)

 public:
  uint64_t backlog = 0;   // events in the ring not yet handled, as last seen
};

namespace {
bool is_pipe(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}
bool is_pipe(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}
}  // namespace

bool ReadAhead::use_thread(const std::vector<std::string>& inputs, bool shard) {
  const char* env = std::getenv("NETLINES_THREADS");
  if (env && std::strcmp(env, "1") == 0) return false;
  if (env && std::strcmp(env, "2") == 0) return true;
  if (std::thread::hardware_concurrency() < 2) return false;
  // A shard's siblings want the other cores, and its second thread would mostly hand
  // over other shards' packets: 0.12 s of CPU per GB and shard (flowstat --shard k/4
  // on the benchmark capture: 1.13 s for the four on one thread each, 1.65 s on two).
  if (shard) return false;
  // In a pipeline every stage wants the cores: one thread per stage does the same
  // work in less CPU time than two handing packets over (pcap2pkt F | tcpflow-reasm
  // | httpextract on 2 cores: 5.4-6.2 s against 6.7-7.4 s with two threads each).
  if (is_pipe(1)) return false;
  for (const std::string& in : inputs)
    if (in == "-" ? is_pipe(0) : is_pipe(in)) return false;
  return true;
}

ReadAhead::ReadAhead(ReadAheadOptions opt) : threaded_(opt.thread) {
  producer_ = std::make_unique<Producer>(std::move(opt));
  ring_.resize(threaded_ ? kRing : 1);
  if (threaded_) thread_ = std::thread([this] { run_producer(); });
}

ReadAhead::~ReadAhead() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancel_.store(true);
    }
    room_.notify_one();
    thread_.join();
  }
}

namespace {

// Polls `ready` briefly before the caller sleeps: the other side is usually only
// a few microseconds away, and a sleep costs two system calls. Briefly: in a
// pipeline, two stages of two threads share the cores, and a longer spin (256
// rounds) took CPU time from the other stage (pcap2pkt | tcpflow-reasm on 2
// cores: 4.0-5.0 s against 3.9-4.2 s with 16).
template <class Ready>
bool spin_until(Ready ready) {
  for (int i = 0; i < 16; ++i) {
    if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  return ready();
}

// A sleeper rechecks at this interval, so a missed wake-up costs at most this much
// (and a slow pipe upstream never holds packets back for longer).
constexpr auto kNap = std::chrono::milliseconds(1);

}  // namespace

void ReadAhead::run_producer() {
  uint64_t head = 0;
  uint64_t tail = 0;
  uint64_t produced_bytes = 0;
  for (;;) {
    auto held = [&] { return produced_bytes - freed_bytes_.load(std::memory_order_acquire); };
    if (head - tail >= kRing || held() > kMaxHeld) {
      tail = tail_.load(std::memory_order_acquire);
      if (head - tail >= kRing || held() > kMaxHeld) {
        // Full: the consumer is the slower side. Sleep until half the ring (and of
        // the byte budget) is free, so that each wake-up buys a long run of work.
        std::unique_lock<std::mutex> lock(mutex_);
        producer_wants_.store(head - std::min(head, kRing / 2), std::memory_order_relaxed);
        producer_sleeping_.store(true, std::memory_order_seq_cst);
        while ((head - tail_.load(std::memory_order_seq_cst) > kRing / 2 || held() > kMaxHeld / 2) &&
               !cancel_.load())
          room_.wait_for(lock, kNap);
        producer_sleeping_.store(false, std::memory_order_relaxed);
      }
      tail = tail_.load(std::memory_order_acquire);
    }
    if (cancel_.load(std::memory_order_relaxed)) return;
    // Inputs whose events have all been handled can be closed now.
    while (!retired_.empty() && retired_.front().first < tail) retired_.pop_front();
    InputEvent& ev = ring_[head & (kRing - 1)];
    if ((head & 15) == 0) tail = tail_.load(std::memory_order_acquire);
    producer_->backlog = head - tail;
    bool more = producer_->produce(ev);
    if (more && ev.kind == InputEvent::Kind::end_input) retired_.emplace_back(head, std::move(producer_->finished));
    ev.held = ev.text.size() + ev.frame.size() + ev.output.size();
    produced_bytes += ev.held;
    if (more) ++head;
    head_.store(more ? head : head | kDone, std::memory_order_seq_cst);
    // Wake a sleeping consumer once a batch is waiting, or at the end.
    uint64_t wanted = consumer_wants_.load(std::memory_order_seq_cst);
    if (wanted && (!more || head >= wanted)) {
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.notify_one();
    }
    if (!more) return;
  }
}

InputEvent* ReadAhead::next() {
  if (!threaded_) {
    // The previous event is handled: an input it ended can be closed. Tested
    // first, since assigning an empty input cost more than a packet's filter.
    StageInput& done = producer_->finished;
    if (done.capture || done.lines || done.decompressor) [[unlikely]]
      done = StageInput{};
    return producer_->produce(ring_[0]) ? &ring_[0] : nullptr;
  }
  // Hand back the slots of the events already handled, in batches (to keep the two
  // threads off each other's cache line) and always before waiting.
  if (consumed_) freed_local_ += ring_[(consumed_ - 1) & (kRing - 1)].held;
  if (consumed_ && ((consumed_ & (kTailBatch - 1)) == 0 || consumed_ == seen_head_ || freed_local_ > kMaxHeld / 8)) {
    freed_bytes_.fetch_add(freed_local_, std::memory_order_seq_cst);
    freed_local_ = 0;
    tail_.store(consumed_, std::memory_order_seq_cst);
    if (producer_sleeping_.load(std::memory_order_seq_cst) &&
        consumed_ >= producer_wants_.load(std::memory_order_relaxed)) {
      std::lock_guard<std::mutex> lock(mutex_);
      room_.notify_one();
    }
  }
  while (consumed_ == seen_head_) {
    uint64_t h = head_.load(std::memory_order_acquire);
    if (h & kDone) {
      h &= ~kDone;
      if (consumed_ >= h) return nullptr;
      seen_head_ = h;
      break;
    }
    if (h != consumed_ || spin_until([&] { return head_.load(std::memory_order_acquire) != consumed_; })) {
      seen_head_ = head_.load(std::memory_order_acquire) & ~kDone;
      if (seen_head_ != consumed_) break;
      continue;  // only the end mark changed
    }
    std::unique_lock<std::mutex> lock(mutex_);
    consumer_wants_.store(consumed_ + kBatch, std::memory_order_seq_cst);
    if (head_.load(std::memory_order_seq_cst) == consumed_) ready_.wait_for(lock, kNap);
    consumer_wants_.store(0, std::memory_order_relaxed);
  }
  return &ring_[consumed_++ & (kRing - 1)];
}

}  // namespace nl
