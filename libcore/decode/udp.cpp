// UDP (RFC 768): sport(16) dport(16) length(16) checksum(16).
// The UDP length may be shorter than the IP payload (the rest is ignored); longer or
// below 8 is bad_udp_length. In a first fragment it counts the whole datagram.
// Jumbograms carry length 0 (RFC 2675 section 4).
#include "libcore/decode/layers.hpp"

namespace nl::detail {

bool decode_udp(const L4In& in, Decoded& d, const Ctx& c) {
  ByteReader r(in.cap);
  if (in.wire < 8 || !r.can_read(8)) {
    d.add(Anomaly::truncated_udp_header);
    d.l4_bytes = in.cap;
    return false;
  }
  UdpInfo& u = d.udp;
  u.sport = r.be16();
  u.dport = r.be16();
  u.length = r.be16();
  u.checksum = r.be16();
  d.l4 = L4::udp;
  uint32_t len = in.wire;  // bytes of this UDP datagram on the wire
  if (!in.fragment) {
    if (u.length == 0 && d.ip.version == 6 && in.wire > 0xffff) {
      // jumbogram: the IP length rules
    } else if (u.length < 8 || u.length > in.wire) {
      d.add(Anomaly::bad_udp_length);
    } else {
      len = u.length;
    }
  }
  Bytes seg = in.cap.size() > len ? in.cap.first(len) : in.cap;
  d.l4_bytes = seg;
  d.payload = seg.subspan(8);
  d.payload_len = len - 8;
  if (c.opt.verify_checksums && !in.fragment && seg.size() == len) {
    if (u.checksum == 0) {
      if (d.ip.version == 6) d.add(Anomaly::bad_udp_checksum);  // mandatory over IPv6 (RFC 8200 8.1)
    } else if (fold(sum16(seg, pseudo_header_sum(d.ip, 17, len, c.final_dst))) != 0xffff) {
      d.add(Anomaly::bad_udp_checksum);
    }
  }
  return true;
}

}  // namespace nl::detail
