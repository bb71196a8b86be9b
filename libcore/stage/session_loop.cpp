#include "libcore/stage/session_loop.hpp"

#include "libcore/cli/common.hpp"
#include "libcore/interrupt.hpp"
#include "libcore/stage/input.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/record/session_record.hpp"

namespace nl {

void SessionLoopStats::describe(std::string& out) const {
  describe_capture(capture, out);
  decode.describe(out);
  if (session_records) cli::append_counter(out, "session_records_read", session_records);
  for (auto& [k, v] : defrag.named()) cli::append_counter(out, "defrag.", k, v);
  for (auto& [k, v] : tcp.named()) cli::append_counter(out, "tcp.", k, v);
}

int run_session_loop(const SessionLoopOptions& opt, const SessionLoopHandlers& h, SessionLoopStats& stats) {
  DatagramOptions dopt = opt.datagrams;
  dopt.decode = opt.packets.decode;
  DatagramPath datagrams(dopt);
  TcpReassembler tcp(*h.sink, opt.tcp);
  SessionRecordReader reader(*h.sink);
  int reader_status = cli::kExitOk;
  LineProblems problems;  // session records: told once per cause, counted
  std::string type, message;

  PacketLoopOptions popt = opt.packets;
  popt.need_payload = true;
  // The session reader reads every other line whole (and says when one is bad);
  // --strict needs a bad line seen by the packet loop, which stops there.
  popt.other_lines_checked = opt.accept_session_jsonl && !popt.strict;
  PacketLoopHandlers ph;
  ph.packet = [&](const Packet& p, Decoded& d) {
    if (h.packet) h.packet(p, d);
    datagrams.feed(p, d, [&](const Packet& whole, const Decoded& wd) {
      tcp.feed(whole, wd);
      if (h.datagrams && wd.l4 != L4::tcp) h.datagrams->on_datagram(whole, wd);
    });
  };
  ph.idle = h.idle;
  // Lines that are not pkt records: tcpflow-reasm records, or others to pass through.
  ph.other_line = [&](std::string_view line, const std::string& file, uint64_t line_no) {
    if (!opt.accept_session_jsonl) {
      if (h.other_line) h.other_line(line);
      return;
    }
    switch (reader.read(line, type, message)) {
      case SessionRecordReader::Status::ok:
        ++stats.session_records;
        // Handed on too: the next analyser in the pipe reads the same reassembly.
        [[fallthrough]];
      case SessionRecordReader::Status::not_session:
        if (h.other_line) h.other_line(line);
        break;
      case SessionRecordReader::Status::error:
        problems.report(file, line_no, reader.problem());
        reader_status = cli::kExitInput;
        break;
    }
  };
  int status = run_packet_loop(popt, ph, stats.decode, &stats.capture);
  problems.finish();
  for (const auto& [kind, n] : problems.by_kind()) stats.decode.bad_lines[kind] += n;
  // Sessions still open end here: at the end of input, or where a signal stopped the run.
  EndReason why = interrupted() ? EndReason::interrupted : EndReason::eof;
  tcp.finish(why);
  reader.finish(why);
  if (h.datagrams) h.datagrams->finish(why);
  if (h.idle) h.idle();
  stats.tcp = tcp.stats();
  stats.defrag = datagrams.stats();
  return status != cli::kExitOk ? status : reader_status;
}

int run_session_tool(const SessionLoopOptions& opt, SessionSink& sink, cli::Output& out, bool pass, bool stats,
                     const std::function<void(cli::Summary&)>& add_stage_stats, DatagramSink* datagrams) {
  SessionLoopHandlers h;
  h.sink = &sink;
  h.datagrams = datagrams;
  h.idle = [&out] { out.flush(); };
  if (pass) h.other_line = pass_lines(out);
  SessionLoopStats st;
  int status = run_session_loop(opt, h, st);
  out.finish();
  bool live = !opt.packets.live.interface.empty();
  if (live) print_capture_counts(st.capture);
  if (stats && (!live || st.capture.opened)) {
    cli::Summary s;
    st.describe(s.text());
    if (add_stage_stats) add_stage_stats(s);
    s.print();
  }
  return cli::exit_status(status);
}

}  // namespace nl
