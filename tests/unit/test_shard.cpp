// The shard hash of docs/sharding.md: its test vectors, its symmetry, and K/N parsing.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "libcore/capture/reader.hpp"
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

namespace {

// The peek must never disagree with the full decode: a packet it calls another
// shard's is one, and the fields the other-shard handlers read are the decoder's.
// Returns how many packets the peek decided.
uint64_t check_peek(const Packet& p, uint64_t& decided) {
  Decoded full, peeked;
  decode_packet(p, full);
  for (uint32_t n : {2u, 3u, 5u}) {
    for (uint32_t k = 1; k <= n; ++k) {
      ShardSpec s{k, n};
      if (!peek_other_shard(p, s, peeked)) continue;
      ++decided;
      CHECK_FALSE(in_shard(full, s));
      CHECK(peeked.ip.version == full.ip.version);
      CHECK(peeked.ip.src == full.ip.src);
      CHECK(peeked.ip.dst == full.ip.dst);
      CHECK(peeked.ip.proto == full.ip.proto);
      CHECK(peeked.ip.fragment == full.ip.fragment);
      CHECK((peeked.l4 == L4::tcp) == (full.l4 == L4::tcp));
      CHECK(peeked.l3.data() == full.l3.data());
      CHECK(peeked.l3.size() == full.l3.size());
      CHECK(peeked.linktype == full.linktype);
    }
  }
  return decided;
}

}  // namespace

TEST_CASE("the shard peek agrees with the full decode on every test capture") {
  namespace fs = std::filesystem;
  uint64_t packets = 0, decided = 0;
  for (const auto& entry : fs::recursive_directory_iterator(NETLINES_TEST_DATA)) {
    std::string path = entry.path().string();
    if (path.find(".pcap") == std::string::npos) continue;
    OpenResult r = open_capture(path);
    if (r.status != OpenStatus::ok) continue;  // the malformed ones that do not open
    Packet p;
    ReadStatus st;
    while ((st = r.source->next(p)) != ReadStatus::end && st != ReadStatus::error) {
      if (st != ReadStatus::ok) continue;
      INFO(path << " packet " << r.source->packets_read());
      ++packets;
      check_peek(p, decided);
    }
  }
  CHECK(packets > 3000);
  CHECK(decided > packets);  // most packets, for most k
}

TEST_CASE("the shard peek leaves the decoder's odd cases to it") {
  // Ethernet + IPv4/TCP, 10.0.0.1 -> 10.0.0.2; variants broken one field at a time.
  std::vector<uint8_t> f(14 + 40, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  f[16] = 0;
  f[17] = 40;  // total length
  f[23] = 6;
  const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
  std::memcpy(&f[26], src, 4);
  std::memcpy(&f[30], dst, 4);
  f[14 + 20 + 12] = 0x50;  // data offset 5
  uint64_t decided = 0;
  auto run = [&](const std::vector<uint8_t>& frame) {
    Packet p;
    p.linktype = linktype::ethernet;
    p.data = Bytes(frame.data(), frame.size());
    p.caplen = p.origlen = uint32_t(frame.size());
    decided = 0;
    check_peek(p, decided);
    return decided;
  };
  CHECK(run(f) > 0);
  auto g = f;
  g[17] = 0;  // TSO: total length 0
  CHECK(run(g) == 0);
  g = f;
  g[20] = 0x20;  // MF: a fragment
  CHECK(run(g) == 0);
  g = f;
  g[21] = 0x01;  // an offset
  CHECK(run(g) == 0);
  g = f;
  g[14] = 0x44;  // IHL 4
  CHECK(run(g) == 0);
  g = f;
  g[17] = 30;  // 10 bytes of TCP on the wire: decided, not TCP
  CHECK(run(g) > 0);
  g = f;
  g.resize(14 + 30);  // TCP header cut by the capture
  CHECK(run(g) > 0);
  g = f;
  g[12] = 0x81;  // one VLAN tag in front
  g[13] = 0x00;
  g.insert(g.begin() + 14, {0x00, 0x05, 0x08, 0x00});
  CHECK(run(g) > 0);

  // The same IPv4 packet behind the other link headers the peek reads.
  const std::vector<uint8_t> ip(f.begin() + 14, f.end());
  auto run_as = [&](uint32_t lt, std::vector<uint8_t> head) {
    head.insert(head.end(), ip.begin(), ip.end());
    Packet p;
    p.linktype = lt;
    p.data = Bytes(head.data(), head.size());
    p.caplen = p.origlen = uint32_t(head.size());
    decided = 0;
    check_peek(p, decided);
    return decided;
  };
  std::vector<uint8_t> sll(16, 0), sll2(20, 0);
  sll[14] = 0x08;   // protocol
  sll2[0] = 0x08;
  CHECK(run_as(linktype::linux_sll, sll) > 0);
  CHECK(run_as(linktype::linux_sll2, sll2) > 0);
  CHECK(run_as(linktype::raw, {}) > 0);
  CHECK(run_as(linktype::ipv4, {}) > 0);
  sll[2] = 0x03;  // ARPHRD_NETLINK (824): not a network layer
  sll[3] = 0x38;
  CHECK(run_as(linktype::linux_sll, sll) == 0);
  sll[2] = sll[3] = 0;
  sll[14] = 0x00;  // an 802.3 length, not an ethertype
  sll[15] = 0x04;
  CHECK(run_as(linktype::linux_sll, sll) == 0);
}
