#include "libcore/cli/packet_loop.hpp"

#include <atomic>
#include <csignal>

#include "libcore/cli/common.hpp"
#include "libcore/cli/input.hpp"
#include "libcore/record/pkt.hpp"

namespace nl {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

// Applies the filter; a filter that cannot compile for a link type is reported once.
bool passes(BpfFilterSet& bpf, const Packet& p, const std::string& file, bool& reported, int& status) {
  if (bpf.empty()) return true;
  std::string err;
  if (bpf.matches(p, err)) return true;
  if (!err.empty() && !reported) {
    cli::error(display_name(file), "filter: " + err);
    reported = true;
    status = cli::kExitInput;
  }
  return false;
}

}  // namespace

bool parse_time_format(const std::string& s, TimeFormat& f) {
  if (s == "iso") f = TimeFormat::iso;
  else if (s == "epoch") f = TimeFormat::epoch;
  else return false;
  return true;
}

bool check_time_option(const std::string& value, TimeFormat& f) {
  if (parse_time_format(value, f)) return true;
  cli::error("--time: expected iso or epoch, got '" + value + "'");
  return false;
}

bool check_filter_option(const std::string& expr) {
  if (expr.empty()) return true;
  std::string err;
  BpfFilterSet check(expr);
  if (check.check(err)) return true;
  cli::error("bad filter expression: " + err);
  return false;
}

int run_packet_loop(const PacketLoopOptions& opt, const PacketLoopHandlers& h, DecodeStats& stats,
                    LiveStats* live_stats) {
  int status = cli::kExitOk;
  BpfFilterSet bpf(opt.filter);
  Decoded d;
  uint64_t number = 0;

  if (!opt.live.interface.empty()) {
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    LiveStats ls;
    std::string err;
    bool ok = live_capture(
        opt.live, g_stop,
        [&](const Packet& p) {
          Packet q = p;
          q.number = ++number;
          decode_frame(q.linktype, q.data, q.origlen, d, opt.decode);
          stats.count(q, d);
          h.packet(q, d);
        },
        ls, err, h.live_idle);
    if (h.idle) h.idle();
    if (live_stats) *live_stats = ls;
    if (!ok) {
      cli::error(err);
      return cli::kExitInput;
    }
    return status;
  }

  std::vector<std::string> inputs = opt.inputs;
  if (inputs.empty()) inputs.push_back("-");
  PktReader pkt_reader;
  RebuiltPacket rebuilt;
  std::string type, message;
  cli::Progress progress(opt.progress, inputs, false);
  cli::Progress* prog = progress.active() ? &progress : nullptr;  // null: no cost per packet
  for (size_t index = 0; index < inputs.size(); ++index) {
    const std::string& name = inputs[index];
    std::string shown = display_name(name);
    bool filter_reported = false;
    StageInput in = open_stage_input(name, opt.accept_pkt_jsonl);
    if (in.kind == StageInput::Kind::failed) {
      cli::error(shown, in.error);
      status = cli::kExitInput;
      if (prog) prog->end_input(index);
      continue;
    }
    if (prog) prog->begin_input(index, name, in.capture.get(), in.lines.get());
    if (in.kind == StageInput::Kind::capture) {
      Packet p;
      for (;;) {
        ReadStatus rs = in.capture->next(p);
        if (rs == ReadStatus::end) break;
        if (rs == ReadStatus::error) {
          cli::error(shown, in.capture->error());
          status = cli::kExitInput;
          break;
        }
        if (prog) prog->packet();
        p.number = ++number;
        if (!passes(bpf, p, name, filter_reported, status)) {
          ++stats.filtered_out;
          continue;
        }
        decode_frame(p.linktype, p.data, p.origlen, d, opt.decode);
        stats.count(p, d);
        h.packet(p, d);
      }
    } else {
      std::string_view line;
      bool stop = false;
      for (;;) {
        LineReader::Status ls = in.lines->next(line);
        if (ls == LineReader::Status::end) break;
        if (ls == LineReader::Status::error) {
          cli::error(shown, in.lines->error());
          status = cli::kExitInput;
          break;
        }
        if (prog) prog->record();
        uint64_t line_no = in.lines->line_number();
        if (ls == LineReader::Status::too_long) {
          cli::error(shown, line_no, "line too long, skipped");
          status = cli::kExitInput;
          if (opt.strict) break;
          continue;
        }
        if (line.empty()) continue;
        PktReadStatus r = pkt_reader.read(line, opt.need_payload, rebuilt, type, message);
        switch (r) {
          case PktReadStatus::ok: {
            Packet& p = rebuilt.packet;
            ++number;
            if (!passes(bpf, p, name, filter_reported, status)) {
              ++stats.filtered_out;
              break;
            }
            decode_frame(p.linktype, p.data, p.origlen, d, opt.decode);
            stats.count(p, d);
            h.packet(p, d);
            break;
          }
          case PktReadStatus::not_pkt:
            if (h.other_line) h.other_line(line, shown, line_no);
            break;
          case PktReadStatus::no_ip:
            ++number;
            ++stats.packets;
            ++stats.non_ip_records;
            break;
          case PktReadStatus::error:
            cli::error(shown, line_no, message);
            status = cli::kExitInput;
            if (opt.strict) stop = true;
            break;
        }
        if (stop) break;
      }
    }
    if (prog) prog->end_input(index);
    if (h.idle) h.idle();
  }
  if (prog) prog->finish();
  return status;
}

}  // namespace nl
