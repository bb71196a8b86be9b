// Flow-consistent shards (--shard K/N): every process of a split reads the whole
// input and keeps the packets whose shard is its own. The shard of a packet is a
// function of its inner IP addresses (in either order) and protocol, so both
// directions of a flow, and every fragment of a datagram (which carries no ports
// after the first), fall in the same shard. docs/sharding.md is the definition;
// tests/unit/test_shard.cpp holds its test vectors.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "libcore/decode/packet.hpp"

namespace nl {

struct ShardSpec {
  uint32_t k = 1;  // 1-based: this process's shard
  uint32_t n = 1;  // shards in all; 1: no split
  bool active() const { return n > 1; }
};

// "K/N" with 1 <= K <= N (decimal). False and `error` says why otherwise.
bool parse_shard(std::string_view text, ShardSpec& out, std::string& error);

// The documented hash: FNV-1a 64 over lower address, higher address (network byte
// order, compared bytewise) and protocol, then a murmur3 finaliser.
uint64_t shard_hash(const IpAddress& a, const IpAddress& b, uint8_t proto);

// 1..n: the shard of hash h.
inline uint32_t shard_of_hash(uint64_t h, uint32_t n) { return uint32_t(h % n) + 1; }

// The shard of a decoded packet: frames without an IP layer go to shard 1.
inline uint32_t shard_of(const Decoded& d, uint32_t n) {
  if (n <= 1 || (d.ip.version != 4 && d.ip.version != 6)) return 1;
  return shard_of_hash(shard_hash(d.ip.src, d.ip.dst, d.ip.proto), n);
}
// The shard of a flow (a TCP session read back from tcpflow-reasm's records).
inline uint32_t shard_of(const IpAddress& a, const IpAddress& b, uint8_t proto, uint32_t n) {
  if (n <= 1 || (a.family != 4 && a.family != 6)) return 1;
  return shard_of_hash(shard_hash(a, b, proto), n);
}

inline bool in_shard(const Decoded& d, const ShardSpec& s) { return !s.active() || shard_of(d, s.n) == s.k; }

// A quick look, before the full decode, at the bulk of traffic: an Ethernet, Linux
// cooked (v1, v2) or raw IP frame (with at most one VLAN tag) holding a whole-headed,
// unfragmented IPv4 packet or an IPv6 packet without extension headers. True when it belongs to another shard than
// `s`; `d` then holds only what the other-shard handlers read (ip.version, addresses,
// proto, fragment, l4 as tcp or other, l3, linktype): no other field is meaningful.
// False for every other frame, which then gets the full decode, so a packet's shard is
// always the one in_shard() gives after decode_packet(). Most packets of a split
// belong to another shard: this spares each shard the decoding of the others'.
bool peek_other_shard(const Packet& p, const ShardSpec& s, Decoded& d);

}  // namespace nl
