// pcap2pkt: one JSON line per packet of a capture (files, stdin or a live interface).
#include <charconv>
#include <string>
#include <vector>

#include "libcore/cli/common.hpp"
#include "libcore/cli/options.hpp"
#include "libcore/stage/packet_loop.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/record/pkt.hpp"

namespace {

bool parse_payload_mode(const std::string& s, nl::PktOptions& opt) {
  if (s == "b64") opt.payload = nl::PayloadMode::b64;
  else if (s == "none") opt.payload = nl::PayloadMode::none;
  else if (s == "text") opt.payload = nl::PayloadMode::text;
  else if (s == "frame") opt.payload = nl::PayloadMode::frame;
  else if (s.rfind("head:", 0) == 0) {
    size_t n = 0;
    auto r = std::from_chars(s.data() + 5, s.data() + s.size(), n);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.size() == 5) return false;
    opt.payload = nl::PayloadMode::head;
    opt.head_bytes = n;
  } else {
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  nl::cli::init(argc, argv, "pcap2pkt");
  CLI::App app{"Decode every packet of a capture into one JSON line (type \"pkt\") each.\n"
               "Reads pcap and pcapng files in order, or standard input ('-' or no FILE), or a live interface (-i).",
               "pcap2pkt"};
  nl::cli::CaptureOptions co;
  nl::PacketLoopOptions loop;
  loop.accept_pkt_jsonl = false;
  std::string payload = "b64";
  nl::cli::add_capture_options(app, co, {.inputs_help = "Capture files to read ('-' for standard input)",
                                         .reads_json_lines = false});
  app.add_option("--payload", payload, "Payload in records: b64 (default), none, text, head:N (base64 of the first N bytes),\n"
                 "frame (the whole captured frame and its link type, for pkt2pcap to give it back byte for byte)");
  app.add_flag("--checksums", loop.decode.verify_checksums, "Verify IPv4/TCP/UDP/ICMP checksums (bad ones become anomalies)");
  nl::cli::add_version_flag(app);
  app.footer("Exit status: 0 on success, 1 if an input could not be read completely, 2 on usage errors,\n"
             "128 + the signal number when SIGINT (130), SIGTERM (143) or SIGHUP (129) stopped the run.");
  nl::cli::parse_or_exit(app, argc, argv);

  nl::PktOptions opt;
  if (!parse_payload_mode(payload, opt)) {
    nl::cli::error("--payload: expected b64, none, text, head:N or frame, got '" + payload + "'");
    return nl::cli::kExitUsage;
  }
  if (!nl::cli::check_capture_options(co)) return nl::cli::kExitUsage;
  opt.time = co.time;
  loop.take(co);

  nl::cli::Output& out = nl::cli::Output::stdout_();
  nl::DecodeStats dstats;
  nl::LiveStats lstats;
  nl::PacketLoopHandlers h;
  h.record = [&opt](const nl::Packet& p, const nl::Decoded& d, std::string& text) {
    nl::write_pkt_record(text, p, d, opt);
  };
  h.idle = [&] { out.flush(); };
  int status = nl::run_packet_loop(loop, h, dstats, &lstats);
  out.finish();
  if (!loop.live.interface.empty()) {
    nl::cli::error(std::to_string(lstats.received) + " packets received by filter, " +
                   std::to_string(lstats.dropped) + " dropped by kernel, " +
                   std::to_string(lstats.if_dropped) + " dropped by interface");
  }
  if (co.stats) {
    nl::cli::Summary s;
    dstats.describe(s.text());
    s.print();
  }
  return nl::cli::exit_status(status);
}
