// Per-run packet counters for the --stats summary: every packet read is either
// decoded cleanly or counted under each anomaly it carried, so nothing is dropped
// silently.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "libcore/decode/packet.hpp"

namespace nl {

struct DecodeStats {
  uint64_t packets = 0;          // decoded (passed the filter)
  uint64_t bytes = 0;            // captured bytes read
  uint64_t filtered_out = 0;     // rejected by the BPF filter
  uint64_t other_shard = 0;      // --shard: decoded, of another shard, not counted below
  uint64_t clean = 0;            // decoded without any anomaly
  uint64_t with_anomalies = 0;
  uint64_t non_ip_records = 0;   // pkt JSON records without an IP layer (nothing to rebuild)
  uint64_t by_anomaly[size_t(Anomaly::count_)] = {};
  std::map<uint32_t, uint64_t> by_linktype;
  // JSON input lines skipped, by what was wrong (LineProblem kinds): bad_lines.<kind>.
  std::map<std::string, uint64_t> bad_lines;

  void count(const Packet& p, const Decoded& d) {
    ++packets;
    bytes += p.caplen;
    ++by_linktype[p.linktype];
    if (d.n_anomalies == 0) {
      ++clean;
      return;
    }
    ++with_anomalies;
    for (int i = 0; i < d.n_anomalies; ++i) ++by_anomaly[size_t(d.anomalies[i])];
  }
  // Appends "  name: value" lines (no program prefix).
  void describe(std::string& out) const;
};

}  // namespace nl
