// IPv4 (RFC 791):
//   ver(4) IHL(4) | TOS(8) | total length(16) | id(16) | flags(3) frag offset(13)
//   TTL(8) | protocol(8) | checksum(16) | src(32) | dst(32) | options (IHL*4 - 20)
// The datagram is clipped to the total length (drops Ethernet padding). A non-first
// fragment carries no transport header; a first fragment's header is decoded.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

void decode_ipv4(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  if (!r.can_read(1)) {
    d.add(Anomaly::truncated_ipv4_header);
    return;
  }
  if ((b[0] >> 4) != 4) {
    d.add(Anomaly::bad_ip_version);
    return;
  }
  if (!r.can_read(20)) {
    d.add(Anomaly::truncated_ipv4_header);
    return;
  }
  uint8_t vihl = r.u8();
  uint16_t hl = uint16_t((vihl & 0x0f) * 4);
  if (hl < 20) {
    d.add(Anomaly::bad_ipv4_ihl);
    return;
  }
  IpInfo& ip = d.ip;
  ip.version = 4;
  ip.tos = r.u8();
  uint32_t total = r.be16();
  ip.id = r.be16();
  uint16_t ff = r.be16();
  ip.df = ff & 0x4000;
  ip.mf = ff & 0x2000;
  ip.frag_offset = uint16_t((ff & 0x1fff) * 8);
  ip.fragment = ip.mf || ip.frag_offset != 0;
  ip.ttl = r.u8();
  ip.proto = r.u8();
  ip.checksum = r.be16();
  ip.src.family = ip.dst.family = 4;
  Bytes s = r.take(4), t = r.take(4);
  for (int i = 0; i < 4; ++i) {
    ip.src.bytes[i] = s[i];
    ip.dst.bytes[i] = t[i];
  }
  ip.header_len = hl;
  ip.options = hl > 20;
  ip.total_len = total;
  if (b.size() < hl) {
    d.add(Anomaly::truncated_ipv4_options);
    return;
  }
  if (total == 0 && b.size() > hl) {
    // TCP segmentation offload on the capturing host leaves 0 here: use what was captured.
    d.add(Anomaly::bad_ipv4_total_length);
    total = ip.total_len = uint32_t(b.size());
  } else if (total < hl) {
    d.add(Anomaly::bad_ipv4_total_length);
    d.l3 = b.first(hl);
    return;
  }
  if (c.opt.verify_checksums && fold(sum16(b.first(hl))) != 0xffff)
    d.add(Anomaly::bad_ipv4_checksum);
  Bytes dgram = b.size() > total ? b.first(total) : b;
  d.l3 = dgram;
  if (total > b.size() && !c.snap_cut) d.add(Anomaly::truncated_ip_payload);
  Bytes cap = dgram.subspan(hl);
  uint32_t wire = total - hl;
  if (ip.frag_offset != 0) {
    set_fragment_payload(cap, wire, d, c);
    return;
  }
  decode_ip_payload(ip.proto, cap, wire, ip.mf, d, c);
}

}  // namespace nl::detail
