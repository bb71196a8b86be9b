// Counts the packets of a capture by transport protocol and writes one JSON line:
// {"type":"count","packets":14,"bytes":3912,"tcp":12,"udp":2,...,"anomalies":0}
// It reads the capture itself, frame by frame (open_capture, decode_packet), where
// run_packet_loop would also take .gz/.zst captures, stdin and a BPF filter.
//   usage: count_packets CAPTURE
#include <cstdio>
#include <map>
#include <string>

#include "libcore/netlines.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: count_packets CAPTURE\n");
    return 2;
  }
  nl::OpenResult in = nl::open_capture(argv[1]);
  if (in.status != nl::OpenStatus::ok) {
    std::fprintf(stderr, "count_packets: %s: %s\n", argv[1], in.message.c_str());
    return 1;
  }
  uint64_t packets = 0, bytes = 0, anomalies = 0;
  std::map<std::string, uint64_t> by_l4;
  int status = 0;
  nl::Packet pkt;  // pkt.data is valid until the next read
  nl::Decoded d;
  for (nl::ReadStatus st; (st = in.source->next(pkt)) != nl::ReadStatus::end;) {
    if (st != nl::ReadStatus::ok) {  // a damaged record: skipped, or the end (error)
      std::fprintf(stderr, "count_packets: %s: %s\n", argv[1], in.source->error().c_str());
      status = 1;
      if (st == nl::ReadStatus::error) break;
      continue;
    }
    nl::decode_packet(pkt, d);
    ++packets;
    bytes += pkt.origlen;
    anomalies += d.n_anomalies;
    const char* l4[] = {"none", "tcp", "udp", "icmp", "icmpv6", "other"};
    ++by_l4[l4[int(d.l4)]];
  }
  std::string line;
  {
    nl::JsonWriter w(line);
    w.begin_object();
    w.field_plain("type", "count");
    w.field("packets", packets);
    w.field("bytes", bytes);
    for (const auto& [name, n] : by_l4) w.field(name, n);
    w.field("anomalies", anomalies);
    w.end_object();
  }
  std::printf("%s\n", line.c_str());
  return status;
}
