// ARP (RFC 826):
//   htype(2) ptype(2) hlen(1) plen(1) op(2) sha(hlen) spa(plen) tha(hlen) tpa(plen)
// Hardware addresses are kept when hlen is 6, protocol addresses when IPv4.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

void decode_arp(Bytes b, Decoded& d) {
  ByteReader r(b);
  if (!r.can_read(8)) {
    d.add(Anomaly::truncated_arp);
    return;
  }
  ArpInfo& a = d.arp;
  a.htype = r.be16();
  a.ptype = r.be16();
  a.hlen = r.u8();
  a.plen = r.u8();
  a.op = r.be16();
  d.has_arp = true;
  size_t need = 2 * (size_t(a.hlen) + a.plen);
  if (!r.can_read(need)) {
    d.add(Anomaly::truncated_arp);
    return;
  }
  Bytes sha = r.take(a.hlen), spa = r.take(a.plen), tha = r.take(a.hlen), tpa = r.take(a.plen);
  if (a.hlen == 6) {
    for (int i = 0; i < 6; ++i) {
      a.sha[i] = sha[i];
      a.tha[i] = tha[i];
    }
  }
  if (a.plen == 4 && a.ptype == ethertype::ipv4) {
    a.spa.family = a.tpa.family = 4;
    for (int i = 0; i < 4; ++i) {
      a.spa.bytes[i] = spa[i];
      a.tpa.bytes[i] = tpa[i];
    }
  }
}

}  // namespace nl::detail
