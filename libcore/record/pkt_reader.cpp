// pcap2pkt JSON line -> frame. The frame is built from the record's fields
// (Ethernet with the record's VLAN tags and MACs, or raw IP; IP header; transport
// header with its options; payload) so that decode_frame() yields the same fields
// the original frame gave: addresses, ports, sequence numbers, flags, lengths.
// Checksums are zero (decoding does not verify them by default); IPv4 options and
// IPv6 extension headers are rebuilt as padding of the recorded header length.
#include <simdjson.h>

#include <cstring>

#include "libcore/record/pkt.hpp"

namespace nl {

struct PktReader::Impl {
  simdjson::dom::parser parser;
  std::string payload;
};

PktReader::PktReader() : impl_(new Impl) {}
PktReader::~PktReader() { delete impl_; }

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

class Builder {
 public:
  explicit Builder(std::vector<uint8_t>& f) : f_(f) { f_.clear(); }
  void u8(uint8_t v) { f_.push_back(v); }
  void be16(uint16_t v) { u8(uint8_t(v >> 8)); u8(uint8_t(v)); }
  void be32(uint32_t v) { be16(uint16_t(v >> 16)); be16(uint16_t(v)); }
  void bytes(const uint8_t* p, size_t n) { f_.insert(f_.end(), p, p + n); }
  size_t size() const { return f_.size(); }
  void put_be16(size_t at, uint16_t v) { f_[at] = uint8_t(v >> 8); f_[at + 1] = uint8_t(v); }

 private:
  std::vector<uint8_t>& f_;
};

struct Fields {
  std::string& message;
  bool fail(const char* what) {
    message = what;
    return false;
  }
  bool u64(const object& o, const char* k, uint64_t& v, const char* err) {
    if (o[k].get(v) != simdjson::SUCCESS) return fail(err);
    return true;
  }
  bool opt_u64(const object& o, const char* k, uint64_t& v) { return o[k].get(v) == simdjson::SUCCESS; }
  bool opt_bool(const object& o, const char* k) {
    bool b = false;
    return o[k].get(b) == simdjson::SUCCESS && b;
  }
};

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

bool build_tcp(Builder& b, const object& tcp, uint16_t sport, uint16_t dport, Fields& f) {
  uint64_t seq, ack, flags_raw, window, urgent = 0, hdr_len = 20;
  if (!f.u64(tcp, "seq", seq, "missing field 'tcp.seq'") || !f.u64(tcp, "ack", ack, "missing field 'tcp.ack'") ||
      !f.u64(tcp, "flags_raw", flags_raw, "missing field 'tcp.flags_raw'") ||
      !f.u64(tcp, "window", window, "missing field 'tcp.window'"))
    return false;
  f.opt_u64(tcp, "urgent", urgent);
  f.opt_u64(tcp, "hdr_len", hdr_len);
  if (hdr_len < 20 || hdr_len > 60 || hdr_len % 4) hdr_len = 20;
  size_t start = b.size();
  b.be16(sport);
  b.be16(dport);
  b.be32(uint32_t(seq));
  b.be32(uint32_t(ack));
  b.u8(uint8_t((hdr_len / 4) << 4 | (flags_raw & 0x100 ? 1 : 0)));
  b.u8(uint8_t(flags_raw));
  b.be16(uint16_t(window));
  b.be16(0);
  b.be16(uint16_t(urgent));
  object opts;
  if (tcp["options"].get(opts) == simdjson::SUCCESS) {
    uint64_t v;
    size_t limit = start + hdr_len;
    auto room = [&](size_t n) { return b.size() + n <= limit; };
    if (f.opt_u64(opts, "mss", v) && room(4)) { b.u8(2); b.u8(4); b.be16(uint16_t(v)); }
    if (f.opt_u64(opts, "wscale", v) && room(3)) { b.u8(3); b.u8(3); b.u8(uint8_t(v)); }
    if (f.opt_bool(opts, "sack_permitted") && room(2)) { b.u8(4); b.u8(2); }
    simdjson::dom::array ts;
    if (opts["ts"].get(ts) == simdjson::SUCCESS && ts.size() == 2 && room(10)) {
      uint64_t val = 0, ecr = 0;
      if (ts.at(0).get(val)) {}
      if (ts.at(1).get(ecr)) {}
      b.u8(8); b.u8(10); b.be32(uint32_t(val)); b.be32(uint32_t(ecr));
    }
    simdjson::dom::array sack;
    if (opts["sack"].get(sack) == simdjson::SUCCESS && sack.size() && room(2 + 8 * sack.size())) {
      b.u8(5);
      b.u8(uint8_t(2 + 8 * sack.size()));
      for (element blk : sack) {
        uint64_t l = 0, r = 0;
        simdjson::dom::array pair;
        if (blk.get(pair) == simdjson::SUCCESS && pair.size() == 2) {
          if (pair.at(0).get(l)) {}
          if (pair.at(1).get(r)) {}
        }
        b.be32(uint32_t(l));
        b.be32(uint32_t(r));
      }
    }
    if (f.opt_bool(opts, "fast_open") && room(2)) { b.u8(34); b.u8(2); }
  }
  while (b.size() < start + hdr_len) b.u8(1);  // NOP padding up to the recorded data offset
  return true;
}

}  // namespace

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
  std::string_view t;
  if (rec["type"].get(t) != simdjson::SUCCESS) {
    message = "missing field 'type'";
    return PktReadStatus::error;
  }
  type = t;
  if (t != "pkt") return PktReadStatus::not_pkt;
  Fields f{message};

  Packet& p = out.packet;
  p = Packet{};
  uint64_t n = 0, len = 0;
  if (!f.u64(rec, "n", n, "missing field 'n'") || !f.u64(rec, "len", len, "missing field 'len'"))
    return PktReadStatus::error;
  p.number = n;
  std::string_view ts;
  if (rec["ts"].get(ts) == simdjson::SUCCESS) {
    if (!parse_timestamp(ts, p.ts)) { message = "bad timestamp in 'ts'"; return PktReadStatus::error; }
  } else {
    // --time=epoch writes a number: a double cannot hold nanoseconds, so read the
    // literal text of the first "ts" key (the top-level one comes first in a record).
    element e;
    size_t at = line.find("\"ts\":");
    if (rec["ts"].get(e) != simdjson::SUCCESS || !e.is_number() || at == std::string_view::npos) {
      message = "missing field 'ts'";
      return PktReadStatus::error;
    }
    std::string_view text = line.substr(at + 5);
    text = text.substr(0, text.find_first_of(",}"));
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (!parse_timestamp(text, p.ts)) { message = "bad timestamp in 'ts'"; return PktReadStatus::error; }
  }
  int64_t iface;
  if (rec["iface"].get(iface) == simdjson::SUCCESS) p.interface = int32_t(iface);

  object ip;
  if (rec["ip"].get(ip) != simdjson::SUCCESS) return PktReadStatus::no_ip;

  std::string_view b64;
  std::string& payload = impl_->payload;
  payload.clear();
  if (rec["payload"].get(b64) == simdjson::SUCCESS) {
    if (!decode_base64(b64, payload)) { message = "field 'payload' is not valid base64"; return PktReadStatus::error; }
  } else if (need_payload) {
    message = "no payload in pkt record (run pcap2pkt with --payload=b64, the default)";
    return PktReadStatus::error;
  }

  Builder b(out.frame);
  object link;
  simdjson::dom::array vlans;
  bool has_vlan = rec["vlan"].get(vlans) == simdjson::SUCCESS && vlans.size() > 0;
  std::string_view link_type;
  bool ethernet = rec["link"].get(link) == simdjson::SUCCESS && link["type"].get(link_type) == simdjson::SUCCESS &&
                  link_type == "ethernet";
  uint64_t version = 0;
  if (!f.u64(ip, "version", version, "missing field 'ip.version'")) return PktReadStatus::error;
  if (version != 4 && version != 6) { message = "bad 'ip.version'"; return PktReadStatus::error; }
  if (ethernet || has_vlan) {
    uint8_t dst[6] = {}, src[6] = {};
    std::string_view mac;
    if (ethernet && link["dst"].get(mac) == simdjson::SUCCESS) parse_mac(mac, dst);
    if (ethernet && link["src"].get(mac) == simdjson::SUCCESS) parse_mac(mac, src);
    b.bytes(dst, 6);
    b.bytes(src, 6);
    if (has_vlan) {
      for (element v : vlans) {
        object tag;
        if (v.get(tag) != simdjson::SUCCESS) continue;
        uint64_t id = 0, pcp = 0;
        std::string_view tpid = "0x8100";
        f.opt_u64(tag, "id", id);
        f.opt_u64(tag, "pcp", pcp);
        if (tag["tpid"].get(tpid)) {}
        b.be16(parse_hex16(tpid));
        b.be16(uint16_t(pcp << 13 | (f.opt_bool(tag, "dei") ? 0x1000 : 0) | (id & 0xfff)));
      }
    }
    b.be16(version == 4 ? 0x0800 : 0x86dd);
    p.linktype = linktype::ethernet;
  } else {
    p.linktype = linktype::raw;
  }

  IpAddress src, dst;
  std::string_view s;
  if (ip["src"].get(s) != simdjson::SUCCESS || !parse_ip(s, src) || ip["dst"].get(s) != simdjson::SUCCESS ||
      !parse_ip(s, dst) || src.family != version || dst.family != version) {
    message = "missing or bad 'ip.src'/'ip.dst'";
    return PktReadStatus::error;
  }
  uint64_t total_len, hdr_len, ttl = 64, tos = 0, proto, id = 0, frag_offset = 0;
  if (!f.u64(ip, "total_len", total_len, "missing field 'ip.total_len'") ||
      !f.u64(ip, "hdr_len", hdr_len, "missing field 'ip.hdr_len'") ||
      !f.u64(ip, "proto", proto, "missing field 'ip.proto'"))
    return PktReadStatus::error;
  f.opt_u64(ip, "ttl", ttl);
  f.opt_u64(ip, "tos", tos);
  f.opt_u64(ip, "id", id);
  f.opt_u64(ip, "frag_offset", frag_offset);
  bool mf = f.opt_bool(ip, "mf");
  bool fragment = f.opt_bool(ip, "fragment");
  bool non_first_fragment = fragment && frag_offset > 0;

  size_t ip_start = b.size();
  if (version == 4) {
    if (hdr_len < 20 || hdr_len > 60 || hdr_len % 4) hdr_len = 20;
    b.u8(uint8_t(0x40 | hdr_len / 4));
    b.u8(uint8_t(tos));
    b.be16(uint16_t(total_len));
    b.be16(uint16_t(id));
    b.be16(uint16_t((f.opt_bool(ip, "df") ? 0x4000 : 0) | (mf ? 0x2000 : 0) | ((frag_offset / 8) & 0x1fff)));
    b.u8(uint8_t(ttl));
    b.u8(uint8_t(proto));
    b.be16(0);
    b.bytes(src.bytes, 4);
    b.bytes(dst.bytes, 4);
    while (b.size() < ip_start + hdr_len) b.u8(1);  // NOP options
  } else {
    uint64_t flow_label = 0;
    f.opt_u64(ip, "flow_label", flow_label);
    b.be32(uint32_t(6u << 28 | (tos & 0xff) << 20 | (flow_label & 0xfffff)));
    b.be16(uint16_t(total_len > 40 ? total_len - 40 : 0));
    size_t next_at = b.size();
    b.u8(uint8_t(proto));
    b.u8(uint8_t(ttl));
    b.bytes(src.bytes, 16);
    b.bytes(dst.bytes, 16);
    simdjson::dom::array ext;
    if (ip["ext"].get(ext) == simdjson::SUCCESS) {
      size_t n_ext = ext.size(), i = 0;
      for (element e : ext) {
        std::string_view name;
        ++i;
        if (e.get(name) != simdjson::SUCCESS) continue;
        uint8_t code = ext_code(name);
        if (code == 255 || code == 50) continue;  // ESP: its bytes are the payload
        out.frame[next_at] = code;
        next_at = b.size();
        b.u8(uint8_t(proto));
        size_t pad_to = 8;
        if (i == n_ext && (code == 0 || code == 60)) {
          // Last padding header takes what the recorded header length needs.
          size_t want = hdr_len > b.size() - 1 - ip_start ? hdr_len - (b.size() - 1 - ip_start) : 8;
          pad_to = want < 8 ? 8 : (want + 7) / 8 * 8;
        }
        switch (code) {
          case 44:
            b.u8(0);
            b.be16(uint16_t((frag_offset & 0xfff8) | (mf ? 1 : 0)));
            b.be32(uint32_t(id));
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
  }

  uint16_t sport = 0, dport = 0;
  uint64_t v;
  if (rec["src_port"].get(v) == simdjson::SUCCESS) sport = uint16_t(v);
  if (rec["dest_port"].get(v) == simdjson::SUCCESS) dport = uint16_t(v);
  object l4;
  if (!non_first_fragment) {
    if (rec["tcp"].get(l4) == simdjson::SUCCESS) {
      if (!build_tcp(b, l4, sport, dport, f)) return PktReadStatus::error;
    } else if (rec["udp"].get(l4) == simdjson::SUCCESS) {
      uint64_t ulen = 8 + payload.size();
      f.opt_u64(l4, "len", ulen);
      b.be16(sport);
      b.be16(dport);
      b.be16(uint16_t(ulen));
      b.be16(0);
    } else if (rec["icmp"].get(l4) == simdjson::SUCCESS || rec["icmpv6"].get(l4) == simdjson::SUCCESS) {
      uint64_t t8 = 0, code = 0, rest = 0;
      f.opt_u64(l4, "type", t8);
      f.opt_u64(l4, "code", code);
      f.opt_u64(l4, "rest", rest);
      b.u8(uint8_t(t8));
      b.u8(uint8_t(code));
      b.be16(0);
      b.be32(uint32_t(rest));
    }
  }
  b.bytes(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());

  // When the original was cut by the snap length, the rebuilt frame is short too:
  // origlen keeps the wire length so the decoder reports the same truncation.
  p.caplen = uint32_t(out.frame.size());
  p.origlen = uint32_t(len);
  if (p.origlen < p.caplen) p.origlen = p.caplen;
  p.data = Bytes(out.frame.data(), out.frame.size());
  return PktReadStatus::ok;
}

}  // namespace nl
