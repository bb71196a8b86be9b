// pcap2pkt JSON line -> frame. The frame is built from the record's fields
// (Ethernet with the record's VLAN tags and MACs, or raw IP; IP header; transport
// header with its options; payload) so that decode_frame() yields the same fields
// the original frame gave: addresses, ports, sequence numbers, flags, lengths.
// Checksums are zero (decoding does not verify them by default); IPv4 options and
// IPv6 extension headers are rebuilt as padding of the recorded header length.
//
// This is the hot path of every piped stage: the record's fields are read in one
// pass into PktFields (any order; a field of the wrong type counts as absent), and
// the frame is built from that.
#include <simdjson.h>

#include <cstring>

#include "libcore/record/pkt.hpp"

namespace nl {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr size_t kMaxVlans = 8;   // more tags than any real frame carries
constexpr size_t kMaxExt = 16;    // IPv6 extension headers rebuilt
constexpr size_t kMaxSack = 4;    // SACK blocks fit in 40 option bytes

struct VlanFields {
  uint64_t id = 0, pcp = 0;
  bool dei = false;
  uint16_t tpid = 0x8100;
};

struct TcpFields {
  bool has_seq = false, has_ack = false, has_flags = false, has_window = false;
  uint64_t seq = 0, ack = 0, flags_raw = 0, window = 0, urgent = 0, hdr_len = 20;
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

  bool has_ip = false, has_version = false, has_total_len = false, has_hdr_len = false, has_proto = false;
  uint64_t version = 0, total_len = 0, hdr_len = 0, proto = 0, ttl = 64, tos = 0, id = 0, frag_offset = 0,
           flow_label = 0;
  bool df = false, mf = false, fragment = false;
  bool has_src = false, has_dst = false;
  std::string_view src, dst;
  size_t n_ext = 0;
  uint8_t ext[kMaxExt] = {};

  uint64_t sport = 0, dport = 0;
  enum class L4 { none, tcp, udp, icmp } l4 = L4::none;
  TcpFields tcp;
  bool has_udp_len = false;
  uint64_t udp_len = 0, icmp_type = 0, icmp_code = 0, icmp_rest = 0;

  bool has_payload = false;
  std::string_view payload;
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

// Small readers over an On-Demand value: true when the value has the type.
bool get(element v, uint64_t& out) { return v.get(out) == simdjson::SUCCESS; }
bool get(element v, int64_t& out) { return v.get(out) == simdjson::SUCCESS; }
bool get(element v, std::string_view& out) { return v.get(out) == simdjson::SUCCESS; }
bool get_true(element v) {
  bool b = false;
  return v.get(b) == simdjson::SUCCESS && b;
}

// Calls fn(key, value) for each field, in the record's order.
template <class Fn>
void for_each_field(object o, Fn&& fn) {
  for (auto field : o) fn(field.key, field.value);
}

// [a, b] -> two integers (a non-integer reads as 0, as before).
bool get_pair(element v, uint64_t& a, uint64_t& b) {
  array arr;
  if (v.get(arr) != simdjson::SUCCESS || arr.size() != 2) return false;
  if (!get(arr.at(0).value_unsafe(), a)) a = 0;
  if (!get(arr.at(1).value_unsafe(), b)) b = 0;
  return true;
}

// The read_* functions fill what they find; a field of the wrong type stays unset.
void read_tcp(object o, TcpFields& t) {
  for_each_field(o, [&](std::string_view k, element v) {
    if (k == "seq") t.has_seq = get(v, t.seq);
    else if (k == "ack") t.has_ack = get(v, t.ack);
    else if (k == "flags_raw") t.has_flags = get(v, t.flags_raw);
    else if (k == "window") t.has_window = get(v, t.window);
    else if (k == "urgent") get(v, t.urgent);
    else if (k == "hdr_len") get(v, t.hdr_len);
    else if (k == "options") {
      object opts;
      if (v.get(opts) != simdjson::SUCCESS) return;
      for_each_field(opts, [&](std::string_view k2, element v2) {
        if (k2 == "mss") t.has_mss = get(v2, t.mss);
        else if (k2 == "wscale") t.has_wscale = get(v2, t.wscale);
        else if (k2 == "sack_permitted") t.sack_permitted = get_true(v2);
        else if (k2 == "fast_open") t.fast_open = get_true(v2);
        else if (k2 == "ts") t.has_ts = get_pair(v2, t.ts_val, t.ts_ecr);
        else if (k2 == "sack") {
          array blocks;
          if (v2.get(blocks) != simdjson::SUCCESS) return;
          t.n_sack = 0;
          for (element blk : blocks) {
            uint64_t l = 0, r = 0;
            get_pair(blk, l, r);
            if (t.n_sack < kMaxSack) {
              t.sack[t.n_sack][0] = l;
              t.sack[t.n_sack][1] = r;
              ++t.n_sack;
            }
          }
        }
      });
    }
  });
}

void read_ip(object o, PktFields& f) {
  for_each_field(o, [&](std::string_view k, element v) {
    if (k == "version") f.has_version = get(v, f.version);
    else if (k == "src") f.has_src = get(v, f.src);
    else if (k == "dst") f.has_dst = get(v, f.dst);
    else if (k == "total_len") f.has_total_len = get(v, f.total_len);
    else if (k == "hdr_len") f.has_hdr_len = get(v, f.hdr_len);
    else if (k == "proto") f.has_proto = get(v, f.proto);
    else if (k == "ttl") get(v, f.ttl);
    else if (k == "tos") get(v, f.tos);
    else if (k == "id") get(v, f.id);
    else if (k == "frag_offset") get(v, f.frag_offset);
    else if (k == "flow_label") get(v, f.flow_label);
    else if (k == "df") f.df = get_true(v);
    else if (k == "mf") f.mf = get_true(v);
    else if (k == "fragment") f.fragment = get_true(v);
    else if (k == "ext") {
      array names;
      if (v.get(names) != simdjson::SUCCESS) return;
      f.n_ext = 0;
      for (element e : names) {
        std::string_view name;
        if (!get(e, name)) continue;
        uint8_t code = ext_code(name);
        // ESP: its bytes are the payload; unknown names have nothing to rebuild.
        if (code != 255 && code != 50 && f.n_ext < kMaxExt) f.ext[f.n_ext++] = code;
      }
    }
  });
}

void read_link(object o, PktFields& f) {
  for_each_field(o, [&](std::string_view k, element v) {
    std::string_view s;
    if (k == "type") f.ethernet = get(v, s) && s == "ethernet";
    else if (k == "src") f.has_link_src = get(v, s) && parse_mac(s, f.link_src);
    else if (k == "dst") f.has_link_dst = get(v, s) && parse_mac(s, f.link_dst);
  });
}

void read_vlans(array tags, PktFields& f) {
  f.has_vlan = tags.size() > 0;
  for (element e : tags) {
    object tag;
    if (e.get(tag) != simdjson::SUCCESS) continue;
    VlanFields t;
    for_each_field(tag, [&](std::string_view k, element v) {
      std::string_view s;
      if (k == "id") get(v, t.id);
      else if (k == "pcp") get(v, t.pcp);
      else if (k == "dei") t.dei = get_true(v);
      else if (k == "tpid" && get(v, s)) t.tpid = parse_hex16(s);
    });
    if (f.n_vlans < kMaxVlans) f.vlans[f.n_vlans++] = t;
  }
}

// icmp and icmpv6 share a layout.
void read_icmp(object o, PktFields& f) {
  for_each_field(o, [&](std::string_view k, element v) {
    if (k == "type") get(v, f.icmp_type);
    else if (k == "code") get(v, f.icmp_code);
    else if (k == "rest") get(v, f.icmp_rest);
  });
}

// One pass over the record's fields (key lookups would scan them again each time).
void read_fields(object rec, std::string_view line, PktFields& f) {
  using L4 = PktFields::L4;
  for_each_field(rec, [&](std::string_view k, element v) {
    object o;
    if (k == "type") {
      f.has_type = get(v, f.type);
    } else if (k == "n") {
      f.has_n = get(v, f.n);
    } else if (k == "len") {
      f.has_len = get(v, f.len);
    } else if (k == "ts") {
      if (get(v, f.ts)) {
        f.has_ts = true;
      } else if (v.is_number()) {
        // --time=epoch writes a number: a double cannot hold nanoseconds, so read
        // the literal text of the first "ts" key (the top-level one comes first).
        size_t at = line.find("\"ts\":");
        if (at == std::string_view::npos) return;
        std::string_view text = line.substr(at + 5);
        text = text.substr(0, text.find_first_of(",}"));
        while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
        while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
        f.ts = text;
        f.has_ts = true;
      }
    } else if (k == "iface") {
      f.has_iface = get(v, f.iface);
    } else if (k == "src_port") {
      get(v, f.sport);
    } else if (k == "dest_port") {
      get(v, f.dport);
    } else if (k == "payload") {
      f.has_payload = get(v, f.payload);
    } else if (k == "vlan") {
      array tags;
      if (v.get(tags) == simdjson::SUCCESS) read_vlans(tags, f);
    } else if (v.get(o) != simdjson::SUCCESS) {
      return;  // the remaining keys of interest all hold objects
    } else if (k == "ip") {
      f.has_ip = true;
      read_ip(o, f);
    } else if (k == "link") {
      read_link(o, f);
    } else if (k == "tcp") {
      f.l4 = L4::tcp;  // TCP over UDP over ICMP, should a record hold several
      read_tcp(o, f.tcp);
    } else if (k == "udp") {
      if (f.l4 != L4::tcp) f.l4 = L4::udp;
      for_each_field(o, [&](std::string_view k2, element v2) {
        if (k2 == "len") f.has_udp_len = get(v2, f.udp_len);
      });
    } else if (k == "icmp" || k == "icmpv6") {
      if (f.l4 == L4::none) f.l4 = L4::icmp;
      read_icmp(o, f);
    }
  });
}

class Builder {
 public:
  explicit Builder(std::vector<uint8_t>& f) : f_(f) { f_.clear(); }
  void u8(uint8_t v) { f_.push_back(v); }
  void be16(uint16_t v) { u8(uint8_t(v >> 8)); u8(uint8_t(v)); }
  void be32(uint32_t v) { be16(uint16_t(v >> 16)); be16(uint16_t(v)); }
  void bytes(const uint8_t* p, size_t n) { f_.insert(f_.end(), p, p + n); }
  size_t size() const { return f_.size(); }

 private:
  std::vector<uint8_t>& f_;
};

void build_tcp(Builder& b, const TcpFields& t, uint16_t sport, uint16_t dport) {
  uint64_t hdr_len = t.hdr_len;
  if (hdr_len < 20 || hdr_len > 60 || hdr_len % 4) hdr_len = 20;
  size_t start = b.size();
  b.be16(sport);
  b.be16(dport);
  b.be32(uint32_t(t.seq));
  b.be32(uint32_t(t.ack));
  b.u8(uint8_t((hdr_len / 4) << 4 | (t.flags_raw & 0x100 ? 1 : 0)));
  b.u8(uint8_t(t.flags_raw));
  b.be16(uint16_t(t.window));
  b.be16(0);
  b.be16(uint16_t(t.urgent));
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

void build_ipv6_ext(Builder& b, std::vector<uint8_t>& frame, size_t next_at, size_t ip_start, const PktFields& f) {
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
      pad_to = want < 8 ? 8 : (want + 7) / 8 * 8;
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

}  // namespace

struct PktReader::Impl {
  simdjson::dom::parser parser;
  std::string payload;
  PktFields fields;
};

PktReader::PktReader() : impl_(new Impl) {}
PktReader::~PktReader() { delete impl_; }

PktReadStatus PktReader::read(std::string_view line, bool need_payload, RebuiltPacket& out,
                              std::string& type, std::string& message) {
  element root;
  if (impl_->parser.parse(line.data(), line.size()).get(root) != simdjson::SUCCESS) {
    message = "not valid JSON";
    return PktReadStatus::error;
  }
  object rec;
  if (root.get(rec) != simdjson::SUCCESS) {
    message = "not a JSON object";
    return PktReadStatus::error;
  }
  PktFields& f = impl_->fields;
  f = PktFields{};
  read_fields(rec, line, f);
  if (!f.has_type) {
    message = "missing field 'type'";
    return PktReadStatus::error;
  }
  type = f.type;
  if (f.type != "pkt") return PktReadStatus::not_pkt;

  if (!f.has_n) { message = "missing field 'n'"; return PktReadStatus::error; }
  if (!f.has_len) { message = "missing field 'len'"; return PktReadStatus::error; }
  Packet& p = out.packet;
  p = Packet{};
  p.number = f.n;
  if (!f.has_ts) { message = "missing field 'ts'"; return PktReadStatus::error; }
  if (!parse_timestamp(f.ts, p.ts)) { message = "bad timestamp in 'ts'"; return PktReadStatus::error; }
  if (f.has_iface) p.interface = int32_t(f.iface);
  if (!f.has_ip) return PktReadStatus::no_ip;

  std::string& payload = impl_->payload;
  payload.clear();
  if (f.has_payload) {
    if (!decode_base64(f.payload, payload)) { message = "field 'payload' is not valid base64"; return PktReadStatus::error; }
  } else if (need_payload) {
    message = "no payload in pkt record (run pcap2pkt with --payload=b64, the default)";
    return PktReadStatus::error;
  }
  if (!f.has_version) { message = "missing field 'ip.version'"; return PktReadStatus::error; }
  if (f.version != 4 && f.version != 6) { message = "bad 'ip.version'"; return PktReadStatus::error; }

  Builder b(out.frame);
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
  if (!f.has_src || !parse_ip(f.src, src) || !f.has_dst || !parse_ip(f.dst, dst) || src.family != f.version ||
      dst.family != f.version) {
    message = "missing or bad 'ip.src'/'ip.dst'";
    return PktReadStatus::error;
  }
  if (!f.has_total_len) { message = "missing field 'ip.total_len'"; return PktReadStatus::error; }
  if (!f.has_hdr_len) { message = "missing field 'ip.hdr_len'"; return PktReadStatus::error; }
  if (!f.has_proto) { message = "missing field 'ip.proto'"; return PktReadStatus::error; }
  bool non_first_fragment = f.fragment && f.frag_offset > 0;

  size_t ip_start = b.size();
  if (f.version == 4) {
    uint64_t hdr_len = f.hdr_len;
    if (hdr_len < 20 || hdr_len > 60 || hdr_len % 4) hdr_len = 20;
    b.u8(uint8_t(0x40 | hdr_len / 4));
    b.u8(uint8_t(f.tos));
    b.be16(uint16_t(f.total_len));
    b.be16(uint16_t(f.id));
    b.be16(uint16_t((f.df ? 0x4000 : 0) | (f.mf ? 0x2000 : 0) | ((f.frag_offset / 8) & 0x1fff)));
    b.u8(uint8_t(f.ttl));
    b.u8(uint8_t(f.proto));
    b.be16(0);
    b.bytes(src.bytes, 4);
    b.bytes(dst.bytes, 4);
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
        if (!t.has_seq) { message = "missing field 'tcp.seq'"; return PktReadStatus::error; }
        if (!t.has_ack) { message = "missing field 'tcp.ack'"; return PktReadStatus::error; }
        if (!t.has_flags) { message = "missing field 'tcp.flags_raw'"; return PktReadStatus::error; }
        if (!t.has_window) { message = "missing field 'tcp.window'"; return PktReadStatus::error; }
        build_tcp(b, t, sport, dport);
        break;
      }
      case PktFields::L4::udp:
        b.be16(sport);
        b.be16(dport);
        b.be16(uint16_t(f.has_udp_len ? f.udp_len : 8 + payload.size()));
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
  b.bytes(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());

  // When the original was cut by the snap length, the rebuilt frame is short too:
  // origlen keeps the wire length so the decoder reports the same truncation.
  p.caplen = uint32_t(out.frame.size());
  p.origlen = uint32_t(f.len);
  if (p.origlen < p.caplen) p.origlen = p.caplen;
  p.data = Bytes(out.frame.data(), out.frame.size());
  return PktReadStatus::ok;
}

}  // namespace nl
