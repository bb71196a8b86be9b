// Names (anomalies, link types, EVE protocols, IPv6 extension headers) and address
// text: dotted quad for IPv4, RFC 5952 canonical text for IPv6.
#include <arpa/inet.h>

#include <cstring>

#include "libcore/decode/packet.hpp"

namespace nl {

const char* anomaly_name(Anomaly a) {
  static constexpr const char* kNames[] = {
#define X(name) #name,
      NETLINES_ANOMALIES(X)
#undef X
  };
  auto i = size_t(a);
  return i < sizeof kNames / sizeof kNames[0] ? kNames[i] : "unknown_anomaly";
}

const char* ipv6_ext_name(Ipv6Ext e) {
  switch (e) {
    case Ipv6Ext::hop_by_hop: return "hop_by_hop";
    case Ipv6Ext::routing: return "routing";
    case Ipv6Ext::fragment: return "fragment";
    case Ipv6Ext::destination: return "destination";
    case Ipv6Ext::ah: return "ah";
    case Ipv6Ext::esp: return "esp";
    case Ipv6Ext::mobility: return "mobility";
    case Ipv6Ext::other: return "other";
  }
  return "other";
}

// LINKTYPE_* names from tcpdump.org/linktypes.html, lower case.
const char* linktype_name(uint32_t lt) {
  switch (lt) {
    case linktype::null_bsd: return "null";
    case linktype::ethernet: return "ethernet";
    case linktype::raw_dlt12:
    case linktype::raw_dlt14:
    case linktype::raw: return "raw";
    case linktype::loop: return "loop";
    case linktype::linux_sll: return "linux_sll";
    case linktype::ipv4: return "ipv4";
    case linktype::ipv6: return "ipv6";
    case linktype::linux_sll2: return "linux_sll2";
    case linktype::ppp: return "ppp";
    case linktype::ppp_hdlc: return "ppp_hdlc";
    case linktype::c_hdlc: return "c_hdlc";
    case linktype::ieee802_11: return "ieee802_11";
    case linktype::ieee802_11_radiotap: return "ieee802_11_radiotap";
    case linktype::nflog: return "nflog";
    case linktype::ipoib: return "ipoib";
  }
  return nullptr;
}

// Suricata EVE "proto" spellings.
const char* eve_proto_name(uint8_t proto) {
  switch (proto) {
    case 6: return "TCP";
    case 17: return "UDP";
    case 1: return "ICMP";
    case 58: return "IPv6-ICMP";
  }
  return nullptr;
}

bool operator<(const IpAddress& a, const IpAddress& b) {
  if (a.family != b.family) return a.family < b.family;
  return std::memcmp(a.bytes, b.bytes, a.size()) < 0;
}

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_quad(std::string& out, const uint8_t* p) {
  char buf[16];  // one append: this runs twice per packet in every record
  char* o = buf;
  for (int i = 0; i < 4; ++i) {
    if (i) *o++ = '.';
    uint8_t v = p[i];
    if (v >= 100) *o++ = char('0' + v / 100);
    if (v >= 10) *o++ = char('0' + v / 10 % 10);
    *o++ = char('0' + v % 10);
  }
  out.append(buf, size_t(o - buf));
}

void append_hex16(std::string& out, uint16_t v) {  // no leading zeros (RFC 5952 4.1)
  char buf[4];
  int n = 0;
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    unsigned nib = (v >> shift) & 0xf;
    if (nib || started || shift == 0) {
      buf[n++] = kHex[nib];
      started = true;
    }
  }
  out.append(buf, size_t(n));
}

}  // namespace

void append_ip(std::string& out, const IpAddress& a) {
  if (a.family == 4) {
    append_quad(out, a.bytes);
    return;
  }
  if (a.family != 6) return;
  const uint8_t* b = a.bytes;
  // IPv4-mapped ::ffff:a.b.c.d (RFC 5952 section 5).
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, kMapped, 12) == 0) {
    out.append("::ffff:");
    append_quad(out, b + 12);
    return;
  }
  uint16_t g[8];
  for (int i = 0; i < 8; ++i) g[i] = load_be16(b + 2 * i);
  // Longest run of two or more zero groups; the first one on a tie (RFC 5952 4.2).
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out.append("::");
      i += best_len - 1;
      continue;
    }
    if (i && i != best + best_len) out.push_back(':');
    append_hex16(out, g[i]);
  }
}

namespace {

// A dotted quad as inet_pton(AF_INET) takes it: four decimal octets of at most
// 255, no leading zeros, nothing else. Parsed here, without the copy to a C
// string: every pkt line a stage reads has two addresses, and inet_pton was 2%
// of a piped tcpflow-reasm.
bool parse_ipv4(std::string_view s, uint8_t* out) {
  size_t octets = 0;
  unsigned v = 0;
  bool digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      if (digit && v == 0) return false;  // a leading zero
      v = v * 10 + unsigned(c - '0');
      if (v > 255) return false;
      digit = true;
    } else if (c == '.' && digit && octets < 3) {
      out[octets++] = uint8_t(v);
      v = 0;
      digit = false;
    } else {
      return false;
    }
  }
  if (!digit || octets != 3) return false;
  out[3] = uint8_t(v);
  return true;
}

}  // namespace

bool parse_ip(std::string_view s, IpAddress& a) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (s.empty() || s.size() >= sizeof buf) return false;
  IpAddress r;
  if (s.find(':') == std::string_view::npos) {
    if (!parse_ipv4(s, r.bytes)) return false;
    r.family = 4;
  } else {
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = 0;
    if (inet_pton(AF_INET6, buf, r.bytes) != 1) return false;
    r.family = 6;
  }
  a = r;
  return true;
}

void append_mac(std::string& out, const uint8_t* mac) {
  char buf[17];
  for (int i = 0; i < 6; ++i) {
    buf[i * 3] = kHex[mac[i] >> 4];
    buf[i * 3 + 1] = kHex[mac[i] & 0xf];
    if (i < 5) buf[i * 3 + 2] = ':';
  }
  out.append(buf, 17);
}

}  // namespace nl
