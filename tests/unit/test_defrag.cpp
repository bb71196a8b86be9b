// IP defragmentation: orderings, overlap policy (first wins), timeout, caps, IPv6.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "libcore/reasm/datagrams.hpp"
#include "libcore/reasm/defrag.hpp"

using namespace nl;

namespace {

using Buf = std::vector<uint8_t>;

IpAddress ip4(uint8_t last) {
  IpAddress a;
  a.family = 4;
  a.bytes[0] = 192; a.bytes[1] = 0; a.bytes[2] = 2; a.bytes[3] = last;
  return a;
}
IpAddress ip6(uint8_t last) {
  IpAddress a;
  a.family = 6;
  a.bytes[0] = 0x20; a.bytes[1] = 0x01; a.bytes[2] = 0x0d; a.bytes[3] = 0xb8;
  a.bytes[15] = last;
  return a;
}

void put16(Buf& b, size_t at, uint16_t v) { b[at] = uint8_t(v >> 8); b[at + 1] = uint8_t(v); }

uint16_t csum(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i] << 8 | p[i + 1]);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(~s);
}

// An IPv4 packet (or fragment) from .1 to .2 carrying `data` at byte offset `off`.
Buf v4(uint16_t id, uint32_t off, bool mf, const Buf& data, bool df = false) {
  Buf b(20);
  b[0] = 0x45;
  put16(b, 2, uint16_t(20 + data.size()));
  put16(b, 4, id);
  put16(b, 6, uint16_t((df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (off / 8)));
  b[8] = 64;
  b[9] = 17;
  for (int i = 0; i < 4; ++i) { b[12 + i] = ip4(1).bytes[i]; b[16 + i] = ip4(2).bytes[i]; }
  put16(b, 10, csum(b.data(), 20));
  b.reserve(b.size() + data.size());  // (GCC 12 warns of a bound it made up without it)
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// An IPv6 fragment (optionally behind a hop-by-hop header).
Buf v6frag(uint32_t id, uint32_t off, bool m, const Buf& data, bool hbh = false) {
  Buf b(40);
  b[0] = 0x60;
  b[6] = hbh ? 0 : 44;
  b[7] = 64;
  for (int i = 0; i < 16; ++i) { b[8 + i] = ip6(1).bytes[i]; b[24 + i] = ip6(2).bytes[i]; }
  if (hbh) b.insert(b.end(), {44, 0, 1, 4, 0, 0, 0, 0});
  b.insert(b.end(), {17, 0, uint8_t((off >> 8) & 0xff), uint8_t((off & 0xf8) | (m ? 1 : 0)),
                     uint8_t(id >> 24), uint8_t(id >> 16), uint8_t(id >> 8), uint8_t(id)});
  b.insert(b.end(), data.begin(), data.end());
  put16(b, 4, uint16_t(b.size() - 40));
  return b;
}

// A UDP datagram (header + n payload bytes), as the transport payload.
Buf udp(size_t n) {
  Buf b(8 + n);
  put16(b, 0, 1234);
  put16(b, 2, 53);
  put16(b, 4, uint16_t(8 + n));
  for (size_t i = 0; i < n; ++i) b[8 + i] = uint8_t('a' + i % 26);
  return b;
}

Buf slice(const Buf& b, size_t from, size_t n) { return Buf(b.begin() + from, b.begin() + from + n); }

struct Frag {
  Buf bytes;
  int64_t ms = 0;
};

bool feed(Defragmenter& df, const Frag& f, Reassembled& out, uint16_t vlan = 0) {
  Packet p;
  p.ts.sec = 1000 + f.ms / 1000;
  p.ts.nsec = uint32_t(f.ms % 1000) * 1000000;
  Decoded d;
  d.ip.version = uint8_t(f.bytes[0] >> 4);
  d.ip.src = d.ip.version == 4 ? ip4(1) : ip6(1);
  d.ip.dst = d.ip.version == 4 ? ip4(2) : ip6(2);
  if (d.ip.version == 4) {
    uint16_t fo = uint16_t(f.bytes[6] << 8 | f.bytes[7]);
    d.ip.fragment = (fo & 0x3fff) != 0;
  } else {
    d.ip.fragment = true;
  }
  d.ip.proto = 17;
  d.l3 = Bytes(f.bytes.data(), f.bytes.size());
  if (vlan) {
    d.n_vlan = 1;
    d.vlan[0].tci = vlan;
  }
  return df.feed(p, d, out);
}

}  // namespace

TEST_CASE("defrag: IPv4 fragments in every order rebuild the datagram") {
  const Buf payload = udp(56);  // 64 bytes: fragments of 24, 24, 16
  const Buf whole = v4(77, 0, false, payload);
  std::vector<Frag> frags = {{v4(77, 0, true, slice(payload, 0, 24))},
                             {v4(77, 24, true, slice(payload, 24, 24))},
                             {v4(77, 48, false, slice(payload, 48, 16))}};
  std::vector<int> order = {0, 1, 2};
  int n = 0;
  do {
    Defragmenter df;
    Reassembled out;
    CHECK_FALSE(feed(df, frags[order[0]], out));
    CHECK_FALSE(feed(df, frags[order[1]], out));
    Frag last = frags[order[2]];
    last.ms = 5;
    REQUIRE(feed(df, last, out));
    CHECK(out.datagram == whole);
    CHECK(out.fragments == 3);
    CHECK(out.ts.nsec == 5000000);
    CHECK(df.stats().completed == 1);
    CHECK(df.stats().in_progress == 0);
    CHECK(df.stats().held_bytes == 0);
    // The rebuilt datagram decodes as one UDP packet.
    Decoded d;
    decode_ip(out.bytes(), d);
    CHECK(d.ip.version == 4);
    CHECK_FALSE(d.ip.fragment);
    CHECK(d.l4 == L4::udp);
    CHECK(d.udp.length == 64);
    CHECK(d.payload.size() == 56);
    ++n;
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(n == 6);
}

TEST_CASE("defrag: overlapping fragments: the first copy wins") {
  Buf a(32, 'a'), b(24, 'b');
  Defragmenter df;
  Reassembled out;
  CHECK_FALSE(feed(df, {v4(9, 0, true, a)}, out));     // [0,32)
  REQUIRE(feed(df, {v4(9, 16, false, b)}, out));       // [16,40): [16,32) overlaps
  REQUIRE(out.datagram.size() == 60);
  for (size_t i = 0; i < 40; ++i) CHECK(out.datagram[20 + i] == (i < 32 ? 'a' : 'b'));
  CHECK(df.stats().overlaps == 1);
  CHECK(df.stats().overlap_bytes == 16);
  // Same bytes again, the other way round: the earlier fragment still wins.
  Defragmenter df2;
  CHECK_FALSE(feed(df2, {v4(9, 16, false, b)}, out));
  REQUIRE(feed(df2, {v4(9, 0, true, a)}, out));
  for (size_t i = 0; i < 40; ++i) CHECK(out.datagram[20 + i] == (i < 16 ? 'a' : 'b'));
  CHECK(df2.stats().overlap_bytes == 16);
}

TEST_CASE("defrag: DF kept, checksum recomputed, duplicates harmless") {
  const Buf payload = udp(24);
  Defragmenter df;
  Reassembled out;
  Frag f0{v4(5, 0, true, slice(payload, 0, 16), true)};
  CHECK_FALSE(feed(df, f0, out));
  CHECK_FALSE(feed(df, f0, out));  // duplicate
  REQUIRE(feed(df, {v4(5, 16, false, slice(payload, 16, 16), true)}, out));
  CHECK(out.datagram == v4(5, 0, false, payload, true));
  CHECK(csum(out.datagram.data(), 20) == 0);
}

TEST_CASE("defrag: timeout in capture time") {
  const Buf payload = udp(24);
  Defragmenter df;
  Reassembled out;
  CHECK_FALSE(feed(df, {v4(1, 0, true, slice(payload, 0, 16)), 0}, out));
  CHECK_FALSE(feed(df, {v4(1, 16, false, slice(payload, 16, 16)), 31000}, out));
  CHECK(df.stats().timed_out == 1);
  CHECK(df.stats().completed == 0);
  // Another datagram ages out when later traffic moves capture time on.
  CHECK_FALSE(feed(df, {v4(2, 0, true, slice(payload, 0, 16)), 32000}, out));
  CHECK_FALSE(feed(df, {v4(3, 0, true, slice(payload, 0, 16)), 70000}, out));
  CHECK(df.stats().timed_out == 3);  // 1's tail, then 2
  CHECK(df.stats().in_progress == 1);
}

TEST_CASE("defrag: caps on datagrams in progress and bytes held") {
  const Buf payload = udp(24);
  DefragOptions o;
  o.max_datagrams = 2;
  Defragmenter df(o);
  Reassembled out;
  for (uint16_t id = 1; id <= 3; ++id)
    CHECK_FALSE(feed(df, {v4(id, 0, true, slice(payload, 0, 16)), id}, out));
  CHECK(df.stats().evicted == 1);
  CHECK(df.stats().in_progress == 2);
  // id 1 was the oldest: its tail no longer completes it; id 3 completes.
  CHECK_FALSE(feed(df, {v4(1, 16, false, slice(payload, 16, 16)), 10}, out));
  REQUIRE(feed(df, {v4(3, 16, false, slice(payload, 16, 16)), 11}, out));

  DefragOptions o2;
  o2.max_bytes = 100;
  Defragmenter df2(o2);
  Buf big(64, 'x');
  CHECK_FALSE(feed(df2, {v4(1, 0, true, big), 0}, out));
  CHECK_FALSE(feed(df2, {v4(2, 0, true, big), 1}, out));  // 128 > 100: the oldest goes
  CHECK(df2.stats().evicted == 1);
  CHECK(df2.stats().held_bytes <= 100);
  CHECK(df2.stats().peak_held_bytes == 128);
}

TEST_CASE("defrag: oversize datagrams are dropped") {
  Defragmenter df;
  Reassembled out;
  Buf d(64, 'z');
  CHECK_FALSE(feed(df, {v4(4, 65496, false, d)}, out));  // ends at 65560 > 65515
  CHECK(df.stats().oversize == 1);
  CHECK(df.stats().in_progress == 0);
}

TEST_CASE("defrag: IPv6 fragment header, with and without a hop-by-hop header") {
  for (bool hbh : {false, true}) {
    const Buf payload = udp(1992);  // 2000 bytes: 1232 + 768
    Defragmenter df;
    Reassembled out;
    CHECK_FALSE(feed(df, {v6frag(0xabcdef01, 1232, false, slice(payload, 1232, 768), hbh)}, out));
    REQUIRE(feed(df, {v6frag(0xabcdef01, 0, true, slice(payload, 0, 1232), hbh)}, out));
    const size_t hl = hbh ? 48 : 40;
    REQUIRE(out.datagram.size() == hl + 2000);
    CHECK((out.datagram[4] << 8 | out.datagram[5]) == int(hl - 40 + 2000));
    CHECK(out.datagram[6] == (hbh ? 0 : 17));
    if (hbh) CHECK(out.datagram[40] == 17);
    CHECK(Buf(out.datagram.begin() + hl, out.datagram.end()) == payload);
    Decoded d;
    decode_ip(out.bytes(), d);
    CHECK(d.ip.version == 6);
    CHECK_FALSE(d.ip.fragment);
    CHECK(d.l4 == L4::udp);
    CHECK(d.payload.size() == 1992);
  }
}

TEST_CASE("defrag: IPv6 atomic fragment completes at once; VLAN separates keys") {
  const Buf payload = udp(10);
  Defragmenter df;
  Reassembled out;
  REQUIRE(feed(df, {v6frag(1, 0, false, payload)}, out));
  CHECK(out.datagram.size() == 40 + payload.size());
  CHECK(out.datagram[6] == 17);

  // Same id on two VLANs: two datagrams.
  const Buf p2 = udp(24);
  CHECK_FALSE(feed(df, {v4(8, 0, true, slice(p2, 0, 16))}, out, 10));
  CHECK_FALSE(feed(df, {v4(8, 16, false, slice(p2, 16, 16))}, out, 20));
  CHECK(df.stats().in_progress == 2);
  REQUIRE(feed(df, {v4(8, 16, false, slice(p2, 16, 16))}, out, 10));
  CHECK(out.vlan == 10);
}

TEST_CASE("defrag: malformed and truncated fragments are counted") {
  Defragmenter df;
  Reassembled out;
  Buf f = v4(3, 0, true, Buf(16, 'q'));
  f.resize(30);  // cut by a snap length
  CHECK_FALSE(feed(df, {f}, out));
  CHECK(df.stats().malformed == 1);
  for (size_t n = 0; n < 48; ++n) {
    Buf g = v6frag(2, 8, true, Buf(8, 'r'));
    g.resize(n);
    if (g.empty()) g.push_back(0x60);
    Defragmenter d2;
    CHECK_FALSE(feed(d2, {g}, out));
  }
}

// A fragment flood: first fragments of distinct datagrams that never complete. Once the
// table is full each one drops the oldest datagram (cap) or, spaced out in time, the
// timed-out ones; finding them must not cost a walk over the table. Stats::examined counts
// the entries looked at, so the test measures work, not time.
TEST_CASE("defrag: a flood of first fragments costs the same per fragment as the table fills") {
  struct Run {
    double per_drop = 0;  // entries examined per datagram evicted or timed out
    uint64_t evicted = 0, timed_out = 0;
  };
  // IPv6 fragments: 32-bit ids, so 200,000 datagrams are distinct.
  auto flood = [](uint32_t n, int64_t step_ms) {
    DefragOptions o;  // 4096 datagrams, 30 s
    Defragmenter df(o);
    Reassembled out;
    const Buf data(8, 'f');
    for (uint32_t i = 0; i < n; ++i) {
      bool done = feed(df, {v6frag(i + 1, 0, true, data), int64_t(i) * step_ms}, out);
      REQUIRE_FALSE(done);
    }
    const auto& st = df.stats();
    CHECK(st.in_progress <= o.max_datagrams);
    CHECK(st.in_progress + st.evicted + st.timed_out == n);
    return Run{double(st.examined) / double(st.evicted + st.timed_out), st.evicted, st.timed_out};
  };
  for (int64_t step_ms : {1, 10}) {  // 1 ms: the cap drops them; 10 ms: the timeout does
    CAPTURE(step_ms);
    Run small = flood(20'000, step_ms), large = flood(200'000, step_ms);
    CHECK(large.evicted + large.timed_out > 190'000);
    if (step_ms == 1) CHECK(large.timed_out == 0);
    else CHECK(large.evicted == 0);
    CHECK(small.per_drop <= 1.1);  // the walk over the table: 4096 (cap), ~30 (timeout)
    CHECK(large.per_drop <= 1.1);
    CHECK(large.per_drop <= small.per_drop * 1.05);
  }
}

TEST_CASE("defrag: the oldest by first-fragment time is evicted; equal times in arrival order") {
  DefragOptions o;
  o.max_datagrams = 2;
  Defragmenter df(o);
  Reassembled out;
  const Buf p = udp(8);  // 16 bytes: fragments [0, 8) and [8, 16)
  const Buf head = slice(p, 0, 8), tail = slice(p, 8, 8);
  CHECK_FALSE(feed(df, {v4(1, 0, true, head), 5000}, out));
  CHECK_FALSE(feed(df, {v4(2, 0, true, head), 4000}, out));  // capture time stepped back
  CHECK_FALSE(feed(df, {v4(3, 0, true, head), 6000}, out));  // drops 2: older, arrived later
  CHECK(df.stats().evicted == 1);
  CHECK(feed(df, {v4(1, 8, false, tail), 6000}, out));
  CHECK_FALSE(feed(df, {v4(2, 8, false, tail), 6000}, out));  // 2 starts again, at 6 s like 3
  CHECK_FALSE(feed(df, {v4(4, 0, true, head), 6000}, out));   // drops 3, the first to arrive
  CHECK(df.stats().evicted == 2);
  CHECK(feed(df, {v4(2, 0, true, head), 6000}, out));
  CHECK(out.bytes().size() == 20 + p.size());
  CHECK_FALSE(feed(df, {v4(3, 8, false, tail), 6000}, out));  // 3 was dropped: starts again
  CHECK(df.stats().evicted == 2);
  CHECK(df.stats().in_progress == 2);
}

TEST_CASE("datagram path: whole datagrams with their fragments' frame bytes; others pass as they are") {
  const Buf payload = udp(56);  // fragments of 24, 24, 16 bytes
  const std::vector<Buf> frags = {v4(7, 0, true, slice(payload, 0, 24)), v4(7, 24, true, slice(payload, 24, 24)),
                                  v4(7, 48, false, slice(payload, 48, 16))};
  const Buf plain = v4(8, 0, false, udp(4));
  constexpr uint32_t kFraming = 18;  // say Ethernet with a VLAN tag, as origlen counts it
  auto run = [&](bool reassemble) {
    DatagramPath path({.reassemble = reassemble});
    std::vector<std::pair<uint32_t, uint32_t>> got;  // (origlen, udp payload length) per datagram out
    for (const Buf* b : {&frags[0], &plain, &frags[1], &frags[2]}) {
      Packet p;
      p.ts.sec = 1000;
      p.data = Bytes(b->data(), b->size());
      p.caplen = uint32_t(b->size());
      p.origlen = uint32_t(b->size()) + kFraming;
      Decoded d;
      decode_frame(101, p.data, uint32_t(b->size()), d);  // raw IP
      path.feed(p, d, [&](const Packet& w, const Decoded& wd) {
        got.emplace_back(w.origlen, wd.l4 == L4::udp ? wd.payload_len : UINT32_MAX);
      });
    }
    return got;
  };
  auto whole = run(true);
  REQUIRE(whole.size() == 2);
  CHECK(whole[0] == std::pair<uint32_t, uint32_t>(20 + 4 + 8 + kFraming, 4));  // the plain packet first
  CHECK(whole[1] == std::pair<uint32_t, uint32_t>(3 * (20 + kFraming) + 64, 56));
  auto apart = run(false);
  CHECK(apart.size() == 4);
}

// Every fragment fed ends up in one completed datagram or one DroppedDatagram: whatever
// the reason a datagram never completes (eviction, timeout, oversize, malformed, end of
// input), its fragments' frames are reported, so a caller can account every frame byte.
TEST_CASE("defrag: dropped datagrams are reported; frame bytes add up") {
  const Buf payload = udp(24);
  DefragOptions o;
  o.max_datagrams = 2;
  Defragmenter df(o);
  std::vector<DroppedDatagram> dropped;
  df.on_drop([&](const DroppedDatagram& g) { dropped.push_back(g); });
  Reassembled out;
  uint64_t fed_bytes = 0, fed_frags = 0, whole_bytes = 0, whole_frags = 0;
  auto give = [&](Buf b, int64_t ms, uint32_t framing = 14) {
    Packet p;
    p.ts.sec = 1000 + ms / 1000;
    p.ts.nsec = uint32_t(ms % 1000) * 1000000;
    p.origlen = uint32_t(b.size()) + framing;
    Decoded d;
    d.ip.version = uint8_t(b[0] >> 4);
    d.ip.src = d.ip.version == 4 ? ip4(1) : ip6(1);
    d.ip.dst = d.ip.version == 4 ? ip4(2) : ip6(2);
    d.ip.fragment = true;
    d.ip.proto = 17;
    d.ip.total_len = d.ip.version == 4 ? uint32_t(b[2] << 8 | b[3]) : 40 + uint32_t(b[4] << 8 | b[5]);
    d.l3 = Bytes(b.data(), b.size());
    fed_bytes += p.origlen;
    ++fed_frags;
    if (df.feed(p, d, out)) {
      whole_bytes += out.frame_bytes;
      whole_frags += out.fragments;
    }
  };
  give(v4(1, 0, true, slice(payload, 0, 16)), 0);
  give(v4(2, 0, true, slice(payload, 0, 16)), 1);
  give(v4(2, 8, true, slice(payload, 8, 8)), 2);             // overlap, still counted
  give(v4(3, 0, true, slice(payload, 0, 16)), 3);             // evicts 1
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].why == DroppedDatagram::Why::evicted);
  CHECK(dropped[0].fragments == 1);
  CHECK(dropped[0].frame_bytes == 20 + 16 + 14);
  CHECK(dropped[0].ip_bytes == 36);
  CHECK(dropped[0].payload_bytes == 16);
  CHECK(dropped[0].proto == 17);
  CHECK(dropped[0].src == ip4(1));
  CHECK(dropped[0].dst == ip4(2));
  give(v4(3, 16, false, slice(payload, 16, 16)), 4);          // 3 completes
  CHECK(whole_frags == 2);
  give(v4(2, 65496, false, Buf(64, 'z')), 5);                 // 2 would pass 65535: dropped with it
  REQUIRE(dropped.size() == 2);
  CHECK(dropped[1].why == DroppedDatagram::Why::oversize);
  CHECK(dropped[1].fragments == 3);
  CHECK(dropped[1].first.total_nsec() == Timestamp{1000, 1000000, 9}.total_nsec());
  CHECK(dropped[1].last.total_nsec() == Timestamp{1000, 5000000, 9}.total_nsec());
  give(v4(9, 65496, false, Buf(64, 'z')), 6);                 // oversize on its own
  Buf cut = v4(5, 0, true, Buf(16, 'q'));
  cut.resize(30);
  give(cut, 7);                                               // malformed (cut by the snap length)
  REQUIRE(dropped.size() == 4);
  CHECK(dropped[2].why == DroppedDatagram::Why::oversize);
  CHECK(dropped[3].why == DroppedDatagram::Why::malformed);
  CHECK(dropped[3].fragments == 1);
  give(v4(6, 0, true, slice(payload, 0, 16)), 8);
  give(v4(6, 0, true, slice(payload, 0, 16)), 40000);         // 6 timed out: starts again
  give(v6frag(7, 0, true, slice(payload, 0, 16)), 40001);
  CHECK(dropped.size() == 5);
  CHECK(dropped[4].why == DroppedDatagram::Why::timed_out);
  df.finish();                                                // 6 (again) and the IPv6 one
  REQUIRE(dropped.size() == 7);
  CHECK(dropped[5].why == DroppedDatagram::Why::end_of_input);
  CHECK(dropped[6].version == 6);
  CHECK(dropped[6].payload_bytes == 16);
  CHECK(df.stats().unfinished == 2);
  CHECK(df.stats().in_progress == 0);
  CHECK(df.stats().held_bytes == 0);
  uint64_t lost_bytes = 0, lost_frags = 0;
  for (const auto& g : dropped) {
    lost_bytes += g.frame_bytes;
    lost_frags += g.fragments;
  }
  CHECK(whole_bytes + lost_bytes == fed_bytes);
  CHECK(whole_frags + lost_frags == fed_frags);
}
