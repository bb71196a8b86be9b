// IPv6 (RFC 8200):
//   ver(4) traffic class(8) flow label(20) | payload length(16) | next header(8)
//   hop limit(8) | src(128) | dst(128)
// then extension headers. Generic ones (hop-by-hop, routing, destination options,
// mobility RFC 6275, HIP, shim6, experimental) are: next(8) len(8, in 8 bytes, not
// counting the first 8) ...; AH (RFC 4302) counts 4-byte units minus 2; the fragment
// header is 8 bytes: next(8) res(8) offset(13) res(2) M(1) id(32). ESP (RFC 4303) is
// opaque: decoding stops there.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

namespace {

void add_ext(IpInfo& ip, Ipv6Ext e) {
  if (ip.n_ext < sizeof ip.ext / sizeof ip.ext[0]) ip.ext[ip.n_ext++] = e;
}

}  // namespace

void decode_ipv6(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  if (!r.can_read(1)) {
    d.add(Anomaly::truncated_ipv6_header);
    return;
  }
  if ((b[0] >> 4) != 6) {
    d.add(Anomaly::bad_ip_version);
    return;
  }
  if (!r.can_read(40)) {
    d.add(Anomaly::truncated_ipv6_header);
    return;
  }
  IpInfo& ip = d.ip;
  uint32_t vtf = r.be32();
  ip.version = 6;
  ip.tos = uint8_t(vtf >> 20);
  ip.flow_label = vtf & 0xfffff;
  uint32_t plen = r.be16();
  uint8_t nh = r.u8();
  ip.ttl = r.u8();
  ip.src.family = ip.dst.family = 6;
  Bytes s = r.take(16), t = r.take(16);
  for (int i = 0; i < 16; ++i) {
    ip.src.bytes[i] = s[i];
    ip.dst.bytes[i] = t[i];
  }
  uint32_t total = 40 + plen;
  if (plen == 0 && b.size() > 40) {
    // Jumbogram (RFC 2675: length in a hop-by-hop option) or a GSO/"BIG TCP" packet:
    // the captured length is the best we have. Without hop-by-hop it is not valid IPv6.
    if (nh != 0) d.add(Anomaly::bad_ipv6_payload_length);
    total = uint32_t(b.size());
  }
  ip.total_len = total;
  ip.header_len = 40;
  ip.proto = nh;
  Bytes dgram = b.size() > total ? b.first(total) : b;
  d.l3 = dgram;
  if (total > b.size() && !c.snap_cut) d.add(Anomaly::truncated_ip_payload);

  // Extension header chain. Each header is at least 8 bytes, so the loop ends.
  size_t off = 40;
  bool first_fragment = false;
  for (;;) {
    Ipv6Ext kind;
    switch (nh) {
      case 0: kind = Ipv6Ext::hop_by_hop; break;
      case 43: kind = Ipv6Ext::routing; break;
      case 44: kind = Ipv6Ext::fragment; break;
      case 60: kind = Ipv6Ext::destination; break;
      case 51: kind = Ipv6Ext::ah; break;
      case 135: kind = Ipv6Ext::mobility; break;
      case 139:  // HIP (RFC 7401)
      case 140:  // shim6 (RFC 5533)
      case 253:
      case 254:  // experimental (RFC 3692), standard format per RFC 7045
        kind = Ipv6Ext::other;
        break;
      case 50:
        add_ext(ip, Ipv6Ext::esp);
        [[fallthrough]];
      default:
        ip.header_len = uint16_t(off);
        ip.proto = nh;
        decode_ip_payload(nh, dgram.subspan(off), total - uint32_t(off), first_fragment, d, c);
        return;
    }
    if (kind == Ipv6Ext::hop_by_hop && ip.n_ext != 0) d.add(Anomaly::bad_ipv6_ext_header);
    // Length of this header: needs its first two bytes.
    if (off + 2 > total) {
      d.add(Anomaly::bad_ipv6_ext_header);
      return;
    }
    if (off + 2 > dgram.size()) {
      d.add(Anomaly::truncated_ipv6_ext_header);
      return;
    }
    size_t len = kind == Ipv6Ext::fragment ? 8
                 : kind == Ipv6Ext::ah     ? (size_t(dgram[off + 1]) + 2) * 4
                                           : (size_t(dgram[off + 1]) + 1) * 8;
    if (off + len > total) {
      d.add(Anomaly::bad_ipv6_ext_header);
      return;
    }
    if (off + len > dgram.size()) {
      d.add(Anomaly::truncated_ipv6_ext_header);
      return;
    }
    add_ext(ip, kind);
    if (kind == Ipv6Ext::routing && len >= 24 && dgram[off + 3] != 0) {
      // Segments left: type 0 and 2 (RFC 6275) list addresses in path order, the last
      // is final; SRH type 4 (RFC 8754) lists them reversed, Segment List[0] is final.
      uint8_t rtype = dgram[off + 2];
      size_t n = (len - 8) / 16;
      if (rtype == 0 || rtype == 2) c.final_dst = &dgram[off + 8 + 16 * (n - 1)];
      if (rtype == 4) c.final_dst = &dgram[off + 8];
    }
    nh = dgram[off];
    if (kind == Ipv6Ext::fragment) {
      ByteReader f(dgram.subspan(off + 2, 6));
      uint16_t ofm = f.be16();
      ip.fragment = true;
      ip.frag_offset = uint16_t(ofm & 0xfff8);
      ip.mf = ofm & 1;
      ip.id = f.be32();
      if (ip.frag_offset != 0) {  // not the first fragment: no transport header here
        off += len;
        ip.header_len = uint16_t(off);
        ip.proto = nh;
        set_fragment_payload(dgram.subspan(off), total - uint32_t(off), d, c);
        return;
      }
      first_fragment = ip.mf;
    }
    off += len;
    ip.header_len = uint16_t(off);
    ip.proto = nh;
  }
}

}  // namespace nl::detail
