// What the decoders produce: one flat, fixed-size record per frame, with spans into
// the frame's bytes (no copies, no heap). Every binary consumes this struct, whether
// the frame came from a capture or was rebuilt from a pcap2pkt JSON line.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "libcore/bytes.hpp"
#include "libcore/time.hpp"

namespace nl {

// DLT / LINKTYPE values (tcpdump.org/linktypes.html).
namespace linktype {
constexpr uint32_t null_bsd = 0;      // BSD loopback: 4-byte host-order address family
constexpr uint32_t ethernet = 1;
constexpr uint32_t ppp = 9;           // PPP, with or without RFC 1662 address/control bytes
constexpr uint32_t raw_dlt12 = 12;    // DLT_RAW on most platforms
constexpr uint32_t raw_dlt14 = 14;    // DLT_RAW on OpenBSD
constexpr uint32_t ppp_hdlc = 50;     // PPP in HDLC-like framing (DLT_PPP_SERIAL)
constexpr uint32_t raw = 101;         // LINKTYPE_RAW
constexpr uint32_t c_hdlc = 104;      // Cisco HDLC
constexpr uint32_t ieee802_11 = 105;  // 802.11 MAC header, no radio header
constexpr uint32_t loop = 108;        // OpenBSD loopback: network-order address family
constexpr uint32_t linux_sll = 113;
constexpr uint32_t ieee802_11_radiotap = 127;
constexpr uint32_t ipv4 = 228;
constexpr uint32_t ipv6 = 229;
constexpr uint32_t nflog = 239;       // Linux netfilter log (NFLOG target, nftables log group)
constexpr uint32_t ipoib = 242;       // IP over InfiniBand (RFC 4391)
constexpr uint32_t linux_sll2 = 276;
}  // namespace linktype

// Stable anomaly names: scripts match on them, so never rename one; add at the end.
#define NETLINES_ANOMALIES(X)            \
  X(unknown_link_type)                   \
  X(truncated_ethernet_frame)            \
  X(truncated_llc_header)                \
  X(truncated_sll_header)                \
  X(truncated_sll2_header)               \
  X(truncated_null_header)               \
  X(unknown_null_family)                 \
  X(unknown_ethertype)                   \
  X(truncated_vlan_tag)                  \
  X(too_many_vlan_tags)                  \
  X(truncated_mpls_label)                \
  X(too_many_mpls_labels)                \
  X(truncated_pppoe_header)              \
  X(truncated_arp)                       \
  X(truncated_ipv4_header)               \
  X(bad_ip_version)                      \
  X(bad_ipv4_ihl)                        \
  X(bad_ipv4_total_length)               \
  X(truncated_ipv4_options)              \
  X(truncated_ipv6_header)               \
  X(truncated_ipv6_ext_header)           \
  X(bad_ipv6_ext_header)                 \
  X(truncated_ip_payload)                \
  X(truncated_tcp_header)                \
  X(bad_tcp_data_offset)                 \
  X(truncated_tcp_options)               \
  X(bad_tcp_option)                      \
  X(truncated_udp_header)                \
  X(bad_udp_length)                      \
  X(truncated_icmp_header)               \
  X(truncated_icmpv6_header)             \
  X(bad_ipv4_checksum)                   \
  X(bad_tcp_checksum)                    \
  X(bad_udp_checksum)                    \
  X(bad_icmp_checksum)                   \
  X(snaplen_truncated)                   \
  X(bad_ipv6_payload_length)             \
  X(unknown_ppp_protocol)                \
  X(truncated_ppp_header)                \
  X(truncated_chdlc_header)              \
  X(truncated_nflog_header)              \
  X(truncated_nflog_tlv)                 \
  X(bad_nflog_tlv)                       \
  X(unknown_nflog_family)                \
  X(truncated_ipoib_header)              \
  X(truncated_radiotap_header)           \
  X(bad_radiotap_header)                 \
  X(truncated_80211_header)              \
  X(protected_80211_frame)               \
  X(unsupported_80211_amsdu)             \
  X(caplen_exceeds_len)                  \
  X(bad_timestamp_fraction)              \
  X(resynchronised)

enum class Anomaly : uint8_t {
#define X(name) name,
  NETLINES_ANOMALIES(X)
#undef X
      count_
};
const char* anomaly_name(Anomaly a);

struct IpAddress {
  uint8_t family = 0;  // 0 (none), 4 or 6
  uint8_t bytes[16] = {};
  size_t size() const { return family == 6 ? 16 : family == 4 ? 4 : 0; }
  Bytes span() const { return {bytes, size()}; }
  // Inline word compares: the session table compares keys on every packet.
  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    if (a.family != b.family) return false;
    if (a.family == 6) {
      uint64_t x[2], y[2];
      std::memcpy(x, a.bytes, 16);
      std::memcpy(y, b.bytes, 16);
      return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
    }
    if (a.family == 4) {
      uint32_t x, y;
      std::memcpy(&x, a.bytes, 4);
      std::memcpy(&y, b.bytes, 4);
      return x == y;
    }
    return true;  // no address: only the family counts
  }
  friend bool operator<(const IpAddress& a, const IpAddress& b);
};
void append_ip(std::string& out, const IpAddress& a);  // dotted quad, or RFC 5952 IPv6
bool parse_ip(std::string_view s, IpAddress& a);
void append_mac(std::string& out, const uint8_t* mac);  // "aa:bb:cc:dd:ee:ff"

// One captured frame as read from a capture.
struct Packet {
  uint64_t number = 0;      // 1-based position in the input (across files)
  Timestamp ts;
  uint32_t caplen = 0;
  uint32_t origlen = 0;
  uint32_t linktype = 0;
  int32_t interface = -1;   // pcapng interface id; -1 for classic pcap
  Bytes data;               // caplen bytes, valid until the next read
  // What the capture reader found wrong with the record itself (a header that lies,
  // a record found by resynchronising): decode_packet() adds them to the decoded list.
  static constexpr int kMaxRecordAnomalies = 3;
  uint8_t n_record_anomalies = 0;
  Anomaly record_anomalies[kMaxRecordAnomalies] = {};
  void add_record_anomaly(Anomaly a) {
    if (n_record_anomalies < kMaxRecordAnomalies) record_anomalies[n_record_anomalies++] = a;
  }
  // data was rebuilt from a pkt record's fields, not captured (see record/pkt.hpp);
  // here, in the padding after the anomalies, it costs nothing to copy.
  bool rebuilt = false;
};

struct EthernetInfo {
  uint8_t dst[6] = {}, src[6] = {};
  uint16_t type_or_len = 0;  // the raw field after the addresses
  bool llc = false;          // 802.3 length field followed by LLC (and maybe SNAP)
  uint8_t dsap = 0, ssap = 0, control = 0;
};

struct SllInfo {           // Linux cooked capture v1 and v2
  uint8_t version = 0;     // 1 or 2
  uint16_t packet_type = 0;
  uint16_t arphrd = 0;
  uint8_t addr_len = 0;
  uint8_t addr[8] = {};
  uint16_t protocol = 0;
  uint32_t ifindex = 0;    // v2 only
};

struct WlanInfo {         // IEEE 802.11 MAC header (data and management frames)
  uint8_t type = 0;        // frame control: 0 management, 1 control, 2 data
  uint8_t subtype = 0;
  uint8_t flags = 0;       // frame control flags: to/from DS, protected, order, ...
  bool has_addrs = false;  // src/dst (and bssid, unless a 4-address frame) were read
  bool has_bssid = false;
  uint8_t src[6] = {}, dst[6] = {}, bssid[6] = {};
};

struct NflogInfo {         // Linux netfilter log header and the attributes kept
  uint8_t family = 0;      // NFPROTO_*: 2 IPv4, 10 IPv6
  uint16_t resource_id = 0;  // the log group
  Bytes prefix;            // NFULA_PREFIX text, without its NUL (points into the frame)
};

struct VlanTag {
  uint16_t tpid = 0;       // 0x8100, 0x88a8, 0x9100
  uint16_t tci = 0;
  uint16_t id() const { return tci & 0x0fff; }
  uint8_t pcp() const { return uint8_t(tci >> 13); }
  bool dei() const { return tci & 0x1000; }
};

struct MplsLabel {
  uint32_t label = 0;
  uint8_t tc = 0;
  bool bottom = false;
  uint8_t ttl = 0;
};

struct ArpInfo {
  uint16_t htype = 0, ptype = 0, op = 0;
  uint8_t hlen = 0, plen = 0;
  uint8_t sha[6] = {}, tha[6] = {};
  IpAddress spa, tpa;      // when ptype is IPv4
};

// IPv6 extension headers met on the way to the transport header, in order.
enum class Ipv6Ext : uint8_t { hop_by_hop, routing, fragment, destination, ah, esp, mobility, other };
const char* ipv6_ext_name(Ipv6Ext e);

struct IpInfo {
  uint8_t version = 0;        // 0: no IP layer
  IpAddress src, dst;
  uint8_t ttl = 0;            // hop limit for IPv6
  uint8_t tos = 0;            // traffic class for IPv6
  uint32_t flow_label = 0;
  uint32_t id = 0;            // IPv4 identification, or IPv6 fragment header identification
  bool df = false, mf = false;
  uint16_t frag_offset = 0;   // in bytes
  bool fragment = false;      // mf or frag_offset != 0 (IPv4), or a fragment header present (IPv6)
  uint16_t header_len = 0;    // IPv4 IHL*4; IPv6 40 + extension headers
  uint32_t total_len = 0;     // IPv4 total length; IPv6 40 + payload length (jumbograms: as captured)
  uint8_t proto = 0;          // transport protocol (IPv6: the last next-header value)
  bool options = false;       // IPv4 options present
  uint16_t checksum = 0;
  uint8_t n_ext = 0;
  Ipv6Ext ext[8] = {};
};

namespace tcpflag {
constexpr uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10, urg = 0x20,
                  ece = 0x40, cwr = 0x80;
}

struct TcpInfo {
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;          // tcpflag bits
  bool ns = false;            // RFC 3540 nonce sum bit
  uint16_t window = 0;        // as on the wire (unscaled)
  uint16_t urgent = 0;
  uint16_t checksum = 0;
  uint8_t header_len = 0;     // data offset * 4
  // Options (RFC 9293, 7323, 2018). -1 / false when absent.
  int32_t mss = -1;
  int16_t wscale = -1;
  bool sack_permitted = false;
  uint8_t n_sack = 0;
  uint32_t sack[4][2] = {};
  bool has_timestamps = false;
  uint32_t ts_val = 0, ts_ecr = 0;
  bool fast_open = false;     // TFO option (34) present
};

struct UdpInfo {
  uint16_t sport = 0, dport = 0, length = 0, checksum = 0;
};

struct IcmpInfo {
  uint8_t type = 0, code = 0;
  uint16_t checksum = 0;
  uint32_t rest = 0;          // the 4 bytes after the checksum (id/seq for echo)
};

enum class L4 : uint8_t { none, tcp, udp, icmp, icmpv6, other };

struct Decoded {
  uint32_t linktype = 0;
  bool has_eth = false, has_sll = false, has_null = false, has_wlan = false, has_nflog = false;
  EthernetInfo eth;
  SllInfo sll;
  uint32_t null_family = 0;
  WlanInfo wlan;
  NflogInfo nflog;

  static constexpr int kMaxVlan = 4;
  uint8_t n_vlan = 0;
  VlanTag vlan[kMaxVlan];
  static constexpr int kMaxMpls = 8;
  uint8_t n_mpls = 0;
  MplsLabel mpls[kMaxMpls];
  bool has_pppoe = false;
  uint16_t pppoe_session = 0;
  bool has_ppp = false;       // a PPP protocol field was read (PPPoE, PPP link types)
  uint16_t ppp_protocol = 0;

  uint16_t ethertype = 0;     // the network-layer protocol finally reached (0 if none)
  bool has_arp = false;
  ArpInfo arp;

  IpInfo ip;
  Bytes l3;                   // IP header and payload: captured bytes, clipped to the IP length
  L4 l4 = L4::none;
  TcpInfo tcp;
  UdpInfo udp;
  IcmpInfo icmp;
  Bytes l4_bytes;             // transport header + payload (captured); IP payload for fragments
  Bytes payload;              // application payload (captured)
  uint32_t payload_len = 0;   // application payload length on the wire (from the IP lengths)

  static constexpr int kMaxAnomalies = 8;
  uint8_t n_anomalies = 0;
  Anomaly anomalies[kMaxAnomalies];
  void add(Anomaly a) {
    for (int i = 0; i < n_anomalies; ++i)
      if (anomalies[i] == a) return;
    if (n_anomalies < kMaxAnomalies) anomalies[n_anomalies++] = a;
  }
  bool has(Anomaly a) const {
    for (int i = 0; i < n_anomalies; ++i)
      if (anomalies[i] == a) return true;
    return false;
  }
  uint16_t ports_src() const { return l4 == L4::tcp ? tcp.sport : l4 == L4::udp ? udp.sport : 0; }
  uint16_t ports_dst() const { return l4 == L4::tcp ? tcp.dport : l4 == L4::udp ? udp.dport : 0; }
  uint16_t outer_vlan() const { return n_vlan ? vlan[0].id() : 0; }
};

struct DecodeOptions {
  bool verify_checksums = false;  // off by default: captures carry offloaded checksums
};

// Decodes a frame of the given link type. Pure: reads only `frame`.
void decode_frame(uint32_t linktype, Bytes frame, uint32_t origlen, Decoded& out,
                  const DecodeOptions& opt = {});
// decode_frame() of a packet read from a capture, plus the anomalies of its record.
inline void decode_packet(const Packet& p, Decoded& out, const DecodeOptions& opt = {}) {
  decode_frame(p.linktype, p.data, p.origlen, out, opt);
  for (int i = 0; i < p.n_record_anomalies; ++i) out.add(p.record_anomalies[i]);
}
// Decodes from the IP header on (used for reassembled datagrams): ip.version set from the bytes.
void decode_ip(Bytes datagram, Decoded& out, const DecodeOptions& opt = {});
// Human name for a link type ("ethernet", "linux_sll2", ...), or nullptr when unknown.
const char* linktype_name(uint32_t lt);
// EVE protocol name: "TCP", "UDP", "ICMP", "IPv6-ICMP", or nullptr (use the number).
const char* eve_proto_name(uint8_t proto);

}  // namespace nl
