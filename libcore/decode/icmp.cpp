// ICMP (RFC 792) and ICMPv6 (RFC 4443): type(8) code(8) checksum(16) rest(32), then
// the message body. ICMPv6 checksums cover a pseudo header, ICMP ones do not.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

bool decode_icmp(const L4In& in, bool v6, Decoded& d, const Ctx& c) {
  ByteReader r(in.cap);
  if (in.wire < 8 || !r.can_read(8)) {
    d.add(v6 ? Anomaly::truncated_icmpv6_header : Anomaly::truncated_icmp_header);
    d.l4_bytes = in.cap;
    return false;
  }
  IcmpInfo& m = d.icmp;
  m.type = r.u8();
  m.code = r.u8();
  m.checksum = r.be16();
  m.rest = r.be32();
  d.l4 = v6 ? L4::icmpv6 : L4::icmp;
  d.l4_bytes = in.cap;
  d.payload = r.rest();
  d.payload_len = in.wire - 8;
  if (can_verify(in, c)) {
    uint32_t s = v6 ? sum16(in.cap, pseudo_header_sum(d.ip, 58, in.wire, c.final_dst))
                    : sum16(in.cap);
    if (fold(s) != 0xffff) d.add(Anomaly::bad_icmp_checksum);
  }
  return true;
}

}  // namespace nl::detail
