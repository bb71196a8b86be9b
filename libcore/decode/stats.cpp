#include "libcore/decode/stats.hpp"

namespace nl {

void DecodeStats::describe(std::string& out) const {
  auto line = [&out](const std::string& k, uint64_t v) { out += "  " + k + ": " + std::to_string(v) + "\n"; };
  line("packets_read", packets + filtered_out + other_shard);
  line("bytes", bytes);
  if (filtered_out) line("filtered_out", filtered_out);
  if (other_shard) line("other_shard", other_shard);
  line("packets_decoded", packets);
  line("decoded_clean", clean);
  line("with_anomalies", with_anomalies);
  if (non_ip_records) line("non_ip_records", non_ip_records);
  for (auto& [kind, n] : bad_lines) line("bad_lines." + kind, n);
  for (size_t i = 0; i < size_t(Anomaly::count_); ++i)
    if (by_anomaly[i]) line(std::string("anomaly.") + anomaly_name(Anomaly(i)), by_anomaly[i]);
  for (auto& [lt, n] : by_linktype) {
    const char* name = linktype_name(lt);
    line(std::string("linktype.") + (name ? name : std::to_string(lt)), n);
  }
}

}  // namespace nl
