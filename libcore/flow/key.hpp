// Flow identity shared by every stage: the 5-tuple (plus outer VLAN), its
// direction-free canonical form, the Community ID v1 hash and the flow_id.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "libcore/decode/packet.hpp"

namespace nl {

struct FlowKey {
  IpAddress src, dst;        // as oriented by the caller (client -> server when known)
  uint16_t sport = 0, dport = 0;  // for ICMP: type and code
  uint8_t proto = 0;
  uint16_t vlan = 0;

  FlowKey reversed() const { return {dst, src, dport, sport, proto, vlan}; }
  friend bool operator==(const FlowKey& a, const FlowKey& b) = default;
};

// Community ID's ICMP/ICMPv6 request/reply pairing: true and the counterpart type
// for two-way types (echo 8 <-> 0, ...), false for one-way types.
bool icmp_counterpart(uint8_t proto, uint8_t type, uint8_t& other);

// The key of a decoded packet, oriented as the packet travels (src -> dst).
// ICMP/ICMPv6 put type and code in the port fields, as Community ID does.
FlowKey flow_key_of(const Decoded& d);

// Both directions of a flow map to the same canonical key; `flipped` says whether
// the packet's direction was reversed to get it.
FlowKey canonical(const FlowKey& k, bool& flipped);

// Stable hash of a key (part of flow_id, so it must not change between versions).
uint64_t hash_key(const FlowKey& k);

// Hash for in-memory tables: a few word loads and multiplies, where hash_key
// takes a multiply per byte. Not stable across versions; never written out.
inline uint64_t table_hash(const FlowKey& k) {
  auto word = [](const uint8_t* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  auto addr = [&word](const IpAddress& a) -> uint64_t {
    if (a.family == 6) return word(a.bytes) * 0x9e3779b97f4a7c15ULL ^ word(a.bytes + 8);
    uint32_t w;
    std::memcpy(&w, a.bytes, 4);
    return w;
  };
  uint64_t h = uint64_t(k.sport) << 48 | uint64_t(k.dport) << 32 | uint64_t(k.proto) << 16 | k.vlan;
  h ^= addr(k.src) * 0xc2b2ae3d27d4eb4fULL;
  h ^= addr(k.dst) * 0x165667b19e3779f9ULL;
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return h;
}

// The Community ID seed of this run (default 0; --community-id-seed, as
// Suricata's and Zeek's deployments set one).
void set_community_id_seed(uint16_t seed);
uint16_t community_id_seed();

// Community ID v1 (https://github.com/corelight/community-id-spec):
// "1:" + base64(sha1(seed, saddr, daddr, proto, 0, sport, dport)).
// `ports` false: the packet carried no transport header (a non-first IP fragment),
// so the port-less form is used even for TCP/UDP, as the spec and tshark do.
std::string community_id(const FlowKey& k, uint16_t seed, bool ports = true);
inline std::string community_id(const FlowKey& k) { return community_id(k, community_id_seed()); }

// flow_id: a number below 2^53 (exact in JSON doubles and jq), from the canonical
// key and the time the flow was first seen, so records of one flow carry the same
// id across stages and a reused 5-tuple gets a new one.
uint64_t flow_id(const FlowKey& k, const Timestamp& first_seen);

// EVE 5-tuple fields: "src_ip","src_port","dest_ip","dest_port","proto".
class JsonWriter;
void write_eve_tuple(JsonWriter& w, const FlowKey& k);

}  // namespace nl
