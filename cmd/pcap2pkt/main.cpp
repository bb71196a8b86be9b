// pcap2pkt: one JSON line per packet of a capture (files, stdin or a live interface).
#include <charconv>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "libcore/capture/writer.hpp"
#include "libcore/flow/shard.hpp"

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
  std::string write_path;
  uint32_t split = 0;
  app.add_option("-w,--write", write_path,
                 "Write the packets read (those of --shard K/N, or of each --split share) as a capture to FILE\n"
                 "('-': standard output) instead of JSON lines: pcap from pcap input, pcapng from pcapng")
      ->type_name("FILE");
  app.add_option("--split", split,
                 "With -w PATTERN: split the input into N flow-consistent shares in one pass, share K written\n"
                 "to PATTERN with %d replaced by K (as --shard K/N would keep)")
      ->type_name("N")
      ->check(CLI::Range(1, 4096));
  nl::cli::parse_or_exit(app, argc, argv, "an input could not be read completely");

  nl::PktOptions opt;
  if (!parse_payload_mode(payload, opt)) {
    nl::cli::error("--payload: expected b64, none, text, head:N or frame, got '" + payload + "'");
    return nl::cli::kExitUsage;
  }
  if (!nl::cli::check_capture_options(co)) return nl::cli::kExitUsage;
  if (split && write_path.find("%d") == std::string::npos) {
    nl::cli::error("--split: needs -w PATTERN with %d (the share's number), as in -w 'share-%d.pcap'");
    return nl::cli::kExitUsage;
  }
  if (split && co.shard.active()) {
    nl::cli::error("--split and --shard: give one of them");
    return nl::cli::kExitUsage;
  }
  opt.time = co.time;
  loop.take(co);

  nl::cli::Output& out = nl::cli::Output::stdout_();
  nl::DecodeStats dstats;
  nl::LiveStats lstats;
  nl::PacketLoopHandlers h;
  // -w: captures instead of records; --split: one per share, chosen by the shard hash.
  std::vector<std::unique_ptr<nl::CaptureWriter>> writers;
  bool write_failed = false;
  nl::Packet first;
  bool seen = false;
  if (!write_path.empty()) {
    for (uint32_t k = 1; k <= std::max<uint32_t>(split, 1); ++k) {
      std::string path = write_path;
      if (split) path.replace(path.find("%d"), 2, std::to_string(k));
      writers.push_back(std::make_unique<nl::CaptureWriter>(path));
    }
    h.packet = [&](const nl::Packet& p, nl::Decoded& d) {
      if (write_failed) return;
      if (!seen) first = p, seen = true;
      nl::CaptureWriter& w = *writers[split ? nl::shard_of(d, split) - 1 : 0];
      if (!w.write(p)) {
        if (w.closed_pipe()) std::_Exit(nl::cli::kExitOk);  // `-w - | head`: a normal end
        nl::cli::error(w.error());
        write_failed = true;
      }
    };
  } else {
    h.record = [&opt](const nl::Packet& p, const nl::Decoded& d, std::string& text) {
      nl::write_pkt_record(text, p, d, opt);
    };
    h.idle = [&] { out.flush(); };
  }
  int status = nl::run_packet_loop(loop, h, dstats, &lstats);
  // Every share gets its file, empty or not, so that a job per share finds one.
  if (!seen) first.linktype = nl::linktype::ethernet;
  for (auto& w : writers) {
    if (!write_failed && !w->is_open() && !w->open(nl::CaptureWriter::format_of(first), first)) {
      nl::cli::error(w->error());
      write_failed = true;
    }
    if (!w->close() && !write_failed) {
      if (w->closed_pipe()) std::_Exit(nl::cli::kExitOk);
      nl::cli::error(w->error());
      write_failed = true;
    }
  }
  if (write_failed && status == nl::cli::kExitOk) status = nl::cli::kExitInput;
  out.finish();
  return nl::finish_packet_tool(loop, status, co.stats, lstats, dstats);
}
