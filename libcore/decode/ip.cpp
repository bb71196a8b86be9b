// Shared IP plumbing: version dispatch, the IP payload -> transport table, and
// decode_ip() for reassembled datagrams.
#include "libcore/decode/layers.hpp"

namespace nl {
namespace detail {

void decode_ip_any(Bytes b, Decoded& d, const Ctx& c) {
  if (b.empty()) {
    d.add(Anomaly::truncated_ipv4_header);  // nothing to tell the version by
    return;
  }
  switch (b[0] >> 4) {
    case 4:
      d.ethertype = ethertype::ipv4;
      decode_ipv4(b, d, c);
      return;
    case 6:
      d.ethertype = ethertype::ipv6;
      decode_ipv6(b, d, c);
      return;
    default: d.add(Anomaly::bad_ip_version); return;
  }
}

void set_fragment_payload(Bytes cap, uint32_t wire, Decoded& d, const Ctx& c) {
  d.l4 = L4::none;
  d.l4_bytes = cap;
  d.payload = cap;
  d.payload_len = wire;
  if (c.snap_cut && wire > cap.size()) d.add(Anomaly::snaplen_truncated);
}

void decode_ip_payload(uint8_t proto, Bytes cap, uint32_t wire, bool first_fragment, Decoded& d,
                       const Ctx& c) {
  d.ip.proto = proto;
  uint32_t min_header = 0;
  switch (proto) {
    case 6: min_header = 20; break;
    case 17:
    case 1:
    case 58: min_header = 8; break;
  }
  if (first_fragment && wire < min_header) {  // tiny first fragment: header not all here
    set_fragment_payload(cap, wire, d, c);
    return;
  }
  L4In in{cap, wire, first_fragment};
  bool headers_complete;
  switch (proto) {
    case 6: headers_complete = decode_tcp(in, d, c); break;
    case 17: headers_complete = decode_udp(in, d, c); break;
    case 1: headers_complete = decode_icmp(in, false, d, c); break;
    case 58: headers_complete = decode_icmp(in, true, d, c); break;
    default:
      d.l4 = L4::other;
      d.l4_bytes = cap;
      d.payload = cap;
      d.payload_len = wire;
      headers_complete = true;
      break;
  }
  // Only application bytes are missing: the snaplen cut them, the headers are whole.
  if (headers_complete && c.snap_cut && d.payload_len > d.payload.size())
    d.add(Anomaly::snaplen_truncated);
}

}  // namespace detail

void decode_ip(Bytes datagram, Decoded& out, const DecodeOptions& opt) {
  // Link-layer fields belong to the caller; everything from the network layer on is reset.
  out.has_arp = false;
  out.arp = ArpInfo{};
  out.ip = IpInfo{};
  out.l3 = {};
  out.l4 = L4::none;
  out.tcp = TcpInfo{};
  out.udp = UdpInfo{};
  out.icmp = IcmpInfo{};
  out.l4_bytes = {};
  out.payload = {};
  out.payload_len = 0;
  out.n_anomalies = 0;
  detail::Ctx c{opt, false};
  detail::decode_ip_any(datagram, out, c);
}

}  // namespace nl
