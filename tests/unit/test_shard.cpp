// The shard hash of docs/sharding.md: its test vectors, its symmetry, and K/N parsing.
#include <doctest/doctest.h>

#include <string>

#include "libcore/flow/shard.hpp"

using namespace nl;

namespace {
IpAddress ip(const char* s) {
  IpAddress a;
  REQUIRE(parse_ip(s, a));
  return a;
}
}  // namespace

TEST_CASE("shard hash: the documented test vectors, in both directions") {
  CHECK(shard_hash(ip("10.0.0.1"), ip("10.0.0.2"), 6) == 4410409957830227846ULL);
  CHECK(shard_hash(ip("10.0.0.2"), ip("10.0.0.1"), 6) == 4410409957830227846ULL);
  CHECK(shard_of(ip("10.0.0.1"), ip("10.0.0.2"), 6, 4) == 3);
  CHECK(shard_hash(ip("2001:db8::1"), ip("2001:db8::2"), 17) == 4305290673334338409ULL);
  CHECK(shard_of(ip("2001:db8::2"), ip("2001:db8::1"), 17, 16) == 10);
  CHECK(shard_of(ip("192.168.1.10"), ip("8.8.8.8"), 17, 3) == 3);
  // The protocol takes part.
  CHECK(shard_hash(ip("10.0.0.1"), ip("10.0.0.2"), 17) != shard_hash(ip("10.0.0.1"), ip("10.0.0.2"), 6));
}

TEST_CASE("shard of a decoded packet: non-IP in shard 1, fragments with their flow") {
  Decoded d;
  CHECK(shard_of(d, 5) == 1);
  d.ip.version = 4;
  d.ip.src = ip("10.0.0.1");
  d.ip.dst = ip("10.0.0.2");
  d.ip.proto = 6;
  d.l4 = L4::tcp;
  d.tcp.sport = 40000;
  d.tcp.dport = 80;
  uint32_t whole = shard_of(d, 4);
  CHECK(whole == 3);
  Decoded frag = d;  // a later fragment: no transport header
  frag.l4 = L4::other;
  frag.tcp = {};
  frag.ip.fragment = true;
  frag.ip.frag_offset = 1480;
  CHECK(shard_of(frag, 4) == whole);
  CHECK(in_shard(d, ShardSpec{3, 4}));
  CHECK_FALSE(in_shard(d, ShardSpec{1, 4}));
  CHECK(in_shard(d, ShardSpec{}));  // no split
}

TEST_CASE("shards spread many address pairs evenly") {
  uint32_t count[4] = {};
  for (int i = 0; i < 4000; ++i) {
    IpAddress a = ip("10.0.0.0"), b = ip("198.18.0.1");
    a.bytes[2] = uint8_t(i >> 8);
    a.bytes[3] = uint8_t(i);
    ++count[shard_of(a, b, 6, 4) - 1];
  }
  for (uint32_t c : count) CHECK((c > 900 && c < 1100));
}

TEST_CASE("--shard K/N parsing") {
  ShardSpec s;
  std::string err;
  CHECK(parse_shard("2/4", s, err));
  CHECK(s.k == 2);
  CHECK(s.n == 4);
  CHECK(parse_shard("1/1", s, err));
  CHECK_FALSE(s.active());
  for (const char* bad : {"0/4", "5/4", "x/y", "4", "/4", "1/", "1/0", "-1/4", "1/4/2", " 1/4", "1/4 ", "+1/4"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_shard(bad, s, err));
    CHECK(err.rfind("--shard: ", 0) == 0);
  }
}
