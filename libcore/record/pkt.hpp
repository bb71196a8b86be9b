// The `pkt` record: one JSON line per captured packet (pcap2pkt's output), and the
// way back: a pkt line rebuilt into a frame that the decoders read exactly as they
// read the original, so every later stage sees the same Decoded fields on both paths.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libcore/decode/packet.hpp"
#include "libcore/json/writer.hpp"
#include "libcore/record/problem.hpp"

namespace nl {

// frame: the whole captured frame and its link type, instead of the payload, so
// that a reader (pkt2pcap, every stage) gets the captured bytes back exactly.
enum class PayloadMode { b64, none, text, head, frame };

struct PktOptions {
  PayloadMode payload = PayloadMode::b64;
  size_t head_bytes = 0;      // for PayloadMode::head: base64 of the first N bytes
  TimeFormat time = TimeFormat::iso;
};

// Appends one pkt record (with a trailing newline) to `out`.
void write_pkt_record(std::string& out, const Packet& pkt, const Decoded& d, const PktOptions& opt);

// Bytes whose resize() leaves the new ones unset: a rebuilt frame's payload is
// decoded straight into it, and zeroing it first would cost a pass over the bytes.
template <class T>
struct UninitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitAllocator<U>;
  };
  UninitAllocator() = default;
  template <class U>
  UninitAllocator(const UninitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using FrameBytes = std::vector<uint8_t, UninitAllocator<uint8_t>>;

// A pkt line turned back into a frame. `frame` owns the bytes; packet.data points into it.
struct RebuiltPacket {
  Packet packet;
  FrameBytes frame;
};

enum class PktReadStatus {
  ok,
  not_pkt,        // a record of another type (pass it through or skip it)
  no_ip,          // a pkt record without an IP layer (ARP, unknown ethertype): nothing to rebuild
  error,          // malformed: see message
};

// Parses one JSON line. On ok, `out` holds the record's captured frame when it has
// one (pcap2pkt --payload=frame; then also for packets without IP), else a frame
// rebuilt from its fields, of link type ethernet (with the record's VLAN tags) or
// raw IP (out.packet.rebuilt set). When `need_payload` and the record has no full
// payload (pcap2pkt --payload=none/text/head), it is an error that says so.
// `type` receives the record's "type" (for not_pkt).
class PktReader {
 public:
  // Lines are read by a fast scanner, or by simdjson's DOM when the scanner gives
  // up; `dom_only` always uses the DOM (tests compare the two).
  explicit PktReader(bool dom_only = false);
  ~PktReader();
  // On error, `message` says what is wrong with the line, and problem() the same
  // as its counter's kind and its cause (what lines with this problem share).
  PktReadStatus read(std::string_view line, bool need_payload, RebuiltPacket& out,
                     std::string& type, std::string& message);
  const LineProblem& problem() const;
  // Lines the scanner left to the DOM (an escape, a fraction, invalid JSON...).
  uint64_t dom_reads() const;
  // Lines read as pcap2pkt lays them out, without the scanner's key lookups.
  uint64_t layout_reads() const;
  // From now on, a line that starts {"type":"<t>" with t plainly not "pkt" is
  // not_pkt at once, the rest unread and unchecked: for a caller that reads every
  // such line whole itself (a stage reading the previous stage's records), which
  // otherwise paid for two full readings of each.
  void skim_other_types() { skim_other_types_ = true; }

 private:
  struct Impl;
  Impl* impl_;
  bool skim_other_types_ = false;
};

}  // namespace nl
