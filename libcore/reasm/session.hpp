// The contract between the TCP reassembly engine and everything above it
// (tcpflow-reasm's records, the HTTP and TLS parsers). Above the engine, a TCP
// session is a sequence of monologues (Net::Analysis): the bytes one side sent
// before the other side sent data. A monologue is delivered in pieces: a piece
// ends at a gap in the stream, at --max-chunk bytes, or where the monologue ends.
// Both the direct path (capture -> engine) and the piped path (tcpflow-reasm JSON
// -> reader) produce exactly these calls, so every consumer gives the same records.
#pragma once
#include <cstdint>
#include <string>

#include "libcore/bytes.hpp"
#include "libcore/flow/key.hpp"
#include "libcore/time.hpp"

namespace nl {

enum class Dir : uint8_t { c2s = 0, s2c = 1 };
inline const char* dir_name(Dir d) { return d == Dir::c2s ? "c2s" : "s2c"; }

// How the client was chosen.
enum class ClientRule : uint8_t {
  syn,          // it sent the SYN (or the SYN-ACK was seen from the other side)
  port,         // inferred: the side with the higher port when no handshake was seen
                // (well-known server ports below the client's ephemeral one)
};

struct SessionView {
  uint64_t session_no = 0;    // 1-based, in order of first appearance in this run
  uint64_t flow_id = 0;
  std::string community_id;
  FlowKey key;                // oriented client -> server
  Timestamp start;            // first packet seen
  ClientRule client_rule = ClientRule::syn;
  bool handshake_seen = false;
  // A sink may clear this (in session_start or monologue) when it needs no more of
  // the session's bytes: the engine then only counts (no buffering, no further
  // pieces); session_end still comes, with the same totals. Other producers (the
  // tcpflow-reasm record reader) may ignore it, so a sink must not rely on it.
  mutable bool want_data = true;
};

struct MonologuePiece {
  Dir dir = Dir::c2s;
  uint64_t monologue_no = 0;  // 1-based within the session
  uint32_t piece_no = 0;      // 0-based within the monologue
  uint64_t offset = 0;        // offset of data[0] in this direction's byte stream
  uint64_t gap_before = 0;    // bytes missing right before data[0] (lost, never captured)
  Timestamp first_ts, last_ts;// capture times of the first and last segment in the piece
  uint32_t packets = 0;       // segments that contributed bytes to this piece
  bool last = false;          // the monologue ends with this piece
  Bytes data;                 // valid only during the call
};

// interrupted: the run was stopped by a signal (SIGINT, SIGTERM, SIGHUP) with the
// session still open; eof: the input ended with it open.
enum class EndReason : uint8_t { fin, rst, idle, eof, evicted, interrupted };
inline const char* end_reason_name(EndReason r) {
  switch (r) {
    case EndReason::fin: return "fin";
    case EndReason::rst: return "rst";
    case EndReason::idle: return "idle";
    case EndReason::eof: return "eof";
    case EndReason::evicted: return "evicted";
    case EndReason::interrupted: return "interrupted";
  }
  return "eof";
}

struct DirectionTotals {
  uint64_t packets = 0;       // TCP segments seen in this direction
  uint64_t bytes = 0;         // stream bytes delivered (each byte once)
  uint64_t missing = 0;       // bytes never captured (gaps)
  uint64_t retransmitted = 0; // payload bytes dropped as already seen
  uint64_t dropped_over_cap = 0;  // payload bytes never seen before, dropped because they came
                                  // after an out-of-order bound gave their range up (in missing)
  uint64_t truncated = 0;     // bytes not kept because of --max-session-size
};

struct SessionEnd {
  EndReason reason = EndReason::eof;
  Timestamp end;              // last packet seen
  DirectionTotals c2s, s2c;
  Dir closed_by = Dir::c2s;   // who sent the first FIN/RST (meaningful for fin/rst)
};

// Receives a session's life in order: start, pieces, end.
class SessionSink {
 public:
  virtual ~SessionSink() = default;
  virtual void session_start(const SessionView& s) = 0;
  virtual void monologue(const SessionView& s, const MonologuePiece& p) = 0;
  virtual void session_end(const SessionView& s, const SessionEnd& e) = 0;
};

}  // namespace nl
