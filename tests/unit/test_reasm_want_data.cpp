// TCP engine: a sink that clears SessionView::want_data gets no further pieces, and
// the session's end (reason, totals) is the same as for a sink that takes every byte.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "libcore/reasm/tcp.hpp"

using namespace nl;

namespace {

// Takes pieces until it has seen `keep` of them (0: clears want_data at session_start).
struct StopSink : SessionSink {
  size_t keep = 1;
  size_t pieces = 0;
  std::string data;
  std::vector<SessionEnd> ends;
  void session_start(const SessionView& s) override {
    if (keep == 0) s.want_data = false;
  }
  void monologue(const SessionView& s, const MonologuePiece& p) override {
    ++pieces;
    data.append(reinterpret_cast<const char*>(p.data.data()), p.data.size());
    if (pieces >= keep) s.want_data = false;
  }
  void session_end(const SessionView&, const SessionEnd& e) override { ends.push_back(e); }
};

struct Seg {
  bool c2s = true;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = tcpflag::ack;
  std::string data;
  uint32_t wire_len = 0;
};

void send(TcpReassembler& r, const Seg& s, uint64_t n) {
  IpAddress a, b;
  a.family = b.family = 4;
  a.bytes[0] = 10; a.bytes[3] = 1;
  b.bytes[0] = 10; b.bytes[3] = 2;
  Packet p;
  p.number = n;
  p.ts.sec = 1700000000 + int64_t(n);
  Decoded d;
  d.ip.version = 4;
  d.ip.proto = 6;
  d.ip.src = s.c2s ? a : b;
  d.ip.dst = s.c2s ? b : a;
  d.l4 = L4::tcp;
  d.tcp.sport = s.c2s ? 40000 : 443;
  d.tcp.dport = s.c2s ? 443 : 40000;
  d.tcp.seq = s.seq;
  d.tcp.ack = s.ack;
  d.tcp.flags = s.flags;
  d.payload = as_bytes(s.data);
  d.payload_len = s.wire_len ? s.wire_len : uint32_t(s.data.size());
  r.feed(p, d);
}

constexpr uint8_t SYN = tcpflag::syn, ACK = tcpflag::ack, FIN = tcpflag::fin;

// A session with a hello each way, then bulk data with reordering, duplicates, a hole
// the peer acknowledges, a snap-length cut, and FINs; the data segments are shuffled.
std::vector<Seg> session(std::mt19937& rng) {
  const uint32_t ci = 0xfffff000u, si = 5000;  // the client's stream wraps 2^32
  std::vector<Seg> out;
  out.push_back({true, ci, 0, SYN, ""});
  out.push_back({false, si, ci + 1, SYN | ACK, ""});
  out.push_back({true, ci + 1, si + 1, ACK, ""});
  uint32_t c = ci + 1, s = si + 1;
  out.push_back({true, c, s, ACK, std::string(300, 'h')});
  c += 300;
  out.push_back({false, s, c, ACK, std::string(200, 's')});
  s += 200;
  std::vector<Seg> bulk;
  for (int i = 0; i < 40; ++i) {
    bool c2s = i % 3 != 0;
    uint32_t& seq = c2s ? c : s;
    std::string d(100 + i, char('a' + i % 26));
    if (i == 17) {  // lost: the capture never shows it; the peer ACKs past it later
      seq += uint32_t(d.size());
      continue;
    }
    Seg g{c2s, seq, c2s ? s : c, ACK, d};
    if (i == 23) g.wire_len = uint32_t(d.size()) + 50;  // snap length cut 50 bytes
    bulk.push_back(g);
    if (i % 7 == 0) bulk.push_back(g);  // retransmission
    seq += g.wire_len ? g.wire_len : uint32_t(d.size());
  }
  std::shuffle(bulk.begin(), bulk.end(), rng);
  out.insert(out.end(), bulk.begin(), bulk.end());
  out.push_back({false, s, c, ACK, ""});  // ACKs everything: releases the hole
  out.push_back({true, c, s, FIN | ACK, ""});
  out.push_back({false, s, c + 1, FIN | ACK, ""});
  return out;
}

void same_end(const SessionEnd& a, const SessionEnd& b) {
  CHECK(a.reason == b.reason);
  for (auto [x, y] : {std::pair{a.c2s, b.c2s}, std::pair{a.s2c, b.s2c}}) {
    CHECK(x.packets == y.packets);
    CHECK(x.bytes == y.bytes);
    CHECK(x.missing == y.missing);
    CHECK(x.retransmitted == y.retransmitted);
    CHECK(x.dropped_over_cap == y.dropped_over_cap);
    CHECK(x.truncated == y.truncated);
  }
}

}  // namespace

TEST_CASE("reasm want_data: no pieces after the sink stops, same session_end totals") {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<Seg> segs = session(rng);
    StopSink all;
    all.keep = size_t(-1);
    TcpReassembler ra(all);
    for (size_t i = 0; i < segs.size(); ++i) send(ra, segs[i], i + 1);
    ra.finish();
    REQUIRE(all.ends.size() == 1);
    CHECK(ra.stats().data_stopped_sessions == 0);
    CHECK(ra.stats().bytes_not_delivered == 0);
    for (size_t keep : {size_t(0), size_t(1), size_t(2), size_t(5)}) {
      CAPTURE(round);
      CAPTURE(keep);
      StopSink st;
      st.keep = keep;
      TcpReassembler rb(st);
      for (size_t i = 0; i < segs.size(); ++i) send(rb, segs[i], i + 1);
      rb.finish();
      REQUIRE(st.ends.size() == 1);
      same_end(st.ends[0], all.ends[0]);
      CHECK(st.pieces == std::min(keep, all.pieces));
      // What it got is a prefix of what the full sink got.
      CHECK(all.data.compare(0, st.data.size(), st.data) == 0);
      auto sa = ra.stats(), sb = rb.stats();
      CHECK(sb.data_stopped_sessions == 1);
      CHECK(sb.bytes_delivered + sb.bytes_not_delivered == sa.bytes_delivered);
      CHECK(sb.retransmitted_bytes == sa.retransmitted_bytes);
      CHECK(sb.gap_bytes == sa.gap_bytes);
      CHECK(sb.ooo_held_bytes == 0);
      CHECK(sb.buffered_bytes == 0);
      CHECK(sb.peak_buffered_bytes <= sa.peak_buffered_bytes);
    }
  }
}
