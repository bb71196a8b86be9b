// PPPoE session stage (RFC 2516), ethertype 0x8864:
//   ver(4)=1 type(4)=1 code(1)=0 session_id(2) length(2), then the PPP protocol field
// (1 or 2 bytes, see ppp.cpp) and its information. `length` counts the protocol field
// and the information; what follows is Ethernet padding.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

Next decode_pppoe(Bytes b, Decoded& d) {
  ByteReader r(b);
  if (!r.can_read(6)) {
    d.add(Anomaly::truncated_pppoe_header);
    return {};
  }
  r.skip(2);  // ver/type, code
  d.has_pppoe = true;
  d.pppoe_session = r.be16();
  uint16_t len = r.be16();
  size_t start = r.offset();
  Next n = decode_ppp_protocol(r, d, Anomaly::truncated_pppoe_header);
  size_t field = r.offset() - start;
  if (n.type && len >= field && n.rest.size() > size_t(len - field))
    n.rest = n.rest.first(len - field);  // drop padding
  return n;  // type 0 (PPP control, or not decoded): ethertype stays 0x8864
}

}  // namespace nl::detail
