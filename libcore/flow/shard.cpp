#include "libcore/flow/shard.hpp"

#include <charconv>
#include <cstring>

#include "libcore/bytes.hpp"

namespace nl {

bool parse_shard(std::string_view text, ShardSpec& out, std::string& error) {
  size_t slash = text.find('/');
  auto number = [](std::string_view s, uint32_t& v) {
    if (s.empty() || s.size() > 9) return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  };
  uint32_t k = 0, n = 0;
  if (slash == std::string_view::npos || !number(text.substr(0, slash), k) || !number(text.substr(slash + 1), n)) {
    error = "--shard: expected K/N (this shard of N, counted from 1), got '" + std::string(text) + "'";
    return false;
  }
  if (n < 1 || k < 1 || k > n) {
    error = "--shard: K must be between 1 and N, got '" + std::string(text) + "'";
    return false;
  }
  out.k = k;
  out.n = n;
  return true;
}

namespace {

// FNV-1a 64 over the lower address, the higher one and the protocol, for addresses of
// N bytes. N is a constant so that the byte loops unroll and the order is found by
// word compares: with memcmp and a loop over a run-time length, this was 12% of a
// shard's time.
template <size_t N>
uint64_t fnv_pair(const uint8_t* a, const uint8_t* b, uint8_t proto) {
  bool a_first = true;
  if constexpr (N == 4) {
    a_first = load_be32(a) <= load_be32(b);
  } else if constexpr (N == 16) {
    const uint64_t a0 = load_be64(a), b0 = load_be64(b);
    a_first = a0 != b0 ? a0 < b0 : load_be64(a + 8) <= load_be64(b + 8);
  }
  const uint8_t* lo = a_first ? a : b;
  const uint8_t* hi = a_first ? b : a;
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (size_t i = 0; i < N; ++i) h = (h ^ lo[i]) * 0x100000001b3ULL;
  for (size_t i = 0; i < N; ++i) h = (h ^ hi[i]) * 0x100000001b3ULL;
  return (h ^ proto) * 0x100000001b3ULL;
}

}  // namespace

uint64_t shard_hash(const IpAddress& a, const IpAddress& b, uint8_t proto) {
  uint64_t h = a.family == 6   ? fnv_pair<16>(a.bytes, b.bytes, proto)
               : a.family == 4 ? fnv_pair<4>(a.bytes, b.bytes, proto)
                               : fnv_pair<0>(a.bytes, b.bytes, proto);
  // FNV's low bits are weak and h % n reads them: murmur3's fmix64 spreads every bit.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

namespace {

// Where the network layer starts in the common link types, and its ethertype (0 for
// raw IP, told by the version nibble); false for anything the peek leaves to the
// decoder (other link types, netlink, 802.3 lengths).
bool network_start(const Packet& p, size_t& off, uint16_t& type) {
  const uint8_t* f = p.data.data();
  const size_t n = p.data.size();
  constexpr uint16_t kArphrdNetlink = 824;
  switch (p.linktype) {
    case linktype::ethernet:
      if (n < 14) return false;
      off = 14, type = load_be16(f + 12);
      break;
    case linktype::linux_sll:
      if (n < 16 || load_be16(f + 2) == kArphrdNetlink) return false;
      off = 16, type = load_be16(f + 14);
      break;
    case linktype::linux_sll2:
      if (n < 20 || load_be16(f + 8) == kArphrdNetlink) return false;
      off = 20, type = load_be16(f);
      break;
    case linktype::raw:
    case linktype::raw_dlt12:
    case linktype::raw_dlt14:
      if (n < 1) return false;
      off = 0, type = (f[0] >> 4) == 4 ? 0x0800 : (f[0] >> 4) == 6 ? 0x86dd : 0;
      break;
    case linktype::ipv4: off = 0, type = 0x0800; break;
    case linktype::ipv6: off = 0, type = 0x86dd; break;
    default: return false;
  }
  if (type == 0x8100 && n >= off + 4) {  // one 802.1Q tag
    type = load_be16(f + off + 2);
    off += 4;
  }
  return true;
}

}  // namespace

bool peek_other_shard(const Packet& p, const ShardSpec& s, Decoded& d) {
  size_t off;
  uint16_t type;
  if (!s.active() || !network_start(p, off, type)) return false;
  Bytes b = p.data.subspan(off);
  IpAddress src, dst;
  uint8_t proto;
  uint32_t header_len, total;
  if (type == 0x0800) {
    if (b.size() < 20 || (b[0] >> 4) != 4) return false;
    header_len = (b[0] & 0x0f) * 4u;
    total = load_be16(&b[2]);
    const bool fragment = (load_be16(&b[6]) & 0x3fff) != 0;  // MF or an offset
    // The decoder's special cases (TSO's zero length, a length inside the header,
    // options cut off) and fragments take the full path.
    if (header_len < 20 || b.size() < header_len || total < header_len || fragment) return false;
    proto = b[9];
    src.family = dst.family = 4;
    std::memcpy(src.bytes, &b[12], 4);
    std::memcpy(dst.bytes, &b[16], 4);
  } else if (type == 0x86dd) {
    if (b.size() < 40 || (b[0] >> 4) != 6) return false;
    proto = b[6];
    // Extension headers (fragments among them) take the full path.
    if (proto != 6 && proto != 17 && proto != 58) return false;
    header_len = 40;
    total = 40u + load_be16(&b[4]);
    if (total == 40 && b.size() > 40) return false;  // jumbogram or GSO: the decoder's case
    src.family = dst.family = 6;
    std::memcpy(src.bytes, &b[8], 16);
    std::memcpy(dst.bytes, &b[24], 16);
  } else {
    return false;
  }
  if (shard_of_hash(shard_hash(src, dst, proto), s.n) == s.k) return false;
  d.linktype = p.linktype;
  d.ip = IpInfo{};
  d.ip.version = uint8_t(src.family);
  d.ip.src = src;
  d.ip.dst = dst;
  d.ip.proto = proto;
  d.ip.header_len = uint16_t(header_len);
  d.ip.total_len = total;
  d.l3 = b.size() > total ? b.first(total) : b;
  // As decode_tcp: TCP once 20 header bytes are both on the wire and captured.
  const size_t captured = d.l3.size() - header_len;
  d.l4 = proto == 6 && total - header_len >= 20 && captured >= 20 ? L4::tcp : L4::other;
  d.n_anomalies = 0;
  return true;
}

}  // namespace nl
