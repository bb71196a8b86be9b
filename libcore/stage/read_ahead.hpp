// The reading half of the packet loop: operands opened, captures read or pcap2pkt
// lines parsed back into frames, the BPF filter applied and packets decoded, as a
// stream of events in input order. It runs on a second thread while the caller's
// handlers (reassembly, parsers, JSON output) run on the first, so the two halves
// of every binary's work overlap; a bounded ring sits between them. Everything the
// user sees (messages, counters, handlers) stays on the caller's thread.
#pragma once
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <deque>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "libcore/stage/input.hpp"
#include "libcore/decode/packet.hpp"
#include "libcore/flow/shard.hpp"
#include "libcore/record/pkt.hpp"

namespace nl {

struct InputEvent {
  enum class Kind : uint8_t {
    begin_input,   // input `input` opened (text: its display name)
    open_failed,   // text: why
    packet,        // packet (numbered) + decoded; from_json: it came from a pcap2pkt line
    other_shard,   // like packet, but of another shard than ReadAheadOptions::shard
    filtered,      // a packet the filter rejected; text: a filter error to report once, or empty
    no_ip,         // a pkt line without an IP layer
    other_line,    // text: a JSON line of another record type
    line_error,    // text: what is wrong with JSON line line_no
    line_too_long, // line line_no was over the cap and skipped
    raw_line,      // text: a JSON line left for the caller to read (LineDecoder)
    read_error,    // text: the capture's or the pipe's error; the input ends here
    read_skipped,  // text: a corrupt capture record skipped (line_no: the packet number in the input); reading goes on
    end_input,
  };
  Kind kind = Kind::end_input;
  bool from_json = false;
  size_t input = 0;
  uint64_t bytes_read = 0;  // of this input so far
  uint64_t line_no = 0;
  Packet packet;            // packet.data points into `frame` or into a mapped capture
  Decoded decoded;
  FrameBytes frame;
  std::string text;
  LineProblem problem;      // line_error: text's kind and cause, for the message once per cause
  // other_line: the line, in `text` or (read on the caller's thread) in the
  // reader's buffer, valid while the event is handled.
  std::string_view line;
  // With ReadAheadOptions::format: the packet's output, made on the reading thread.
  bool formatted = false;
  std::string output;
  size_t held = 0;          // bytes of text and frame: counted against the byte budget
};

struct ReadAheadOptions {
  std::vector<std::string> inputs;  // "-": stdin
  std::string filter;
  bool accept_pkt_jsonl = true;
  bool need_payload = true;
  bool strict = false;              // a bad JSON line ends its input
  DecodeOptions decode;
  ShardSpec shard;                  // packets of other shards come as other_shard, unformatted
  bool thread = true;               // false: everything on the caller's thread
  // A pure function from a decoded packet to its output. When set, the reading
  // thread formats packets while the caller lags behind (the caller formats the
  // rest), so that a binary whose work is mostly formatting (pcap2pkt) keeps
  // both threads busy.
  std::function<void(const Packet&, const Decoded&, std::string&)> format;
  // Hand JSON lines over unread (raw_line) while the caller waits for events, so
  // that both threads parse when parsing is the slower half. Not with `strict`.
  bool share_lines = false;
  // JSON lines of other record types are told apart by their leading "type"
  // alone, unchecked: the caller reads each of them whole (LineDecoder).
  bool skim_other_lines = false;
};

class BpfFilterSet;

// A pcap2pkt line into an event: packet (filtered, decoded), no_ip, other_line or
// line_error. One per thread.
class LineDecoder {
 public:
  // skim_other_types: see PktReader::skim_other_types. lines_outlive_events: each
  // line stays valid until its event is handled, so an other_line event points
  // at it rather than copying it (a stage's whole input, on piped session records).
  LineDecoder(const std::string& filter, bool need_payload, DecodeOptions decode, bool skim_other_types = false,
              bool lines_outlive_events = false, ShardSpec shard = {});
  ~LineDecoder();
  // `filter_reported`: a filter error was already reported for this input.
  void fill(std::string_view line, InputEvent& ev, bool& filter_reported);

 private:
  std::unique_ptr<BpfFilterSet> bpf_;
  PktReader reader_;
  RebuiltPacket rebuilt_;
  std::string type_, message_;
  bool need_payload_;
  DecodeOptions decode_;
  bool lines_outlive_events_;
  ShardSpec shard_;
};

class ReadAhead {
 public:
  explicit ReadAhead(ReadAheadOptions opt);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next event, valid until the next call; nullptr after the last.
  InputEvent* next();

  // Whether a second thread is worth it for these inputs: not on one CPU, not for
  // one shard of a split (`shard`), and not in a pipeline (an input or stdout is a
  // pipe), where the other stages or shards need the cores. NETLINES_THREADS=1 or 2
  // decides instead.
  static bool use_thread(const std::vector<std::string>& inputs, bool shard = false);

 private:
  struct Producer;
  static constexpr size_t kRing = 1024;  // events in flight; a power of two

  void run_producer();

  std::unique_ptr<Producer> producer_;
  // Ended inputs with the number of their end_input event, kept open (mapped)
  // until the caller is past it. Producer thread only, then the destructor.
  std::deque<std::pair<uint64_t, StageInput>> retired_;
  std::vector<InputEvent> ring_;
  bool threaded_ = false;
  // Events produced (with kDone set after the last) and consumed so far; the
  // ring holds [tail, head). Each side sleeps on a condition variable only after
  // a short spin, and is woken a batch at a time.
  static constexpr uint64_t kDone = uint64_t(1) << 63;
  static constexpr uint64_t kBatch = 256;     // a sleeping consumer is woken for this many
  static constexpr uint64_t kTailBatch = 64;  // handled slots are handed back this many at a time
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
  alignas(64) uint64_t consumed_ = 0;  // consumer's count, published to tail_ in batches
  uint64_t seen_head_ = 0;             // consumer's last read of head_
  uint64_t freed_local_ = 0;           // consumer: bytes of handled events not yet published
  // Bytes of lines and copied frames in flight are capped too (a line may be
  // 100 MB): the producer waits while produced - freed exceeds kMaxHeld.
  static constexpr uint64_t kMaxHeld = 32u << 20;
  alignas(64) std::atomic<uint64_t> freed_bytes_{0};
  // A sleeping consumer's wish: woken once head reaches it (0: not sleeping).
  alignas(64) std::atomic<uint64_t> consumer_wants_{0};
  // A sleeping producer, and the tail that frees half the ring: woken once then,
  // not at every batch handed back (each wake-up is a context switch each way).
  std::atomic<bool> producer_sleeping_{false};
  std::atomic<uint64_t> producer_wants_{0};
  std::atomic<bool> cancel_{false};
  std::mutex mutex_;
  std::condition_variable ready_;      // events to handle
  std::condition_variable room_;       // slots to fill
  std::thread thread_;
};

}  // namespace nl
