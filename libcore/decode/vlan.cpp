// IEEE 802.1Q / 802.1ad tags (TPID 0x8100, 0x88a8, and the pre-standard 0x9100):
//   TCI(2) = PCP(3) DEI(1) VID(12), then the next type(2).
// Tags beyond Decoded::kMaxVlan are skipped (too_many_vlan_tags), not dropped.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

Next decode_vlan(uint16_t tpid, Bytes b, Decoded& d) {
  ByteReader r(b);
  if (!r.can_read(4)) {
    d.add(Anomaly::truncated_vlan_tag);
    return {};
  }
  uint16_t tci = r.be16();
  uint16_t next = r.be16();
  if (d.n_vlan < Decoded::kMaxVlan)
    d.vlan[d.n_vlan++] = VlanTag{tpid, tci};
  else
    d.add(Anomaly::too_many_vlan_tags);
  return {next, r.rest()};
}

}  // namespace nl::detail
