// IP over InfiniBand (LINKTYPE_IPOIB; RFC 4391 section 6, the encapsulation header):
//   type(2) reserved(2)
// `type` is an ethertype (0x0800 IPv4, 0x0806 ARP, 0x86dd IPv6).
#include "libcore/decode/layers.hpp"

namespace nl::detail {

void decode_ipoib(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  if (!r.can_read(4)) {
    d.add(Anomaly::truncated_ipoib_header);
    return;
  }
  uint16_t type = r.be16();
  r.skip(2);
  if (type < 0x0600) {  // no 802.3 lengths on InfiniBand
    d.ethertype = type;
    d.add(Anomaly::unknown_ethertype);
    return;
  }
  decode_ethertype(type, r.rest(), d, c);
}

}  // namespace nl::detail
