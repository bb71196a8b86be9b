#include "libcore/flow/key.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

#include "libcore/json/writer.hpp"

namespace nl {
namespace {

bool is_icmp(uint8_t proto) { return proto == 1 || proto == 58; }

}  // namespace

// Community ID maps ICMP request types to their reply (and back) so that both
// directions hash alike; one-way types keep the code as the "port".
bool icmp_counterpart(uint8_t proto, uint8_t type, uint8_t& other) {
  static const uint8_t v4[][2] = {{8, 0}, {0, 8}, {13, 14}, {14, 13}, {15, 16}, {16, 15},
                                  {10, 9}, {9, 10}, {17, 18}, {18, 17}};
  static const uint8_t v6[][2] = {{128, 129}, {129, 128}, {133, 134}, {134, 133}, {135, 136},
                                  {136, 135}, {130, 131}, {131, 130}, {144, 145}, {145, 144}};
  if (proto == 1) {
    for (auto& p : v4)
      if (p[0] == type) { other = p[1]; return true; }
  } else if (proto == 58) {
    for (auto& p : v6)
      if (p[0] == type) { other = p[1]; return true; }
  }
  return false;
}

FlowKey flow_key_of(const Decoded& d) {
  FlowKey k;
  k.src = d.ip.src;
  k.dst = d.ip.dst;
  k.proto = d.ip.proto;
  k.vlan = d.outer_vlan();
  switch (d.l4) {
    case L4::tcp: k.sport = d.tcp.sport; k.dport = d.tcp.dport; break;
    case L4::udp: k.sport = d.udp.sport; k.dport = d.udp.dport; break;
    case L4::icmp:
    case L4::icmpv6: k.sport = d.icmp.type; k.dport = d.icmp.code; break;
    default: break;
  }
  return k;
}

FlowKey canonical(const FlowKey& k, bool& flipped) {
  if (is_icmp(k.proto)) {
    // Order by address only: type/code differ between directions.
    flipped = k.dst < k.src;
  } else {
    flipped = k.dst < k.src || (k.dst == k.src && k.dport < k.sport);
  }
  return flipped ? k.reversed() : k;
}

uint64_t hash_key(const FlowKey& k) {
  // FNV-1a over the fields; fast, and adequate for open addressing with a good mix.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  };
  mix(k.src.bytes, k.src.size());
  mix(k.dst.bytes, k.dst.size());
  uint8_t rest[7] = {uint8_t(k.sport >> 8), uint8_t(k.sport), uint8_t(k.dport >> 8),
                     uint8_t(k.dport), k.proto, uint8_t(k.vlan >> 8), uint8_t(k.vlan)};
  mix(rest, sizeof rest);
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return h;
}

namespace {
uint16_t g_community_id_seed = 0;
}  // namespace

void set_community_id_seed(uint16_t seed) { g_community_id_seed = seed; }
uint16_t community_id_seed() { return g_community_id_seed; }

std::string community_id(const FlowKey& k, uint16_t seed, bool ports) {
  IpAddress sa = k.src, da = k.dst;
  uint16_t sp = k.sport, dp = k.dport;
  if (is_icmp(k.proto)) {
    uint8_t type = uint8_t(k.sport), other = 0;
    bool two_way = icmp_counterpart(k.proto, type, other);
    sp = type;
    dp = two_way ? other : k.dport;
    // One-way types (no counterpart) keep the packet's direction (the spec's is_one_way).
    bool lt = sa < da || (sa == da && sp <= dp);
    if (!lt && two_way) { std::swap(sa, da); std::swap(sp, dp); }
  } else {
    bool lt = sa < da || (sa == da && sp <= dp);
    if (!lt) { std::swap(sa, da); std::swap(sp, dp); }
  }
  uint8_t buf[2 + 32 + 4 + 4];
  size_t n = 0;
  buf[n++] = uint8_t(seed >> 8);
  buf[n++] = uint8_t(seed);
  std::memcpy(buf + n, sa.bytes, sa.size()); n += sa.size();
  std::memcpy(buf + n, da.bytes, da.size()); n += da.size();
  buf[n++] = k.proto;
  buf[n++] = 0;
  bool has_ports = ports && (k.proto == 6 || k.proto == 17 || k.proto == 132 || is_icmp(k.proto));
  if (has_ports) {
    buf[n++] = uint8_t(sp >> 8); buf[n++] = uint8_t(sp);
    buf[n++] = uint8_t(dp >> 8); buf[n++] = uint8_t(dp);
  }
  uint8_t digest[SHA_DIGEST_LENGTH];
  // OpenSSL 3 looks the algorithm up on every one-shot SHA1() call, which costs more
  // than hashing 40 bytes: fetch it once and reuse one context per thread.
  static EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static thread_local EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  if (!sha1 || !ctx || !EVP_DigestInit_ex(ctx, sha1, nullptr) || !EVP_DigestUpdate(ctx, buf, n) ||
      !EVP_DigestFinal_ex(ctx, digest, &len))
    SHA1(buf, n, digest);
  std::string out = "1:";
  append_base64(out, Bytes(digest, sizeof digest));
  return out;
}

uint64_t flow_id(const FlowKey& k, const Timestamp& first_seen) {
  bool flipped;
  uint64_t h = hash_key(canonical(k, flipped));
  h ^= uint64_t(first_seen.sec) * 0x9e3779b97f4a7c15ULL ^ uint64_t(first_seen.nsec) * 0xc2b2ae3d27d4eb4fULL;
  h ^= h >> 31;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 29;
  return h & ((uint64_t(1) << 53) - 1);
}

void write_eve_tuple(JsonWriter& w, const FlowKey& k) {
  std::string ip;
  w.key("src_ip");
  append_ip(ip, k.src);
  w.string(ip);
  w.field("src_port", uint64_t(k.sport));
  ip.clear();
  w.key("dest_ip");
  append_ip(ip, k.dst);
  w.string(ip);
  w.field("dest_port", uint64_t(k.dport));
  w.key("proto");
  if (const char* name = eve_proto_name(k.proto)) w.string(name);
  else w.number(uint64_t(k.proto));
}

}  // namespace nl
