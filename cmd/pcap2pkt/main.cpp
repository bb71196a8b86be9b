// pcap2pkt: one JSON line per packet of a capture (files, stdin or a live interface).
#include <charconv>
#include <string>
#include <vector>

#include "libcore/cli/common.hpp"
#include "libcore/cli/packet_loop.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/record/pkt.hpp"

namespace {

bool parse_payload_mode(const std::string& s, nl::PktOptions& opt) {
  if (s == "b64") opt.payload = nl::PayloadMode::b64;
  else if (s == "none") opt.payload = nl::PayloadMode::none;
  else if (s == "text") opt.payload = nl::PayloadMode::text;
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
  nl::PacketLoopOptions loop;
  loop.accept_pkt_jsonl = false;
  std::string payload = "b64", time = "iso";
  bool stats = false, no_promisc = false;
  app.add_option("FILE", loop.inputs, "Capture files to read ('-' for standard input)");
  app.add_option("-f,--filter", loop.filter, "BPF filter expression (tcpdump syntax), for files and live capture");
  app.add_option("-i,--interface", loop.live.interface, "Capture live from this interface instead of reading files");
  app.add_option("-s,--snaplen", loop.live.snaplen, "Live capture: bytes to capture per packet")->check(CLI::Range(1, 262144));
  app.add_flag("-p,--no-promisc", no_promisc, "Live capture: do not put the interface into promiscuous mode");
  app.add_option("-c,--count", loop.live.count, "Live capture: stop after this many packets")->check(CLI::NonNegativeNumber);
  app.add_option("--payload", payload, "Payload in records: b64 (default), none, text, head:N (base64 of the first N bytes)");
  app.add_option("--time", time, "Timestamps: iso (ISO 8601 UTC, default) or epoch (seconds since 1970)");
  app.add_flag("--checksums", loop.decode.verify_checksums, "Verify IPv4/TCP/UDP/ICMP checksums (bad ones become anomalies)");
  app.add_flag("--stats", stats, "Print a summary on stderr at the end: packets, anomalies, link types");
  nl::cli::add_progress_options(app, loop.progress);
  nl::cli::add_version_flag(app);
  app.footer("Exit status: 0 on success, 1 if an input could not be read completely, 2 on usage errors.");
  nl::cli::parse_or_exit(app, argc, argv);

  nl::PktOptions opt;
  if (!parse_payload_mode(payload, opt)) {
    nl::cli::error("--payload: expected b64, none, text or head:N, got '" + payload + "'");
    return nl::cli::kExitUsage;
  }
  if (!nl::check_time_option(time, opt.time)) return nl::cli::kExitUsage;
  loop.live.promiscuous = !no_promisc;
  loop.live.filter = loop.filter;
  if (!nl::check_filter_option(loop.filter)) return nl::cli::kExitUsage;

  nl::cli::Output& out = nl::cli::Output::stdout_();
  nl::DecodeStats dstats;
  nl::LiveStats lstats;
  nl::PacketLoopHandlers h;
  h.packet = [&](const nl::Packet& p, nl::Decoded& d) {
    nl::write_pkt_record(out.buffer(), p, d, opt);
    out.maybe_flush();
  };
  // Formatting is most of pcap2pkt's work: the reading thread takes half of it.
  h.format = [&opt](const nl::Packet& p, const nl::Decoded& d, std::string& text) {
    nl::write_pkt_record(text, p, d, opt);
  };
  h.formatted = [&](const nl::Packet&, std::string& text) {
    out.buffer() += text;
    out.maybe_flush();
  };
  h.idle = [&] { out.flush(); };
  int status = nl::run_packet_loop(loop, h, dstats, &lstats);
  out.finish();
  if (!loop.live.interface.empty()) {
    nl::cli::error(std::to_string(lstats.received) + " packets received by filter, " +
                   std::to_string(lstats.dropped) + " dropped by kernel, " +
                   std::to_string(lstats.if_dropped) + " dropped by interface");
  }
  if (stats) {
    nl::cli::Summary s;
    dstats.describe(s.text());
    s.print();
  }
  return status;
}
