// The input side shared by every binary that consumes packets: operands (or stdin)
// that are captures or pcap2pkt JSON Lines, or a live interface; the BPF filter;
// packet numbering; decoding; and the errors the user is told about. A binary's
// main wires its options here and handles decoded packets.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "libcore/capture/live.hpp"
#include "libcore/cli/common.hpp"
#include "libcore/cli/capture_options.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/decode/packet.hpp"
#include "libcore/decode/stats.hpp"

namespace nl {

struct PacketLoopOptions {
  std::vector<std::string> inputs;   // empty: stdin
  std::string filter;                // BPF expression, applied to files, stdin and live capture
  LiveOptions live;                  // live.interface non-empty: capture live instead of reading inputs
  bool accept_pkt_jsonl = true;      // pcap2pkt output accepted as input
  bool need_payload = true;          // JSON input must carry payloads
  bool strict = false;               // stop at the first bad JSON line
  // The other_line handler reads every line it gets whole and reports one that
  // is not valid JSON: other records are then told apart by their leading
  // "type" alone, not read twice.
  bool other_lines_checked = false;
  // A pkt line without an IP layer, nor its frame, is a problem of that line (for
  // pkt2pcap, which has nothing to write for it), not counted and skipped.
  bool non_ip_is_error = false;
  DecodeOptions decode;
  cli::ProgressMode progress = cli::ProgressMode::automatic;  // reading inputs (never for live capture)
  bool line_buffered = false;        // a flush per record (else see cli::Output::set_live)
  ShardSpec shard;                   // --shard: packets of other shards go to other_shard

  // Takes what the user chose on the command line.
  void take(const cli::CaptureOptions& c) {
    inputs = c.inputs;
    filter = c.filter;
    live = c.live;
    strict = c.strict;
    progress = c.progress;
    line_buffered = c.line_buffered;
    shard = c.shard;
  }
};

struct PacketLoopHandlers {
  // Every decoded packet, in input order.
  std::function<void(const Packet&, Decoded&)> packet;
  // Instead of `packet`, for binaries whose work per packet is writing one record
  // (pcap2pkt): appends the packet's record to `out`. The loop writes the records
  // to stdout in input order, formatting them on the reading thread where it has one.
  std::function<void(const Packet&, const Decoded&, std::string& out)> record;
  // JSON lines of other record types (the next stage's, or for --pass), with the
  // input's display name and line number for messages; may be empty.
  std::function<void(std::string_view line, const std::string& file, uint64_t line_no)> other_line;
  // Called between inputs and at the end (e.g. to flush output).
  std::function<void()> idle;
  // --shard: a packet of another shard, numbered but not handed on. Only for what
  // every shard must see alike: the capture clock that times out flows.
  std::function<void(const Packet&, Decoded&)> other_shard;
  // Live capture only: called after each wait (up to 100 ms) in which no packet came.
  std::function<void()> live_idle;
};

// --pass: copies the input records a stage does not consume to `out` unchanged.
std::function<void(std::string_view line)> pass_lines(cli::Output& out);

// Live capture's end: the kernel's counts on stderr, in tcpdump's words ("N packets
// received by filter, N dropped by kernel, N dropped by interface"); nothing when
// the capture did not start (its error was told instead).
void print_capture_counts(const LiveStats& s);
// The same counts as --stats lines (capture.received, capture.dropped_by_kernel,
// capture.dropped_by_interface), when the capture started.
void describe_capture(const LiveStats& s, std::string& out);

// A packet tool's end, once its output is finished: a live capture's kernel counts,
// then with `stats` the --stats summary (capture and decode counts, then what `add`
// puts in; none when a live capture failed to start). Returns the exit status for
// the loop's `status`.
int finish_packet_tool(const PacketLoopOptions& opt, int status, bool stats, const LiveStats& live,
                       const DecodeStats& decode, const std::function<void(cli::Summary&)>& add = {});

// Runs to the end of all inputs. Output: records written by the handlers to
// cli::Output::stdout_() go out as they come (set_live) for a live capture and for
// an input that is a pipe, socket or terminal; with `line_buffered`, one write per record. Returns the exit status: 0, or 1 when any input
// had a problem (already reported on stderr). Fills `stats` and, for live capture, `live_stats`.
int run_packet_loop(const PacketLoopOptions& opt, const PacketLoopHandlers& h, DecodeStats& stats,
                    LiveStats* live_stats = nullptr);

}  // namespace nl
