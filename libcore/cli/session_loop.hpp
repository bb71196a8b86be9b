// The input side of the stages above reassembly (tcpflow-reasm, httpextract,
// tlssni): captures and pcap2pkt lines go through IP defragmentation and the TCP
// engine; tcpflow-reasm lines go through SessionRecordReader. Either way the
// stage's SessionSink sees the same calls.
#pragma once
#include <functional>
#include <string_view>

#include "libcore/cli/common.hpp"
#include "libcore/cli/packet_loop.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/reasm/defrag.hpp"
#include "libcore/reasm/tcp.hpp"

namespace nl {

// Defragmentation in front of the TCP engine: what a capture-reading stage feeds.
class TcpPipeline {
 public:
  TcpPipeline(SessionSink& sink, const TcpOptions& tcp, const DefragOptions& defrag = {})
      : defrag_(defrag), tcp_(sink, tcp) {}
  void feed(const Packet& p, const Decoded& d);
  void finish() { tcp_.finish(); }
  const TcpReassembler& tcp() const { return tcp_; }
  const Defragmenter& defrag() const { return defrag_; }

 private:
  Defragmenter defrag_;
  TcpReassembler tcp_;
  Reassembled whole_;
  Decoded inner_;
};

struct SessionLoopOptions {
  PacketLoopOptions packets;         // inputs, filter, live capture, strictness
  TcpOptions tcp;
  DefragOptions defrag;
  bool accept_session_jsonl = true;  // tcpflow-reasm output accepted as input
};

struct SessionLoopHandlers {
  SessionSink* sink = nullptr;
  std::function<void(std::string_view line)> other_line;      // --pass
  std::function<void()> idle;                                 // between inputs
  std::function<void(const Packet&, const Decoded&)> packet;  // optional: per-packet logging
};

struct SessionLoopStats {
  DecodeStats decode;
  TcpReassembler::Stats tcp;
  Defragmenter::Stats defrag;
  uint64_t session_records = 0;      // tcpflow-reasm lines consumed
  // "  name: value" lines for --stats.
  void describe(std::string& out) const;
};

// --pass (httpextract, tlssni): a handler for SessionLoopHandlers::other_line that
// copies the input records the stage does not consume to `out` unchanged.
std::function<void(std::string_view)> pass_lines(cli::Output& out);

int run_session_loop(const SessionLoopOptions& opt, const SessionLoopHandlers& h, SessionLoopStats& stats);

// The end of a main whose stage only writes records to `out` (httpextract, tlssni):
// runs the loop with `out` flushed between inputs and, with `pass`, the records the
// stage does not consume copied to it; finishes `out`; with `stats`, prints the
// loop's counters and then those add_stage_stats adds. Returns the exit status.
// (tcpflow-reasm runs the loop itself: it logs packets and closes its --dump files
// before finishing the output.)
int run_session_tool(const SessionLoopOptions& opt, SessionSink& sink, cli::Output& out, bool pass, bool stats,
                     const std::function<void(cli::Summary&)>& add_stage_stats);

}  // namespace nl
