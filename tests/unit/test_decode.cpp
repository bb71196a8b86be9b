// Decoder tests: hand-built frames for every link type and protocol, every truncated
// prefix of each (exact-size buffers, so sanitizers see any over-read), malformed
// inputs, address text, and every packet of the classic-pcap fixtures.
#include <doctest/doctest.h>

#include <arpa/inet.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "libcore/decode/packet.hpp"

using namespace nl;

namespace {

using Vec = std::vector<uint8_t>;

Bytes B(const Vec& v) { return {v.data(), v.size()}; }

struct Build {
  Vec v;
  Build& u8(unsigned x) {
    v.push_back(uint8_t(x));
    return *this;
  }
  Build& be16(unsigned x) { return u8(x >> 8).u8(x); }
  Build& be32(uint32_t x) { return be16(x >> 16).be16(x & 0xffff); }
  Build& le32(uint32_t x) { return u8(x).u8(x >> 8).u8(x >> 16).u8(x >> 24); }
  Build& raw(const Vec& b) {
    v.insert(v.end(), b.begin(), b.end());
    return *this;
  }
  Build& raw(std::initializer_list<uint8_t> b) {
    v.insert(v.end(), b.begin(), b.end());
    return *this;
  }
  Build& text(std::string_view s) {
    v.insert(v.end(), s.begin(), s.end());
    return *this;
  }
};

// Independent, byte-at-a-time RFC 1071 checksum for building frames.
uint16_t cksum(const Vec& data, uint32_t s = 0) {
  for (size_t i = 0; i < data.size(); i += 2)
    s += uint32_t(data[i]) << 8 | (i + 1 < data.size() ? data[i + 1] : 0);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(~s);
}
uint32_t sum_bytes(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i < n; i += 2) s += uint32_t(p[i]) << 8 | p[i + 1];
  return s;
}
void put16(Vec& v, size_t at, uint16_t x) {
  v[at] = uint8_t(x >> 8);
  v[at + 1] = uint8_t(x);
}
size_t cksum_offset(uint8_t proto) { return proto == 6 ? 16 : proto == 17 ? 6 : 2; }

const uint8_t kMacA[6] = {0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc};
const uint8_t kMacB[6] = {0x02, 0x00, 0x00, 0x11, 0x22, 0x33};
const uint8_t kV4a[4] = {192, 0, 2, 1}, kV4b[4] = {198, 51, 100, 7};
const uint8_t kV6a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const uint8_t kV6b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xef};

Vec eth(uint16_t type) {
  Build b;
  b.raw(Vec(kMacA, kMacA + 6)).raw(Vec(kMacB, kMacB + 6)).be16(type);
  return b.v;
}

// IPv4 header (+options) + l4, with IP and transport checksums filled in.
// `l4_total`: total transport length claimed (for fragments: the fragment's).
Vec ipv4(uint8_t proto, Vec l4, const Vec& opts = {}, uint16_t ff = 0x4000, uint16_t id = 0x1234,
         bool fix_l4 = true) {
  uint16_t hl = uint16_t(20 + opts.size());
  if (fix_l4 && (proto == 6 || proto == 17 || proto == 1)) {
    size_t at = cksum_offset(proto);
    put16(l4, at, 0);
    uint32_t s = 0;
    if (proto != 1)
      s = sum_bytes(kV4a, 4) + sum_bytes(kV4b, 4) + proto + uint32_t(l4.size());
    put16(l4, at, cksum(l4, s));
  }
  Build b;
  b.u8(0x40 | hl / 4).u8(0x28).be16(uint16_t(hl + l4.size())).be16(id).be16(ff).u8(64).u8(proto)
      .be16(0);
  b.raw(Vec(kV4a, kV4a + 4)).raw(Vec(kV4b, kV4b + 4)).raw(opts);
  put16(b.v, 10, cksum(b.v));
  b.raw(l4);
  return b.v;
}

// IPv6 header + extension bytes + l4 (checksum over the pseudo header).
Vec ipv6(uint8_t first_nh, const Vec& ext, uint8_t proto, Vec l4, bool fix_l4 = true) {
  if (fix_l4 && (proto == 6 || proto == 17 || proto == 58)) {
    size_t at = cksum_offset(proto);
    put16(l4, at, 0);
    uint32_t s = sum_bytes(kV6a, 16) + sum_bytes(kV6b, 16) + proto + uint32_t(l4.size());
    put16(l4, at, cksum(l4, s));
  }
  Build b;
  b.be32(0x6 << 28 | 0xb8 << 20 | 0x12345).be16(uint16_t(ext.size() + l4.size())).u8(first_nh)
      .u8(57);
  b.raw(Vec(kV6a, kV6a + 16)).raw(Vec(kV6b, kV6b + 16)).raw(ext).raw(l4);
  return b.v;
}

Vec tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const Vec& opts,
        std::string_view payload) {
  Build b;
  b.be16(sport).be16(dport).be32(seq).be32(ack);
  b.be16(uint16_t((20 + opts.size()) / 4) << 12 | 0x100 | flags).be16(512).be16(0).be16(7);
  b.raw(opts).text(payload);
  return b.v;
}

Vec udp(uint16_t sport, uint16_t dport, std::string_view payload, int len = -1) {
  Build b;
  b.be16(sport).be16(dport).be16(len < 0 ? uint16_t(8 + payload.size()) : uint16_t(len)).be16(0);
  b.text(payload);
  return b.v;
}

Vec icmp(uint8_t type, uint16_t id, uint16_t seq, std::string_view payload) {
  Build b;
  b.u8(type).u8(0).be16(0).be16(id).be16(seq).text(payload);
  return b.v;
}

Vec cat(std::initializer_list<Vec> parts) {
  Vec out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bool ip_is(const IpAddress& a, const uint8_t* bytes, int family) {
  return a.family == family && std::memcmp(a.bytes, bytes, a.size()) == 0;
}

std::string ip_text(const IpAddress& a) {
  std::string s;
  append_ip(s, a);
  return s;
}

std::string anomalies(const Decoded& d) {
  std::string s;
  for (int i = 0; i < d.n_anomalies; ++i) {
    if (i) s += ",";
    s += anomaly_name(d.anomalies[i]);
  }
  return s;
}

// For each prefix 0..len-1 of `frame` (origlen = full length): the anomaly named by
// the first segment whose end lies beyond the cut is the only one, and the field
// checks whose layer is whole in the prefix agree with the full decode.
struct Seg {
  size_t end;
  Anomaly a;
};
struct FieldCheck {
  size_t need;  // prefix length from which the check applies
  std::function<void(const Decoded& part, const Decoded& full)> fn;
};

void check_prefixes(uint32_t lt, const Vec& frame, const std::vector<Seg>& segs,
                    const std::vector<FieldCheck>& checks) {
  Decoded full;
  decode_frame(lt, B(frame), uint32_t(frame.size()), full);
  REQUIRE(full.n_anomalies == 0);
  REQUIRE(segs.back().end == frame.size());
  for (size_t n = 0; n < frame.size(); ++n) {
    Vec cut(frame.begin(), frame.begin() + ptrdiff_t(n));  // exact size: ASan sees over-reads
    cut.shrink_to_fit();
    Decoded d;
    decode_frame(lt, Bytes(cut.data(), n), uint32_t(frame.size()), d);
    Anomaly want = Anomaly::count_;
    for (auto& s : segs)
      if (n < s.end) {
        want = s.a;
        break;
      }
    CAPTURE(n);
    INFO("want ", anomaly_name(want), " got ", anomalies(d));
    CHECK(d.has(want));
    CHECK(d.n_anomalies == 1);
    CHECK(d.linktype == lt);
    for (auto& c : checks)
      if (n >= c.need) c.fn(d, full);
    // Whatever payload was captured sits where it sits in the full frame.
    if (!d.payload.empty()) {
      CHECK(d.payload.data() - cut.data() == full.payload.data() - frame.data());
      CHECK(d.payload.size() <= full.payload.size());
    }
    CHECK(d.l3.size() <= n);
  }
}

}  // namespace

TEST_CASE("decode: Ethernet + 802.1ad + 802.1Q + IPv4 options + TCP with all options") {
  Vec topts = Build()
                  .raw({2, 4, 0x05, 0xb4})          // MSS 1460
                  .raw({4, 2})                      // SACK permitted
                  .raw({8, 10}).be32(1000).be32(2000)  // timestamps
                  .raw({1, 3, 3, 7})                // NOP, window scale 7
                  .raw({1, 1, 5, 18}).be32(10).be32(20).be32(30).be32(40)  // SACK x2
                  .v;
  REQUIRE(topts.size() == 40);
  Vec ipopts = {0x94, 0x04, 0x00, 0x00};  // router alert
  Vec seg = tcp(40000, 80, 0xfffffff0u, 0x01020304, tcpflag::syn | tcpflag::ack, topts, "hello");
  Vec frame = cat({eth(0x88a8), Build().be16(0xa00a).be16(0x8100).v,
                   Build().be16(0x3064).be16(0x0800).v, ipv4(6, seg, ipopts)});
  REQUIRE(frame.size() == 14 + 8 + 24 + 60 + 5);

  Decoded d;
  DecodeOptions verify{true};
  decode_frame(linktype::ethernet, B(frame), uint32_t(frame.size()), d, verify);
  INFO(anomalies(d));
  CHECK(d.n_anomalies == 0);
  CHECK(d.linktype == 1);
  CHECK(d.has_eth);
  CHECK(std::memcmp(d.eth.dst, kMacA, 6) == 0);
  CHECK(std::memcmp(d.eth.src, kMacB, 6) == 0);
  CHECK(d.eth.type_or_len == 0x88a8);
  CHECK_FALSE(d.eth.llc);
  REQUIRE(d.n_vlan == 2);
  CHECK(d.vlan[0].tpid == 0x88a8);
  CHECK(d.vlan[0].id() == 10);
  CHECK(d.vlan[0].pcp() == 5);
  CHECK_FALSE(d.vlan[0].dei());
  CHECK(d.vlan[1].tpid == 0x8100);
  CHECK(d.vlan[1].id() == 100);
  CHECK(d.vlan[1].pcp() == 1);
  CHECK(d.vlan[1].dei());
  CHECK(d.outer_vlan() == 10);
  CHECK(d.ethertype == 0x0800);
  CHECK(d.ip.version == 4);
  CHECK(ip_is(d.ip.src, kV4a, 4));
  CHECK(ip_is(d.ip.dst, kV4b, 4));
  CHECK(d.ip.ttl == 64);
  CHECK(d.ip.tos == 0x28);
  CHECK(d.ip.id == 0x1234);
  CHECK(d.ip.df);
  CHECK_FALSE(d.ip.mf);
  CHECK_FALSE(d.ip.fragment);
  CHECK(d.ip.header_len == 24);
  CHECK(d.ip.options);
  CHECK(d.ip.total_len == 24 + 65);
  CHECK(d.ip.proto == 6);
  CHECK(d.l3.size() == 89);
  CHECK(d.l3.data() == frame.data() + 22);
  CHECK(d.l4 == L4::tcp);
  CHECK(d.tcp.sport == 40000);
  CHECK(d.tcp.dport == 80);
  CHECK(d.ports_src() == 40000);
  CHECK(d.ports_dst() == 80);
  CHECK(d.tcp.seq == 0xfffffff0u);
  CHECK(d.tcp.ack == 0x01020304);
  CHECK(d.tcp.flags == (tcpflag::syn | tcpflag::ack));
  CHECK(d.tcp.ns);
  CHECK(d.tcp.window == 512);
  CHECK(d.tcp.urgent == 7);
  CHECK(d.tcp.header_len == 60);
  CHECK(d.tcp.mss == 1460);
  CHECK(d.tcp.wscale == 7);
  CHECK(d.tcp.sack_permitted);
  CHECK(d.tcp.has_timestamps);
  CHECK(d.tcp.ts_val == 1000);
  CHECK(d.tcp.ts_ecr == 2000);
  REQUIRE(d.tcp.n_sack == 2);
  CHECK(d.tcp.sack[0][0] == 10);
  CHECK(d.tcp.sack[0][1] == 20);
  CHECK(d.tcp.sack[1][0] == 30);
  CHECK(d.tcp.sack[1][1] == 40);
  CHECK_FALSE(d.tcp.fast_open);
  CHECK(d.l4_bytes.size() == 65);
  CHECK(as_text(d.payload) == "hello");
  CHECK(d.payload_len == 5);

  // Ethernet padding after the datagram is not part of l3 or the payload.
  Vec padded = frame;
  padded.resize(frame.size() + 7, 0);
  decode_frame(linktype::ethernet, B(padded), uint32_t(padded.size()), d, verify);
  CHECK(d.n_anomalies == 0);
  CHECK(d.l3.size() == 89);
  CHECK(as_text(d.payload) == "hello");

  // Checksums: a flipped payload bit breaks TCP's; a flipped TTL breaks IPv4's.
  Vec bad = frame;
  bad.back() ^= 1;
  decode_frame(linktype::ethernet, B(bad), uint32_t(bad.size()), d, verify);
  CHECK(d.has(Anomaly::bad_tcp_checksum));
  CHECK(d.n_anomalies == 1);
  decode_frame(linktype::ethernet, B(bad), uint32_t(bad.size()), d);  // not verified by default
  CHECK(d.n_anomalies == 0);
  bad = frame;
  bad[22 + 8] ^= 1;
  decode_frame(linktype::ethernet, B(bad), uint32_t(bad.size()), d, verify);
  CHECK(d.has(Anomaly::bad_ipv4_checksum));

  // decode_ip on the network layer keeps link fields and redoes the rest.
  Decoded e;
  decode_frame(linktype::ethernet, B(frame), uint32_t(frame.size()), e);
  e.tcp.mss = 1;
  decode_ip(e.l3, e);
  CHECK(e.n_vlan == 2);
  CHECK(e.has_eth);
  CHECK(e.tcp.mss == 1460);
  CHECK(e.ip.total_len == 89);
  CHECK(as_text(e.payload) == "hello");

  check_prefixes(linktype::ethernet, frame,
                 {{14, Anomaly::truncated_ethernet_frame},
                  {18, Anomaly::truncated_vlan_tag},
                  {22, Anomaly::truncated_vlan_tag},
                  {42, Anomaly::truncated_ipv4_header},
                  {46, Anomaly::truncated_ipv4_options},
                  {66, Anomaly::truncated_tcp_header},
                  {106, Anomaly::truncated_tcp_options},
                  {111, Anomaly::snaplen_truncated}},
                 {{14,
                   [](const Decoded& p, const Decoded& f) {
                     CHECK(p.has_eth);
                     CHECK(std::memcmp(p.eth.src, f.eth.src, 6) == 0);
                     CHECK(std::memcmp(p.eth.dst, f.eth.dst, 6) == 0);
                   }},
                  {18, [](const Decoded& p, const Decoded&) { CHECK(p.vlan[0].tci == 0xa00a); }},
                  {22,
                   [](const Decoded& p, const Decoded&) {
                     CHECK(p.n_vlan == 2);
                     CHECK(p.ethertype == 0x0800);
                   }},
                  {42,
                   [](const Decoded& p, const Decoded& f) {
                     CHECK(p.ip.version == 4);
                     CHECK(p.ip.src == f.ip.src);
                     CHECK(p.ip.dst == f.ip.dst);
                     CHECK(p.ip.proto == 6);
                     CHECK(p.ip.total_len == f.ip.total_len);
                   }},
                  {66,
                   [](const Decoded& p, const Decoded& f) {
                     CHECK(p.l4 == L4::tcp);
                     CHECK(p.tcp.sport == f.tcp.sport);
                     CHECK(p.tcp.seq == f.tcp.seq);
                     CHECK(p.tcp.flags == f.tcp.flags);
                   }},
                  {106, [](const Decoded& p, const Decoded& f) {
                     CHECK(p.tcp.mss == 1460);
                     CHECK(p.tcp.n_sack == 2);
                     CHECK(p.tcp.ts_ecr == 2000);
                     CHECK(p.payload_len == f.payload_len);
                   }}});
}

TEST_CASE("decode: SLL2 + IPv6 + hop-by-hop + fragment header + UDP, both fragments") {
  // First fragment: UDP header + 32 bytes of a 100-byte UDP datagram.
  std::string data(92, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = char('a' + i % 26);
  Vec udp_full = udp(5353, 53, data);
  Vec first(udp_full.begin(), udp_full.begin() + 40);
  Vec rest(udp_full.begin() + 40, udp_full.end());
  Vec hbh = {44, 0, 1, 4, 0, 0, 0, 0};  // next: fragment; PadN
  Vec frag1 = Build().u8(17).u8(0).be16(0 << 3 | 1).be32(0xdeadbeef).v;
  Vec frag2 = Build().u8(17).u8(0).be16(40 | 0).be32(0xdeadbeef).v;
  Vec sll2 = Build().be16(0x86dd).be16(0).be32(7).be16(1).u8(4).u8(6).raw(Vec(kMacA, kMacA + 6))
                 .raw({0, 0}).v;
  Vec f1 = cat({sll2, ipv6(0, cat({hbh, frag1}), 0, first, false)});
  Vec f2 = cat({sll2, ipv6(44, frag2, 0, rest, false)});

  Decoded d;
  decode_frame(linktype::linux_sll2, B(f1), uint32_t(f1.size()), d, DecodeOptions{true});
  INFO(anomalies(d));
  CHECK(d.n_anomalies == 0);
  CHECK(d.has_sll);
  CHECK(d.sll.version == 2);
  CHECK(d.sll.protocol == 0x86dd);
  CHECK(d.sll.ifindex == 7);
  CHECK(d.sll.arphrd == 1);
  CHECK(d.sll.packet_type == 4);
  CHECK(d.sll.addr_len == 6);
  CHECK(std::memcmp(d.sll.addr, kMacA, 6) == 0);
  CHECK(d.ethertype == 0x86dd);
  CHECK(d.ip.version == 6);
  CHECK(ip_is(d.ip.src, kV6a, 6));
  CHECK(ip_is(d.ip.dst, kV6b, 6));
  CHECK(d.ip.tos == 0xb8);
  CHECK(d.ip.flow_label == 0x12345);
  CHECK(d.ip.ttl == 57);
  CHECK(d.ip.total_len == 40 + 16 + 40);
  CHECK(d.ip.header_len == 56);
  CHECK(d.ip.proto == 17);
  REQUIRE(d.ip.n_ext == 2);
  CHECK(d.ip.ext[0] == Ipv6Ext::hop_by_hop);
  CHECK(d.ip.ext[1] == Ipv6Ext::fragment);
  CHECK(d.ip.fragment);
  CHECK(d.ip.mf);
  CHECK(d.ip.frag_offset == 0);
  CHECK(d.ip.id == 0xdeadbeef);
  CHECK(d.l4 == L4::udp);
  CHECK(d.udp.sport == 5353);
  CHECK(d.udp.dport == 53);
  CHECK(d.udp.length == 100);  // the whole datagram's, no bad_udp_length in a fragment
  CHECK(d.payload_len == 32);
  CHECK(as_text(d.payload) == data.substr(0, 32));

  decode_frame(linktype::linux_sll2, B(f2), uint32_t(f2.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.ip.fragment);
  CHECK_FALSE(d.ip.mf);
  CHECK(d.ip.frag_offset == 40);
  CHECK(d.ip.proto == 17);
  CHECK(d.ip.header_len == 48);
  CHECK(d.l4 == L4::none);
  CHECK(d.l4_bytes.size() == 60);
  CHECK(d.payload_len == 60);
  CHECK(as_text(d.payload) == data.substr(32));

  check_prefixes(linktype::linux_sll2, f1,
                 {{20, Anomaly::truncated_sll2_header},
                  {60, Anomaly::truncated_ipv6_header},
                  {68, Anomaly::truncated_ipv6_ext_header},
                  {76, Anomaly::truncated_ipv6_ext_header},
                  {84, Anomaly::truncated_udp_header},
                  {116, Anomaly::snaplen_truncated}},
                 {{20, [](const Decoded& p, const Decoded&) { CHECK(p.sll.ifindex == 7); }},
                  {60,
                   [](const Decoded& p, const Decoded& f) {
                     CHECK(p.ip.src == f.ip.src);
                     CHECK(p.ip.flow_label == 0x12345);
                   }},
                  {68, [](const Decoded& p, const Decoded&) { CHECK(p.ip.n_ext >= 1); }},
                  {76,
                   [](const Decoded& p, const Decoded&) {
                     CHECK(p.ip.fragment);
                     CHECK(p.ip.id == 0xdeadbeef);
                   }},
                  {84, [](const Decoded& p, const Decoded&) {
                     CHECK(p.udp.dport == 53);
                     CHECK(p.payload_len == 32);
                   }}});
  check_prefixes(linktype::linux_sll2, f2,
                 {{20, Anomaly::truncated_sll2_header},
                  {60, Anomaly::truncated_ipv6_header},
                  {68, Anomaly::truncated_ipv6_ext_header},
                  {128, Anomaly::snaplen_truncated}},
                 {{68, [](const Decoded& p, const Decoded&) {
                   CHECK(p.l4 == L4::none);
                   CHECK(p.payload_len == 60);
                 }}});
}

TEST_CASE("decode: IPv4 fragments") {
  std::string data(60, 'q');
  Vec whole = udp(1000, 2000, data);  // 68 bytes
  Vec part1(whole.begin(), whole.begin() + 24), part2(whole.begin() + 24, whole.end());
  Vec f1 = cat({eth(0x0800), ipv4(17, part1, {}, 0x2000, 77, false)});
  Vec f2 = cat({eth(0x0800), ipv4(17, part2, {}, 3, 77, false)});  // offset 24 bytes
  Decoded d;
  decode_frame(linktype::ethernet, B(f1), uint32_t(f1.size()), d, DecodeOptions{true});
  INFO(anomalies(d));
  CHECK(d.n_anomalies == 0);
  CHECK(d.ip.fragment);
  CHECK(d.ip.mf);
  CHECK(d.ip.frag_offset == 0);
  CHECK(d.l4 == L4::udp);
  CHECK(d.udp.length == 68);
  CHECK(d.payload_len == 16);
  CHECK(d.payload.size() == 16);
  decode_frame(linktype::ethernet, B(f2), uint32_t(f2.size()), d, DecodeOptions{true});
  CHECK(d.n_anomalies == 0);
  CHECK(d.ip.fragment);
  CHECK_FALSE(d.ip.mf);
  CHECK(d.ip.frag_offset == 24);
  CHECK(d.ip.proto == 17);
  CHECK(d.l4 == L4::none);
  CHECK(d.l4_bytes.size() == 44);
  CHECK(d.payload_len == 44);

  // A first fragment too small for the transport header is not "truncated".
  Vec tiny = cat({eth(0x0800), ipv4(6, Vec(8, 0), {}, 0x2000, 78, false)});
  decode_frame(linktype::ethernet, B(tiny), uint32_t(tiny.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.l4 == L4::none);
  CHECK(d.payload_len == 8);

  check_prefixes(linktype::ethernet, f2,
                 {{14, Anomaly::truncated_ethernet_frame},
                  {34, Anomaly::truncated_ipv4_header},
                  {78, Anomaly::snaplen_truncated}},
                 {});
}

TEST_CASE("decode: MPLS label stack then IPv4 + UDP") {
  Vec labels = Build().be32(100u << 12 | 5u << 9 | 64).be32(200u << 12 | 0x100 | 63).v;
  Vec frame = cat({eth(0x8847), labels, ipv4(17, udp(53, 5353, "0123456789"))});
  Decoded d;
  decode_frame(linktype::ethernet, B(frame), uint32_t(frame.size()), d, DecodeOptions{true});
  INFO(anomalies(d));
  CHECK(d.n_anomalies == 0);
  REQUIRE(d.n_mpls == 2);
  CHECK(d.mpls[0].label == 100);
  CHECK(d.mpls[0].tc == 5);
  CHECK_FALSE(d.mpls[0].bottom);
  CHECK(d.mpls[0].ttl == 64);
  CHECK(d.mpls[1].label == 200);
  CHECK(d.mpls[1].bottom);
  CHECK(d.mpls[1].ttl == 63);
  CHECK(d.ethertype == 0x0800);
  CHECK(d.l4 == L4::udp);
  CHECK(d.udp.sport == 53);
  CHECK(d.udp.length == 18);
  CHECK(as_text(d.payload) == "0123456789");

  // A non-IP payload (pseudowire control word) stops without an anomaly.
  Vec pw = cat({eth(0x8847), Build().be32(300u << 12 | 0x100 | 1).be32(0).v});
  decode_frame(linktype::ethernet, B(pw), uint32_t(pw.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.ethertype == 0x8847);
  CHECK(d.ip.version == 0);

  // Prefix 22 ends right after the stack: nothing to guess from, only the snaplen cut.
  check_prefixes(linktype::ethernet, frame,
                 {{14, Anomaly::truncated_ethernet_frame},
                  {22, Anomaly::truncated_mpls_label},
                  {23, Anomaly::snaplen_truncated},
                  {42, Anomaly::truncated_ipv4_header},
                  {50, Anomaly::truncated_udp_header},
                  {60, Anomaly::snaplen_truncated}},
                 {{18, [](const Decoded& p, const Decoded&) { CHECK(p.mpls[0].label == 100); }},
                  {50, [](const Decoded& p, const Decoded&) { CHECK(p.payload_len == 10); }}});
}

TEST_CASE("decode: PPPoE session + IPv6 + ICMPv6 echo") {
  Vec inner = ipv6(58, {}, 58, icmp(128, 0x77, 3, "pingping"));
  Vec pppoe = Build().u8(0x11).u8(0).be16(0x1234).be16(uint16_t(inner.size() + 2)).be16(0x0057).v;
  Vec frame = cat({eth(0x8864), pppoe, inner});
  Decoded d;
  decode_frame(linktype::ethernet, B(frame), uint32_t(frame.size()), d, DecodeOptions{true});
  INFO(anomalies(d));
  CHECK(d.n_anomalies == 0);
  CHECK(d.has_pppoe);
  CHECK(d.pppoe_session == 0x1234);
  CHECK(d.ethertype == 0x86dd);
  CHECK(d.ip.version == 6);
  CHECK(d.ip.proto == 58);
  CHECK(d.ip.n_ext == 0);
  CHECK(d.l4 == L4::icmpv6);
  CHECK(d.icmp.type == 128);
  CHECK(d.icmp.code == 0);
  CHECK(d.icmp.rest == (0x77u << 16 | 3));
  CHECK(d.payload_len == 8);
  CHECK(as_text(d.payload) == "pingping");

  Vec bad = frame;
  bad.back() ^= 0x40;
  decode_frame(linktype::ethernet, B(bad), uint32_t(bad.size()), d, DecodeOptions{true});
  CHECK(d.has(Anomaly::bad_icmp_checksum));

  // PPP LCP is not IP and not an anomaly.
  Vec lcp = cat({eth(0x8864), Build().u8(0x11).u8(0).be16(1).be16(6).be16(0xc021).be32(0).v});
  decode_frame(linktype::ethernet, B(lcp), uint32_t(lcp.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.ethertype == 0x8864);
  CHECK(d.has_pppoe);

  check_prefixes(linktype::ethernet, frame,
                 {{14, Anomaly::truncated_ethernet_frame},
                  {22, Anomaly::truncated_pppoe_header},
                  {62, Anomaly::truncated_ipv6_header},
                  {70, Anomaly::truncated_icmpv6_header},
                  {78, Anomaly::snaplen_truncated}},
                 {{22, [](const Decoded& p, const Decoded&) { CHECK(p.pppoe_session == 0x1234); }},
                  {70, [](const Decoded& p, const Decoded&) { CHECK(p.icmp.type == 128); }}});
}

TEST_CASE("decode: ARP") {
  Vec arp = Build().be16(1).be16(0x0800).u8(6).u8(4).be16(2).raw(Vec(kMacB, kMacB + 6))
                .raw(Vec(kV4a, kV4a + 4)).raw(Vec(kMacA, kMacA + 6)).raw(Vec(kV4b, kV4b + 4)).v;
  Vec frame = cat({eth(0x0806), arp});
  Decoded d;
  decode_frame(linktype::ethernet, B(frame), uint32_t(frame.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.ethertype == 0x0806);
  CHECK(d.has_arp);
  CHECK(d.arp.htype == 1);
  CHECK(d.arp.ptype == 0x0800);
  CHECK(d.arp.op == 2);
  CHECK(std::memcmp(d.arp.sha, kMacB, 6) == 0);
  CHECK(std::memcmp(d.arp.tha, kMacA, 6) == 0);
  CHECK(ip_is(d.arp.spa, kV4a, 4));
  CHECK(ip_is(d.arp.tpa, kV4b, 4));
  CHECK(d.ip.version == 0);
  CHECK(d.l4 == L4::none);
  check_prefixes(linktype::ethernet, frame,
                 {{14, Anomaly::truncated_ethernet_frame}, {42, Anomaly::truncated_arp}},
                 {{22, [](const Decoded& p, const Decoded&) {
                   CHECK(p.has_arp);
                   CHECK(p.arp.op == 2);
                 }}});
}

TEST_CASE("decode: raw IPv4 link types with ICMP echo") {
  Vec pkt = ipv4(1, icmp(8, 0x4242, 9, "abcdefghijklmnop"), {}, 0);
  for (uint32_t lt : {linktype::raw, linktype::raw_dlt12, linktype::raw_dlt14, linktype::ipv4}) {
    CAPTURE(lt);
    Decoded d;
    decode_frame(lt, B(pkt), uint32_t(pkt.size()), d, DecodeOptions{true});
    INFO(anomalies(d));
    CHECK(d.n_anomalies == 0);
    CHECK_FALSE(d.has_eth);
    CHECK(d.ethertype == 0x0800);
    CHECK(d.ip.version == 4);
    CHECK_FALSE(d.ip.df);
    CHECK(d.l4 == L4::icmp);
    CHECK(d.icmp.type == 8);
    CHECK(d.icmp.rest == (0x4242u << 16 | 9));
    CHECK(d.payload_len == 16);
    CHECK(d.ports_src() == 0);
    check_prefixes(lt, pkt,
                   {{20, Anomaly::truncated_ipv4_header},
                    {28, Anomaly::truncated_icmp_header},
                    {44, Anomaly::snaplen_truncated}},
                   {{28, [](const Decoded& p, const Decoded&) { CHECK(p.icmp.type == 8); }}});
  }
  Vec bad = pkt;
  bad.back() ^= 1;
  Decoded d;
  decode_frame(linktype::raw, B(bad), uint32_t(bad.size()), d, DecodeOptions{true});
  CHECK(d.has(Anomaly::bad_icmp_checksum));
  // DLT_IPV6 holding an IPv4 packet
  decode_frame(linktype::ipv6, B(pkt), uint32_t(pkt.size()), d);
  CHECK(d.has(Anomaly::bad_ip_version));
  CHECK(d.ip.version == 0);
}

TEST_CASE("decode: raw IPv6 and BSD NULL/LOOP with every AF_INET6 value") {
  Vec pkt = ipv6(6, {}, 6, tcp(443, 50000, 1, 2, tcpflag::ack | tcpflag::psh, {}, "tls!"));
  auto check_v6 = [&](const Decoded& d) {
    INFO(anomalies(d));
    CHECK(d.n_anomalies == 0);
    CHECK(d.ethertype == 0x86dd);
    CHECK(d.ip.version == 6);
    CHECK(d.l4 == L4::tcp);
    CHECK(d.tcp.sport == 443);
    CHECK(d.tcp.header_len == 20);
    CHECK(d.tcp.mss == -1);
    CHECK(d.tcp.wscale == -1);
    CHECK(as_text(d.payload) == "tls!");
  };
  Decoded d;
  for (uint32_t lt : {linktype::raw, linktype::ipv6}) {
    decode_frame(lt, B(pkt), uint32_t(pkt.size()), d, DecodeOptions{true});
    check_v6(d);
  }
  check_prefixes(linktype::ipv6, pkt,
                 {{40, Anomaly::truncated_ipv6_header},
                  {60, Anomaly::truncated_tcp_header},
                  {64, Anomaly::snaplen_truncated}},
                 {});
  // Raw link type: an empty frame has no version nibble; called a short IPv4 header.
  check_prefixes(linktype::raw, pkt,
                 {{1, Anomaly::truncated_ipv4_header},
                  {40, Anomaly::truncated_ipv6_header},
                  {60, Anomaly::truncated_tcp_header},
                  {64, Anomaly::snaplen_truncated}},
                 {});
  for (uint32_t fam : {24u, 28u, 30u}) {
    for (bool big : {false, true}) {
      CAPTURE(fam);
      CAPTURE(big);
      Build h;
      if (big)
        h.be32(fam);
      else
        h.le32(fam);
      Vec frame = cat({h.v, pkt});
      decode_frame(linktype::null_bsd, B(frame), uint32_t(frame.size()), d, DecodeOptions{true});
      CHECK(d.has_null);
      CHECK(d.null_family == fam);
      check_v6(d);
      if (big) {
        decode_frame(linktype::loop, B(frame), uint32_t(frame.size()), d);
        CHECK(d.null_family == fam);
        check_v6(d);
      }
    }
  }
  Vec v4 = cat({Build().le32(2).v, ipv4(17, udp(1, 2, "x"))});
  decode_frame(linktype::null_bsd, B(v4), uint32_t(v4.size()), d, DecodeOptions{true});
  CHECK(d.n_anomalies == 0);
  CHECK(d.null_family == 2);
  CHECK(d.l4 == L4::udp);
  check_prefixes(linktype::null_bsd, v4,
                 {{4, Anomaly::truncated_null_header},
                  {24, Anomaly::truncated_ipv4_header},
                  {32, Anomaly::truncated_udp_header},
                  {33, Anomaly::snaplen_truncated}},
                 {{4, [](const Decoded& p, const Decoded&) { CHECK(p.null_family == 2); }}});
  Vec osi = cat({Build().le32(7).v, pkt});
  decode_frame(linktype::null_bsd, B(osi), uint32_t(osi.size()), d);
  CHECK(d.has(Anomaly::unknown_null_family));
  CHECK(d.ip.version == 0);
}

TEST_CASE("decode: Linux SLL v1 + IPv4 + TCP") {
  Vec sll = Build().be16(0).be16(1).be16(6).raw(Vec(kMacB, kMacB + 6)).raw({0, 0}).be16(0x0800).v;
  Vec frame = cat({sll, ipv4(6, tcp(1234, 80, 5, 6, tcpflag::fin | tcpflag::ack, {}, "bye"))});
  Decoded d;
  decode_frame(linktype::linux_sll, B(frame), uint32_t(frame.size()), d, DecodeOptions{true});
  CHECK(d.n_anomalies == 0);
  CHECK(d.has_sll);
  CHECK(d.sll.version == 1);
  CHECK(d.sll.packet_type == 0);
  CHECK(d.sll.arphrd == 1);
  CHECK(d.sll.addr_len == 6);
  CHECK(std::memcmp(d.sll.addr, kMacB, 6) == 0);
  CHECK(d.sll.protocol == 0x0800);
  CHECK(d.l4 == L4::tcp);
  CHECK(d.tcp.flags == (tcpflag::fin | tcpflag::ack));
  CHECK(as_text(d.payload) == "bye");
  check_prefixes(linktype::linux_sll, frame,
                 {{16, Anomaly::truncated_sll_header},
                  {36, Anomaly::truncated_ipv4_header},
                  {56, Anomaly::truncated_tcp_header},
                  {59, Anomaly::snaplen_truncated}},
                 {{16, [](const Decoded& p, const Decoded&) { CHECK(p.sll.protocol == 0x0800); }}});
}

TEST_CASE("decode: link-layer oddities") {
  Decoded d;
  Vec frame = cat({eth(0x0800), ipv4(17, udp(1, 2, "abc"))});
  decode_frame(147, B(frame), uint32_t(frame.size()), d);
  CHECK(d.has(Anomaly::unknown_link_type));
  CHECK(d.n_anomalies == 1);
  CHECK_FALSE(d.has_eth);

  Vec unk = cat({eth(0x1234), Vec(20, 0)});
  decode_frame(linktype::ethernet, B(unk), uint32_t(unk.size()), d);
  CHECK(d.has(Anomaly::unknown_ethertype));
  CHECK(d.ethertype == 0x1234);

  Vec lldp = cat({eth(0x88cc), Vec(20, 0)});
  decode_frame(linktype::ethernet, B(lldp), uint32_t(lldp.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.ethertype == 0x88cc);

  // 802.3 + LLC (spanning tree): not IP, no anomaly.
  Vec stp = cat({eth(38), Build().raw({0x42, 0x42, 0x03}).v, Vec(35, 0), Vec(8, 0)});
  decode_frame(linktype::ethernet, B(stp), uint32_t(stp.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.eth.llc);
  CHECK(d.eth.dsap == 0x42);
  CHECK(d.eth.ssap == 0x42);
  CHECK(d.eth.control == 3);
  CHECK(d.eth.type_or_len == 38);
  CHECK(d.ip.version == 0);
  Vec stp_cut(stp.begin(), stp.begin() + 16);
  decode_frame(linktype::ethernet, B(stp_cut), uint32_t(stp.size()), d);
  CHECK(d.has(Anomaly::truncated_llc_header));

  // 802.3 + LLC/SNAP with OUI 0 carries an ethertype: IP inside.
  Vec ip = ipv4(17, udp(7, 9, "snap"));
  Vec snap = cat({eth(uint16_t(8 + ip.size())), Build().raw({0xaa, 0xaa, 0x03, 0, 0, 0}).be16(0x0800).v,
                  ip});
  decode_frame(linktype::ethernet, B(snap), uint32_t(snap.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.eth.llc);
  CHECK(d.ethertype == 0x0800);
  CHECK(d.l4 == L4::udp);
  CHECK(as_text(d.payload) == "snap");

  // Five VLAN tags: four kept, the fifth skipped with an anomaly, IP still decoded.
  Build tags;
  for (int i = 0; i < 5; ++i) tags.be16(uint16_t(i + 1)).be16(i == 4 ? 0x0800 : 0x8100);
  Vec many = cat({eth(0x8100), tags.v, ip});
  decode_frame(linktype::ethernet, B(many), uint32_t(many.size()), d);
  CHECK(d.has(Anomaly::too_many_vlan_tags));
  CHECK(d.n_vlan == 4);
  CHECK(d.vlan[3].id() == 4);
  CHECK(d.l4 == L4::udp);

  // 0x9100 is followed like the others.
  Vec q9100 = cat({eth(0x9100), Build().be16(42).be16(0x0800).v, ip});
  decode_frame(linktype::ethernet, B(q9100), uint32_t(q9100.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.vlan[0].tpid == 0x9100);
  CHECK(d.vlan[0].id() == 42);

  // Nine MPLS labels: eight kept.
  Build ls;
  for (int i = 0; i < 9; ++i) ls.be32(uint32_t(i + 16) << 12 | (i == 8 ? 0x100 : 0) | 1);
  Vec deep = cat({eth(0x8847), ls.v, ip});
  decode_frame(linktype::ethernet, B(deep), uint32_t(deep.size()), d);
  CHECK(d.has(Anomaly::too_many_mpls_labels));
  CHECK(d.n_mpls == 8);
  CHECK(d.l4 == L4::udp);

  // 802.3 length inside a VLAN tag (PVST+ over SNAP with Cisco's OUI): LLC, not IP.
  Vec pvst = cat({eth(0x8100), Build().be16(7).be16(12).v,
                  Build().raw({0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c}).be16(0x010b).v, Vec(4, 0)});
  decode_frame(linktype::ethernet, B(pvst), uint32_t(pvst.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.n_vlan == 1);
  CHECK(d.eth.llc);
  CHECK(d.eth.dsap == 0xaa);
  CHECK(d.ethertype == 0);
  CHECK(d.ip.version == 0);

  // SLL carrying netlink is not IP and not an anomaly.
  Vec nl = Build().be16(4).be16(824).be16(0).raw(Vec(8, 0)).be16(0x0010).raw(Vec(16, 0)).v;
  decode_frame(linktype::linux_sll, B(nl), uint32_t(nl.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.has_sll);
}

TEST_CASE("decode: PPPoE with a compressed (1-byte) PPP protocol field") {
  Vec inner = ipv4(6, tcp(40000, 80, 100, 0, tcpflag::syn, {}, "GET / HTTP/1.1\r\n"));
  // RFC 1661 6.5: 0x21 alone is IPv4; PPPoE's length counts the 1-byte field.
  Vec frame = cat({eth(0x8864), Build().u8(0x11).u8(0).be16(7).be16(uint16_t(inner.size() + 1)).u8(0x21).v,
                   inner, Vec(6, 0xee)});  // Ethernet padding after the session payload
  Decoded d;
  decode_frame(linktype::ethernet, B(frame), uint32_t(frame.size()), d, DecodeOptions{true});
  INFO(anomalies(d));
  CHECK(d.n_anomalies == 0);
  CHECK(d.has_pppoe);
  CHECK(d.pppoe_session == 7);
  CHECK(d.has_ppp);
  CHECK(d.ppp_protocol == 0x0021);
  CHECK(d.ethertype == 0x0800);
  CHECK(d.ip.version == 4);
  CHECK(d.l4 == L4::tcp);
  CHECK(d.tcp.dport == 80);
  CHECK(as_text(d.payload) == "GET / HTTP/1.1\r\n");
  CHECK(d.l3.size() == inner.size());  // the padding is not IP

  Vec unpadded(frame.begin(), frame.end() - 6);
  check_prefixes(linktype::ethernet, unpadded,
                 {{14, Anomaly::truncated_ethernet_frame},
                  {21, Anomaly::truncated_pppoe_header},
                  {41, Anomaly::truncated_ipv4_header},
                  {61, Anomaly::truncated_tcp_header},
                  {77, Anomaly::snaplen_truncated}},
                 {{21, [](const Decoded& p, const Decoded&) { CHECK(p.ppp_protocol == 0x21); }}});

  // The compressed IPv6 number, and the uncompressed forms, decode the same way.
  Vec inner6 = ipv6(17, {}, 17, udp(5, 53, "q"));
  for (bool compressed : {true, false}) {
    CAPTURE(compressed);
    Build h;
    h.u8(0x11).u8(0).be16(7).be16(uint16_t(inner6.size() + (compressed ? 1 : 2)));
    if (compressed) h.u8(0x57); else h.be16(0x0057);
    Vec f6 = cat({eth(0x8864), h.v, inner6});
    decode_frame(linktype::ethernet, B(f6), uint32_t(f6.size()), d, DecodeOptions{true});
    CHECK(d.n_anomalies == 0);
    CHECK(d.ppp_protocol == 0x0057);
    CHECK(d.l4 == L4::udp);
  }

  // A data protocol we do not decode is an anomaly, in either form; control protocols are not.
  struct Case { Vec proto; uint16_t number; bool anomaly; };
  for (const Case& k : {Case{{0x00, 0x2d}, 0x002d, true},   // Van Jacobson compressed TCP/IP
                        Case{{0x2d}, 0x002d, true},
                        Case{{0x00, 0xfd}, 0x00fd, true},   // CCP compressed datagram
                        Case{{0x3d}, 0x003d, true},         // multilink, compressed field
                        Case{{0x00, 0x20}, 0x0020, true},   // even low byte: not a protocol number
                        Case{{0xc0, 0x21}, 0xc021, false},  // LCP
                        Case{{0x80, 0x21}, 0x8021, false},  // IPCP
                        Case{{0xc2, 0x23}, 0xc223, false}}) {  // CHAP
    CAPTURE(k.number);
    Vec f = cat({eth(0x8864), Build().u8(0x11).u8(0).be16(9).be16(uint16_t(k.proto.size() + 20)).v, k.proto,
                 inner});
    decode_frame(linktype::ethernet, B(f), uint32_t(f.size()), d);
    CHECK(d.ppp_protocol == k.number);
    CHECK(d.has(Anomaly::unknown_ppp_protocol) == k.anomaly);
    CHECK(d.n_anomalies == (k.anomaly ? 1 : 0));
    CHECK(d.ip.version == 0);
    CHECK(d.ethertype == 0x8864);
  }
}

TEST_CASE("decode: PPP link types, with and without RFC 1662 framing") {
  Vec inner = ipv4(17, udp(1000, 53, "dns?"));
  Vec framed = cat({Build().u8(0xff).u8(0x03).be16(0x0021).v, inner});
  Vec bare = cat({Build().u8(0x21).v, inner});  // address/control and protocol compressed
  Decoded d;
  for (uint32_t lt : {linktype::ppp, linktype::ppp_hdlc}) {
    for (const Vec* f : {&framed, &bare}) {
      CAPTURE(lt);
      decode_frame(lt, B(*f), uint32_t(f->size()), d, DecodeOptions{true});
      INFO(anomalies(d));
      CHECK(d.n_anomalies == 0);
      CHECK(d.ppp_protocol == 0x0021);
      CHECK(d.l4 == L4::udp);
      CHECK(as_text(d.payload) == "dns?");
    }
  }
  check_prefixes(linktype::ppp, framed,
                 {{4, Anomaly::truncated_ppp_header},
                  {24, Anomaly::truncated_ipv4_header},
                  {32, Anomaly::truncated_udp_header},
                  {36, Anomaly::snaplen_truncated}},
                 {{4, [](const Decoded& p, const Decoded&) { CHECK(p.ppp_protocol == 0x21); }}});
  // MPLS over PPP (RFC 3032 4.3)
  Vec mpls = cat({Build().u8(0xff).u8(0x03).be16(0x0281).be32(100u << 12 | 0x100 | 64).v, inner});
  decode_frame(linktype::ppp, B(mpls), uint32_t(mpls.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.n_mpls == 1);
  CHECK(d.l4 == L4::udp);
  // LINKTYPE_PPP_HDLC with a Cisco HDLC address byte is Cisco HDLC.
  Vec cisco = cat({Build().u8(0x0f).u8(0).be16(0x0800).v, inner});
  decode_frame(linktype::ppp_hdlc, B(cisco), uint32_t(cisco.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.l4 == L4::udp);
}

TEST_CASE("decode: Cisco HDLC") {
  Vec inner = ipv4(6, tcp(80, 40000, 7, 8, tcpflag::ack | tcpflag::psh, {}, "HTTP/1.1 200 OK\r\n"));
  Vec frame = cat({Build().u8(0x0f).u8(0).be16(0x0800).v, inner});
  Decoded d;
  decode_frame(linktype::c_hdlc, B(frame), uint32_t(frame.size()), d, DecodeOptions{true});
  INFO(anomalies(d));
  CHECK(d.n_anomalies == 0);
  CHECK(d.ethertype == 0x0800);
  CHECK(d.l4 == L4::tcp);
  CHECK(d.tcp.sport == 80);
  check_prefixes(linktype::c_hdlc, frame,
                 {{4, Anomaly::truncated_chdlc_header},
                  {24, Anomaly::truncated_ipv4_header},
                  {44, Anomaly::truncated_tcp_header},
                  {61, Anomaly::snaplen_truncated}},
                 {{24, [](const Decoded& p, const Decoded&) { CHECK(p.ip.version == 4); }}});
  // SLARP keepalives, CDP and OSI are not IP and not anomalies; a small number is unknown.
  for (uint16_t proto : {0x8035, 0x2000, 0xfefe}) {
    CAPTURE(proto);
    Vec f = cat({Build().u8(0x8f).u8(0).be16(proto).v, Vec(20, 0)});
    decode_frame(linktype::c_hdlc, B(f), uint32_t(f.size()), d);
    CHECK(d.n_anomalies == 0);
    CHECK(d.ethertype == proto);
  }
  Vec odd = cat({Build().u8(0x0f).u8(0).be16(0x0005).v, inner});
  decode_frame(linktype::c_hdlc, B(odd), uint32_t(odd.size()), d);
  CHECK(d.has(Anomaly::unknown_ethertype));
  CHECK(d.ip.version == 0);
}

namespace {
// NFLOG TLV: length (header + value), type, value, padding to 4; in either byte order.
void nflog_tlv(Build& b, uint16_t type, const Vec& value, bool big) {
  auto put = [&](uint16_t x) { big ? b.be16(x) : b.u8(x & 0xff).u8(x >> 8); };
  put(uint16_t(4 + value.size()));
  put(type);
  b.raw(value);
  while (b.v.size() % 4) b.u8(0);
}
}  // namespace

TEST_CASE("decode: NFLOG") {
  Vec inner = ipv4(6, tcp(40000, 80, 1, 2, tcpflag::ack | tcpflag::psh, {}, "GET /x\r\n"));  // 48 bytes
  REQUIRE(inner.size() % 4 == 0);
  auto make = [&](bool big, uint8_t family, const Vec& ip) {
    Build b;
    b.u8(family).u8(0).be16(5);  // family, version, resource id (group 5)
    nflog_tlv(b, 1, {0x08, 0x00, 3, 0}, big);            // NFULA_PACKET_HDR: hw_protocol, hook
    nflog_tlv(b, 10, {'w', 'e', 'b', ' ', 0}, big);      // NFULA_PREFIX, NUL-terminated
    nflog_tlv(b, 4, {0, 0, 0, 2}, big);                  // NFULA_IFINDEX_INDEV
    nflog_tlv(b, 9, ip, big);                            // NFULA_PAYLOAD
    return b.v;
  };
  Decoded d;
  for (bool big : {false, true}) {
    CAPTURE(big);
    Vec frame = make(big, 2, inner);
    decode_frame(linktype::nflog, B(frame), uint32_t(frame.size()), d, DecodeOptions{true});
    INFO(anomalies(d));
    CHECK(d.n_anomalies == 0);
    CHECK(d.has_nflog);
    CHECK(d.nflog.family == 2);
    CHECK(d.nflog.resource_id == 5);
    CHECK(as_text(d.nflog.prefix) == "web ");
    CHECK(d.ethertype == 0x0800);
    CHECK(d.l4 == L4::tcp);
    CHECK(as_text(d.payload) == "GET /x\r\n");
    // header 4, PACKET_HDR 8, PREFIX 12 (9 + 3 padding), INDEV 8, PAYLOAD header 4, IP 48
    check_prefixes(linktype::nflog, frame,
                   {{4, Anomaly::truncated_nflog_header},
                    {36, Anomaly::truncated_nflog_tlv},
                    {56, Anomaly::truncated_ipv4_header},
                    {76, Anomaly::truncated_tcp_header},
                    {84, Anomaly::snaplen_truncated}},
                   {{4, [](const Decoded& p, const Decoded&) { CHECK(p.nflog.resource_id == 5); }},
                    {24, [](const Decoded& p, const Decoded&) { CHECK(as_text(p.nflog.prefix) == "web "); }}});
  }
  // IPv6 (NFPROTO_IPV6 = 10), and an odd-sized payload whose padding is absent at the end.
  Vec inner6 = ipv6(17, {}, 17, udp(5, 53, "q"));
  Vec f6 = make(false, 10, inner6);
  f6.resize(f6.size() - (4 - inner6.size() % 4) % 4);
  decode_frame(linktype::nflog, B(f6), uint32_t(f6.size()), d, DecodeOptions{true});
  CHECK(d.n_anomalies == 0);
  CHECK(d.ip.version == 6);
  CHECK(d.l4 == L4::udp);
  // Another family (bridge) is not guessed; a TLV shorter than its header is malformed.
  Vec bridge = make(false, 7, inner);
  decode_frame(linktype::nflog, B(bridge), uint32_t(bridge.size()), d);
  CHECK(d.has(Anomaly::unknown_nflog_family));
  CHECK(d.ip.version == 0);
  Vec bad = Build().u8(2).u8(0).be16(0).raw({2, 0, 9, 0}).raw(inner).v;
  decode_frame(linktype::nflog, B(bad), uint32_t(bad.size()), d);
  CHECK(d.has(Anomaly::bad_nflog_tlv));
  CHECK(d.ip.version == 0);
  // Logged without the packet (copy mode "meta"): not IP, nothing cut, no anomaly.
  Vec meta = Build().u8(2).u8(0).be16(1).raw({8, 0, 1, 0, 0x08, 0x00, 1, 0}).v;
  decode_frame(linktype::nflog, B(meta), uint32_t(meta.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.has_nflog);
  CHECK(d.ip.version == 0);
}

TEST_CASE("decode: IP over InfiniBand") {
  Vec inner = ipv6(17, {}, 17, udp(5, 53, "ib"));
  Vec frame = cat({Build().be16(0x86dd).be16(0).v, inner});
  Decoded d;
  decode_frame(linktype::ipoib, B(frame), uint32_t(frame.size()), d, DecodeOptions{true});
  CHECK(d.n_anomalies == 0);
  CHECK(d.ethertype == 0x86dd);
  CHECK(d.l4 == L4::udp);
  check_prefixes(linktype::ipoib, frame,
                 {{4, Anomaly::truncated_ipoib_header},
                  {44, Anomaly::truncated_ipv6_header},
                  {52, Anomaly::truncated_udp_header},
                  {54, Anomaly::snaplen_truncated}},
                 {});
}

namespace {
// 802.11 data frame header: frame control, duration, three addresses, sequence control.
Vec wlan_header(uint8_t subtype, uint8_t flags, const Vec& a1, const Vec& a2, const Vec& a3) {
  Build b;
  b.u8(uint8_t(subtype << 4 | 2 << 2)).u8(flags).be16(0x2c00).raw(a1).raw(a2).raw(a3).be16(0x1230);
  return b.v;
}
const Vec kSnapIpv4 = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
}  // namespace

TEST_CASE("decode: 802.11 data frames behind radiotap, and plain 802.11") {
  const Vec sta(kMacA, kMacA + 6), ap = {0x02, 0xa0, 0, 0, 0, 1}, gw(kMacB, kMacB + 6);
  Vec inner = ipv4(17, udp(5353, 53, "wifi"));
  // Radiotap: version, pad, length 17, present TSFT|Flags, TSFT (aligned to 8), flags.
  auto radiotap = [](uint8_t flags) {
    return Build().u8(0).u8(0).raw({17, 0}).le32(0x3).raw(Vec(8, 0x11)).u8(flags).v;
  };
  // QoS data (subtype 8) from the AP (from DS), Order set: QoS control + HT control.
  Vec mac = cat({wlan_header(8, 0x02 | 0x80, sta, ap, gw), Build().u8(0x00).u8(0).be32(0).v});
  Vec frame = cat({radiotap(0), mac, kSnapIpv4, inner});
  Decoded d;
  decode_frame(linktype::ieee802_11_radiotap, B(frame), uint32_t(frame.size()), d, DecodeOptions{true});
  INFO(anomalies(d));
  CHECK(d.n_anomalies == 0);
  CHECK(d.has_wlan);
  CHECK(d.wlan.type == 2);
  CHECK(d.wlan.subtype == 8);
  CHECK(std::memcmp(d.wlan.dst, sta.data(), 6) == 0);
  CHECK(std::memcmp(d.wlan.bssid, ap.data(), 6) == 0);
  CHECK(std::memcmp(d.wlan.src, gw.data(), 6) == 0);
  CHECK(d.ethertype == 0x0800);
  CHECK(d.l4 == L4::udp);
  CHECK(as_text(d.payload) == "wifi");
  check_prefixes(linktype::ieee802_11_radiotap, frame,
                 {{17, Anomaly::truncated_radiotap_header},
                  {47, Anomaly::truncated_80211_header},
                  {55, Anomaly::truncated_llc_header},
                  {75, Anomaly::truncated_ipv4_header},
                  {83, Anomaly::truncated_udp_header},
                  {87, Anomaly::snaplen_truncated}},
                 {{47, [](const Decoded& p, const Decoded&) { CHECK(p.wlan.has_addrs); }}});

  // With the FCS flag the last 4 bytes are the FCS, not data.
  Vec fcs = cat({radiotap(0x10), mac, kSnapIpv4, inner, Vec{1, 2, 3, 4}});
  decode_frame(linktype::ieee802_11_radiotap, B(fcs), uint32_t(fcs.size()), d, DecodeOptions{true});
  CHECK(d.n_anomalies == 0);
  CHECK(as_text(d.payload) == "wifi");

  // Plain 802.11: to DS (A1 BSSID, A2 SA, A3 DA), non-QoS data, Order bit without HT control.
  Vec to_ds = cat({wlan_header(0, 0x01 | 0x80, ap, sta, gw), kSnapIpv4, inner});
  decode_frame(linktype::ieee802_11, B(to_ds), uint32_t(to_ds.size()), d, DecodeOptions{true});
  CHECK(d.n_anomalies == 0);
  CHECK(std::memcmp(d.wlan.src, sta.data(), 6) == 0);
  CHECK(std::memcmp(d.wlan.dst, gw.data(), 6) == 0);
  CHECK(std::memcmp(d.wlan.bssid, ap.data(), 6) == 0);
  CHECK(d.l4 == L4::udp);
  // Four addresses (WDS): A3 DA, A4 SA, no BSSID.
  Vec wds = cat({wlan_header(0, 0x03, ap, gw, sta), Vec(kMacB, kMacB + 6), kSnapIpv4, inner});
  wds[24 + 5] = 0x99;  // A4 differs from A2
  decode_frame(linktype::ieee802_11, B(wds), uint32_t(wds.size()), d, DecodeOptions{true});
  CHECK(d.n_anomalies == 0);
  CHECK(std::memcmp(d.wlan.dst, sta.data(), 6) == 0);
  CHECK(d.wlan.src[5] == 0x99);
  CHECK_FALSE(d.wlan.has_bssid);
  CHECK(d.l4 == L4::udp);

  // Protected: an anomaly and no decode. A-MSDU: the same. Null data: neither.
  Vec prot = cat({wlan_header(0, 0x41, ap, sta, gw), Vec(8, 0x5a), kSnapIpv4, inner});
  decode_frame(linktype::ieee802_11, B(prot), uint32_t(prot.size()), d);
  CHECK(d.has(Anomaly::protected_80211_frame));
  CHECK(d.n_anomalies == 1);
  CHECK(d.ip.version == 0);
  Vec amsdu = cat({wlan_header(8, 0x01, ap, sta, gw), Build().u8(0x80).u8(0).v, kSnapIpv4, inner});
  decode_frame(linktype::ieee802_11, B(amsdu), uint32_t(amsdu.size()), d);
  CHECK(d.has(Anomaly::unsupported_80211_amsdu));
  CHECK(d.ip.version == 0);
  Vec null_data = wlan_header(4, 0x01, ap, sta, gw);
  decode_frame(linktype::ieee802_11, B(null_data), uint32_t(null_data.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.wlan.subtype == 4);
  // A beacon (management, subtype 8) and an ACK (control): not IP, not anomalies.
  Vec beacon = cat({Build().u8(0x80).u8(0).be16(0).raw(Vec(6, 0xff)).raw(ap).raw(ap).be16(0).v, Vec(12, 0)});
  decode_frame(linktype::ieee802_11, B(beacon), uint32_t(beacon.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.wlan.type == 0);
  CHECK(d.wlan.has_addrs);
  Vec ack = Build().u8(0xd4).u8(0).be16(0).raw(sta).v;
  decode_frame(linktype::ieee802_11, B(ack), uint32_t(ack.size()), d);
  CHECK(d.n_anomalies == 0);
  CHECK(d.wlan.type == 1);
  CHECK_FALSE(d.wlan.has_addrs);
  // Radiotap: a bad version or length, a length past the frame, a present chain past it.
  Vec v1 = frame;
  v1[0] = 1;
  decode_frame(linktype::ieee802_11_radiotap, B(v1), uint32_t(v1.size()), d);
  CHECK(d.has(Anomaly::bad_radiotap_header));
  Vec short_len = frame;
  short_len[2] = 4;
  decode_frame(linktype::ieee802_11_radiotap, B(short_len), uint32_t(short_len.size()), d);
  CHECK(d.has(Anomaly::bad_radiotap_header));
  Vec long_len = frame;
  long_len[3] = 0x40;
  decode_frame(linktype::ieee802_11_radiotap, B(long_len), uint32_t(long_len.size()), d);
  CHECK(d.has(Anomaly::truncated_radiotap_header));
  Vec chain = Build().u8(0).u8(0).raw({12, 0}).le32(0x80000002).le32(0x80000000).v;
  decode_frame(linktype::ieee802_11_radiotap, B(chain), uint32_t(chain.size()), d);
  CHECK(d.has(Anomaly::bad_radiotap_header));
}

TEST_CASE("decode: every truncation of every new link type's frames gives an anomaly, never a crash") {
  // Byte mutations over the new link types (sanitizers catch over-reads).
  Vec inner = ipv4(6, tcp(1, 2, 3, 4, tcpflag::syn, {2, 4, 5, 0xb4}, "data"));
  Build nf;
  nf.u8(2).u8(0).be16(1);
  nflog_tlv(nf, 10, {'x', 0}, false);
  nflog_tlv(nf, 9, inner, false);
  const Vec ap = {2, 0, 0, 0, 0, 1};
  std::vector<std::pair<uint32_t, Vec>> frames = {
      {linktype::nflog, nf.v},
      {linktype::c_hdlc, cat({Build().u8(0x0f).u8(0).be16(0x0800).v, inner})},
      {linktype::ppp, cat({Build().u8(0xff).u8(3).u8(0x21).v, inner})},
      {linktype::ppp_hdlc, cat({Build().u8(0xff).u8(3).be16(0x0021).v, inner})},
      {linktype::ipoib, cat({Build().be16(0x0800).be16(0).v, inner})},
      {linktype::ieee802_11_radiotap,
       cat({Build().u8(0).u8(0).raw({17, 0}).le32(0x3).raw(Vec(8, 0)).u8(0x10).v,
            wlan_header(8, 0x82, ap, ap, ap), Vec(6, 0), kSnapIpv4, inner, Vec(4, 0xfc)})},  // with FCS
  };
  Decoded d;
  for (auto& [lt, base] : frames) {
    CAPTURE(lt);
    decode_frame(lt, B(base), uint32_t(base.size()), d);
    INFO(anomalies(d));
    CHECK(d.n_anomalies == 0);
    CHECK(d.l4 == L4::tcp);
    // Cut in the radiotap frame's FCS, nothing of the packet is missing.
    size_t content = lt == linktype::ieee802_11_radiotap ? base.size() - 4 : base.size();
    for (size_t n = 0; n < base.size(); ++n) {
      Vec cut(base.begin(), base.begin() + ptrdiff_t(n));
      cut.shrink_to_fit();
      decode_frame(lt, Bytes(cut.data(), n), uint32_t(base.size()), d);
      CAPTURE(n);
      CHECK(d.n_anomalies >= (n < content ? 1 : 0));
    }
    for (size_t i = 0; i < base.size(); ++i)
      for (int b = 0; b < 256; b += 5) {
        Vec m = base;
        m[i] = uint8_t(b);
        decode_frame(lt, B(m), uint32_t(m.size()), d, DecodeOptions{true});
        CHECK(d.n_anomalies <= Decoded::kMaxAnomalies);
      }
  }
}

TEST_CASE("decode: malformed IP and transport headers") {
  Decoded d;
  Vec keep;  // the decoded spans point into it
  auto run = [&](const Vec& pkt, uint32_t origlen = 0) {
    keep = pkt;
    decode_frame(linktype::raw, B(keep), origlen ? origlen : uint32_t(keep.size()), d);
  };
  Vec good = ipv4(6, tcp(1, 2, 3, 4, tcpflag::ack, {}, "payload!"));

  Vec v = good;
  v[0] = 0x44;  // IHL 4
  run(v);
  CHECK(d.has(Anomaly::bad_ipv4_ihl));
  CHECK(d.ip.version == 0);

  v = good;
  v[0] = 0x55;
  run(v);
  CHECK(d.has(Anomaly::bad_ip_version));

  v = good;
  put16(v, 2, 10);  // total length below the header length
  run(v);
  CHECK(d.has(Anomaly::bad_ipv4_total_length));
  CHECK(d.l4 == L4::none);

  v = good;
  put16(v, 2, 0);  // TSO: total length 0, use what was captured
  run(v);
  CHECK(d.has(Anomaly::bad_ipv4_total_length));
  CHECK(d.l4 == L4::tcp);
  CHECK(as_text(d.payload) == "payload!");

  // The IP length claims more than the frame holds, and nothing was cut by a snaplen.
  v = good;
  put16(v, 2, uint16_t(good.size() + 10));
  run(v);
  CHECK(d.has(Anomaly::truncated_ip_payload));
  CHECK_FALSE(d.has(Anomaly::snaplen_truncated));
  CHECK(d.payload_len == 18);
  CHECK(d.payload.size() == 8);
  // ... and the same with a snaplen cut: only snaplen_truncated.
  run(good, uint32_t(good.size() + 10));
  CHECK(d.n_anomalies == 0);  // the whole datagram is here: the cut only hit the trailer

  // Data offset 4 and data offset past the segment.
  v = good;
  v[32] = 0x40;
  run(v);
  CHECK(d.has(Anomaly::bad_tcp_data_offset));
  CHECK(d.l4 == L4::tcp);
  CHECK(d.payload_len == 0);
  v = good;
  v[32] = 0xf0;
  run(v);
  CHECK(d.has(Anomaly::bad_tcp_data_offset));

  // Malformed options: the bad one is reported, the rest of the segment decodes.
  Vec opts = {2, 4, 0x05, 0xb4, 3, 2, 9, 1, 8, 0, 0, 0};  // WS with length 2, then length 0
  run(ipv4(6, tcp(1, 2, 3, 4, tcpflag::syn, opts, "x")));
  CHECK(d.has(Anomaly::bad_tcp_option));
  CHECK(d.tcp.mss == 1460);
  CHECK(d.tcp.wscale == -1);
  CHECK(as_text(d.payload) == "x");
  Vec overrun = {1, 1, 8, 10, 0, 0, 0, 0};  // timestamps running past the options
  run(ipv4(6, tcp(1, 2, 3, 4, tcpflag::syn, overrun, "")));
  CHECK(d.has(Anomaly::bad_tcp_option));
  CHECK_FALSE(d.tcp.has_timestamps);
  Vec tfo = {34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0};
  run(ipv4(6, tcp(1, 2, 3, 4, tcpflag::syn, tfo, "")));
  CHECK(d.n_anomalies == 0);
  CHECK(d.tcp.fast_open);

  // UDP length: longer than the IP payload, shorter than 8, shorter than the IP payload.
  run(ipv4(17, udp(1, 2, "abc", 200)));
  CHECK(d.has(Anomaly::bad_udp_length));
  CHECK(d.payload_len == 3);
  run(ipv4(17, udp(1, 2, "abc", 4)));
  CHECK(d.has(Anomaly::bad_udp_length));
  run(ipv4(17, udp(1, 2, "abcdef", 10)));
  CHECK(d.n_anomalies == 0);
  CHECK(as_text(d.payload) == "ab");
  CHECK(d.payload_len == 2);

  // UDP checksum 0: absent over IPv4, invalid over IPv6.
  decode_frame(linktype::raw, B(ipv4(17, udp(1, 2, "abc"), {}, 0x4000, 1, false)), 31, d,
               DecodeOptions{true});
  CHECK(d.n_anomalies == 0);
  Vec v6z = ipv6(17, {}, 17, udp(1, 2, "abc"), false);
  decode_frame(linktype::raw, B(v6z), uint32_t(v6z.size()), d, DecodeOptions{true});
  CHECK(d.has(Anomaly::bad_udp_checksum));

  // Other transports: the IP payload is the payload.
  run(ipv4(47, Vec{0, 0, 0x08, 0, 1, 2, 3}));
  CHECK(d.l4 == L4::other);
  CHECK(d.ip.proto == 47);
  CHECK(d.payload_len == 7);
  CHECK(d.l4_bytes.size() == 7);
  CHECK(eve_proto_name(d.ip.proto) == nullptr);
}

TEST_CASE("decode: IPv6 extension headers, ESP, AH, jumbo and bad lengths") {
  Decoded d;
  Vec keep;  // the decoded spans point into it
  auto run = [&](const Vec& pkt) {
    keep = pkt;
    decode_frame(linktype::ipv6, B(keep), uint32_t(keep.size()), d);
  };

  // routing -> destination options -> AH -> TCP
  Vec rh = {60, 2, 0, 1, 0, 0, 0, 0};
  rh.resize(24, 0);  // length 2: 24 bytes
  Vec dst = {51, 0, 1, 4, 0, 0, 0, 0};
  Vec ah = {6, 4, 0, 0};  // (4 + 2) * 4 = 24 bytes
  ah.resize(24, 0);
  Vec seg = tcp(22, 2222, 1, 1, tcpflag::ack, {}, "ssh");
  Vec pkt = ipv6(43, cat({rh, dst, ah}), 6, seg);
  run(pkt);
  INFO(anomalies(d));
  CHECK(d.n_anomalies == 0);
  REQUIRE(d.ip.n_ext == 3);
  CHECK(d.ip.ext[0] == Ipv6Ext::routing);
  CHECK(d.ip.ext[1] == Ipv6Ext::destination);
  CHECK(d.ip.ext[2] == Ipv6Ext::ah);
  CHECK(d.ip.header_len == 40 + 24 + 8 + 24);
  CHECK(d.ip.proto == 6);
  CHECK(d.l4 == L4::tcp);
  CHECK(as_text(d.payload) == "ssh");
  CHECK_FALSE(d.ip.fragment);
  check_prefixes(linktype::ipv6, pkt,
                 {{40, Anomaly::truncated_ipv6_header},
                  {64, Anomaly::truncated_ipv6_ext_header},
                  {72, Anomaly::truncated_ipv6_ext_header},
                  {96, Anomaly::truncated_ipv6_ext_header},
                  {116, Anomaly::truncated_tcp_header},
                  {119, Anomaly::snaplen_truncated}},
                 {{96, [](const Decoded& p, const Decoded&) { CHECK(p.ip.n_ext == 3); }}});

  // ESP: decoding stops, the rest is opaque.
  Vec esp = {0, 0, 1, 0, 0, 0, 0, 1, 0xde, 0xad};
  run(ipv6(60, Vec{50, 0, 1, 4, 0, 0, 0, 0}, 50, esp));
  CHECK(d.n_anomalies == 0);
  REQUIRE(d.ip.n_ext == 2);
  CHECK(d.ip.ext[1] == Ipv6Ext::esp);
  CHECK(d.ip.proto == 50);
  CHECK(d.l4 == L4::other);
  CHECK(d.l4_bytes.size() == 10);
  CHECK(d.payload_len == 10);

  // Mobility header (no next header after it: 59)
  run(ipv6(135, Vec{59, 0, 0, 0, 0, 0, 0, 0}, 59, {}));
  CHECK(d.n_anomalies == 0);
  CHECK(d.ip.ext[0] == Ipv6Ext::mobility);
  CHECK(d.ip.proto == 59);
  CHECK(d.l4 == L4::other);

  // Jumbogram: payload length 0 with hop-by-hop: the captured length rules.
  Vec jumbo = ipv6(0, Vec{17, 0, 0xc2, 4, 0, 0, 0, 19}, 17, udp(1, 2, "abc"));
  put16(jumbo, 4, 0);
  run(jumbo);
  CHECK(d.n_anomalies == 0);
  CHECK(d.ip.total_len == jumbo.size());
  CHECK(as_text(d.payload) == "abc");
  // Payload length 0 without one is bad, but decoded as captured.
  Vec zero = ipv6(17, {}, 17, udp(1, 2, "abc"));
  put16(zero, 4, 0);
  run(zero);
  CHECK(d.has(Anomaly::bad_ipv6_payload_length));
  CHECK(as_text(d.payload) == "abc");

  // An extension header overrunning the payload length.
  Vec over = ipv6(60, Vec{6, 4, 0, 0, 0, 0, 0, 0}, 6, Vec(24, 0));
  run(over);
  CHECK(d.has(Anomaly::bad_ipv6_ext_header));
  CHECK(d.l4 == L4::none);
  // Hop-by-hop not first.
  run(ipv6(60, Vec{0, 0, 1, 4, 0, 0, 0, 0, 59, 0, 1, 4, 0, 0, 0, 0}, 59, {}));
  CHECK(d.has(Anomaly::bad_ipv6_ext_header));
}

TEST_CASE("decode: IPv6 routing header: the pseudo header uses the final destination") {
  const uint8_t home[16] = {0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99};
  Vec seg = tcp(1, 2, 3, 4, tcpflag::ack, {}, "rh");
  put16(seg, 16, cksum(seg, sum_bytes(kV6a, 16) + sum_bytes(home, 16) + 6 + uint32_t(seg.size())));
  // Type 2 routing header (RFC 6275), one segment left.
  Vec rh = Build().u8(6).u8(2).u8(2).u8(1).be32(0).raw(Vec(home, home + 16)).v;
  Vec pkt = ipv6(43, rh, 6, seg, false);
  Decoded d;
  decode_frame(linktype::ipv6, B(pkt), uint32_t(pkt.size()), d, DecodeOptions{true});
  INFO(anomalies(d));
  CHECK(d.n_anomalies == 0);
  CHECK(d.ip.ext[0] == Ipv6Ext::routing);
  CHECK(d.l4 == L4::tcp);
  CHECK(d.ip.dst.bytes[15] == 0xef);  // the header's destination is reported as is
  // No segments left: the destination field is final, so this checksum is now wrong.
  pkt[40 + 3] = 0;
  decode_frame(linktype::ipv6, B(pkt), uint32_t(pkt.size()), d, DecodeOptions{true});
  CHECK(d.has(Anomaly::bad_tcp_checksum));
  // SRH (RFC 8754): Segment List[0] is the final segment.
  Vec srh = Build().u8(6).u8(4).u8(4).u8(1).be32(0).raw(Vec(home, home + 16))
                .raw(Vec(kV6b, kV6b + 16)).v;
  Vec pkt2 = ipv6(43, srh, 6, seg, false);
  decode_frame(linktype::ipv6, B(pkt2), uint32_t(pkt2.size()), d, DecodeOptions{true});
  CHECK(d.n_anomalies == 0);
}

TEST_CASE("decode: every byte value in every position does not crash") {
  // A cheap deterministic mutation pass over a rich frame (sanitizers catch over-reads).
  Vec topts = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7};
  Vec base = cat({eth(0x8100), Build().be16(5).be16(0x8847).be32(16u << 12 | 0x100 | 9).v,
                  ipv6(0, Vec{44, 0, 1, 4, 0, 0, 0, 0, 6, 0, 0, 1, 0, 0, 0, 9}, 6,
                       tcp(1, 2, 3, 4, tcpflag::syn, topts, "data"))});
  Decoded d;
  for (size_t i = 0; i < base.size(); ++i) {
    for (int b = 0; b < 256; b += 3) {
      Vec m = base;
      m[i] = uint8_t(b);
      for (uint32_t lt : {linktype::ethernet, linktype::raw})
        decode_frame(lt, B(m), uint32_t(m.size()), d, DecodeOptions{true});
      CHECK(d.n_anomalies <= Decoded::kMaxAnomalies);
    }
  }
}

TEST_CASE("names and address text") {
  CHECK(std::string(anomaly_name(Anomaly::unknown_link_type)) == "unknown_link_type");
  CHECK(std::string(anomaly_name(Anomaly::snaplen_truncated)) == "snaplen_truncated");
  CHECK(std::string(anomaly_name(Anomaly::bad_ipv6_payload_length)) == "bad_ipv6_payload_length");
  for (int i = 0; i < int(Anomaly::count_); ++i) {
    std::string n = anomaly_name(Anomaly(i));
    CHECK(!n.empty());
    CHECK(n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos);
  }
  CHECK(std::string(ipv6_ext_name(Ipv6Ext::hop_by_hop)) == "hop_by_hop");
  CHECK(std::string(ipv6_ext_name(Ipv6Ext::fragment)) == "fragment");
  CHECK(std::string(ipv6_ext_name(Ipv6Ext::esp)) == "esp");
  CHECK(std::string(linktype_name(1)) == "ethernet");
  CHECK(std::string(linktype_name(276)) == "linux_sll2");
  CHECK(std::string(linktype_name(113)) == "linux_sll");
  CHECK(std::string(linktype_name(101)) == "raw");
  CHECK(std::string(linktype_name(0)) == "null");
  CHECK(std::string(linktype_name(239)) == "nflog");
  CHECK(std::string(linktype_name(104)) == "c_hdlc");
  CHECK(std::string(linktype_name(127)) == "ieee802_11_radiotap");
  CHECK(linktype_name(147) == nullptr);
  CHECK(std::string(eve_proto_name(6)) == "TCP");
  CHECK(std::string(eve_proto_name(17)) == "UDP");
  CHECK(std::string(eve_proto_name(1)) == "ICMP");
  CHECK(std::string(eve_proto_name(58)) == "IPv6-ICMP");
  CHECK(eve_proto_name(132) == nullptr);

  std::string mac;
  append_mac(mac, kMacA);
  CHECK(mac == "02:00:00:aa:bb:cc");

  // RFC 5952 section 4 and 5 examples: input text -> canonical text.
  const char* cases[][2] = {
      {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},
      {"2001:0db8::0001", "2001:db8::1"},
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // one zero group: not compressed
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // tie: the first run
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},           // the longest run
      {"2001:DB8::AbCd", "2001:db8::abcd"},
      {"0:0:0:0:0:0:0:0", "::"},
      {"::1", "::1"},
      {"1::", "1::"},
      {"fe80::", "fe80::"},
      {"fe80:0:0:0:200:5eff:fe00:5301", "fe80::200:5eff:fe00:5301"},
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
      {"0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1"},
      {"::192.0.2.1", "::c000:201"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      {"1:0:0:0:0:0:0:8", "1::8"},
      {"0:0:1:0:0:0:1:0", "0:0:1::1:0"},
      {"192.0.2.1", "192.0.2.1"},
      {"0.0.0.0", "0.0.0.0"},
      {"255.255.255.255", "255.255.255.255"},
  };
  for (auto& c : cases) {
    CAPTURE(c[0]);
    IpAddress a;
    REQUIRE(parse_ip(c[0], a));
    CHECK(ip_text(a) == c[1]);
    IpAddress b;
    REQUIRE(parse_ip(ip_text(a), b));
    CHECK(a == b);
  }
  for (const char* bad : {"", "1.2.3", "1.2.3.256", "1.2.3.4.5", "1:2:3:4:5:6:7:8:9", ":::",
                          "1::2::3", "abc", "12345::", "g::1", "::1%eth0", " 1.2.3.4"}) {
    CAPTURE(bad);
    IpAddress a;
    a.family = 4;
    CHECK_FALSE(parse_ip(bad, a));
    CHECK(a.family == 4);  // untouched on failure
  }
  IpAddress none;
  CHECK(ip_text(none).empty());

  // IPv4 text is parsed without inet_pton: it must take exactly what inet_pton takes.
  {
    const char* alphabet = "0123456789..25x";
    uint64_t y = 0x9e3779b97f4a7c15ull;
    std::vector<std::string> texts = {"0.0.0.0", "00.0.0.0", "1.2.3.04", "1.2.3.4.", ".1.2.3.4", "1..2.3",
                                      "255.255.255.255", "256.1.1.1", "1.2.3.4 ", "1.2.3.-4", "1.2.3.2555"};
    for (int i = 0; i < 200000; ++i) {
      y ^= y << 13, y ^= y >> 7, y ^= y << 17;
      std::string t;
      if (i & 1) {
        for (size_t k = 0, n = 1 + y % 14; k < n; ++k) t += alphabet[(y >> (4 + 4 * k)) % 15];
      } else {  // four groups of 1-3 digits, mostly near-valid
        for (int g = 0; g < 4; ++g) {
          if (g) t += '.';
          for (uint64_t k = 0, n = 1 + (y >> (8 * g)) % 3; k < n; ++k) t += char('0' + (y >> (8 * g + 2 + 2 * k)) % 10);
        }
      }
      texts.push_back(t);
    }
    for (const std::string& t : texts) {
      CAPTURE(t);
      uint8_t want[4];
      bool ok = inet_pton(AF_INET, t.c_str(), want) == 1;
      IpAddress got;
      CHECK(parse_ip(t, got) == ok);
      if (ok) CHECK(std::memcmp(got.bytes, want, 4) == 0);
    }
  }

  // Round trips over pseudo-random addresses with zero runs.
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 2000; ++i) {
    IpAddress a;
    a.family = (i & 1) ? 6 : 4;
    for (size_t k = 0; k < a.size(); ++k) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      a.bytes[k] = (x & 3) == 0 ? uint8_t(x >> 8) : 0;
    }
    IpAddress b;
    std::string t = ip_text(a);
    REQUIRE(parse_ip(t, b));
    CHECK(a == b);
    CHECK(ip_text(b) == t);
    if (a.family == 6) {
      CHECK(t.find(":::") == std::string::npos);
      CHECK(t.find("::") == t.rfind("::"));
    }
  }

  IpAddress a4, b4, a6;
  REQUIRE(parse_ip("10.0.0.1", a4));
  REQUIRE(parse_ip("10.0.0.2", b4));
  REQUIRE(parse_ip("::a00:1", a6));
  CHECK(a4 < b4);
  CHECK_FALSE(b4 < a4);
  CHECK_FALSE(a4 == b4);
  CHECK(a4 < a6);  // family first
  CHECK_FALSE(a4 == a6);
  IpAddress a4b = a4;
  a4b.bytes[8] = 9;  // bytes past the family's size do not count
  CHECK(a4 == a4b);
}

// Classic pcap only (the capture library is someone else's): header, then records.
namespace {
struct PcapFile {
  uint32_t linktype = 0;
  std::vector<std::pair<Vec, uint32_t>> packets;  // captured bytes, original length
};
bool read_classic_pcap(const std::string& path, PcapFile& out) {
  std::ifstream in(path, std::ios::binary);
  Vec f((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (f.size() < 24) return false;
  uint32_t magic = load_le32(f.data());
  bool le = magic == 0xa1b2c3d4 || magic == 0xa1b23c4d;
  if (!le && load_be32(f.data()) != 0xa1b2c3d4 && load_be32(f.data()) != 0xa1b23c4d) return false;
  auto u32 = [&](size_t at) { return le ? load_le32(&f[at]) : load_be32(&f[at]); };
  out.linktype = u32(20) & 0xffff;
  for (size_t at = 24; at + 16 <= f.size();) {
    uint32_t incl = u32(at + 8), orig = u32(at + 12);
    at += 16;
    if (incl > f.size() - at) return false;
    out.packets.emplace_back(Vec(f.begin() + ptrdiff_t(at), f.begin() + ptrdiff_t(at + incl)), orig);
    at += incl;
  }
  return true;
}
}  // namespace

TEST_CASE("decode: every packet of the classic-pcap fixtures") {
  namespace fs = std::filesystem;
  fs::path dir(NETLINES_FIXTURES);
  REQUIRE(fs::is_directory(dir));
  int files = 0;
  size_t packets = 0, tcp_payload = 0;
  for (auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".pcap") continue;
    std::string name = e.path().filename().string();
    CAPTURE(name);
    PcapFile pf;
    REQUIRE(read_classic_pcap(e.path().string(), pf));
    ++files;
    // Crafted captures were built with correct checksums: verify those too.
    DecodeOptions opt{name.rfind("crafted_", 0) == 0};
    size_t n = 0;
    for (auto& [bytes, orig] : pf.packets) {
      ++n;
      CAPTURE(n);
      Decoded d;
      decode_frame(pf.linktype, B(bytes), orig, d, opt);
      INFO(anomalies(d));
      bool known = d.ip.version != 0 || d.has_arp || (d.ethertype && d.ethertype != 0x0800 &&
                                                      d.ethertype != 0x86dd &&
                                                      !d.has(Anomaly::unknown_ethertype));
      CHECK(known);
      for (int i = 0; i < d.n_anomalies; ++i) CHECK(d.anomalies[i] == Anomaly::snaplen_truncated);
      if (bytes.size() < orig && d.ip.version && d.l3.size() < d.ip.total_len)
        CHECK(d.has(Anomaly::snaplen_truncated));
      if (d.l4 == L4::tcp) tcp_payload += d.payload_len;
      if (d.ip.version) {
        CHECK(d.l3.size() <= d.ip.total_len);
        CHECK(d.ip.header_len <= d.l3.size());
        CHECK(d.payload.size() <= d.payload_len);
      }
    }
    packets += n;
  }
  CHECK(files >= 15);
  CHECK(packets > 300);
  CHECK(tcp_payload > 50000);
}
