// The input side of the stages above reassembly (tcpflow-reasm, httpextract,
// tlssni): captures and pcap2pkt lines go through the datagram path and the TCP
// engine; tcpflow-reasm lines go through SessionRecordReader. Either way the
// stage's SessionSink sees the same calls.
#pragma once
#include <functional>
#include <string_view>

#include "libcore/cli/common.hpp"
#include "libcore/stage/packet_loop.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/reasm/datagrams.hpp"
#include "libcore/reasm/tcp.hpp"

namespace nl {

struct SessionLoopOptions {
  PacketLoopOptions packets;         // inputs, filter, live capture, strictness
  TcpOptions tcp;
  DatagramOptions datagrams;         // IP defragmentation in front of the TCP engine
  bool accept_session_jsonl = true;  // tcpflow-reasm output accepted as input
};

struct SessionLoopHandlers {
  SessionSink* sink = nullptr;
  // Optional: every whole datagram that is not TCP (UDP analysers beside the TCP ones).
  DatagramSink* datagrams = nullptr;
  // --pass: every JSON line read but pkt lines, tcpflow-reasm's included (after
  // the records they caused), so analysers in a pipe share one reassembly.
  std::function<void(std::string_view line)> other_line;
  std::function<void()> idle;                                 // between inputs
  std::function<void(const Packet&, const Decoded&)> packet;  // optional: per-packet logging
};

struct SessionLoopStats {
  DecodeStats decode;
  TcpReassembler::Stats tcp;
  Defragmenter::Stats defrag;
  uint64_t session_records = 0;      // tcpflow-reasm lines consumed
  LiveStats capture;                 // live capture: the kernel's counts
  // "  name: value" lines for --stats.
  void describe(std::string& out) const;
};

int run_session_loop(const SessionLoopOptions& opt, const SessionLoopHandlers& h, SessionLoopStats& stats);

// The end of a main whose stage only writes records to `out` (httpextract, tlssni):
// runs the loop with `out` flushed between inputs and, with `pass`, the records the
// stage does not consume copied to it; finishes `out`; with `stats`, prints the
// loop's counters and then those add_stage_stats adds; after a live capture, the
// kernel's counts (print_capture_counts) first, and no summary when it failed to start. Returns the exit status
// (cli::exit_status: 128 + the signal when one stopped the run).
// (tcpflow-reasm runs the loop itself: it logs packets and closes its --dump files
// before finishing the output.)
// `datagrams`, when set, also gets every whole datagram that is not TCP.
int run_session_tool(const SessionLoopOptions& opt, SessionSink& sink, cli::Output& out, bool pass, bool stats,
                     const std::function<void(cli::Summary&)>& add_stage_stats, DatagramSink* datagrams = nullptr);

}  // namespace nl
