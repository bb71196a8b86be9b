// PPP (RFC 1661): the protocol field, and the PPP link types.
//
// Protocol field (RFC 1661 section 2; section 6.5 for the compressed form):
//   protocol(2)            0x0021
//   protocol(1)            0x21     Protocol-Field-Compression: the high byte 0x00 left out
// Every protocol number has an odd low byte and an even high byte, so a first byte
// with its low bit set is a whole, compressed field; with it clear, the high byte of
// two. Number ranges: 0x0***-0x7*** network-layer data, 0x8***-0xb*** network control
// protocols (IPCP, IPV6CP, ...), 0xc***-0xf*** link control (LCP, PAP, CHAP, ...).
// Data we do not decode (VJ or CCP compressed, bridged, multilink, ...) is an anomaly:
// it may hold IP that would otherwise go unseen.
//
// LINKTYPE_PPP (tcpdump.org/linktypes.html): RFC 1662's address 0xff and control 0x03
// when present, then the protocol field.
//   [address(1)=0xff control(1)=0x03] protocol(1|2) information
// LINKTYPE_PPP_HDLC: the same behind 0xff 0x03, or Cisco HDLC (RFC 1547 section 4.3.1)
// when the first byte is 0x0f or 0x8f.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

Next decode_ppp_protocol(ByteReader& r, Decoded& d, Anomaly truncated) {
  if (!r.can_read(1)) {
    d.add(truncated);
    return {};
  }
  uint16_t proto = r.u8();
  if (!(proto & 1)) {
    if (!r.can_read(1)) {
      d.add(truncated);
      return {};
    }
    proto = uint16_t(proto << 8 | r.u8());
  }
  d.has_ppp = true;
  d.ppp_protocol = proto;
  switch (proto) {
    case 0x0021: return {ethertype::ipv4, r.rest()};     // RFC 1332
    case 0x0057: return {ethertype::ipv6, r.rest()};     // RFC 5072
    case 0x0281: return {ethertype::mpls, r.rest()};     // RFC 3032 section 4.3
    case 0x0283: return {ethertype::mpls_mc, r.rest()};
  }
  if (proto >= 0x8000 && (proto & 1)) return {};  // control protocols: not data, not IP
  d.add(Anomaly::unknown_ppp_protocol);           // data not decoded, or not a protocol number
  return {};
}

void decode_ppp(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  ByteReader look = r;
  if (look.u8() == 0xff) {  // 0xff is never a (compressed) protocol: the RFC 1662 address
    if (!r.can_read(2)) {
      d.add(Anomaly::truncated_ppp_header);
      return;
    }
    r.skip(2);  // address, control (0x03)
  }
  Next n = decode_ppp_protocol(r, d, Anomaly::truncated_ppp_header);
  if (n.type) decode_ethertype(n.type, n.rest, d, c);
}

void decode_ppp_hdlc(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader look(b);
  uint8_t address = look.u8();
  if (address == 0x0f || address == 0x8f) {
    decode_chdlc(b, d, c);
    return;
  }
  decode_ppp(b, d, c);
}

}  // namespace nl::detail
