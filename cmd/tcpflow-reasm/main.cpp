// tcpflow-reasm: TCP sessions reassembled into session_start, monologue and
// session_end records (Net::Analysis's events), from a capture or pcap2pkt output.
#include <sys/stat.h>

#include <string>

#include "libcore/cli/common.hpp"
#include "libcore/cli/options.hpp"
#include "libcore/stage/read_ahead.hpp"
#include "libcore/stage/session_loop.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/reasm/stream_dump.hpp"
#include "libcore/record/session_record.hpp"

namespace {

class ReasmSink : public nl::SessionSink {
 public:
  ReasmSink(nl::cli::Output& out, nl::DataMode data, nl::TimeFormat tf, int verbosity, nl::StreamDumper* dumper)
      : out_(out), data_(data), tf_(tf), verbosity_(verbosity), dumper_(dumper) {}

  void session_start(const nl::SessionView& s) override {
    nl::write_session_start(out_.buffer(), s, tf_);
    out_.maybe_flush();
    if (verbosity_ >= 1) log(s, "start");
  }
  void monologue(const nl::SessionView& s, const nl::MonologuePiece& p) override {
    nl::write_monologue(out_.buffer(), s, p, data_, tf_);
    out_.maybe_flush();
    if (verbosity_ >= 2)
      log(s, std::string("monologue ") + std::to_string(p.monologue_no) + "." + std::to_string(p.piece_no) + " " +
                 nl::dir_name(p.dir) + " " + std::to_string(p.data.size()) + " bytes at " + std::to_string(p.offset) +
                 (p.gap_before ? " after a gap of " + std::to_string(p.gap_before) : ""));
    if (dumper_ && !dumper_->write(s, p)) dump_failed();
  }
  void session_end(const nl::SessionView& s, const nl::SessionEnd& e) override {
    nl::write_session_end(out_.buffer(), s, e, tf_);
    out_.maybe_flush();
    if (dumper_ && !dumper_->end(s)) dump_failed();
    if (verbosity_ >= 1)
      log(s, std::string("end (") + nl::end_reason_name(e.reason) + ") c2s " + std::to_string(e.c2s.bytes) +
                 " bytes, s2c " + std::to_string(e.s2c.bytes) + " bytes");
  }

 private:
  // A full disk ends the run: what follows could not be written either.
  [[noreturn]] void dump_failed() {
    nl::cli::error(dumper_->error());
    out_.finish();
    std::_Exit(nl::cli::kExitInput);  // finish() flushed; the reading thread may still run
  }
  void log(const nl::SessionView& s, const std::string& what) {
    std::string t;
    nl::append_ip(t, s.key.src);
    t += ":" + std::to_string(s.key.sport) + " -> ";
    nl::append_ip(t, s.key.dst);
    t += ":" + std::to_string(s.key.dport);
    nl::cli::error("session " + std::to_string(s.session_no) + " " + t + ": " + what);
  }
  nl::cli::Output& out_;
  nl::DataMode data_;
  nl::TimeFormat tf_;
  int verbosity_;
  nl::StreamDumper* dumper_;
};

}  // namespace

int main(int argc, char** argv) {
  nl::cli::init(argc, argv, "tcpflow-reasm");
  CLI::App app{"Reassemble TCP sessions into JSON lines: session_start, monologue (the bytes one side sent\n"
               "before the other side spoke), session_end. Reads captures or pcap2pkt output ('-' or no FILE: stdin).",
               "tcpflow-reasm"};
  nl::SessionLoopOptions opt;
  opt.accept_session_jsonl = false;
  std::string overlap = "first", data = "b64", dump_dir;
  double idle = 300;
  uint64_t max_chunk = opt.tcp.max_chunk, max_session_size = 0, max_sessions = opt.tcp.max_sessions;
  int verbosity = 0;
  nl::cli::CaptureOptions co;
  nl::cli::add_capture_options(app, co, {.inputs_help = "Captures or pcap2pkt output to read ('-' for standard input)"});
  app.add_option("--overlap", overlap, "Overlapping retransmissions: first (keep the bytes seen first, default) or last");
  app.add_option("--idle", idle, "End a session after this many seconds without packets (capture time; default 300)")
      ->check(CLI::PositiveNumber);
  nl::cli::add_size_option(app, "--max-chunk", max_chunk, "Emit a monologue in pieces of at most this size (default 1M)");
  nl::cli::add_size_option(app, "--max-session-size", max_session_size,
                           "Keep at most this many bytes per session direction; count the rest (default: no limit)");
  nl::cli::add_size_option(app, "--max-sessions", max_sessions,
                           "Open sessions kept at once; beyond, the least recently active is ended (default 65536)");
  app.add_option("--dump", dump_dir, "Also write each direction's reassembled stream to a file in this directory");
  app.add_option("--data", data, "Monologue bytes in records: b64 (default) or none");
  app.add_flag("-v,--verbose", verbosity, "Log sessions on stderr; twice: also monologues");
  nl::cli::parse_or_exit(app, argc, argv, "an input had problems or a write failed");

  if (!nl::cli::check_capture_options(co)) return nl::cli::kExitUsage;
  opt.packets.take(co);
  nl::TimeFormat tf = co.time;
  if (overlap != "first" && overlap != "last") {
    nl::cli::error("--overlap: expected first or last, got '" + overlap + "'");
    return nl::cli::kExitUsage;
  }
  if (data != "b64" && data != "none") {
    nl::cli::error("--data: expected b64 or none, got '" + data + "'");
    return nl::cli::kExitUsage;
  }
  if (max_chunk == 0 || max_sessions == 0) {
    nl::cli::error("--max-chunk and --max-sessions must be positive");
    return nl::cli::kExitUsage;
  }
  opt.tcp.overlap = overlap == "first" ? nl::OverlapPolicy::first : nl::OverlapPolicy::last;
  opt.tcp.idle_timeout_nsec = int64_t(idle * 1e9);
  opt.tcp.max_chunk = size_t(max_chunk);
  opt.tcp.max_session_size = max_session_size;
  opt.tcp.max_sessions = size_t(max_sessions);
  std::unique_ptr<nl::StreamDumper> dumper;
  if (!dump_dir.empty()) {
    struct stat st;
    if (::stat(dump_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      nl::cli::error(dump_dir, "not a directory");
      return nl::cli::kExitUsage;
    }
    // Files are written on a thread of their own where reading has one too.
    dumper = std::make_unique<nl::StreamDumper>(dump_dir, nl::ReadAhead::use_thread(opt.packets.inputs));
  }

  nl::cli::Output& out = nl::cli::Output::stdout_();
  ReasmSink sink(out, data == "b64" ? nl::DataMode::b64 : nl::DataMode::none, tf, verbosity, dumper.get());
  nl::SessionLoopHandlers h;
  h.sink = &sink;
  if (co.pass) h.other_line = nl::pass_lines(out);
  h.idle = [&] {
    out.flush();
    if (dumper) dumper->flush();
  };
  if (verbosity >= 3) {
    h.packet = [](const nl::Packet& p, const nl::Decoded& d) {
      if (d.l4 != nl::L4::tcp) return;
      nl::cli::error("packet " + std::to_string(p.number) + ": seq " + std::to_string(d.tcp.seq) + " ack " +
                     std::to_string(d.tcp.ack) + " len " + std::to_string(d.payload.size()));
    };
  }
  nl::SessionLoopStats st;
  int status = nl::run_session_loop(opt, h, st);
  if (dumper && !dumper->finish()) {
    nl::cli::error(dumper->error());
    status = nl::cli::kExitInput;
  }
  out.finish();
  bool live = !opt.packets.live.interface.empty();
  if (live) nl::print_capture_counts(st.capture);
  if (co.stats && (!live || st.capture.opened)) {
    nl::cli::Summary s;
    st.describe(s.text());
    s.print();
  }
  return nl::cli::exit_status(status);
}
