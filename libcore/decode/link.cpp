// Link layers: Ethernet II and 802.3/LLC/SNAP, Linux cooked v1/v2, BSD NULL/LOOP,
// raw IP. decode_frame() resets the record and dispatches on the link type; the other
// link types have a file each (ppp.cpp, chdlc.cpp, nflog.cpp, ipoib.cpp, wlan.cpp).
#include "libcore/decode/layers.hpp"

namespace nl {
namespace detail {
namespace {

void read_mac(ByteReader& r, uint8_t* mac) {
  Bytes m = r.take(6);
  for (size_t i = 0; i < m.size(); ++i) mac[i] = m[i];
}

}  // namespace

// IEEE 802.2 LLC, and SNAP (RFC 1042) when DSAP = SSAP = 0xaa, control 0x03:
//   DSAP(1) SSAP(1) control(1) [OUI(3) type(2)]
// Only SNAP with OUI 00-00-00 carries an ethertype; anything else is simply not IP.
void decode_llc(Bytes b, Decoded& d, const Ctx& c) {
  d.eth.llc = true;
  ByteReader r(b);
  if (!r.can_read(3)) {
    d.add(Anomaly::truncated_llc_header);
    return;
  }
  d.eth.dsap = r.u8();
  d.eth.ssap = r.u8();
  d.eth.control = r.u8();
  if (d.eth.dsap == 0xaa && d.eth.ssap == 0xaa && d.eth.control == 0x03) {
    if (!r.can_read(5)) {
      d.add(Anomaly::truncated_llc_header);
      return;
    }
    uint32_t oui = r.be24();
    uint16_t type = r.be16();
    if (oui == 0) decode_ethertype(type, r.rest(), d, c);
  }
}

namespace {

//   dst(6) src(6) type_or_len(2)
void decode_ethernet(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  if (!r.can_read(14)) {
    d.add(Anomaly::truncated_ethernet_frame);
    return;
  }
  d.has_eth = true;
  read_mac(r, d.eth.dst);
  read_mac(r, d.eth.src);
  uint16_t t = r.be16();
  d.eth.type_or_len = t;
  decode_ethertype(t, r.rest(), d, c);  // an 802.3 length is handled there too
}

// The protocol field is an ethertype except for a few ARPHRD types and the
// 802.2/802.3 pseudo values below 0x0600 (see linktypes/LINKTYPE_LINUX_SLL).
void sll_next(Bytes rest, Decoded& d, const Ctx& c) {
  constexpr uint16_t kArphrdNetlink = 824;
  uint16_t p = d.sll.protocol;
  if (d.sll.arphrd == kArphrdNetlink) return;  // netlink messages, not a network layer
  if (p == 0x0004) {  // 802.2 LLC frame without MAC header
    decode_llc(rest, d, c);
    return;
  }
  if (p < 0x0600) return;  // 802.3 Novell, CAN, ...: not IP
  decode_ethertype(p, rest, d, c);
}

// Linux cooked capture v1 (LINKTYPE_LINUX_SLL), 16 bytes:
//   packet_type(2) arphrd(2) addr_len(2) addr(8) protocol(2)
void decode_sll(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  if (!r.can_read(16)) {
    d.add(Anomaly::truncated_sll_header);
    return;
  }
  d.has_sll = true;
  d.sll.version = 1;
  d.sll.packet_type = r.be16();
  d.sll.arphrd = r.be16();
  uint16_t alen = r.be16();
  d.sll.addr_len = uint8_t(alen > 8 ? 8 : alen);
  Bytes a = r.take(8);
  for (size_t i = 0; i < d.sll.addr_len; ++i) d.sll.addr[i] = a[i];
  d.sll.protocol = r.be16();
  sll_next(r.rest(), d, c);
}

// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2), 20 bytes:
//   protocol(2) reserved(2) ifindex(4) arphrd(2) packet_type(1) addr_len(1) addr(8)
void decode_sll2(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  if (!r.can_read(20)) {
    d.add(Anomaly::truncated_sll2_header);
    return;
  }
  d.has_sll = true;
  d.sll.version = 2;
  d.sll.protocol = r.be16();
  r.skip(2);
  d.sll.ifindex = r.be32();
  d.sll.arphrd = r.be16();
  d.sll.packet_type = r.u8();
  uint8_t alen = r.u8();
  d.sll.addr_len = alen > 8 ? 8 : alen;
  Bytes a = r.take(8);
  for (size_t i = 0; i < d.sll.addr_len; ++i) d.sll.addr[i] = a[i];
  sll_next(r.rest(), d, c);
}

// BSD loopback: a 4-byte address family, host byte order of the capturing machine
// for DLT_NULL (so either order), network order for DLT_LOOP. AF_INET is 2 everywhere;
// AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (Darwin).
void decode_null(Bytes b, Decoded& d, const Ctx& c, bool network_order) {
  ByteReader r(b);
  if (!r.can_read(4)) {
    d.add(Anomaly::truncated_null_header);
    return;
  }
  d.has_null = true;
  uint32_t fam = network_order ? r.be32() : r.le32();
  if (!network_order && (fam & 0xffff0000u)) fam = __builtin_bswap32(fam);  // big-endian writer
  d.null_family = fam;
  switch (fam) {
    case 2: decode_ethertype(ethertype::ipv4, r.rest(), d, c); return;
    case 24:
    case 28:
    case 30: decode_ethertype(ethertype::ipv6, r.rest(), d, c); return;
    default: d.add(Anomaly::unknown_null_family); return;
  }
}

}  // namespace

// The link-type table. A switch compiles to a jump table; adding a link type is a row.
void decode_link(uint32_t linktype, Bytes frame, Decoded& d, const Ctx& c) {
  switch (linktype) {
    case linktype::ethernet: decode_ethernet(frame, d, c); return;
    case linktype::linux_sll: decode_sll(frame, d, c); return;
    case linktype::linux_sll2: decode_sll2(frame, d, c); return;
    case linktype::null_bsd: decode_null(frame, d, c, false); return;
    case linktype::loop: decode_null(frame, d, c, true); return;
    case linktype::raw_dlt12:
    case linktype::raw_dlt14:
    case linktype::raw: decode_ip_any(frame, d, c); return;
    case linktype::ipv4: decode_ethertype(ethertype::ipv4, frame, d, c); return;
    case linktype::ipv6: decode_ethertype(ethertype::ipv6, frame, d, c); return;
    case linktype::ppp: decode_ppp(frame, d, c); return;
    case linktype::ppp_hdlc: decode_ppp_hdlc(frame, d, c); return;
    case linktype::c_hdlc: decode_chdlc(frame, d, c); return;
    case linktype::nflog: decode_nflog(frame, d, c); return;
    case linktype::ipoib: decode_ipoib(frame, d, c); return;
    case linktype::ieee802_11: decode_80211(frame, d, c); return;
    case linktype::ieee802_11_radiotap: decode_radiotap(frame, d, c); return;
    default: d.add(Anomaly::unknown_link_type); return;
  }
}

}  // namespace detail

void decode_frame(uint32_t linktype, Bytes frame, uint32_t origlen, Decoded& out,
                  const DecodeOptions& opt) {
  out = Decoded{};
  out.linktype = linktype;
  detail::Ctx c{opt, frame.size() < origlen};
  detail::decode_link(linktype, frame, out, c);
}

}  // namespace nl
