// From an ethertype down to the network layer: VLAN tags, MPLS, PPPoE are followed in
// a loop (each step consumes at least 4 bytes, so it ends), then ARP or IP.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

// Ethertypes we recognise but do not decode: no unknown_ethertype for them.
bool known_non_ip_ethertype(uint16_t type) {
  switch (type) {
    case 0x0842:  // Wake-on-LAN
    case 0x22f0:  // AVTP
    case 0x22f3:  // TRILL
    case 0x6002:  // DEC MOP RC
    case 0x8035:  // RARP
    case 0x809b:  // AppleTalk
    case 0x80f3:  // AARP
    case 0x8137:  // IPX
    case 0x8808:  // Ethernet flow control
    case 0x8809:  // slow protocols (LACP)
    case 0x8863:  // PPPoE discovery
    case 0x886d:  // Intel ANS
    case 0x888e:  // EAPOL (802.1X)
    case 0x8892:  // PROFINET
    case 0x889a:  // HyperSCSI
    case 0x88a2:  // ATA over Ethernet
    case 0x88a4:  // EtherCAT
    case 0x88b8:  // GOOSE
    case 0x88cc:  // LLDP
    case 0x88e5:  // MACsec
    case 0x88e7:  // PBB
    case 0x88f7:  // PTP
    case 0x8902:  // CFM
    case 0x8906:  // FCoE
    case 0x8914:  // FIP
    case 0x893a:  // IEEE 1905
    case 0x9000:  // loopback (configuration test protocol)
      return true;
  }
  return false;
}

void decode_ethertype(uint16_t type, Bytes b, Decoded& d, const Ctx& c) {
  for (;;) {
    if (type <= 1500) {  // IEEE 802.3 length: the LLC PDU (minus padding) follows
      d.ethertype = 0;
      decode_llc(b.size() > type ? b.first(type) : b, d, c);
      return;
    }
    d.ethertype = type;
    Next n;
    switch (type) {
      case ethertype::ipv4: decode_ipv4(b, d, c); return;
      case ethertype::ipv6: decode_ipv6(b, d, c); return;
      case ethertype::arp: decode_arp(b, d); return;
      case ethertype::vlan:
      case ethertype::qinq:
      case ethertype::qinq_old: n = decode_vlan(type, b, d); break;
      case ethertype::mpls:
      case ethertype::mpls_mc: n = decode_mpls(b, d, c); break;
      case ethertype::pppoe_sess: n = decode_pppoe(b, d); break;
      default:
        if (!known_non_ip_ethertype(type)) d.add(Anomaly::unknown_ethertype);
        return;
    }
    if (n.type == 0) return;
    type = n.type;
    b = n.rest;
  }
}

}  // namespace nl::detail
