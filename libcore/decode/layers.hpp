// Internal to libcore/decode: the per-layer decoders and what they pass along.
// Each layer reads its header through ByteReader (bounds-checked), fills its part of
// Decoded and hands the rest on. No allocation, no exceptions, no virtual calls.
#pragma once
#include <cstdint>

#include "libcore/decode/packet.hpp"

namespace nl::detail {

// Per-frame context.
struct Ctx {
  const DecodeOptions& opt;
  bool snap_cut;  // caplen < origlen: bytes missing at the end of the frame
  // IPv6 routing header with segments left: the pseudo header's destination is the
  // final one (RFC 8200 section 8.1), 16 bytes inside the frame.
  mutable const uint8_t* final_dst = nullptr;
};

// The link/tunnel layers hand back the next ethertype and the bytes after their header.
// type == 0 means "stop here".
struct Next {
  uint16_t type = 0;
  Bytes rest;
};

namespace ethertype {
constexpr uint16_t ipv4 = 0x0800, arp = 0x0806, ipv6 = 0x86dd, vlan = 0x8100, qinq = 0x88a8,
                   qinq_old = 0x9100, mpls = 0x8847, mpls_mc = 0x8848, pppoe_disc = 0x8863,
                   pppoe_sess = 0x8864;
}

// link.cpp: one function per link type, dispatched by a switch in decode_frame.
void decode_link(uint32_t linktype, Bytes frame, Decoded& d, const Ctx& c);

// ethertype.cpp: follows tags and tunnels from an ethertype down to ARP/IP.
// A type <= 1500 is an IEEE 802.3 length: LLC follows (also inside VLAN tags).
void decode_ethertype(uint16_t type, Bytes b, Decoded& d, const Ctx& c);
// link.cpp: 802.2 LLC (+SNAP); sets eth.llc.
void decode_llc(Bytes b, Decoded& d, const Ctx& c);
bool known_non_ip_ethertype(uint16_t type);

// vlan.cpp, mpls.cpp, pppoe.cpp, arp.cpp
Next decode_vlan(uint16_t tpid, Bytes b, Decoded& d);
Next decode_mpls(Bytes b, Decoded& d, const Ctx& c);
Next decode_pppoe(Bytes b, Decoded& d);
void decode_arp(Bytes b, Decoded& d);

// ppp.cpp: the PPP protocol field (1 or 2 bytes) at `r`, mapped to the ethertype that
// carries the same protocol; type 0 for control protocols and for data protocols not
// decoded (those add unknown_ppp_protocol). A field cut short adds `truncated`.
Next decode_ppp_protocol(ByteReader& r, Decoded& d, Anomaly truncated);

// Link types beside link.cpp's, one file each: ppp.cpp, chdlc.cpp, nflog.cpp,
// ipoib.cpp, wlan.cpp.
void decode_ppp(Bytes b, Decoded& d, const Ctx& c);       // LINKTYPE_PPP
void decode_ppp_hdlc(Bytes b, Decoded& d, const Ctx& c);  // LINKTYPE_PPP_HDLC
void decode_chdlc(Bytes b, Decoded& d, const Ctx& c);
void decode_nflog(Bytes b, Decoded& d, const Ctx& c);
void decode_ipoib(Bytes b, Decoded& d, const Ctx& c);
void decode_80211(Bytes b, Decoded& d, const Ctx& c);
void decode_radiotap(Bytes b, Decoded& d, const Ctx& c);

// ipv4.cpp, ipv6.cpp: `b` starts at the IP header. ip.cpp: picks one by version.
void decode_ipv4(Bytes b, Decoded& d, const Ctx& c);
void decode_ipv6(Bytes b, Decoded& d, const Ctx& c);
void decode_ip_any(Bytes b, Decoded& d, const Ctx& c);  // by the first nibble

// ip.cpp: the IP payload. `cap` = captured payload bytes (clipped to the IP length),
// `wire` = payload length per the IP header. `first_fragment`: the datagram is a
// first fragment (transport header decoded if it fits, no length/checksum checks).
// Adds snaplen_truncated when only payload bytes are missing.
void decode_ip_payload(uint8_t proto, Bytes cap, uint32_t wire, bool first_fragment, Decoded& d,
                       const Ctx& c);
// The payload of a fragment that is not the first: no transport header.
void set_fragment_payload(Bytes cap, uint32_t wire, Decoded& d, const Ctx& c);

// tcp.cpp, udp.cpp, icmp.cpp: return false when their header is cut (anomaly added).
// `whole`: the full transport segment is captured and not a fragment (checksums/lengths).
struct L4In {
  Bytes cap;       // captured transport bytes (header + payload), clipped to the IP length
  uint32_t wire;   // transport length per the IP header
  bool fragment;   // first fragment of a fragmented datagram
};
bool decode_tcp(const L4In& in, Decoded& d, const Ctx& c);
bool decode_udp(const L4In& in, Decoded& d, const Ctx& c);
bool decode_icmp(const L4In& in, bool v6, Decoded& d, const Ctx& c);

// checksum.cpp: RFC 1071 ones' complement sum.
uint32_t sum16(Bytes b, uint32_t acc = 0);
uint16_t fold(uint32_t acc);
// Sum of the IPv4/IPv6 pseudo header (RFC 793 / RFC 8200 8.1) for the current ip fields.
uint32_t pseudo_header_sum(const IpInfo& ip, uint8_t proto, uint32_t len,
                           const uint8_t* final_dst = nullptr);
// True when checksum verification applies to this transport segment.
inline bool can_verify(const L4In& in, const Ctx& c) {
  return c.opt.verify_checksums && !in.fragment && in.cap.size() == in.wire;
}

}  // namespace nl::detail
