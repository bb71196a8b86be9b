// MPLS label stack (RFC 3032), ethertypes 0x8847/0x8848. Each entry:
//   label(20) TC(3) S(1) TTL(8)
// After the bottom of stack there is no type field: guess IPv4/IPv6 from the first
// nibble (as tcpdump and Wireshark do); anything else (pseudowires) is not decoded.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

Next decode_mpls(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  for (;;) {
    if (!r.can_read(4)) {
      d.add(Anomaly::truncated_mpls_label);
      return {};
    }
    uint32_t v = r.be32();
    MplsLabel l{v >> 12, uint8_t((v >> 9) & 7), bool(v & 0x100), uint8_t(v & 0xff)};
    if (d.n_mpls < Decoded::kMaxMpls)
      d.mpls[d.n_mpls++] = l;
    else
      d.add(Anomaly::too_many_mpls_labels);
    if (l.bottom) break;
  }
  Bytes rest = r.rest();
  if (rest.empty()) {
    if (c.snap_cut) d.add(Anomaly::snaplen_truncated);
    return {};
  }
  switch (rest[0] >> 4) {
    case 4: return {ethertype::ipv4, rest};
    case 6: return {ethertype::ipv6, rest};
    default: return {};  // not IP: ethertype stays 0x8847
  }
}

}  // namespace nl::detail
