// PPPoE session stage (RFC 2516), ethertype 0x8864:
//   ver(4)=1 type(4)=1 code(1)=0 session_id(2) length(2), then the PPP protocol (2).
// PPP 0x0021 is IPv4, 0x0057 is IPv6 (RFC 1332, RFC 5072); LCP/IPCP etc. are not IP.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

Next decode_pppoe(Bytes b, Decoded& d) {
  ByteReader r(b);
  if (!r.can_read(8)) {
    d.add(Anomaly::truncated_pppoe_header);
    return {};
  }
  r.skip(2);  // ver/type, code
  d.has_pppoe = true;
  d.pppoe_session = r.be16();
  uint16_t len = r.be16();  // PPP protocol + payload
  uint16_t proto = r.be16();
  Bytes rest = r.rest();
  if (len >= 2 && rest.size() > size_t(len - 2)) rest = rest.first(len - 2);  // drop padding
  switch (proto) {
    case 0x0021: return {ethertype::ipv4, rest};
    case 0x0057: return {ethertype::ipv6, rest};
    default: return {};  // PPP control protocols: ethertype stays 0x8864
  }
}

}  // namespace nl::detail
