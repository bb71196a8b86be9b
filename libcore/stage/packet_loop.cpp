#include "libcore/stage/packet_loop.hpp"

#include <sys/stat.h>

#include "libcore/cli/common.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/interrupt.hpp"
#include "libcore/stage/input.hpp"
#include "libcore/stage/read_ahead.hpp"

namespace nl {

std::function<void(std::string_view)> pass_lines(cli::Output& out) {
  return [&out](std::string_view line) {
    out.buffer().append(line);
    out.buffer() += '\n';
    out.maybe_flush();
  };
}

void print_capture_counts(const LiveStats& s) {
  if (!s.opened) return;
  cli::error(std::to_string(s.received) + " packets received by filter, " + std::to_string(s.dropped) +
             " dropped by kernel, " + std::to_string(s.if_dropped) + " dropped by interface");
}

void describe_capture(const LiveStats& s, std::string& out) {
  if (!s.opened) return;
  cli::append_counter(out, "capture.received", s.received);
  cli::append_counter(out, "capture.dropped_by_kernel", s.dropped);
  cli::append_counter(out, "capture.dropped_by_interface", s.if_dropped);
}

int finish_packet_tool(const PacketLoopOptions& opt, int status, bool stats, const LiveStats& live,
                       const DecodeStats& decode, const std::function<void(cli::Summary&)>& add) {
  const bool is_live = !opt.live.interface.empty();
  if (is_live) print_capture_counts(live);
  if (stats && (!is_live || live.opened)) {
    cli::Summary s;
    describe_capture(live, s.text());
    decode.describe(s.text());
    if (add) add(s);
    s.print();
  }
  return cli::exit_status(status);
}

namespace {

// An input that may wait for data (a pipe from a live capture upstream, a
// socket, a terminal), as opposed to a file that is read through.
bool may_wait(const std::string& name) {
  struct stat st;
  int rc = name == "-" ? ::fstat(0, &st) : ::stat(name.c_str(), &st);
  return rc == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode));
}

}  // namespace

int run_packet_loop(const PacketLoopOptions& opt, const PacketLoopHandlers& h, DecodeStats& stats,
                    LiveStats* live_stats) {
  int status = cli::kExitOk;
  Decoded d;
  uint64_t number = 0;
  cli::Output& out = cli::Output::stdout_();
  auto deliver = [&](const Packet& p, Decoded& dd) {
    if (!h.record) return h.packet(p, dd);
    h.record(p, dd, out.buffer());
    out.maybe_flush();
  };
  out.set_line_buffered(opt.line_buffered);

  if (!opt.live.interface.empty()) {
    // A live capture runs until a signal (cli::init installed the handlers):
    // that is its normal end, with the reason eof and status 0, not an interruption.
    stop_is_normal_end();
    out.set_live(true);
    LiveStats local;
    LiveStats& ls = live_stats ? *live_stats : local;  // current during the run
    LiveOptions lopt = opt.live;
    if (!lopt.notice) lopt.notice = [](const std::string& m) { cli::error(m); };
    std::string err;
    bool ok = live_capture(
        lopt, stop_flag(),
        [&](const Packet& p) {
          Packet q = p;
          q.number = ++number;
          decode_frame(q.linktype, q.data, q.origlen, d, opt.decode);
          if (!in_shard(d, opt.shard)) {
            ++stats.other_shard;
            if (h.other_shard) h.other_shard(q, d);
            return;
          }
          stats.count(q, d);
          deliver(q, d);
          out.tick();
        },
        ls, err, [&] {
          if (h.live_idle) h.live_idle();
          out.input_idle();
        });
    if (h.idle) h.idle();
    if (!ok) {
      cli::error(err);
      return cli::kExitInput;
    }
    return status;
  }

  std::vector<std::string> inputs = opt.inputs;
  if (inputs.empty()) inputs.push_back("-");
  // Records of a live source upstream (`pcap2pkt -i eth0 | tcpflow-reasm`) go out
  // as they come too, whatever stdout is: a file may be followed (tail -f).
  for (const std::string& in : inputs)
    if (may_wait(in)) out.set_live(true);
  cli::Progress progress(opt.progress, inputs, false);
  cli::Progress* prog = progress.active() ? &progress : nullptr;  // null: no cost per packet
  ReadAheadOptions ropt;
  ropt.inputs = inputs;
  ropt.filter = opt.filter;
  ropt.accept_pkt_jsonl = opt.accept_pkt_jsonl;
  ropt.need_payload = opt.need_payload;
  ropt.strict = opt.strict;
  ropt.decode = opt.decode;
  ropt.shard = opt.shard;
  ropt.skim_other_lines = opt.other_lines_checked;
  ropt.thread = ReadAhead::use_thread(inputs, opt.shard.active());
  if (ropt.thread && h.record) ropt.format = h.record;
  ropt.share_lines = ropt.thread && !opt.strict && !ropt.format;
  // Lines handed over unread are parsed here, into `local`.
  // Its lines are the raw_line events' text, handled before the ring slot is reused.
  LineDecoder lines(opt.filter, opt.need_payload, opt.decode, opt.other_lines_checked, true, opt.shard);
  InputEvent local;
  bool filter_reported = false;          // by this thread's decoder, for the current input
  size_t filter_error_shown = SIZE_MAX;  // input whose filter error is on stderr already
  ReadAhead reader(std::move(ropt));
  LineProblems problems;  // JSON lines: told once per cause, counted
  std::string shown;
  using Kind = InputEvent::Kind;
  while (InputEvent* ev = reader.next()) {
    if (ev->kind == Kind::raw_line) {
      local.kind = Kind::end_input;
      local.text.clear();
      local.formatted = false;
      lines.fill(ev->text, local, filter_reported);
      local.from_json = true;
      local.input = ev->input;
      local.line_no = ev->line_no;
      local.bytes_read = ev->bytes_read;
      ev = &local;
    }
    if (prog && (ev->kind == Kind::packet || ev->kind == Kind::other_shard || ev->kind == Kind::filtered || ev->kind == Kind::no_ip ||
                 ev->kind == Kind::other_line || ev->kind == Kind::line_error || ev->kind == Kind::line_too_long)) {
      ev->from_json ? prog->record(ev->bytes_read) : prog->packet(ev->bytes_read);
    }
    switch (ev->kind) {
      case Kind::begin_input:
        shown = ev->text;
        filter_reported = false;
        if (prog) prog->begin_input(ev->input, shown);
        break;
      case Kind::open_failed:
        cli::error(display_name(inputs[ev->input]), ev->text);
        status = cli::kExitInput;
        if (prog) prog->end_input(ev->input, 0);
        break;
      case Kind::packet:
        ev->packet.number = ++number;
        stats.count(ev->packet, ev->decoded);
        if (ev->formatted) {
          out.buffer() += ev->output;
          out.maybe_flush();
        } else {
          deliver(ev->packet, ev->decoded);
        }
        break;
      case Kind::other_shard:
        ++number;  // numbered as in the unsharded run
        ++stats.other_shard;
        if (h.other_shard) h.other_shard(ev->packet, ev->decoded);
        break;
      case Kind::filtered:
        ++number;
        ++stats.filtered_out;
        if (!ev->text.empty() && filter_error_shown != ev->input) {
          cli::error(shown, ev->text);
          filter_error_shown = ev->input;
          status = cli::kExitInput;
        }
        break;
      case Kind::no_ip:
        ++number;
        ++stats.packets;
        ++stats.non_ip_records;
        if (opt.non_ip_is_error) {
          LineProblem p;
          p.set(line_problem::no_frame, "no IP layer to rebuild a frame from",
                "no IP layer to rebuild a frame from (run pcap2pkt with --payload=frame)");
          problems.report(shown, ev->line_no, p);
          status = cli::kExitInput;
        }
        break;
      case Kind::other_line:
        if (h.other_line) h.other_line(ev->line, shown, ev->line_no);
        break;
      case Kind::line_error:
        problems.report(shown, ev->line_no, ev->problem);
        status = cli::kExitInput;
        break;
      case Kind::line_too_long:
        problems.report(shown, ev->line_no, line_too_long_problem());
        status = cli::kExitInput;
        break;
      case Kind::read_error:
        cli::error(shown, ev->text);
        status = cli::kExitInput;
        break;
      case Kind::read_skipped:
        cli::error(shown, ev->line_no, ev->text);
        status = cli::kExitInput;
        break;
      case Kind::end_input:
        if (prog) prog->end_input(ev->input, ev->bytes_read);
        if (h.idle) h.idle();
        break;
      case Kind::raw_line:
        break;  // made into `local` above
    }
  }
  if (prog) prog->finish();
  problems.finish();
  for (const auto& [kind, n] : problems.by_kind()) stats.bad_lines[kind] += n;
  return status;
}

}  // namespace nl
