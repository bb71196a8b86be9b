// TCP session and stream reassembly: decoded packets in, SessionSink calls out
// (session_start, monologue pieces, session_end; see session.hpp).
//
// Policies (each documented where it is implemented in tcp.cpp):
// - Sessions are keyed by the canonical 5-tuple + outer VLAN (flow/key.hpp). A session
//   starts with a SYN or a segment with payload; a bare ACK/FIN/RST on no session (the
//   final ACK after a close) opens none (Stats::orphan_packets). IP fragments are not
//   handled here: run them through Defragmenter (defrag.hpp) first.
// - Client: the sender of a SYN without ACK; else the receiver of a SYN-ACK; else
//   ClientRule::port: the side with the lower port is the server (equal ports: the
//   first packet's destination is the server).
// - Stream offsets are 64-bit; a 32-bit sequence number is placed relative to the next
//   expected byte with serial-number arithmetic (RFC 1982), so wrap-around is free.
//   Offset 0 is ISN+1 when the SYN was seen, else the first data segment's sequence.
// - Overlaps among bytes not yet delivered (held out of order) follow TcpOptions::overlap
//   (first: the copy held first is kept, like BSD stacks; last: the newer copy replaces
//   it). Bytes already delivered are final either way: a receiving stack has already
//   handed them to the application. All duplicate bytes count as retransmitted; the
//   ones whose content differed from the held copy also count as overlap_bytes.
// - Bytes that arrive for a hole after an out-of-order bound gave it up (declared it a
//   gap so the data held past it could go) were never seen before: they count as
//   dropped_over_cap, not as retransmitted (flowstat counts them as new bytes too).
//   Bytes arriving for a hole the peer's ACK released are retransmissions (the ACK
//   proves an earlier copy the capture missed). The given-up ranges are remembered per
//   direction, at most kMaxCapGaps of them (the oldest forgotten first).
// - A hole is declared lost (a gap) when the peer acknowledges past it and data (or
//   the FIN) past it is held, when an out-of-order bound is hit, when the session ends,
//   or at once for payload the capture cut off (snap length). Nothing waits forever.
// - Sessions end on RST (reason rst, at once), FIN both ways once both streams are
//   complete up to their FINs and both FINs are acknowledged (reason fin: the final
//   ACK counts in session_end, as in flowstat; without it the session ends after
//   TcpOptions::close_grace_nsec of capture time without packets, or at the next
//   SYN on its 5-tuple, or at finish(), still with reason fin), a new SYN
//   with another ISN on a session that already has data or a FIN (port reuse: the old
//   one ends with reason fin if it saw a FIN, else evicted), idle timeout in capture
//   time (idle; reason fin if both FINs were seen), the max_sessions bound (evicted:
//   the least recently active session goes), and finish() (eof, or interrupted when
//   a signal stopped the run; in session_no order).
// - A sink that clears SessionView::want_data gets no further pieces of that session;
//   its bytes are then only counted (ordering, gaps, retransmissions, FIN/RST as
//   before, held out-of-order ranges without their bytes), so session_end is unchanged.
// Memory per session direction <= max_chunk (monologue buffer, one per session) +
// max_ooo_per_dir; in total <= max_buffered_total + max_chunk and max_ooo_total.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "libcore/decode/packet.hpp"
#include "libcore/reasm/session.hpp"

namespace nl {

enum class OverlapPolicy : uint8_t { first, last };
inline const char* overlap_policy_name(OverlapPolicy p) {
  return p == OverlapPolicy::first ? "first" : "last";
}

struct TcpOptions {
  OverlapPolicy overlap = OverlapPolicy::first;
  // 300 s: Zeek's tcp_inactivity_timeout; long enough for keep-alive HTTP and idle
  // TLS, short enough that a capture's dead flows release their memory.
  int64_t idle_timeout_nsec = 300'000'000'000LL;
  // A session closed by FINs both ways whose last FIN has not been acknowledged yet
  // stays this long (capture time, since its last packet) for the final ACK, so that
  // session_end counts it, as flowstat's close_grace (the same 5 s) does.
  int64_t close_grace_nsec = 5'000'000'000LL;
  size_t max_chunk = 1u << 20;           // a piece is emitted at this many bytes
  uint64_t max_session_size = 0;         // per direction; 0 = unlimited
  size_t max_sessions = 65536;           // live sessions; the least recently active is evicted
  size_t max_ooo_per_dir = 1u << 20;     // out-of-order bytes held per direction
  size_t max_ooo_total = 64u << 20;      // out-of-order bytes held in total
  size_t max_buffered_total = 256u << 20;// monologue buffer bytes in total (emit early above)
};

class TcpReassembler {
 public:
  struct Stats {
    uint64_t packets = 0;               // packets fed
    uint64_t tcp_packets = 0;           // of which TCP segments handled
    uint64_t non_tcp = 0;               // not TCP (or no IP layer)
    uint64_t fragments_ignored = 0;     // IP fragments: defragment before feeding
    uint64_t sessions = 0;              // sessions started
    uint64_t live_sessions = 0;         // open now
    uint64_t peak_sessions = 0;
    uint64_t evicted_sessions = 0;      // ended by max_sessions
    uint64_t timed_out = 0;             // ended by the idle timeout
    uint64_t port_reuse = 0;            // ended by a new SYN on their key
    uint64_t ended_fin = 0, ended_rst = 0, ended_eof = 0, ended_interrupted = 0;
    uint64_t bytes_delivered = 0;       // stream bytes handed to the sink
    uint64_t pieces = 0, monologues = 0;
    uint64_t retransmitted_bytes = 0;   // duplicate payload bytes dropped
    uint64_t dropped_over_cap_bytes = 0;// new payload bytes dropped: their hole was given up
                                        // for an out-of-order bound before they came
    uint64_t overlap_bytes = 0;         // duplicates whose content differed (policy applied)
    uint64_t ooo_segments = 0;          // segments held out of order
    uint64_t gap_bytes = 0;             // bytes never captured, reported as gaps
    uint64_t snaplen_cut_bytes = 0;     // of which: payload cut off by the snap length
    uint64_t ack_releases = 0;          // holes declared lost because the peer ACKed past them
    uint64_t buffer_cap_hits = 0;       // holes skipped because an out-of-order bound was hit
    uint64_t early_pieces = 0;          // pieces emitted early for max_buffered_total
    uint64_t truncated_by_max_session_size = 0;  // bytes not kept
    uint64_t data_after_fin_bytes = 0;  // payload past a FIN (ignored)
    uint64_t rst_payload_bytes = 0;     // payload carried by RST segments (ignored)
    uint64_t syn_retransmits = 0;
    uint64_t orphan_packets = 0;        // no session and no SYN or payload (a late ACK/FIN/RST
                                        // after the session ended): ignored, no session made
    uint64_t ooo_held_bytes = 0;        // held now (with per-segment overhead)
    uint64_t peak_ooo_held_bytes = 0;
    uint64_t buffered_bytes = 0;        // monologue buffers now
    uint64_t peak_buffered_bytes = 0;
    uint64_t data_stopped_sessions = 0; // sessions whose sink cleared want_data
    uint64_t bytes_not_delivered = 0;   // stream bytes counted but not handed over (want_data)
    std::vector<std::pair<const char*, uint64_t>> named() const;
  };

  TcpReassembler(SessionSink& sink, const TcpOptions& opt = {});
  ~TcpReassembler();
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;

  // One decoded packet (already defragmented). Packets need not be in time order;
  // timeouts follow the highest capture time seen.
  void feed(const Packet& p, const Decoded& d);
  // Ends every open session (reason eof, or `why`) in session_no order, flushing
  // held data.
  void finish(EndReason why = EndReason::eof);
  // Ends sessions idle for longer than the timeout at capture time `now` (feed calls
  // this once per second of capture time).
  void expire(const Timestamp& now);
  // The clock part of feed() alone, for a TCP packet this process does not handle
  // (another --shard's): timeouts then fall where they fall in a run with every packet.
  void advance(const Packet& p, const Decoded& d);

  Stats stats() const { return stats_; }
  size_t live_sessions() const { return table_.size(); }

  struct Session;  // opaque (tcp.cpp)

 private:
  struct KeyHash {
    size_t operator()(const FlowKey& k) const;
  };
  Session* new_session(const FlowKey& canon, bool flipped, const Packet& p, const Decoded& d);
  void end_session(Session* s, EndReason r);
  void lru_touch(Session* s);
  void lru_unlink(Session* s);
  // Both streams complete up to their FINs: ends the session once both FINs are
  // acknowledged, else moves it to the closing list (close_grace_nsec).
  void check_closed(Session* s);
  void process(Session* s, Dir dir, const Packet& p, const Decoded& d);
  void tick(const Timestamp& ts);  // moves the clock; expires once per kExpireEveryNsec

  SessionSink& sink_;
  TcpOptions opt_;
  Stats stats_;
  std::unordered_map<FlowKey, std::unique_ptr<Session>, KeyHash> table_;
  Session* lru_head_ = nullptr;  // least recently active
  Session* lru_tail_ = nullptr;
  Session* close_head_ = nullptr;  // closed sessions waiting for the final ACK, by last packet
  Session* close_tail_ = nullptr;
  std::vector<std::unique_ptr<Session>> free_;  // reused session objects (buffers kept)
  uint64_t next_session_no_ = 1;
  int64_t now_nsec_ = INT64_MIN;
  int64_t last_expire_nsec_ = INT64_MIN;
};

}  // namespace nl
