// pcap2pkt JSON line -> frame. The frame is built from the record's fields
// (Ethernet with the record's VLAN tags and MACs, or raw IP; IP header; transport
// header with its options; payload) so that decode_frame() yields the same fields
// the original frame gave: addresses, ports, sequence numbers, flags, lengths.
// Checksums are zero (decoding does not verify them by default); IPv4 options and
// IPv6 extension headers are rebuilt as padding of the recorded header length.
//
// This is the hot path of every piped stage: the record's fields are read in one
// pass into PktFields (any order; a field of the wrong type counts as absent), and
// the frame is built from that, the payload decoded straight into its place.
#include <simdjson.h>

#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "libcore/json/value.hpp"
#include "libcore/record/pkt.hpp"
#include "libcore/record/pkt_layout.hpp"
#include "libcore/record/problem.hpp"

namespace nl {

namespace {

using json::elements;
using json::fields;
using json::get;
using json::get_base64_text;
using json::get_true;
using json::is;
using json::ScanValue;
using simdjson::dom::element;

constexpr size_t kMaxVlans = 8;   // more tags than any real frame carries
constexpr size_t kMaxExt = 16;    // IPv6 extension headers rebuilt
constexpr size_t kMaxSack = 4;    // SACK blocks fit in 40 option bytes

// The members a field of record/pkt_layout.hpp is read into.
#define NL_PKT_HAS_has(member) bool has_##member = false;
#define NL_PKT_HAS_nohas(member)
// Integers, then flags: kept apart, no padding between them (every line resets the fields).
#define NL_PKT_INT_uint(member, dflt) uint64_t member = dflt;
#define NL_PKT_INT_boolean(member, dflt)
#define NL_PKT_INT_boolean_unread(member, dflt)
#define NL_PKT_FLAG_uint(member, dflt)
#define NL_PKT_FLAG_boolean(member, dflt) bool member = dflt;
#define NL_PKT_FLAG_boolean_unread(member, dflt) bool member = dflt;
#define NL_PKT_INTS(key, kind, member, presence, dflt, max, written) NL_PKT_INT_##kind(member, dflt)
#define NL_PKT_FLAGS(key, kind, member, presence, dflt, max, written) \
  NL_PKT_FLAG_##kind(member, dflt) NL_PKT_HAS_##presence(member)

struct VlanFields {
  NETLINES_PKT_VLAN_FIELDS(NL_PKT_INTS)
  NETLINES_PKT_VLAN_FIELDS(NL_PKT_FLAGS)
  uint16_t tpid = 0x8100;
};

struct TcpFields {
  NETLINES_PKT_TCP_SEQ_FIELDS(NL_PKT_INTS)
  NETLINES_PKT_TCP_HEADER_FIELDS(NL_PKT_INTS)
  NETLINES_PKT_TCP_SEQ_FIELDS(NL_PKT_FLAGS)
  NETLINES_PKT_TCP_HEADER_FIELDS(NL_PKT_FLAGS)
  bool has_mss = false, has_wscale = false, sack_permitted = false, has_ts = false, fast_open = false;
  uint64_t mss = 0, wscale = 0, ts_val = 0, ts_ecr = 0;
  size_t n_sack = 0;
  uint64_t sack[kMaxSack][2] = {};
};

// Everything the rebuild reads from a pkt record. Views point into the parser's
// buffers and live until the next line.
struct PktFields {
  std::string_view type;
  bool has_type = false, has_n = false, has_len = false;
  uint64_t n = 0, len = 0;
  bool has_ts = false;
  std::string_view ts;  // string contents, or the number's literal text
  bool has_iface = false;
  int64_t iface = 0;

  bool ethernet = false, has_link_src = false, has_link_dst = false;
  uint8_t link_src[6] = {}, link_dst[6] = {};
  bool has_vlan = false;  // a non-empty "vlan" array, even if no tag could be read
  size_t n_vlans = 0;
  VlanFields vlans[kMaxVlans];

  bool has_ip = false, has_version = false;
  uint64_t version = 0;
  bool has_src = false, has_dst = false;
  std::string_view src, dst;
  // IPv6's fragment fields are among IPv4's.
  NETLINES_PKT_IP_FIELDS(NL_PKT_INTS)
  NETLINES_PKT_IPV4_FIELDS(NL_PKT_INTS)
  NETLINES_PKT_IPV6_FIELDS(NL_PKT_INTS)
  NETLINES_PKT_IP_FIELDS(NL_PKT_FLAGS)
  NETLINES_PKT_IPV4_FIELDS(NL_PKT_FLAGS)
  NETLINES_PKT_IPV6_FIELDS(NL_PKT_FLAGS)
  NETLINES_PKT_IP_END_FIELDS(NL_PKT_FLAGS)
  size_t n_ext = 0;
  uint8_t ext[kMaxExt] = {};

  uint64_t sport = 0, dport = 0;
  enum class L4 { none, tcp, udp, icmp } l4 = L4::none;
  TcpFields tcp;
  NETLINES_PKT_UDP_FIELDS(NL_PKT_INTS)
  NETLINES_PKT_ICMP_FIELDS(NL_PKT_INTS)
  NETLINES_PKT_UDP_FIELDS(NL_PKT_FLAGS)

  // has_frame: --payload=frame, the captured frame (base64) and its link type.
  bool has_payload = false, has_frame = false, has_frame_linktype = false;
  std::string_view payload, frame;
  uint64_t frame_linktype = 0;

  // Reading with the DOM: where the first field found wrong is told (the scanner
  // leaves such lines to the DOM instead).
  LineProblem* diag = nullptr;
};

uint8_t ext_code(std::string_view name) {
  if (name == "hop_by_hop") return 0;
  if (name == "routing") return 43;
  if (name == "fragment") return 44;
  if (name == "destination") return 60;
  if (name == "ah") return 51;
  if (name == "esp") return 50;
  if (name == "mobility") return 135;
  return 255;
}

bool parse_mac(std::string_view s, uint8_t* mac) {
  if (s.size() != 17) return false;
  for (int i = 0; i < 6; ++i) {
    unsigned v = 0;
    for (int k = 0; k < 2; ++k) {
      char c = s[size_t(i * 3 + k)];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
      else return false;
    }
    mac[i] = uint8_t(v);
  }
  return true;
}

uint16_t parse_hex16(std::string_view s) {
  uint16_t v = 0;
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x') s.remove_prefix(2);
  for (char c : s) {
    v <<= 4;
    if (c >= '0' && c <= '9') v |= uint16_t(c - '0');
    else if (c >= 'a' && c <= 'f') v |= uint16_t(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= uint16_t(c - 'A' + 10);
  }
  return v;
}

// The largest value each integer field of a pkt record can hold (the field of
// the header it is rebuilt into); the names are the fields' paths in messages.
#define NL_PKT_MAX_uint(path, max) {path, max},
#define NL_PKT_MAX_boolean(path, max)
#define NL_PKT_MAX_boolean_unread(path, max)
#define NL_PKT_MAX_IN_ip(key, kind, member, presence, dflt, max, written) NL_PKT_MAX_##kind("ip." #key, max)
#define NL_PKT_MAX_IN_tcp(key, kind, member, presence, dflt, max, written) NL_PKT_MAX_##kind("tcp." #key, max)
#define NL_PKT_MAX_IN_udp(key, kind, member, presence, dflt, max, written) NL_PKT_MAX_##kind("udp." #key, max)
#define NL_PKT_MAX_IN_icmp(key, kind, member, presence, dflt, max, written) NL_PKT_MAX_##kind("icmp." #key, max)
#define NL_PKT_MAX_IN_vlan(key, kind, member, presence, dflt, max, written) NL_PKT_MAX_##kind("vlan." #key, max)
#define NL_PKT_OTHER_MAX(path, max) {path, max},
constexpr std::pair<std::string_view, uint64_t> kFieldMax[] = {
    NETLINES_PKT_OTHER_MAXIMA(NL_PKT_OTHER_MAX)
    NETLINES_PKT_IP_FIELDS(NL_PKT_MAX_IN_ip)
    NETLINES_PKT_IPV4_FIELDS(NL_PKT_MAX_IN_ip)
    NETLINES_PKT_IPV6_FIELDS(NL_PKT_MAX_IN_ip)
    NETLINES_PKT_TCP_SEQ_FIELDS(NL_PKT_MAX_IN_tcp)
    NETLINES_PKT_TCP_HEADER_FIELDS(NL_PKT_MAX_IN_tcp)
    NETLINES_PKT_UDP_FIELDS(NL_PKT_MAX_IN_udp)
    NETLINES_PKT_ICMP_FIELDS(NL_PKT_MAX_IN_icmp)
    NETLINES_PKT_VLAN_FIELDS(NL_PKT_MAX_IN_vlan)
};
constexpr uint64_t field_max(std::string_view field) {
  for (const auto& [name, max] : kFieldMax)
    if (name == field) return max;
  return UINT64_MAX;
}

std::string quoted_field(std::string_view field) { return "field \"" + std::string(field) + "\""; }

void out_of_range(LineProblem& p, std::string_view field, std::string_view value, uint64_t max) {
  std::string range = max == UINT64_MAX ? std::string() : " (0-" + std::to_string(max) + ")";
  p.set(line_problem::out_of_range, quoted_field(field) + ": out of range" + range,
        quoted_field(field) + ": " + std::string(value) + " is out of range" + range);
}

// A record of another type keeps its fields to itself: they are not diagnosed.
bool other_type(const PktFields& f) { return f.has_type && f.type != "pkt"; }

const char* type_name(element v) {
  switch (v.type()) {
    case simdjson::dom::element_type::ARRAY: return "an array";
    case simdjson::dom::element_type::OBJECT: return "an object";
    case simdjson::dom::element_type::STRING: return "a string";
    case simdjson::dom::element_type::BOOL: return "a boolean";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
    default: return "a number";
  }
}

// A field whose value has the wrong JSON type. The scanner leaves the line to the
// DOM, which says what it found instead: the first such field is the line's problem.
void wrong(ScanValue v, PktFields& f, const char*, const char*) {
  if (!other_type(f)) json::give_up(v);
}
void wrong(element v, PktFields& f, const char* field, const char* expected) {
  if (!f.diag || *f.diag || other_type(f)) return;
  std::string cause = quoted_field(field) + ": expected " + expected;
  f.diag->set(line_problem::wrong_type, cause, cause + ", got " + type_name(v));
}

// Integer fields: get(), or what is wrong with the value. The DOM also takes a
// whole number written as a fraction or with an exponent (1e3).
bool num(ScanValue v, PktFields& f, const char* field, uint64_t& out) {
  if (get(v, out)) return true;
  wrong(v, f, field, "an integer");
  return false;
}
bool num(element v, PktFields& f, const char* field, uint64_t& out) {
  if (get(v, out)) return true;
  int64_t i = 0;
  double d = 0;
  if (v.get(i) == simdjson::SUCCESS) {  // negative
    if (f.diag && !*f.diag && !other_type(f)) out_of_range(*f.diag, field, std::to_string(i), field_max(field));
    return false;
  }
  if (v.get(d) != simdjson::SUCCESS) {
    wrong(v, f, field, "an integer");
    return false;
  }
  if (d >= 0 && d < 18446744073709551616.0 && d == std::floor(d)) {
    out = uint64_t(d);
    return true;
  }
  if (!f.diag || *f.diag || other_type(f)) return false;
  char text[32];
  auto r = std::to_chars(text, text + sizeof text, d);
  std::string_view shown(text, size_t(r.ptr - text));
  if (d == std::floor(d)) {
    out_of_range(*f.diag, field, shown, field_max(field));
  } else {
    std::string cause = quoted_field(field) + ": expected an integer";
    f.diag->set(line_problem::wrong_type, cause, cause + ", got " + std::string(shown));
  }
  return false;
}

template <class V>
bool str(V v, PktFields& f, const char* field, std::string_view& out) {
  if (get(v, out)) return true;
  wrong(v, f, field, "a string");
  return false;
}

template <class V>
bool flag(V v, PktFields& f, const char* field) {
  bool b = false;
  if (get(v, b)) return b;
  wrong(v, f, field, "true or false");
  return false;
}

template <class V, class Fn>
bool object_of(V v, PktFields& f, const char* field, Fn&& fn) {
  if (fields(v, fn)) return true;
  wrong(v, f, field, "an object");
  return false;
}

template <class V, class Fn>
bool array_of(V v, PktFields& f, const char* field, Fn&& fn) {
  if (elements(v, fn)) return true;
  wrong(v, f, field, "an array");
  return false;
}

bool is_null(ScanValue v) { return v.s->peek() == 'n'; }  // checked when skipped
bool is_null(element v) { return v.is_null(); }

// [a, b] -> two integers.
template <class V>
bool get_pair(V v, PktFields& f, const char* field, uint64_t& a, uint64_t& b) {
  uint64_t pair[2] = {0, 0};
  size_t n = 0;
  if (!array_of(v, f, field, [&](V e) {
        if (n < 2 && !num(e, f, field, pair[n])) pair[n] = 0;
        ++n;
      }))
    return false;
  if (n != 2) {
    if (f.diag && !*f.diag && !other_type(f))
      f.diag->set(line_problem::bad_value, quoted_field(field) + ": expected two numbers",
                  quoted_field(field) + ": expected two numbers, got " + std::to_string(n));
    if (!other_type(f)) json::give_up(v);
    return false;
  }
  a = pair[0];
  b = pair[1];
  return true;
}

// The general reader of a run of record/pkt_layout.hpp: one `else if` per field
// for the key `k`, its value `x`, into the fields `o`.
#define NL_PKT_SET_has(o, member) o.has_##member =
#define NL_PKT_SET_nohas(o, member)
#define NL_PKT_READ_uint(path, key, member, presence) \
  else if (is(k, #key)) NL_PKT_SET_##presence(o, member) num(x, f, path #key, o.member);
#define NL_PKT_READ_boolean(path, key, member, presence) else if (is(k, #key)) o.member = flag(x, f, path #key);
#define NL_PKT_READ_boolean_unread(path, key, member, presence)
#define NL_PKT_READ_ip(key, kind, member, presence, dflt, max, written) NL_PKT_READ_##kind("ip.", key, member, presence)
#define NL_PKT_READ_tcp(key, kind, member, presence, dflt, max, written) NL_PKT_READ_##kind("tcp.", key, member, presence)
#define NL_PKT_READ_udp(key, kind, member, presence, dflt, max, written) NL_PKT_READ_##kind("udp.", key, member, presence)
#define NL_PKT_READ_icmp(key, kind, member, presence, dflt, max, written) NL_PKT_READ_##kind("icmp.", key, member, presence)
#define NL_PKT_READ_vlan(key, kind, member, presence, dflt, max, written) NL_PKT_READ_##kind("vlan.", key, member, presence)

// The read_* functions fill what they find; a field of the wrong type stays unset
// and is the line's problem (see wrong()).
// flatten: GCC otherwise calls out for each TCP member (1% more instructions per line).
template <class V>
[[gnu::flatten]] bool read_tcp(V v, PktFields& f) {
  TcpFields& t = f.tcp;
  return object_of(v, f, "tcp", [&](std::string_view k, V x) {
    TcpFields& o = t;
    if (is(k, "options")) {
      object_of(x, f, "tcp.options", [&](std::string_view k2, V y) {
        if (is(k2, "mss")) t.has_mss = num(y, f, "tcp.options.mss", t.mss);
        else if (is(k2, "wscale")) t.has_wscale = num(y, f, "tcp.options.wscale", t.wscale);
        else if (is(k2, "sack_permitted")) t.sack_permitted = flag(y, f, "tcp.options.sack_permitted");
        else if (is(k2, "fast_open")) t.fast_open = flag(y, f, "tcp.options.fast_open");
        else if (is(k2, "ts")) t.has_ts = get_pair(y, f, "tcp.options.ts", t.ts_val, t.ts_ecr);
        else if (is(k2, "sack")) {
          size_t n_sack = 0;
          if (array_of(y, f, "tcp.options.sack", [&](V blk) {
                uint64_t l = 0, r = 0;
                get_pair(blk, f, "tcp.options.sack", l, r);
                if (n_sack < kMaxSack) {
                  t.sack[n_sack][0] = l;
                  t.sack[n_sack][1] = r;
                  ++n_sack;
                }
              }))
            t.n_sack = n_sack;
        }
      });
    }
    NETLINES_PKT_TCP_SEQ_FIELDS(NL_PKT_READ_tcp)
    NETLINES_PKT_TCP_HEADER_FIELDS(NL_PKT_READ_tcp)
  });
}

template <class V>
bool read_ip(V v, PktFields& f) {
  return object_of(v, f, "ip", [&](std::string_view k, V x) {
    PktFields& o = f;
    if (is(k, "version")) f.has_version = num(x, f, "ip.version", f.version);
    else if (is(k, "src")) f.has_src = str(x, f, "ip.src", f.src);
    else if (is(k, "dst")) f.has_dst = str(x, f, "ip.dst", f.dst);
    NETLINES_PKT_IP_FIELDS(NL_PKT_READ_ip)
    NETLINES_PKT_IPV4_FIELDS(NL_PKT_READ_ip)
    NETLINES_PKT_IPV6_FIELDS(NL_PKT_READ_ip)
    NETLINES_PKT_IP_END_FIELDS(NL_PKT_READ_ip)
    else if (is(k, "ext")) {
      size_t n_ext = 0;
      if (array_of(x, f, "ip.ext", [&](V e) {
            std::string_view name;
            if (!str(e, f, "ip.ext", name)) return;
            uint8_t code = ext_code(name);
            // ESP: its bytes are the payload; unknown names have nothing to rebuild.
            if (code != 255 && code != 50 && n_ext < kMaxExt) f.ext[n_ext++] = code;
          }))
        f.n_ext = n_ext;
    }
  });
}

template <class V>
bool read_link(V v, PktFields& f) {
  return object_of(v, f, "link", [&](std::string_view k, V x) {
    std::string_view s;
    // A link type without a name is written as its number: not Ethernet either.
    if (is(k, "type")) f.ethernet = !json::is_number(x) && str(x, f, "link.type", s) && s == "ethernet";
    else if (is(k, "src")) f.has_link_src = str(x, f, "link.src", s) && parse_mac(s, f.link_src);
    else if (is(k, "dst")) f.has_link_dst = str(x, f, "link.dst", s) && parse_mac(s, f.link_dst);
  });
}

template <class V>
void read_vlans(V v, PktFields& f) {
  bool any = false;
  bool is_array = array_of(v, f, "vlan", [&](V e) {
    any = true;
    VlanFields t;
    bool is_tag = object_of(e, f, "vlan", [&](std::string_view k, V x) {
      VlanFields& o = t;
      std::string_view s;
      if (is(k, "tpid")) {
        if (str(x, f, "vlan.tpid", s)) t.tpid = parse_hex16(s);
      }
      NETLINES_PKT_VLAN_FIELDS(NL_PKT_READ_vlan)
    });
    if (is_tag && f.n_vlans < kMaxVlans) f.vlans[f.n_vlans++] = t;
  });
  if (is_array) f.has_vlan = any;
}

template <class V>
bool read_udp(V v, PktFields& f) {
  return object_of(v, f, "udp", [&](std::string_view k, V x) {
    PktFields& o = f;
    if (false) {
    }
    NETLINES_PKT_UDP_FIELDS(NL_PKT_READ_udp)
  });
}

// icmp and icmpv6 share a layout.
template <class V>
bool read_icmp(V v, PktFields& f) {
  return object_of(v, f, "icmp", [&](std::string_view k, V x) {
    PktFields& o = f;
    if (false) {
    }
    NETLINES_PKT_ICMP_FIELDS(NL_PKT_READ_icmp)
  });
}

// One pass over the record's fields (key lookups would scan them again each time).
// False when the record is not an object.
template <class V>
bool read_fields(V rec, std::string_view line, PktFields& f) {
  using L4 = PktFields::L4;
  return fields(rec, [&](std::string_view k, V v) {
    if (is(k, "type")) {
      f.has_type = get(v, f.type);  // not a string: "missing field", said before anything else
    } else if (is(k, "n")) {
      f.has_n = num(v, f, "n", f.n);
    } else if (is(k, "len")) {
      f.has_len = num(v, f, "len", f.len);
    } else if (is(k, "ts")) {
      if (get(v, f.ts)) {
        f.has_ts = true;
      } else if (json::number_text(v, line, "ts", f.ts)) {
        // --time=epoch writes a number (the top-level "ts" is the first in the line).
        while (!f.ts.empty() && f.ts.front() == ' ') f.ts.remove_prefix(1);
        while (!f.ts.empty() && f.ts.back() == ' ') f.ts.remove_suffix(1);
        f.has_ts = true;
      } else if (!json::is_number(v)) {
        wrong(v, f, "ts", "a string or a number");
      }
    } else if (is(k, "iface")) {
      uint64_t iface = 0;
      f.has_iface = num(v, f, "iface", iface);
      f.iface = int64_t(iface & 0x7fffffffffffffff);
    } else if (is(k, "src_port")) {
      if (!is_null(v)) num(v, f, "src_port", f.sport);
    } else if (is(k, "dest_port")) {
      if (!is_null(v)) num(v, f, "dest_port", f.dport);
    } else if (is(k, "payload")) {
      // Decoded later, into the frame. A second payload goes to the DOM: the
      // scanner would not check the first value that it replaces.
      if (f.has_payload) json::give_up(v);
      f.has_payload = get_base64_text(v, f.payload);
      if (!f.has_payload) wrong(v, f, "payload", "a string");
    } else if (is(k, "vlan")) {
      read_vlans(v, f);
    } else if (is(k, "ip")) {
      if (read_ip(v, f)) f.has_ip = true;
    } else if (is(k, "link")) {
      read_link(v, f);
    } else if (is(k, "tcp")) {
      if (read_tcp(v, f)) f.l4 = L4::tcp;  // TCP over UDP over ICMP, should a record hold several
    } else if (is(k, "udp")) {
      if (read_udp(v, f) && f.l4 != L4::tcp) f.l4 = L4::udp;
    } else if (is(k, "icmp") || is(k, "icmpv6")) {
      if (read_icmp(v, f) && f.l4 == L4::none) f.l4 = L4::icmp;
    } else if (is(k, "frame")) {
      object_of(v, f, "frame", [&](std::string_view k2, V x) {
        if (is(k2, "linktype")) {
          f.has_frame_linktype = num(x, f, "frame.linktype", f.frame_linktype);
        } else if (is(k2, "data")) {
          if (f.has_frame) json::give_up(x);  // as for a second payload
          f.has_frame = get_base64_text(x, f.frame);
          if (!f.has_frame) wrong(x, f, "frame.data", "a string");
        }
      });
    }
  });
}

// pcap2pkt's own layout (write_pkt_record), read in the order it is written: keys
// and punctuation are matched as fixed pieces of text, and only the values are
// scanned. That skips finding each key's end and choosing among the keys, half of
// read_fields' work. Only Ethernet frames (with any VLAN tags), IPv4 or IPv6, and
// TCP, UDP or ICMP are read so; any other line, or one a writer laid out
// differently (key order, whitespace), is left to read_fields. What it accepts
// it reads as read_fields would: a test holds the two to the same frames.
bool read_tcp_options_layout(json::Scanner& s, TcpFields& t) {
  if (s.expect("}")) return true;
  int stage = 0;  // pcap2pkt's order: mss, wscale, sack_permitted, sack, ts, fast_open
  do {
    if (stage < 1 && s.expect(R"("mss":)")) {
      stage = 1;
      if (!s.uint(t.mss)) return false;
      t.has_mss = true;
    } else if (stage < 2 && s.expect(R"("wscale":)")) {
      stage = 2;
      if (!s.uint(t.wscale)) return false;
      t.has_wscale = true;
    } else if (stage < 3 && s.expect(R"("sack_permitted":true)")) {
      stage = 3;
      t.sack_permitted = true;
    } else if (stage < 4 && s.expect(R"("sack":[)")) {
      stage = 4;
      do {
        if (t.n_sack == kMaxSack || !s.expect("[") || !s.uint(t.sack[t.n_sack][0]) || !s.expect(",") ||
            !s.uint(t.sack[t.n_sack][1]) || !s.expect("]"))
          return false;
        ++t.n_sack;
      } while (s.expect(","));
      if (!s.expect("]")) return false;
    } else if (stage < 5 && s.expect(R"("ts":[)")) {
      stage = 5;
      if (!s.uint(t.ts_val) || !s.expect(",") || !s.uint(t.ts_ecr) || !s.expect("]")) return false;
      t.has_ts = true;
    } else if (stage < 6 && s.expect(R"("fast_open":true)")) {
      stage = 6;
      t.fast_open = true;
    } else {
      return false;
    }
  } while (s.expect(","));
  return s.expect("}");
}

// A run of record/pkt_layout.hpp read as pcap2pkt lays it out, into `o`: each
// key as fixed text, then its value. `opened`: the run's first key was matched
// already, with its object's opening (which tells the objects apart); a constant
// once inlined, so the check costs nothing.
template <size_t N>
[[gnu::always_inline]] inline bool member_key(json::Scanner& s, bool& opened, const char (&text)[N]) {
  if (opened) {
    opened = false;
    return true;
  }
  return s.expect(text);
}
// That opening names the run's first key: true when `opening` ends "<key>":.
#define NL_PKT_KEY(key, kind, member, presence, dflt, max, written) std::string_view(#key),
constexpr bool opens(std::string_view opening, std::initializer_list<std::string_view> keys) {
  std::string_view key = *keys.begin();
  size_t n = key.size() + 3;
  return opening.size() >= n && opening[opening.size() - n] == '"' &&
         opening.substr(opening.size() - n + 1, key.size()) == key && opening.substr(opening.size() - 2) == "\":";
}
#define NL_PKT_SCAN_uint(s, out) s.uint(out)
#define NL_PKT_SCAN_boolean(s, out) s.boolean(out)
#define NL_PKT_SCAN_boolean_unread(s, out) s.boolean(out)
#define NL_PKT_LAYOUT(key, kind, member, presence, dflt, max, written) \
  &&member_key(s, opened, ",\"" #key "\":") && NL_PKT_SCAN_##kind(s, o.member)
// After a run was read: the fields whose presence is kept are there.
#define NL_PKT_MARK_has(o, member) o.has_##member = true;
#define NL_PKT_MARK_nohas(o, member)
#define NL_PKT_MARK(key, kind, member, presence, dflt, max, written) NL_PKT_MARK_##presence(o, member)

bool read_ip_layout(json::Scanner& s, PktFields& f) {
  PktFields& o = f;
  bool opened = false;
  if (!(s.expect(R"(,"ip":{"version":)") && s.uint(f.version) && s.expect(R"(,"src":)") && s.string(f.src) &&
        s.expect(R"(,"dst":)") && s.string(f.dst) NETLINES_PKT_IP_FIELDS(NL_PKT_LAYOUT)))
    return false;
  f.has_ip = f.has_version = f.has_src = f.has_dst = true;
  NETLINES_PKT_IP_FIELDS(NL_PKT_MARK)
  if (f.version == 4) {
    if (!(true NETLINES_PKT_IPV4_FIELDS(NL_PKT_LAYOUT))) return false;
  } else if (f.version == 6) {
    if (!(true NETLINES_PKT_IPV6_FIELDS(NL_PKT_LAYOUT) && s.expect(R"(,"ext":[)"))) return false;
    if (!s.expect("]")) {
      do {
        std::string_view name;
        if (!s.string(name)) return false;
        uint8_t code = ext_code(name);
        if (code != 255 && code != 50) {  // as read_ip: ESP and unknown names rebuild nothing
          if (f.n_ext == kMaxExt) return false;
          f.ext[f.n_ext++] = code;
        }
      } while (s.expect(","));
      if (!s.expect("]")) return false;
    }
    // The fragment header's fields, when there is one.
    static_assert(opens(R"(,"id":)", {NETLINES_PKT_IPV6_FRAGMENT_FIELDS(NL_PKT_KEY)}));
    if (s.expect(R"(,"id":)")) {
      opened = true;
      if (!(true NETLINES_PKT_IPV6_FRAGMENT_FIELDS(NL_PKT_LAYOUT))) return false;
    }
  } else {
    return false;
  }
  return (true NETLINES_PKT_IP_END_FIELDS(NL_PKT_LAYOUT)) && s.expect("}");
}

bool read_layout(json::Scanner& s, PktFields& f) {
  using L4 = PktFields::L4;
  std::string_view text;
  uint64_t unused = 0;
  if (!s.expect(R"({"type":"pkt","n":)") || !s.uint(f.n) || !s.expect(R"(,"ts":)") || !s.string(f.ts)) return false;
  f.type = "pkt";
  f.has_type = f.has_n = f.has_ts = true;
  if (s.expect(R"(,"iface":)")) {
    if (!s.uint(unused) || unused > uint64_t(INT64_MAX)) return false;
    f.iface = int64_t(unused);
    f.has_iface = true;
  }
  if (!s.expect(R"(,"caplen":)") || !s.uint(unused) || !s.expect(R"(,"len":)") || !s.uint(f.len) ||
      !s.expect(R"(,"link":{"type":"ethernet","src":)") || !s.string(text) || !parse_mac(text, f.link_src) ||
      !s.expect(R"(,"dst":)") || !s.string(text) || !parse_mac(text, f.link_dst) ||
      !s.expect(R"(,"ethertype":)") || !s.string(text) || !s.expect("}"))
    return false;
  f.has_len = f.ethernet = f.has_link_src = f.has_link_dst = true;
  if (s.expect(R"(,"vlan":[)")) {
    static_assert(opens(R"({"id":)", {NETLINES_PKT_VLAN_FIELDS(NL_PKT_KEY)}));
    do {
      VlanFields t;
      VlanFields& o = t;
      bool opened = true;
      if (f.n_vlans == kMaxVlans ||
          !(s.expect(R"({"id":)") NETLINES_PKT_VLAN_FIELDS(NL_PKT_LAYOUT) && s.expect(R"(,"tpid":)") &&
            s.string(text) && s.expect("}")))
        return false;
      t.tpid = parse_hex16(text);
      f.vlans[f.n_vlans++] = t;
    } while (s.expect(","));
    if (!s.expect("]")) return false;
    f.has_vlan = true;
  }
  if (!read_ip_layout(s, f)) return false;
  // The EVE 5-tuple: only the ports are read (null without a TCP or UDP header).
  if (!s.expect(R"(,"src_ip":)") || !s.string(text) || !s.expect(R"(,"src_port":)") ||
      !(s.uint(f.sport) || s.expect("null")) || !s.expect(R"(,"dest_ip":)") || !s.string(text) ||
      !s.expect(R"(,"dest_port":)") || !(s.uint(f.dport) || s.expect("null")) || !s.expect(R"(,"proto":)") ||
      !(s.string(text) || s.uint(unused)))
    return false;
  static_assert(opens(R"(,"tcp":{"seq":)", {NETLINES_PKT_TCP_SEQ_FIELDS(NL_PKT_KEY)}));
  static_assert(opens(R"(,"udp":{"len":)", {NETLINES_PKT_UDP_FIELDS(NL_PKT_KEY)}));
  static_assert(opens(R"(,"icmp":{"type":)", {NETLINES_PKT_ICMP_FIELDS(NL_PKT_KEY)}));
  static_assert(opens(R"(,"icmpv6":{"type":)", {NETLINES_PKT_ICMP_FIELDS(NL_PKT_KEY)}));
  bool opened = true;
  if (s.expect(R"(,"tcp":{"seq":)")) {
    TcpFields& o = f.tcp;
    if (!(true NETLINES_PKT_TCP_SEQ_FIELDS(NL_PKT_LAYOUT) && s.expect(R"(,"flags":)") &&
          s.string(text) NETLINES_PKT_TCP_HEADER_FIELDS(NL_PKT_LAYOUT) && s.expect(R"(,"options":{)") &&
          read_tcp_options_layout(s, o) && s.expect("}")))
      return false;
    NETLINES_PKT_TCP_SEQ_FIELDS(NL_PKT_MARK)
    NETLINES_PKT_TCP_HEADER_FIELDS(NL_PKT_MARK)
    f.l4 = L4::tcp;
  } else if (s.expect(R"(,"udp":{"len":)")) {
    PktFields& o = f;
    if (!(true NETLINES_PKT_UDP_FIELDS(NL_PKT_LAYOUT) && s.expect("}"))) return false;
    NETLINES_PKT_UDP_FIELDS(NL_PKT_MARK)
    f.l4 = L4::udp;
  } else if (s.expect(R"(,"icmp":{"type":)") || s.expect(R"(,"icmpv6":{"type":)")) {
    PktFields& o = f;
    if (!(true NETLINES_PKT_ICMP_FIELDS(NL_PKT_LAYOUT) && s.expect("}"))) return false;
    f.l4 = L4::icmp;
  }
  uint64_t payload_len = 0;
  if (!s.expect(R"(,"payload_len":)") || !s.uint(payload_len)) return false;
  if (s.expect(R"(,"payload":)")) {
    // All of it captured, its base64 ends here; else the quote is searched for.
    if (payload_len > (uint64_t(1) << 40) || !s.raw_string_sized(f.payload, (payload_len + 2) / 3 * 4)) return false;
    f.has_payload = true;
  }
  return s.expect("}") && s.finish();
}

// The most header bytes this record's frame can take: Ethernet with its VLAN tags,
// the largest IPv4 header or IPv6 with its extension headers (each at most 12
// bytes but the last, whose padding may reach 2048), the largest TCP header.
// Tight, not a fixed maximum: a reader's slot frees frames over 16 KiB.
size_t header_room(const PktFields& f) {
  size_t ext = f.n_ext ? (f.n_ext - 1) * 12 + 256 * 8 : 0;
  return 14 + 4 * f.n_vlans + 40 + (ext > 20 ? ext : 20) + 60;
}

// Writes the frame through a pointer into room sized once for the headers and the
// payload: growing the vector byte by byte cost 7% of a read.
class Builder {
 public:
  Builder(FrameBytes& f, size_t header_room, size_t payload_room) : f_(f) {
    f_.resize(header_room + payload_room);
    at_ = f_.data();
  }
  void u8(uint8_t v) { *at_++ = v; }
  void be16(uint16_t v) { u8(uint8_t(v >> 8)); u8(uint8_t(v)); }
  void be32(uint32_t v) { be16(uint16_t(v >> 16)); be16(uint16_t(v)); }
  void bytes(const uint8_t* p, size_t n) {
    std::memcpy(at_, p, n);
    at_ += n;
  }
  size_t size() const { return size_t(at_ - f_.data()); }
  uint8_t* here() { return at_; }
  void advance(size_t n) { at_ += n; }
  // The frame is the bytes written so far. header_room() must have held them: a
  // wrong bound is a bug that tests and fuzzing must see, so it stops here.
  void finish() {
    if (size() > f_.size()) std::abort();
    f_.resize(size());
  }

 private:
  FrameBytes& f_;
  uint8_t* at_;
};

void build_tcp(Builder& b, const TcpFields& t, uint16_t sport, uint16_t dport) {
  uint64_t hdr_len = t.hdr_len;
  if (hdr_len < 20 || hdr_len > 60 || hdr_len % 4) hdr_len = 20;
  size_t start = b.size();
  auto seq = uint32_t(t.seq), ack = uint32_t(t.ack);
  auto window = uint16_t(t.window), urgent = uint16_t(t.urgent);
  // The fixed part in one piece: a vector push_back per byte cost 3% of a piped run.
  const uint8_t fixed[20] = {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport),
                             uint8_t(seq >> 24), uint8_t(seq >> 16), uint8_t(seq >> 8), uint8_t(seq),
                             uint8_t(ack >> 24), uint8_t(ack >> 16), uint8_t(ack >> 8), uint8_t(ack),
                             uint8_t((hdr_len / 4) << 4 | (t.flags_raw & 0x100 ? 1 : 0)), uint8_t(t.flags_raw),
                             uint8_t(window >> 8), uint8_t(window), 0, 0, uint8_t(urgent >> 8), uint8_t(urgent)};
  b.bytes(fixed, sizeof fixed);
  size_t limit = start + hdr_len;
  auto room = [&](size_t n) { return b.size() + n <= limit; };
  if (t.has_mss && room(4)) { b.u8(2); b.u8(4); b.be16(uint16_t(t.mss)); }
  if (t.has_wscale && room(3)) { b.u8(3); b.u8(3); b.u8(uint8_t(t.wscale)); }
  if (t.sack_permitted && room(2)) { b.u8(4); b.u8(2); }
  if (t.has_ts && room(10)) { b.u8(8); b.u8(10); b.be32(uint32_t(t.ts_val)); b.be32(uint32_t(t.ts_ecr)); }
  if (t.n_sack && room(2 + 8 * t.n_sack)) {
    b.u8(5);
    b.u8(uint8_t(2 + 8 * t.n_sack));
    for (size_t i = 0; i < t.n_sack; ++i) {
      b.be32(uint32_t(t.sack[i][0]));
      b.be32(uint32_t(t.sack[i][1]));
    }
  }
  if (t.fast_open && room(2)) { b.u8(34); b.u8(2); }
  while (b.size() < limit) b.u8(1);  // NOP padding up to the recorded data offset
}

void build_ipv6_ext(Builder& b, FrameBytes& frame, size_t next_at, size_t ip_start, const PktFields& f) {
  for (size_t i = 0; i < f.n_ext; ++i) {
    uint8_t code = f.ext[i];
    frame[next_at] = code;
    next_at = b.size();
    b.u8(uint8_t(f.proto));
    size_t pad_to = 8;
    if (i + 1 == f.n_ext && (code == 0 || code == 60)) {
      // Last padding header takes what the recorded header length needs.
      size_t have = b.size() - 1 - ip_start;
      size_t want = f.hdr_len > have ? f.hdr_len - have : 8;
      // At most what the 8-bit length field can say: a recorded hdr_len of 10^12
      // must not build a terabyte of padding.
      pad_to = want < 8 ? 8 : want > 256 * 8 ? 256 * 8 : (want + 7) / 8 * 8;
    }
    switch (code) {
      case 44:
        b.u8(0);
        b.be16(uint16_t((f.frag_offset & 0xfff8) | (f.mf ? 1 : 0)));
        b.be32(uint32_t(f.id));
        break;
      case 51:
        b.u8(1);  // AH: (1 + 2) * 4 = 12 bytes
        b.be16(0);
        b.be32(0);
        b.be32(0);
        break;
      default:
        b.u8(uint8_t(pad_to / 8 - 1));
        // PadN covering the rest of the header (RFC 8200 4.2).
        b.u8(1);
        b.u8(uint8_t(pad_to - 4));
        for (size_t k = 0; k < pad_to - 4; ++k) b.u8(0);
    }
  }
}

// No quote, escape, control or non-ASCII byte: JSON string contents as they stand,
// and all of them (the layout reader may have placed the end at a guessed quote).
bool plain_ascii(std::string_view s) {
  for (char c : s)
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80)
      return false;
  return true;
}

// The frame from the record's fields. `bad_payload`: the payload is not plain
// base64 (for the scanner's fields: perhaps JSON escapes, which the DOM reads).
PktReadStatus missing(LineProblem& problem, const char* field) {
  problem.set(line_problem::missing_field, "missing field \"" + std::string(field) + "\"");
  return PktReadStatus::error;
}

// Every integer the frame is rebuilt from, against what its header field holds
// (a value cut to fit would rebuild another packet without a word).
bool in_ranges(const PktFields& f, LineProblem& problem) {
  // Each maximum looked up at compile time: this runs on every line.
  auto fits_max = [&](const char* field, uint64_t v, uint64_t max) {
    if (v <= max) [[likely]] return true;
    out_of_range(problem, field, std::to_string(v), max);
    return false;
  };
#define fits(field, v) fits_max(field, v, std::integral_constant<uint64_t, field_max(field)>::value)
  // A run's integers, each `!fits(...) ||`.
#define NL_PKT_FITS_uint(path, member) !fits(path, o.member) ||
#define NL_PKT_FITS_boolean(path, member)
#define NL_PKT_FITS_tcp(key, kind, member, presence, dflt, max, written) NL_PKT_FITS_##kind("tcp." #key, member)
#define NL_PKT_FITS_icmp(key, kind, member, presence, dflt, max, written) NL_PKT_FITS_##kind("icmp." #key, member)
  if (!fits("len", f.len) || (f.has_iface && !fits("iface", uint64_t(f.iface))) || !fits("src_port", f.sport) ||
      !fits("dest_port", f.dport))
    return false;
  for (size_t i = 0; i < f.n_vlans; ++i)
    if (!fits("vlan.id", f.vlans[i].id) || !fits("vlan.pcp", f.vlans[i].pcp)) return false;
  // IPv6: total_len counts the fixed header (40) and a 16-bit payload length; its
  // id is the fragment header's 32 bits.
  uint64_t total_max = f.version == 6 ? 0xffff + 40 : 0xffff, id_max = f.version == 6 ? 0xffffffff : 0xffff;
  if (f.total_len > total_max) return out_of_range(problem, "ip.total_len", std::to_string(f.total_len), total_max), false;
  if (f.id > id_max) return out_of_range(problem, "ip.id", std::to_string(f.id), id_max), false;
  if (!fits("ip.proto", f.proto) || !fits("ip.ttl", f.ttl) || !fits("ip.tos", f.tos) ||
      !fits("ip.frag_offset", f.frag_offset) || !fits("ip.flow_label", f.flow_label) ||
      (f.version == 4 && !fits("ip.hdr_len", f.hdr_len)))
    return false;
  switch (f.l4) {
    case PktFields::L4::tcp: {
      const TcpFields& t = f.tcp;
      const TcpFields& o = t;
      if (NETLINES_PKT_TCP_SEQ_FIELDS(NL_PKT_FITS_tcp) NETLINES_PKT_TCP_HEADER_FIELDS(NL_PKT_FITS_tcp)
          !fits("tcp.options.mss", t.mss) || !fits("tcp.options.wscale", t.wscale) ||
          !fits("tcp.options.ts", t.ts_val) || !fits("tcp.options.ts", t.ts_ecr))
        return false;
      for (size_t i = 0; i < t.n_sack; ++i)
        if (!fits("tcp.options.sack", t.sack[i][0]) || !fits("tcp.options.sack", t.sack[i][1])) return false;
      return true;
    }
    case PktFields::L4::udp: return !f.has_udp_len || fits("udp.len", f.udp_len);
    case PktFields::L4::icmp: {
      const PktFields& o = f;
      return !(NETLINES_PKT_ICMP_FIELDS(NL_PKT_FITS_icmp) false);
    }
    case PktFields::L4::none: return true;
  }
  return true;
}
#undef fits

// A record with its captured frame (--payload=frame): nothing to rebuild, whatever
// its layers. Out of rebuild() so that rebuild stays small enough to inline the
// header builders (a call per TCP header cost 1% of a piped run).
[[gnu::noinline]] PktReadStatus frame_packet(const PktFields& f, RebuiltPacket& out, LineProblem& problem,
                                             bool& bad_payload) {
  Packet& p = out.packet;  // number, ts and iface set by rebuild()
  // Only the fields the frame is written with are checked: the others describe
  // its bytes as decoded (an IPv4 total length past 65535 from a TSO capture...).
  if (!f.has_frame_linktype) return missing(problem, "frame.linktype");
  for (auto [field, v, max] : {std::tuple{"len", f.len, field_max("len")},
                               std::tuple{"iface", f.has_iface ? uint64_t(f.iface) : 0, field_max("iface")},
                               std::tuple{"frame.linktype", f.frame_linktype, field_max("frame.linktype")}})
    if (v > max) return out_of_range(problem, field, std::to_string(v), max), PktReadStatus::error;
  out.frame.resize(base64_decode_room(f.frame));
  size_t n = decode_base64(f.frame, out.frame.data());
  if (n == SIZE_MAX) {
    bad_payload = true;
    return PktReadStatus::error;
  }
  out.frame.resize(n);
  p.linktype = uint32_t(f.frame_linktype);
  p.caplen = uint32_t(n);
  p.origlen = uint32_t(f.len);  // as captured, even below caplen (the decoders see the same)
  p.data = Bytes(out.frame.data(), out.frame.size());
  return PktReadStatus::ok;
}

PktReadStatus rebuild(const PktFields& f, bool need_payload, RebuiltPacket& out, std::string& type,
                      LineProblem& problem, bool& bad_payload) {
  if (!f.has_type) return missing(problem, "type");
  type = f.type;
  if (f.type != "pkt") return PktReadStatus::not_pkt;
  if (problem) return PktReadStatus::error;  // a field the DOM found wrong

  if (!f.has_n) return missing(problem, "n");
  if (!f.has_len) return missing(problem, "len");
  Packet& p = out.packet;
  p = Packet{};
  p.number = f.n;
  if (!f.has_ts) return missing(problem, "ts");
  if (!parse_timestamp(f.ts, p.ts)) {
    problem.set(line_problem::bad_value, "field \"ts\": not a timestamp",
                "field \"ts\": not a timestamp: \"" + std::string(f.ts.substr(0, 64)) + "\"");
    return PktReadStatus::error;
  }
  if (f.has_iface) p.interface = int32_t(f.iface);
  if (f.has_frame) return frame_packet(f, out, problem, bad_payload);
  p.rebuilt = true;
  if (!f.has_ip) {
    if (!in_ranges(f, problem)) return PktReadStatus::error;
    return PktReadStatus::no_ip;
  }

  if (!f.has_payload && need_payload) {
    problem.set(line_problem::no_payload, "no payload in pkt record",
                "no payload in pkt record (run pcap2pkt with --payload=b64, the default)");
    return PktReadStatus::error;
  }
  if (!f.has_version) return missing(problem, "ip.version");
  if (f.version != 4 && f.version != 6) {
    problem.set(line_problem::bad_value, "field \"ip.version\": neither 4 nor 6",
                "field \"ip.version\": " + std::to_string(f.version) + " is neither 4 nor 6");
    return PktReadStatus::error;
  }
  if (!in_ranges(f, problem)) return PktReadStatus::error;

  Builder b(out.frame, header_room(f), f.has_payload ? base64_decode_room(f.payload) : 0);
  if (f.ethernet || f.has_vlan) {
    // MACs only from an Ethernet link; a raw-IP frame with VLAN tags gets zeros.
    static const uint8_t zero[6] = {};
    b.bytes(f.ethernet && f.has_link_dst ? f.link_dst : zero, 6);
    b.bytes(f.ethernet && f.has_link_src ? f.link_src : zero, 6);
    for (size_t i = 0; i < f.n_vlans; ++i) {
      const VlanFields& t = f.vlans[i];
      b.be16(t.tpid);
      b.be16(uint16_t(t.pcp << 13 | (t.dei ? 0x1000 : 0) | (t.id & 0xfff)));
    }
    b.be16(f.version == 4 ? 0x0800 : 0x86dd);
    p.linktype = linktype::ethernet;
  } else {
    p.linktype = linktype::raw;
  }

  IpAddress src, dst;
  if (!f.has_src) return missing(problem, "ip.src");
  if (!f.has_dst) return missing(problem, "ip.dst");
  for (auto [field, text, addr] : {std::tuple{"ip.src", f.src, &src}, std::tuple{"ip.dst", f.dst, &dst}}) {
    if (!parse_ip(text, *addr) || addr->family != f.version) {
      std::string cause = quoted_field(field) + ": not an IPv" + std::to_string(f.version) + " address";
      problem.set(line_problem::bad_value, cause, cause + ": \"" + std::string(text.substr(0, 64)) + "\"");
      return PktReadStatus::error;
    }
  }
  if (!f.has_total_len) return missing(problem, "ip.total_len");
  if (!f.has_hdr_len) return missing(problem, "ip.hdr_len");
  if (!f.has_proto) return missing(problem, "ip.proto");
  bool non_first_fragment = f.fragment && f.frag_offset > 0;

  size_t ip_start = b.size();
  if (f.version == 4) {
    uint64_t hdr_len = f.hdr_len;
    if (hdr_len < 20 || hdr_len > 60 || hdr_len % 4) hdr_len = 20;
    auto total = uint16_t(f.total_len), id = uint16_t(f.id);
    auto frag = uint16_t((f.df ? 0x4000 : 0) | (f.mf ? 0x2000 : 0) | ((f.frag_offset / 8) & 0x1fff));
    const uint8_t fixed[20] = {uint8_t(0x40 | hdr_len / 4), uint8_t(f.tos), uint8_t(total >> 8), uint8_t(total),
                               uint8_t(id >> 8), uint8_t(id), uint8_t(frag >> 8), uint8_t(frag),
                               uint8_t(f.ttl), uint8_t(f.proto), 0, 0,
                               src.bytes[0], src.bytes[1], src.bytes[2], src.bytes[3],
                               dst.bytes[0], dst.bytes[1], dst.bytes[2], dst.bytes[3]};
    b.bytes(fixed, sizeof fixed);
    while (b.size() < ip_start + hdr_len) b.u8(1);  // NOP options
  } else {
    b.be32(uint32_t(6u << 28 | (f.tos & 0xff) << 20 | (f.flow_label & 0xfffff)));
    b.be16(uint16_t(f.total_len > 40 ? f.total_len - 40 : 0));
    size_t next_at = b.size();
    b.u8(uint8_t(f.proto));
    b.u8(uint8_t(f.ttl));
    b.bytes(src.bytes, 16);
    b.bytes(dst.bytes, 16);
    build_ipv6_ext(b, out.frame, next_at, ip_start, f);
  }

  auto sport = uint16_t(f.sport), dport = uint16_t(f.dport);
  if (!non_first_fragment) {
    switch (f.l4) {
      case PktFields::L4::tcp: {
        const TcpFields& t = f.tcp;
#define NL_PKT_REQUIRE_has(path, member) \
  if (!t.has_##member) return missing(problem, path);
#define NL_PKT_REQUIRE_nohas(path, member)
#define NL_PKT_REQUIRE_tcp(key, kind, member, presence, dflt, max, written) \
  NL_PKT_REQUIRE_##presence("tcp." #key, member)
        NETLINES_PKT_TCP_SEQ_FIELDS(NL_PKT_REQUIRE_tcp)
        NETLINES_PKT_TCP_HEADER_FIELDS(NL_PKT_REQUIRE_tcp)
        build_tcp(b, t, sport, dport);
        break;
      }
      case PktFields::L4::udp:
        b.be16(sport);
        b.be16(dport);
        b.be16(uint16_t(f.has_udp_len ? f.udp_len : 8 + base64_decoded_size(f.payload)));
        b.be16(0);
        break;
      case PktFields::L4::icmp:
        b.u8(uint8_t(f.icmp_type));
        b.u8(uint8_t(f.icmp_code));
        b.be16(0);
        b.be32(uint32_t(f.icmp_rest));
        break;
      case PktFields::L4::none:
        break;
    }
  }
  if (f.has_payload) {
    size_t n = decode_base64(f.payload, b.here());
    if (n == SIZE_MAX) {
      bad_payload = true;  // the caller says so, or reads the line again with the DOM
      return PktReadStatus::error;
    }
    // The decoder takes no more payload than the IP length (and UDP's) leaves
    // after the headers: a longer one would be cut without a word. A zero IPv4
    // length (segmentation offload) or IPv6 payload length (jumbogram) means the
    // captured length, as the decoder reads it.
    uint64_t headers = b.size() - ip_start;
    if (n && (f.version == 4 ? f.total_len != 0 : f.total_len > 40)) {
      uint64_t allowed = f.total_len > headers ? f.total_len - headers : 0;
      if (f.l4 == PktFields::L4::udp && !non_first_fragment && f.has_udp_len && f.udp_len >= 8 &&
          f.udp_len - 8 < allowed)
        allowed = f.udp_len - 8;
      if (n > allowed) {
        problem.set(line_problem::payload_too_long, "payload longer than the frame's lengths allow",
                    "payload is " + std::to_string(n) + " bytes, the frame's lengths allow " + std::to_string(allowed));
        return PktReadStatus::error;
      }
    }
    b.advance(n);
  }
  b.finish();

  // When the original was cut by the snap length, the rebuilt frame is short too:
  // origlen keeps the wire length so the decoder reports the same truncation.
  p.caplen = uint32_t(out.frame.size());
  p.origlen = uint32_t(f.len);
  if (p.origlen < p.caplen) p.origlen = p.caplen;
  p.data = Bytes(out.frame.data(), out.frame.size());
  return PktReadStatus::ok;
}

// simdjson refuses a number no double holds (1e400): the field it sits in, for
// the message, found by a small walk over the line (valid JSON up to there).
class NumberHunt {
 public:
  explicit NumberHunt(std::string_view s) : s_(s) {}
  // The first such number: its field's path and its text.
  bool find(std::string& path, std::string& literal) {
    value(0);
    if (!found_) return false;
    path = path_;
    literal = literal_;
    return true;
  }

 private:
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) ++i_;
  }
  bool take(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  bool string(std::string_view& out) {
    if (!take('"')) return false;
    size_t from = i_;
    while (i_ < s_.size() && s_[i_] != '"') i_ += s_[i_] == '\\' ? 2 : 1;
    if (i_ >= s_.size()) return false;
    out = s_.substr(from, i_ - from);
    ++i_;
    return true;
  }
  // False: stop (found, or not JSON this walk understands).
  bool value(int depth) {
    ws();
    if (i_ >= s_.size() || depth > 256) return false;
    char c = s_[i_];
    std::string_view text;
    if (c == '{') {
      ++i_;
      if (take('}')) return true;
      do {
        std::string_view key;
        if (!string(key) || !take(':')) return false;
        size_t keep = path_.size();
        if (depth > 0) path_ += '.';
        path_.append(key);
        if (!value(depth + 1)) return false;
        path_.resize(keep);
      } while (take(','));
      return take('}');
    }
    if (c == '[') {
      ++i_;
      if (take(']')) return true;
      do {
        if (!value(depth + 1)) return false;
      } while (take(','));
      return take(']');
    }
    if (c == '"') return string(text);
    size_t from = i_;
    while (i_ < s_.size() && std::strchr("+-0123456789.eEtruefalsn", s_[i_])) ++i_;
    if (from == i_) return false;
    text = s_.substr(from, i_ - from);
    if (c == '-' || (c >= '0' && c <= '9')) {
      std::string copy(text);
      errno = 0;
      double d = std::strtod(copy.c_str(), nullptr);
      bool integer = text.find_first_of(".eE") == std::string_view::npos;
      uint64_t u = 0;
      int64_t i = 0;
      // simdjson takes neither an integer beyond 64 bits nor a double beyond its range.
      bool too_big = integer ? (c == '-' ? std::from_chars(text.data(), text.data() + text.size(), i).ec
                                        : std::from_chars(text.data(), text.data() + text.size(), u).ec) ==
                                   std::errc::result_out_of_range
                             : errno == ERANGE && std::isinf(d);
      if (too_big) {
        found_ = true;
        literal_ = copy;
        return false;
      }
    }
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
  std::string path_, literal_;
  bool found_ = false;
};

void find_bad_number(std::string_view line, LineProblem& problem) {
  std::string path, literal;
  if (!NumberHunt(line).find(path, literal)) return;
  if (literal.size() > 40) literal = literal.substr(0, 40) + "...";
  out_of_range(problem, path, literal, field_max(path));
}

}  // namespace

struct PktReader::Impl {
  simdjson::dom::parser parser;
  std::string base64_scratch;  // RecordScan's; a pkt payload is decoded into the frame
  PktFields fields;
  LineProblem problem;
  bool dom_only = false;
  uint64_t dom_reads = 0;
  uint64_t layout_reads = 0;
};

PktReader::PktReader(bool dom_only) : impl_(new Impl) { impl_->dom_only = dom_only; }
PktReader::~PktReader() { delete impl_; }
uint64_t PktReader::dom_reads() const { return impl_->dom_reads; }
uint64_t PktReader::layout_reads() const { return impl_->layout_reads; }

PktReadStatus PktReader::read(std::string_view line, bool need_payload, RebuiltPacket& out,
                              std::string& type, std::string& message) {
  PktFields& f = impl_->fields;
  LineProblem& problem = impl_->problem;
  if (problem) problem.clear();
  bool bad_payload = false;
  if (line.empty() || static_cast<unsigned char>(line.front()) <= ' ') {
    // Nothing but whitespace: a line that was meant to be dropped, or lost its record.
    if (line.find_first_not_of(" \t\r\f\v") == std::string_view::npos) {
      problem.set(line_problem::empty_line, "empty line");
      message = problem.message;
      return PktReadStatus::error;
    }
  }
  if (skim_other_types_ && !impl_->dom_only) {
    json::Scanner head(line);
    std::string_view t;
    if (head.expect(R"({"type":)") && head.string(t) && t != "pkt") {
      type = t;
      return PktReadStatus::not_pkt;
    }
  }
  if (!impl_->dom_only) {
    f = PktFields{};
    json::Scanner layout(line);
    bool read = read_layout(layout, f);
    if (read) {
      ++impl_->layout_reads;
    } else {
      f = PktFields{};
      json::RecordScan scan(line, impl_->base64_scratch);
      read = read_fields(ScanValue{&scan}, line, f) && scan.finish();
    }
    if (read) {
      PktReadStatus status = rebuild(f, need_payload, out, type, problem, bad_payload);
      // A payload not decoded (the record ended up skipped) must still be a JSON
      // string the DOM accepts, since the scanner took it without looking inside.
      if (!bad_payload && (status == PktReadStatus::ok || ((!f.has_payload || plain_ascii(f.payload)) &&
                                                             (!f.has_frame || plain_ascii(f.frame))))) {
        if (status == PktReadStatus::error) message = problem.message;
        return status;
      }
      problem.clear();
    }
  }
  // Not in the scanner's subset (or not valid JSON, or a field of the wrong type):
  // the DOM reads it or says what is wrong.
  f = PktFields{};
  f.diag = &problem;
  ++impl_->dom_reads;
  element root;
  if (auto err = impl_->parser.parse(line.data(), line.size()).get(root); err != simdjson::SUCCESS) {
    if (err == simdjson::NUMBER_ERROR) find_bad_number(line, problem);
    if (!problem) problem.set(line_problem::not_json, "not valid JSON");
    message = problem.message;
    return PktReadStatus::error;
  }
  if (!read_fields(root, line, f)) {
    problem.set(line_problem::not_json, "not a JSON object");
    message = problem.message;
    return PktReadStatus::error;
  }
  bad_payload = false;
  PktReadStatus status = rebuild(f, need_payload, out, type, problem, bad_payload);
  if (bad_payload)
    problem.set(line_problem::bad_value,
                f.has_frame ? "field \"frame.data\": not valid base64" : "field \"payload\": not valid base64");
  if (status == PktReadStatus::error) message = problem.message;
  else problem.clear();
  return status;
}

const LineProblem& PktReader::problem() const { return impl_->problem; }

}  // namespace nl
