// pkt2pcap: pcap2pkt's records back into a capture (pcap, or pcapng when link
// types mix), optionally only the packets of the flows other records name.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>

#include "libcore/capture/stream_writer.hpp"
#include "libcore/cli/common.hpp"
#include "libcore/cli/options.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/flow/selection.hpp"
#include "libcore/stage/input.hpp"
#include "libcore/stage/packet_loop.hpp"

namespace {

// Reads the records of --flows. False: the file could not be read (said on stderr).
bool read_flows(const std::string& file, nl::FlowSelection& sel, uint64_t& without_flow) {
  nl::StageInput in = nl::open_stage_input(file, true);
  std::string shown = nl::display_name(file);
  if (in.kind != nl::StageInput::Kind::jsonl) {
    nl::cli::error("--flows: " + shown, in.kind == nl::StageInput::Kind::failed ? in.error : "not JSON Lines");
    return false;
  }
  uint64_t bad = 0, first_bad = 0;
  std::string_view line;
  for (;;) {
    nl::LineReader::Status st = in.lines->next(line);
    if (st == nl::LineReader::Status::end) break;
    if (st == nl::LineReader::Status::error) {
      nl::cli::error("--flows: " + shown, in.lines->error());
      return false;
    }
    if (st == nl::LineReader::Status::too_long || line.find_first_not_of(" \t\r") == std::string_view::npos) {
      if (st == nl::LineReader::Status::too_long && !bad++) first_bad = in.lines->line_number();
      continue;
    }
    switch (sel.add(line)) {
      case nl::FlowSelection::Added::flow: break;
      case nl::FlowSelection::Added::none: ++without_flow; break;
      case nl::FlowSelection::Added::not_json:
        if (!bad++) first_bad = in.lines->line_number();
        break;
    }
  }
  if (bad) {
    nl::cli::error("--flows: " + shown, first_bad, "not a JSON object");
    if (bad > 1) nl::cli::error("--flows: " + shown, std::to_string(bad - 1) + " more lines with the same problem");
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  nl::cli::init(argc, argv, "pkt2pcap");
  CLI::App app{"Write pcap2pkt's records back as a capture: pcap, or pcapng when the input was pcapng or\n"
               "link types mix. From pcap2pkt's payload mode 'frame' every packet comes back byte for byte;\n"
               "from other records (the default mode, b64) frames are rebuilt from the fields (Ethernet or raw\n"
               "IP, zero checksums), which pkt2pcap says once. Reads JSON Lines files in order, standard input\n"
               "('-' or no FILE), or captures and a live interface as they are. --flows keeps only the packets\n"
               "of the flows named by other records (httpextract, tlssni, flowstat... output, e.g. through jq).",
               "pkt2pcap"};
  nl::cli::CaptureOptions co;
  nl::PacketLoopOptions loop;
  std::string write_to = "-", flows_file;
  nl::cli::add_capture_options(app, co, {.inputs_help = "pcap2pkt JSON Lines (or captures) to read ('-' for standard input)",
                                         .writes_records = false});
  app.add_option("-w,--write", write_to, "Write the capture to FILE instead of standard output ('-'); never to a terminal");
  app.add_option("--flows", flows_file,
                 "Only the packets of the flows named in FILE: JSON Lines records with an EVE 5-tuple\n"
                 "(src_ip, src_port, dest_ip, dest_port, proto) or a community_id, in either direction");
  nl::cli::parse_or_exit(app, argc, argv,
                        "an input could not be read completely or a record could not be written\n"
                        "(each cause told once on stderr, the rest written)");
  if (!nl::cli::check_capture_options(co)) return nl::cli::kExitUsage;
  loop.take(co);
  loop.non_ip_is_error = true;  // a pkt line without IP nor frame: nothing to write

  nl::FlowSelection selection;
  uint64_t flows_without_flow = 0;
  bool select = !flows_file.empty();
  if (select && !read_flows(flows_file, selection, flows_without_flow)) return nl::cli::kExitInput;

  if (write_to != "-") {
    int fd = ::open(write_to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0 || ::dup2(fd, 1) < 0) {
      nl::cli::error(write_to, std::strerror(errno));
      return nl::cli::kExitInput;
    }
    ::close(fd);
  }
  if (::isatty(1)) {
    nl::cli::error("refusing to write a binary capture to a terminal: redirect standard output or use -w FILE");
    return nl::cli::kExitUsage;
  }

  nl::cli::Output& out = nl::cli::Output::stdout_();
  nl::CaptureStreamWriter writer;
  nl::DecodeStats dstats;
  nl::LiveStats lstats;
  uint64_t written = 0, not_selected = 0, rebuilt = 0, left_out = 0;
  std::map<std::string, uint64_t> refused;  // by cause, in the order told
  uint32_t first_linktype = 0;
  bool any = false;
  nl::PacketLoopHandlers h;
  h.packet = [&](const nl::Packet& p, nl::Decoded& d) {
    if (!any) first_linktype = p.linktype, any = true;
    if (select && !selection.matches(d)) {
      ++not_selected;
      return;
    }
    if (p.rebuilt && !rebuilt++)
      nl::cli::error("frames rebuilt from the records' fields (Ethernet or raw IP, zero checksums), not as captured: "
                     "pcap2pkt --payload=frame keeps them byte for byte");
    std::string why;
    if (!writer.write(p, out.buffer(), why)) {
      ++left_out;
      if (!refused[why]++) nl::cli::error("packet " + std::to_string(p.number) + ": " + why);
      return;
    }
    ++written;
    out.maybe_flush();
  };
  h.idle = [&] { out.flush(); };
  int status = nl::run_packet_loop(loop, h, dstats, &lstats);
  writer.finish(out.buffer(), any ? first_linktype : 1);
  out.finish();
  for (const auto& [why, n] : refused)
    if (n > 1) nl::cli::error(std::to_string(n - 1) + " more packets with the same problem (" + why + ")");
  if (left_out) status = nl::cli::kExitInput;
  return nl::finish_packet_tool(loop, status, co.stats, lstats, dstats, [&](nl::cli::Summary& s) {
    s.add("written", written).add("rebuilt_from_fields", rebuilt).add("left_out", left_out);
    if (select) s.add("not_in_flows", not_selected).add("flows", selection.size()).add("flow_records_without_flow", flows_without_flow);
    s.add("format_pcapng", writer.pcapng() ? 1 : 0);
  });
}
