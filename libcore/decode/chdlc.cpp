// Cisco HDLC (LINKTYPE_C_HDLC; RFC 1547 section 4.3.1, tcpdump's print-chdlc.c):
//   address(1) control(1) protocol(2)
// address 0x0f unicast or 0x8f broadcast, control 0x00. The protocol is an ethertype,
// or one of Cisco's own: 0x8035 SLARP keepalives (RARP's number), 0x2000 CDP, 0xfefe
// OSI (IS-IS, ES-IS). Those are not IP and not anomalies.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

void decode_chdlc(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  if (!r.can_read(4)) {
    d.add(Anomaly::truncated_chdlc_header);
    return;
  }
  r.skip(2);  // address, control
  uint16_t proto = r.be16();
  switch (proto) {
    case 0x2000:  // CDP
    case 0xfefe:  // OSI
      d.ethertype = proto;
      return;
  }
  if (proto < 0x0600) {  // not an 802.3 length here: no LLC follows
    d.ethertype = proto;
    d.add(Anomaly::unknown_ethertype);
    return;
  }
  decode_ethertype(proto, r.rest(), d, c);
}

}  // namespace nl::detail
