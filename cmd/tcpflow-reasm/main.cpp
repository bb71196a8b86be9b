// tcpflow-reasm: TCP sessions reassembled into session_start, monologue and
// session_end records (Net::Analysis's events), from a capture or pcap2pkt output.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>

#include "libcore/cli/common.hpp"
#include "libcore/cli/session_loop.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/record/session_record.hpp"

namespace {

// Each direction's reassembled stream as a file named like tcpflow's
// (010.099.000.001.40004-010.099.000.002.00080), written at its stream offset so a
// gap leaves a hole. Files are opened per piece and closed at once: never one open
// descriptor per flow.
class StreamDumper {
 public:
  explicit StreamDumper(std::string dir) : dir_(std::move(dir)) {}

  // False after a write error (already reported).
  bool write(const nl::SessionView& s, const nl::MonologuePiece& p) {
    auto& names = names_[s.session_no];
    std::string& path = names[int(p.dir)];
    if (path.empty()) path = unused_name(s.key, p.dir);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return fail(path);
    size_t off = 0;
    while (off < p.data.size()) {
      ssize_t n = ::pwrite(fd, p.data.data() + off, p.data.size() - off, off_t(p.offset + off));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int e = n < 0 ? errno : ENOSPC;
        ::close(fd);
        errno = e;
        return fail(path);
      }
      off += size_t(n);
    }
    if (::close(fd) != 0) return fail(path);
    return true;
  }
  void end(const nl::SessionView& s) { names_.erase(s.session_no); }

 private:
  bool fail(const std::string& path) {
    nl::cli::error(path, std::string("write error: ") + std::strerror(errno));
    return false;
  }
  static void endpoint(std::string& out, const nl::IpAddress& a, uint16_t port) {
    char buf[64];
    if (a.family == 4) {
      std::snprintf(buf, sizeof buf, "%03u.%03u.%03u.%03u.%05u", a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3], port);
      out += buf;
    } else {
      nl::append_ip(out, a);
      std::snprintf(buf, sizeof buf, ".%05u", port);
      out += buf;
    }
  }
  std::string unused_name(const nl::FlowKey& k, nl::Dir d) {
    std::string base = dir_ + "/";
    if (d == nl::Dir::c2s) {
      endpoint(base, k.src, k.sport);
      base += '-';
      endpoint(base, k.dst, k.dport);
    } else {
      endpoint(base, k.dst, k.dport);
      base += '-';
      endpoint(base, k.src, k.sport);
    }
    // A reused 5-tuple (or an earlier run) gets c1, c2, ... as tcpflow does.
    std::string name = base;
    struct stat st;
    for (int i = 1; ::stat(name.c_str(), &st) == 0; ++i) name = base + "c" + std::to_string(i);
    return name;
  }

  std::string dir_;
  std::map<uint64_t, std::string[2]> names_;  // live sessions only
};

class ReasmSink : public nl::SessionSink {
 public:
  ReasmSink(nl::cli::Output& out, nl::DataMode data, nl::TimeFormat tf, int verbosity, StreamDumper* dumper)
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
    if (dumper_ && !dumper_->write(s, p)) {
      out_.finish();
      std::exit(nl::cli::kExitInput);
    }
  }
  void session_end(const nl::SessionView& s, const nl::SessionEnd& e) override {
    nl::write_session_end(out_.buffer(), s, e, tf_);
    out_.maybe_flush();
    if (dumper_) dumper_->end(s);
    if (verbosity_ >= 1)
      log(s, std::string("end (") + nl::end_reason_name(e.reason) + ") c2s " + std::to_string(e.c2s.bytes) +
                 " bytes, s2c " + std::to_string(e.s2c.bytes) + " bytes");
  }

 private:
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
  StreamDumper* dumper_;
};

}  // namespace

int main(int argc, char** argv) {
  nl::cli::init(argc, argv, "tcpflow-reasm");
  CLI::App app{"Reassemble TCP sessions into JSON lines: session_start, monologue (the bytes one side sent\n"
               "before the other side spoke), session_end. Reads captures or pcap2pkt output ('-' or no FILE: stdin).",
               "tcpflow-reasm"};
  nl::SessionLoopOptions opt;
  opt.accept_session_jsonl = false;
  std::string time = "iso", overlap = "first", data = "b64", dump_dir;
  double idle = 300;
  uint64_t max_chunk = opt.tcp.max_chunk, max_session_size = 0, max_sessions = opt.tcp.max_sessions;
  bool stats = false;
  int verbosity = 0;
  app.add_option("FILE", opt.packets.inputs, "Captures or pcap2pkt output to read ('-' for standard input)");
  app.add_option("-f,--filter", opt.packets.filter, "BPF filter expression applied to every packet");
  app.add_option("-i,--interface", opt.packets.live.interface, "Capture live from this interface");
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
  app.add_option("--time", time, "Timestamps: iso (ISO 8601 UTC, default) or epoch");
  app.add_flag("-v,--verbose", verbosity, "Log sessions on stderr; twice: also monologues");
  app.add_flag("--strict", opt.packets.strict, "Stop at the first malformed input line");
  app.add_flag("--stats", stats, "Print every counter on stderr at the end");
  nl::cli::add_progress_options(app, opt.packets.progress);
  nl::cli::add_version_flag(app);
  app.footer("Exit status: 0 on success, 1 if an input had problems or a write failed, 2 on usage errors.");
  nl::cli::parse_or_exit(app, argc, argv);

  nl::TimeFormat tf;
  if (!nl::check_time_option(time, tf)) return nl::cli::kExitUsage;
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
  opt.packets.live.filter = opt.packets.filter;
  if (!nl::check_filter_option(opt.packets.filter)) return nl::cli::kExitUsage;
  std::unique_ptr<StreamDumper> dumper;
  if (!dump_dir.empty()) {
    struct stat st;
    if (::stat(dump_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      nl::cli::error(dump_dir, "not a directory");
      return nl::cli::kExitUsage;
    }
    dumper = std::make_unique<StreamDumper>(dump_dir);
  }

  nl::cli::Output& out = nl::cli::Output::stdout_();
  ReasmSink sink(out, data == "b64" ? nl::DataMode::b64 : nl::DataMode::none, tf, verbosity, dumper.get());
  nl::SessionLoopHandlers h;
  h.sink = &sink;
  h.idle = [&] { out.flush(); };
  if (verbosity >= 3) {
    h.packet = [](const nl::Packet& p, const nl::Decoded& d) {
      if (d.l4 != nl::L4::tcp) return;
      nl::cli::error("packet " + std::to_string(p.number) + ": seq " + std::to_string(d.tcp.seq) + " ack " +
                     std::to_string(d.tcp.ack) + " len " + std::to_string(d.payload.size()));
    };
  }
  nl::SessionLoopStats st;
  int status = nl::run_session_loop(opt, h, st);
  out.finish();
  if (stats) {
    nl::cli::Summary s;
    st.describe(s.text());
    s.print();
  }
  return status;
}
