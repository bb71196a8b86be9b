// TCP reassembly engine: ordering, wrap, overlaps, gaps, endings, pieces, bounds;
// and the bounds of the datagram analysers' states (reasm/datagram_states.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "libcore/reasm/datagram_states.hpp"
#include "libcore/reasm/tcp.hpp"

using namespace nl;

namespace {

struct Piece {
  uint64_t session = 0;
  MonologuePiece p;
  std::string data;
};

struct Recorder : SessionSink {
  std::vector<SessionView> starts;
  std::vector<Piece> pieces;
  std::vector<std::pair<SessionView, SessionEnd>> ends;
  void session_start(const SessionView& s) override { starts.push_back(s); }
  void monologue(const SessionView& s, const MonologuePiece& p) override {
    Piece x{s.session_no, p, std::string(as_text(p.data))};
    x.p.data = {};
    pieces.push_back(x);
  }
  void session_end(const SessionView& s, const SessionEnd& e) override { ends.push_back({s, e}); }

  std::string stream(uint64_t session, Dir d) const {
    std::string out;
    for (auto& x : pieces)
      if (x.session == session && x.p.dir == d) out += x.data;
    return out;
  }
  std::vector<Piece> of(uint64_t session, Dir d) const {
    std::vector<Piece> out;
    for (auto& x : pieces)
      if (x.session == session && x.p.dir == d) out.push_back(x);
    return out;
  }
  const SessionEnd* end_of(uint64_t session) const {
    for (auto& e : ends)
      if (e.first.session_no == session) return &e.second;
    return nullptr;
  }
};

struct Counter : SessionSink {
  uint64_t starts = 0, ends = 0, bytes = 0;
  void session_start(const SessionView&) override { ++starts; }
  void monologue(const SessionView&, const MonologuePiece& p) override { bytes += p.data.size(); }
  void session_end(const SessionView&, const SessionEnd&) override { ++ends; }
};

IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.family = 4;
  ip.bytes[0] = a; ip.bytes[1] = b; ip.bytes[2] = c; ip.bytes[3] = d;
  return ip;
}

// One hand-built TCP segment.
struct Seg {
  bool c2s = true;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = tcpflag::ack;
  std::string data;
  int64_t ms = 0;
  uint32_t wire_len = 0;  // 0: data.size() (else the capture kept only data)
};

struct Conn {
  IpAddress client = v4(10, 0, 0, 1), server = v4(10, 0, 0, 2);
  uint16_t cport = 40000, sport = 80;
  uint64_t number = 0;

  void send(TcpReassembler& r, const Seg& s) {
    Packet p;
    p.number = ++number;
    p.ts.sec = 1700000000 + s.ms / 1000;
    p.ts.nsec = uint32_t(s.ms % 1000) * 1000000;
    Decoded d;
    d.ip.version = 4;
    d.ip.proto = 6;
    d.ip.src = s.c2s ? client : server;
    d.ip.dst = s.c2s ? server : client;
    d.l4 = L4::tcp;
    d.tcp.sport = s.c2s ? cport : sport;
    d.tcp.dport = s.c2s ? sport : cport;
    d.tcp.seq = s.seq;
    d.tcp.ack = s.ack;
    d.tcp.flags = s.flags;
    d.payload = as_bytes(s.data);
    d.payload_len = s.wire_len ? s.wire_len : uint32_t(s.data.size());
    r.feed(p, d);
  }
};

constexpr uint8_t SYN = tcpflag::syn, ACK = tcpflag::ack, FIN = tcpflag::fin, RST = tcpflag::rst,
                  PSH = tcpflag::psh;

// Handshake with client ISN ci and server ISN si.
void handshake(Conn& c, TcpReassembler& r, uint32_t ci, uint32_t si, int64_t ms = 0) {
  c.send(r, {true, ci, 0, SYN, "", ms});
  c.send(r, {false, si, ci + 1, SYN | ACK, "", ms + 1});
  c.send(r, {true, ci + 1, si + 1, ACK, "", ms + 2});
}

}  // namespace

TEST_CASE("reasm: every ordering of 5 segments gives the same stream, both directions") {
  const std::vector<std::string> parts = {"GET /index", ".html HTTP/1.1\r\n", "Host: a\r\n",
                                          "X: yyyyyyyyyyyyyyyyyyyyy\r\n", "\r\n"};
  std::string whole;
  for (auto& p : parts) whole += p;
  for (int dirn = 0; dirn < 2; ++dirn) {
    const bool c2s = dirn == 0;
    const uint32_t ci = 1000, si = 0x7ffffff0;
    const uint32_t isn = c2s ? ci : si, peer_isn = c2s ? si : ci;
    std::vector<int> order = {0, 1, 2, 3, 4};
    int perms = 0;
    do {
      Recorder rec;
      TcpReassembler r(rec);
      Conn c;
      handshake(c, r, ci, si);
      std::vector<uint32_t> seqs;
      uint32_t s = isn + 1;
      for (auto& p : parts) { seqs.push_back(s); s += uint32_t(p.size()); }
      for (int i : order)
        c.send(r, {c2s, seqs[i], peer_isn + 1, ACK | PSH, parts[i], 10 + i});
      c.send(r, {c2s, s, peer_isn + 1, FIN | ACK, "", 20});
      c.send(r, {!c2s, peer_isn + 1, s + 1, FIN | ACK, "", 21});
      c.send(r, {c2s, s + 1, peer_isn + 2, ACK, "", 22});  // the final ACK
      REQUIRE(rec.ends.size() == 1);
      const Dir d = c2s ? Dir::c2s : Dir::s2c;
      CHECK(rec.stream(1, d) == whole);
      auto ps = rec.of(1, d);
      REQUIRE(ps.size() == 1);
      CHECK(ps[0].p.last);
      CHECK(ps[0].p.offset == 0);
      CHECK(ps[0].p.gap_before == 0);
      CHECK(ps[0].p.packets == 5);
      const SessionEnd& e = rec.ends[0].second;
      CHECK(e.reason == EndReason::fin);
      const DirectionTotals& t = c2s ? e.c2s : e.s2c;
      CHECK(t.bytes == whole.size());
      CHECK(t.missing == 0);
      CHECK(t.retransmitted == 0);
      CHECK(e.closed_by == d);
      CHECK(rec.starts[0].client_rule == ClientRule::syn);
      CHECK(rec.starts[0].handshake_seen);
      CHECK(rec.starts[0].key.sport == 40000);
      CHECK(rec.starts[0].key.dport == 80);
      ++perms;
    } while (std::next_permutation(order.begin(), order.end()));
    CHECK(perms == 120);
  }
}

TEST_CASE("reasm: duplicate and overlapping segments under both policies") {
  for (OverlapPolicy pol : {OverlapPolicy::first, OverlapPolicy::last}) {
    Recorder rec;
    TcpOptions o;
    o.overlap = pol;
    TcpReassembler r(rec, o);
    Conn c;
    handshake(c, r, 100, 500);
    const uint32_t b = 101;
    c.send(r, {true, b, 501, ACK, std::string(10, 'A'), 3});
    c.send(r, {true, b, 501, ACK, std::string(10, 'A'), 4});        // plain retransmission
    c.send(r, {true, b + 20, 501, ACK, std::string(10, 'C'), 5});   // hole [10,20)
    c.send(r, {true, b + 15, 501, ACK, std::string(10, 'X'), 6});   // [15,25): overlaps C
    c.send(r, {true, b + 10, 501, ACK, std::string(10, 'B'), 7});   // [10,20): overlaps X
    c.send(r, {false, 501, b + 30, ACK | PSH, "ok", 8});
    r.finish();
    std::string want = pol == OverlapPolicy::first
                           ? std::string(10, 'A') + std::string(5, 'B') + std::string(5, 'X') +
                                 std::string(10, 'C')
                           : std::string(10, 'A') + std::string(10, 'B') + std::string(5, 'X') +
                                 std::string(5, 'C');
    CHECK(rec.stream(1, Dir::c2s) == want);
    CHECK(rec.stream(1, Dir::s2c) == "ok");
    const SessionEnd* e = rec.end_of(1);
    REQUIRE(e);
    CHECK(e->c2s.bytes == 30);
    CHECK(e->c2s.missing == 0);
    CHECK(e->c2s.retransmitted == 20);  // 10 (dup) + 5 (X over C) + 5 (B over X)
    CHECK(r.stats().overlap_bytes == 10);
    CHECK(e->reason == EndReason::eof);
  }
}

TEST_CASE("reasm: sequence numbers wrapping past 2^32, out of order") {
  Recorder rec;
  TcpReassembler r(rec);
  Conn c;
  const uint32_t ci = 0xFFFFFFE0u, si = 0xFFFFFFFFu;
  handshake(c, r, ci, si);
  std::string a(40, 'a'), b(40, 'b');
  for (int i = 0; i < 40; ++i) { a[i] = char('A' + i % 26); b[i] = char('a' + i % 26); }
  // c2s: 4 segments of 10 crossing the wrap, sent 3,1,0,2.
  for (int i : {3, 1, 0, 2})
    c.send(r, {true, ci + 1 + uint32_t(i * 10), si + 1, ACK, a.substr(i * 10, 10), 3 + i});
  for (int i : {2, 0, 1, 3})
    c.send(r, {false, si + 1 + uint32_t(i * 10), ci + 41, ACK, b.substr(i * 10, 10), 10 + i});
  c.send(r, {true, ci + 41, si + 41, FIN | ACK, "", 20});
  c.send(r, {false, si + 41, ci + 42, FIN | ACK, "", 21});
  c.send(r, {true, ci + 42, si + 42, ACK, "", 22});
  REQUIRE(rec.ends.size() == 1);
  CHECK(rec.stream(1, Dir::c2s) == a);
  CHECK(rec.stream(1, Dir::s2c) == b);
  CHECK(rec.ends[0].second.reason == EndReason::fin);
  CHECK(rec.ends[0].second.c2s.missing == 0);
  CHECK(rec.ends[0].second.s2c.missing == 0);
}

TEST_CASE("reasm: no handshake: port rule, stream starts at the first data segment") {
  Recorder rec;
  TcpReassembler r(rec);
  Conn c;
  // First packet is the server's response (from port 80): the client is still port 40000.
  c.send(r, {false, 9000, 5010, ACK | PSH, "HTTP/1.1 200 OK\r\n", 1});
  c.send(r, {true, 5010, 9017, ACK | PSH, "GET / HTTP/1.1\r\n", 2});
  r.finish();
  REQUIRE(rec.starts.size() == 1);
  CHECK(rec.starts[0].client_rule == ClientRule::port);
  CHECK_FALSE(rec.starts[0].handshake_seen);
  CHECK(rec.starts[0].key.sport == 40000);
  CHECK(rec.starts[0].key.dport == 80);
  CHECK(rec.starts[0].key.src == c.client);
  CHECK(rec.stream(1, Dir::s2c) == "HTTP/1.1 200 OK\r\n");
  CHECK(rec.stream(1, Dir::c2s) == "GET / HTTP/1.1\r\n");
  REQUIRE(rec.pieces.size() == 2);
  CHECK(rec.pieces[0].p.monologue_no == 1);
  CHECK(rec.pieces[0].p.dir == Dir::s2c);
  CHECK(rec.pieces[1].p.monologue_no == 2);
  CHECK(rec.ends[0].second.reason == EndReason::eof);
  CHECK(rec.starts[0].flow_id == flow_id(rec.starts[0].key, rec.starts[0].start));
  CHECK(rec.starts[0].community_id == community_id(rec.starts[0].key));

  // Equal ports: the first packet's destination is the server.
  Recorder rec2;
  TcpReassembler r2(rec2);
  Conn c2;
  c2.cport = c2.sport = 5000;
  c2.send(r2, {false, 1, 1, ACK | PSH, "x", 1});
  r2.finish();
  REQUIRE(rec2.starts.size() == 1);
  CHECK(rec2.starts[0].key.src == c2.server);  // the sender is the client
}

TEST_CASE("reasm: a hole is released when the peer acknowledges past it") {
  Recorder rec;
  TcpReassembler r(rec);
  Conn c;
  handshake(c, r, 100, 500);
  c.send(r, {true, 101, 501, ACK, "0123456789", 3});
  c.send(r, {true, 121, 501, ACK, "klmnopqrst", 4});   // [10,20) never captured
  CHECK(rec.pieces.empty());
  c.send(r, {false, 501, 131, ACK, "", 5});             // server ACKs 30
  CHECK(r.stats().ack_releases == 1);
  c.send(r, {false, 501, 131, ACK | PSH, "resp", 6});   // closes the client's monologue
  auto ps = rec.of(1, Dir::c2s);
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].data == "0123456789");
  CHECK(ps[0].p.offset == 0);
  CHECK_FALSE(ps[0].p.last);
  CHECK(ps[1].data == "klmnopqrst");
  CHECK(ps[1].p.offset == 20);
  CHECK(ps[1].p.gap_before == 10);
  CHECK(ps[1].p.piece_no == 1);
  CHECK(ps[1].p.last);
  // The late copy of the lost bytes is a retransmission now.
  c.send(r, {true, 111, 505, ACK, "ABCDEFGHIJ", 7});
  r.finish();
  const SessionEnd* e = rec.end_of(1);
  REQUIRE(e);
  CHECK(e->c2s.missing == 10);
  CHECK(e->c2s.bytes == 20);
  CHECK(e->c2s.retransmitted == 10);
  CHECK(r.stats().gap_bytes == 10);
}

TEST_CASE("reasm: gap at the end of a stream, before the FIN") {
  Recorder rec;
  TcpReassembler r(rec);
  Conn c;
  handshake(c, r, 100, 500);
  c.send(r, {true, 101, 501, ACK, "0123456789", 3});
  // [10,20) lost, FIN at 20.
  c.send(r, {true, 121, 501, FIN | ACK, "", 4});
  c.send(r, {false, 501, 122, FIN | ACK, "", 5});   // ACKs the FIN: the tail is lost
  c.send(r, {true, 122, 502, ACK, "", 6});
  REQUIRE(rec.ends.size() == 1);
  const SessionEnd& e = rec.ends[0].second;
  CHECK(e.reason == EndReason::fin);
  CHECK(e.c2s.missing == 10);
  CHECK(e.c2s.bytes == 10);
  CHECK(e.closed_by == Dir::c2s);
  auto ps = rec.of(1, Dir::c2s);
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].data == "0123456789");
  CHECK_FALSE(ps[0].p.last);
  CHECK(ps[1].data.empty());
  CHECK(ps[1].p.gap_before == 10);
  CHECK(ps[1].p.offset == 20);
  CHECK(ps[1].p.last);
}

TEST_CASE("reasm: held data past a hole is flushed at end of input") {
  Recorder rec;
  TcpReassembler r(rec);
  Conn c;
  handshake(c, r, 100, 500);
  c.send(r, {true, 101, 501, ACK, "abc", 3});
  c.send(r, {true, 107, 501, ACK, "ghi", 4});   // [3,6) missing, never acked
  r.finish();
  CHECK(rec.stream(1, Dir::c2s) == "abcghi");
  auto ps = rec.of(1, Dir::c2s);
  REQUIRE(ps.size() == 2);
  CHECK(ps[1].p.gap_before == 3);
  CHECK(ps[1].p.last);
  CHECK(rec.ends[0].second.reason == EndReason::eof);
  CHECK(rec.ends[0].second.c2s.missing == 3);
}

TEST_CASE("reasm: RST mid-stream ends the session") {
  Recorder rec;
  TcpReassembler r(rec);
  Conn c;
  handshake(c, r, 100, 500);
  c.send(r, {true, 101, 501, ACK | PSH, "GET / HTTP/1.1\r\n\r\n", 3});
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 9999\r\n\r\npartial";
  c.send(r, {false, 501, 119, ACK, resp, 4});
  c.send(r, {false, 501 + uint32_t(resp.size()), 119, RST | ACK, "", 5});
  REQUIRE(rec.ends.size() == 1);
  CHECK(rec.ends[0].second.reason == EndReason::rst);
  CHECK(rec.ends[0].second.closed_by == Dir::s2c);
  CHECK(rec.stream(1, Dir::s2c) == resp);
  CHECK(rec.pieces.back().p.last);
  // Packets after the RST start nothing (a bare RST makes no session).
  c.send(r, {true, 119, 549, RST, "", 6});
  CHECK(rec.starts.size() == 1);
  CHECK(r.live_sessions() == 0);
}

TEST_CASE("reasm: FIN both ways ends the session at the final ACK, which it counts") {
  Recorder rec;
  TcpReassembler r(rec);
  Conn c;
  handshake(c, r, 100, 500);
  c.send(r, {true, 101, 501, ACK | PSH, "ping", 3});
  c.send(r, {false, 501, 105, ACK | PSH, "pong", 4});
  c.send(r, {false, 505, 105, FIN | ACK, "", 5});
  CHECK(rec.ends.empty());
  c.send(r, {true, 105, 506, FIN | ACK, "", 6});
  CHECK(rec.ends.empty());  // waits for the ACK of the client's FIN
  CHECK(rec.stream(1, Dir::s2c) == "pong");  // the streams are complete: delivered already
  c.send(r, {false, 506, 106, ACK, "", 7});
  REQUIRE(rec.ends.size() == 1);
  CHECK(rec.ends[0].second.reason == EndReason::fin);
  CHECK(rec.ends[0].second.closed_by == Dir::s2c);
  CHECK(rec.ends[0].second.c2s.packets == 4);
  CHECK(rec.ends[0].second.s2c.packets == 4);
  CHECK(rec.ends[0].second.end.nsec == 7000000u);
  // A retransmitted FIN after that opens no new session.
  c.send(r, {true, 105, 506, FIN | ACK, "", 8});
  CHECK(rec.starts.size() == 1);
  CHECK(r.live_sessions() == 0);
  CHECK(r.stats().orphan_packets == 1);
  // Data after a FIN is ignored and counted.
  Recorder rec2;
  TcpReassembler r2(rec2);
  Conn c2;
  handshake(c2, r2, 100, 500);
  c2.send(r2, {true, 101, 501, FIN | ACK | PSH, "bye", 3});
  c2.send(r2, {true, 104, 501, ACK, "more", 4});
  r2.finish();
  CHECK(rec2.stream(1, Dir::c2s) == "bye");
  CHECK(r2.stats().data_after_fin_bytes == 4);
}

TEST_CASE("reasm: without the final ACK a closed session ends after the close grace") {
  Recorder rec;
  TcpOptions o;
  o.close_grace_nsec = 5'000'000'000LL;
  TcpReassembler r(rec, o);
  Conn c;
  handshake(c, r, 100, 500);
  c.send(r, {true, 101, 501, ACK | PSH, "ping", 3});
  c.send(r, {false, 501, 105, ACK | PSH | FIN, "pong", 4});
  c.send(r, {true, 105, 506, FIN | ACK, "", 5});
  CHECK(rec.ends.empty());
  CHECK(r.live_sessions() == 1);
  c.send(r, {true, 105, 506, FIN | ACK, "", 4000});  // a retransmitted FIN: still closing
  CHECK(rec.ends.empty());
  Conn other;
  other.cport = 40001;
  handshake(other, r, 7000, 9000);  // ms 0..2: time does not run backwards for the table
  other.send(r, {true, 7001, 9001, ACK | PSH, "x", 8900});
  CHECK(rec.ends.empty());  // 4.9 s after the closed one's last packet
  other.send(r, {true, 7002, 9001, ACK | PSH, "y", 10000});  // 6 s: past the grace
  REQUIRE(rec.ends.size() == 1);
  CHECK(rec.ends[0].second.reason == EndReason::fin);
  CHECK(rec.ends[0].second.c2s.packets == 5);
  CHECK(rec.ends[0].second.s2c.packets == 2);
  CHECK(r.stats().timed_out == 0);
  // At the end of input a closing session ends with reason fin.
  Recorder rec2;
  TcpReassembler r2(rec2);
  Conn c2;
  handshake(c2, r2, 100, 500);
  c2.send(r2, {true, 101, 501, ACK | PSH | FIN, "bye", 3});
  c2.send(r2, {false, 501, 105, ACK | FIN, "", 4});
  r2.finish();
  REQUIRE(rec2.ends.size() == 1);
  CHECK(rec2.ends[0].second.reason == EndReason::fin);
  // A SYN on the 5-tuple of a closing session ends it and starts a new one.
  Recorder rec3;
  TcpReassembler r3(rec3);
  Conn c3;
  handshake(c3, r3, 100, 500);
  c3.send(r3, {true, 101, 501, ACK | PSH | FIN, "bye", 3});
  c3.send(r3, {false, 501, 105, ACK | FIN, "", 4});
  handshake(c3, r3, 3000, 8000);
  REQUIRE(rec3.ends.size() == 1);
  CHECK(rec3.ends[0].second.reason == EndReason::fin);
  CHECK(rec3.starts.size() == 2);
}

TEST_CASE("reasm: port reuse starts a new session") {
  Recorder rec;
  TcpReassembler r(rec);
  Conn c;
  handshake(c, r, 100, 500);
  c.send(r, {true, 101, 501, ACK | PSH | FIN, "one", 3});  // half closed; the server's FIN not captured
  c.send(r, {true, 100, 0, SYN, "", 4});                     // SYN retransmit of the old ISN: ignored
  CHECK(rec.starts.size() == 1);
  handshake(c, r, 90000, 7000, 60000);                        // new ISN: new connection
  c.send(r, {true, 90001, 7001, ACK | PSH, "two", 60005});
  r.finish();
  REQUIRE(rec.starts.size() == 2);
  REQUIRE(rec.ends.size() == 2);
  CHECK(rec.ends[0].first.session_no == 1);
  CHECK(rec.ends[0].second.reason == EndReason::fin);
  CHECK(rec.stream(1, Dir::c2s) == "one");
  CHECK(rec.stream(2, Dir::c2s) == "two");
  CHECK(rec.starts[1].flow_id != rec.starts[0].flow_id);
  CHECK(r.stats().port_reuse == 1);
}

TEST_CASE("reasm: SYN-ACK with a new ISN, data on SYN (TFO) and on the handshake ACK") {
  Recorder rec;
  TcpReassembler r(rec);
  Conn c;
  c.send(r, {true, 100, 0, SYN, "tfo-", 0});
  c.send(r, {false, 500, 105, SYN | ACK, "", 1});
  c.send(r, {false, 800, 105, SYN | ACK, "", 2});   // the latest ISN wins
  c.send(r, {true, 105, 801, ACK, "data", 3});
  c.send(r, {false, 801, 109, ACK, "resp", 4});
  r.finish();
  CHECK(rec.stream(1, Dir::c2s) == "tfo-data");
  CHECK(rec.stream(1, Dir::s2c) == "resp");
  CHECK(rec.ends[0].second.s2c.missing == 0);
}

TEST_CASE("reasm: max_chunk cuts pieces with offsets and one last flag") {
  Recorder rec;
  TcpOptions o;
  o.max_chunk = 8;
  TcpReassembler r(rec, o);
  Conn c;
  handshake(c, r, 100, 500);
  c.send(r, {true, 101, 501, ACK, "abcdefghijklmnopqrst", 3});
  c.send(r, {true, 121, 501, ACK, "uvwxy", 4});
  c.send(r, {false, 501, 126, ACK, "0123456789", 5});
  r.finish();
  auto ps = rec.of(1, Dir::c2s);
  REQUIRE(ps.size() == 4);
  const char* want[] = {"abcdefgh", "ijklmnop", "qrstuvwx", "y"};
  for (size_t i = 0; i < 4; ++i) {
    CHECK(ps[i].data == want[i]);
    CHECK(ps[i].p.offset == i * 8);
    CHECK(ps[i].p.piece_no == i);
    CHECK(ps[i].p.monologue_no == 1);
    CHECK(ps[i].p.last == (i == 3));
  }
  CHECK(ps[2].p.packets == 2);
  auto ss = rec.of(1, Dir::s2c);
  REQUIRE(ss.size() == 2);
  CHECK(ss[0].p.monologue_no == 2);
  CHECK(ss[1].p.last);
  CHECK(r.stats().peak_buffered_bytes <= 8);
}

TEST_CASE("reasm: max_session_size truncates each direction") {
  Recorder rec;
  TcpOptions o;
  o.max_session_size = 10;
  TcpReassembler r(rec, o);
  Conn c;
  handshake(c, r, 100, 500);
  c.send(r, {true, 101, 501, ACK, "0123456789abcdef", 3});
  c.send(r, {true, 117, 501, ACK, "ghij", 4});
  c.send(r, {true, 109, 501, ACK, "89abcdef", 5});   // retransmission past the cap: counted once
  r.finish();
  CHECK(rec.stream(1, Dir::c2s) == "0123456789");
  const SessionEnd* e = rec.end_of(1);
  REQUIRE(e);
  CHECK(e->c2s.bytes == 10);
  CHECK(e->c2s.truncated == 10);
  CHECK(r.stats().truncated_by_max_session_size == 10);
}

TEST_CASE("reasm: a truncated session still ends on FIN both ways") {
  Recorder rec;
  TcpOptions o;
  o.max_session_size = 4;
  TcpReassembler r(rec, o);
  Conn c;
  handshake(c, r, 100, 500);
  c.send(r, {true, 101, 501, ACK | PSH, "request", 3});
  c.send(r, {false, 501, 108, ACK | PSH | FIN, "response", 4});
  c.send(r, {true, 108, 510, ACK | FIN, "", 5});
  c.send(r, {false, 510, 109, ACK, "", 6});
  REQUIRE(rec.ends.size() == 1);
  CHECK(rec.ends[0].second.reason == EndReason::fin);
  CHECK(rec.ends[0].second.c2s.truncated == 3);
  CHECK(rec.ends[0].second.s2c.truncated == 4);
  CHECK(rec.ends[0].second.c2s.missing == 0);
  CHECK(rec.ends[0].second.s2c.missing == 0);
  CHECK(rec.stream(1, Dir::c2s) == "requ");
  CHECK(rec.stream(1, Dir::s2c) == "resp");
}

TEST_CASE("reasm: max_sessions bounds live sessions (100k SYNs, cap 1000)") {
  Counter cnt;
  TcpOptions o;
  o.max_sessions = 1000;
  TcpReassembler r(cnt, o);
  Conn c;
  size_t worst = 0;
  for (uint32_t i = 0; i < 100000; ++i) {
    c.client = v4(10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i));
    c.send(r, {true, i * 7919u, 0, SYN, "", 0});
    worst = std::max(worst, r.live_sessions());
  }
  CHECK(worst <= 1000);
  CHECK(r.stats().sessions == 100000);
  CHECK(r.stats().evicted_sessions == 99000);
  CHECK(cnt.ends == 99000);
  r.finish();
  CHECK(cnt.ends == 100000);
  CHECK(r.live_sessions() == 0);
}

TEST_CASE("reasm: 50k tiny out-of-order segments stay within the bounds") {
  Counter cnt;
  TcpOptions o;
  o.max_ooo_per_dir = 64 * 1024;
  TcpReassembler r(cnt, o);
  Conn c;
  handshake(c, r, 0, 0);
  const uint32_t n = 50000;
  // Reverse order: nothing is ever in order until a bound releases it.
  for (uint32_t i = n; i-- > 0;) c.send(r, {true, 1 + i, 1, ACK, std::string(1, char('a' + i % 26)), 1});
  auto st = r.stats();
  CHECK(st.buffer_cap_hits > 0);
  CHECK(st.peak_ooo_held_bytes <= o.max_ooo_per_dir + 64 + 1);
  CHECK(st.ooo_segments > 1000);
  r.finish();
  st = r.stats();
  CHECK(st.ooo_held_bytes == 0);
  CHECK(st.buffered_bytes == 0);
  // Every byte is accounted for exactly once: delivered, or given up by the bound and
  // seen late, never before: dropped over the cap, not a retransmission.
  CHECK(st.bytes_delivered + st.gap_bytes == n);
  CHECK(st.bytes_delivered + st.dropped_over_cap_bytes == n);
  CHECK(st.retransmitted_bytes == 0);
  CHECK(cnt.bytes == st.bytes_delivered);

  // Forward order after one hole: the tail coalesces into one block, all delivered.
  Recorder rec;
  TcpReassembler r2(rec, o);
  Conn c2;
  handshake(c2, r2, 0, 0);
  for (uint32_t i = 1; i < 20000; ++i) c2.send(r2, {true, 1 + i, 1, ACK, "x", 1});
  CHECK(r2.stats().peak_ooo_held_bytes <= o.max_ooo_per_dir + 64 + 1);
  c2.send(r2, {true, 1, 1, ACK, "x", 2});
  r2.finish();
  CHECK(r2.stats().bytes_delivered + r2.stats().gap_bytes == 20000);
  CHECK(rec.ends[0].second.c2s.bytes + rec.ends[0].second.c2s.missing == 20000);
}

TEST_CASE("reasm: new bytes past the out-of-order cap are not counted as retransmitted") {
  Recorder rec;
  TcpOptions o;
  o.max_ooo_per_dir = 1000;  // 64 per held segment + its bytes
  TcpReassembler r(rec, o);
  Conn c;
  handshake(c, r, 0, 0);
  c.send(r, {true, 1, 1, ACK, std::string(100, 'a'), 3});          // [0,100) in order
  // [100,200) not yet here; new bytes from 200 on fill the buffer past its cap.
  for (uint32_t k = 0; k < 5; ++k)
    c.send(r, {true, 1 + 200 + 200 * k, 1, ACK, std::string(200, char('c' + k)), 4 + k});
  auto st = r.stats();
  CHECK(st.buffer_cap_hits == 1);   // 5 * (64 + 200) > 1000: the hole [100,200) given up
  CHECK(st.gap_bytes == 100);
  CHECK(st.retransmitted_bytes == 0);
  // The hole's bytes, never seen before, come late: dropped, not retransmitted.
  c.send(r, {true, 1 + 100, 1, ACK, std::string(100, 'b'), 10});
  st = r.stats();
  CHECK(st.dropped_over_cap_bytes == 100);
  CHECK(st.retransmitted_bytes == 0);
  // A second copy of them, and a copy of delivered bytes, are retransmissions.
  c.send(r, {true, 1 + 100, 1, ACK, std::string(100, 'b'), 11});
  c.send(r, {true, 1 + 50, 1, ACK, std::string(100, 'a'), 12});  // [50,150): 50 seen + 50 late copy
  st = r.stats();
  CHECK(st.dropped_over_cap_bytes == 100);
  CHECK(st.retransmitted_bytes == 200);
  // A hole given up in part: only the bytes in it count as dropped.
  c.send(r, {true, 1 + 1200 + 100, 1, ACK, std::string(300, 'x'), 13});  // hole [1200,1300)
  for (uint32_t k = 0; k < 4; ++k)  // held past it: 64 + 300 + 4 * 200 > 1000
    c.send(r, {true, 1 + 1600 + 200 * k, 1, ACK, std::string(200, 'y'), 14});
  CHECK(r.stats().buffer_cap_hits == 2);
  c.send(r, {true, 1 + 1150, 1, ACK, std::string(100, 'z'), 15});  // [1150,1250): 50 old, 50 new
  st = r.stats();
  CHECK(st.dropped_over_cap_bytes == 150);
  CHECK(st.retransmitted_bytes == 250);
  r.finish();
  const SessionEnd* e = rec.end_of(1);
  REQUIRE(e);
  CHECK(e->c2s.dropped_over_cap == 150);
  CHECK(e->c2s.retransmitted == 250);
  CHECK(e->c2s.missing == 200);  // the two holes stay gaps in the delivered stream
  CHECK(e->c2s.bytes == 2400 - 200);
  const auto named = st.named();  // one vector: begin() and end() of the same one
  CHECK(std::any_of(named.begin(), named.end(),
                    [](auto& kv) { return std::string(kv.first) == "dropped_over_cap_bytes"; }));
}

TEST_CASE("reasm: global out-of-order cap") {
  Counter cnt;
  TcpOptions o;
  o.max_ooo_total = 4096;
  TcpReassembler r(cnt, o);
  for (uint16_t k = 0; k < 50; ++k) {
    Conn c;
    c.cport = uint16_t(30000 + k);
    handshake(c, r, 0, 0);
    c.send(r, {true, 1 + 100, 1, ACK, std::string(200, 'z'), 1});  // each holds data past a hole
    CHECK(r.stats().ooo_held_bytes <= 4096 + 264);
  }
  CHECK(r.stats().buffer_cap_hits > 0);
  r.finish();
  CHECK(r.stats().ooo_held_bytes == 0);
}

TEST_CASE("reasm: idle timeout in capture time, finish in session order") {
  Recorder rec;
  TcpOptions o;
  o.idle_timeout_nsec = 60'000'000'000LL;
  TcpReassembler r(rec, o);
  Conn a, b;
  b.cport = 40001;
  a.send(r, {true, 1, 1, ACK, "a1", 0});
  b.send(r, {true, 1, 1, ACK, "b1", 1000});
  a.send(r, {true, 3, 1, ACK, "a2", 2000});
  // 100 s later only a speaks: b (last seen at 1 s) times out, a does not.
  a.send(r, {true, 5, 1, ACK, "a3", 62000});
  REQUIRE(rec.ends.size() == 1);
  CHECK(rec.ends[0].first.session_no == 2);
  CHECK(rec.ends[0].second.reason == EndReason::idle);
  Conn d;
  d.cport = 40002;
  d.send(r, {true, 1, 1, ACK, "d1", 62001});
  r.finish();
  REQUIRE(rec.ends.size() == 3);
  CHECK(rec.ends[1].first.session_no == 1);
  CHECK(rec.ends[2].first.session_no == 3);
  CHECK(rec.ends[1].second.reason == EndReason::eof);
  CHECK(rec.stream(1, Dir::c2s) == "a1a2a3");
  CHECK(r.stats().timed_out == 1);
}

TEST_CASE("reasm: payload cut by the snap length becomes a gap") {
  Recorder rec;
  TcpReassembler r(rec);
  Conn c;
  handshake(c, r, 100, 500);
  Seg s{false, 501, 101, ACK, "HTTP", 3};
  s.wire_len = 1000;
  c.send(r, s);
  Seg s2{false, 1501, 101, ACK, "more", 4};
  s2.wire_len = 1000;
  c.send(r, s2);
  r.finish();
  auto ps = rec.of(1, Dir::s2c);
  REQUIRE(ps.size() == 3);
  CHECK(ps[0].data == "HTTP");
  CHECK(ps[1].data == "more");
  CHECK(ps[1].p.offset == 1000);
  CHECK(ps[1].p.gap_before == 996);
  CHECK(ps[2].data.empty());
  CHECK(ps[2].p.gap_before == 996);
  CHECK(ps[2].p.last);
  CHECK(rec.ends[0].second.s2c.missing == 1992);
  CHECK(rec.ends[0].second.s2c.bytes == 8);
  CHECK(r.stats().snaplen_cut_bytes == 1992);
}

TEST_CASE("reasm: non-TCP and fragments are counted, not processed") {
  Counter cnt;
  TcpReassembler r(cnt);
  Packet p;
  Decoded d;
  d.ip.version = 4;
  d.l4 = L4::udp;
  r.feed(p, d);
  d.l4 = L4::tcp;
  d.ip.fragment = true;
  r.feed(p, d);
  CHECK(r.stats().non_tcp == 1);
  CHECK(r.stats().fragments_ignored == 1);
  CHECK(cnt.starts == 0);
  auto named = r.stats().named();
  CHECK(std::any_of(named.begin(), named.end(),
                    [](auto& kv) { return std::string(kv.first) == "retransmitted_bytes"; }));
}

namespace {
struct IdleState {
  int64_t last_ns = 0;
};
}  // namespace

TEST_CASE("datagram states: idle ones go at a sweep every 10 s; a full table loses its least recent eighth") {
  std::unordered_map<int, std::unique_ptr<IdleState>> states;
  auto fill = [&](int n) {
    states.clear();
    for (int i = 0; i < n; ++i) states[i] = std::make_unique<IdleState>(IdleState{int64_t(i) * 1000000000});
  };
  std::vector<int> dropped;
  auto drop = [&](auto it) {
    dropped.push_back(it->first);
    states.erase(it);
  };
  fill(16);
  CHECK(drop_least_recent_states(states, drop) == 2);
  std::sort(dropped.begin(), dropped.end());
  CHECK(dropped == std::vector<int>{0, 1});
  CHECK(states.size() == 14);
  dropped.clear();
  fill(3);  // fewer than eight: still one goes
  CHECK(drop_least_recent_states(states, drop) == 1);
  CHECK(dropped == std::vector<int>{0});

  dropped.clear();
  fill(16);
  Timestamp now;
  now.sec = 20;
  drop_idle_states(states, now, 10ull * 1000000000, false, drop);  // last seen before 10 s
  std::sort(dropped.begin(), dropped.end());
  CHECK(dropped == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  drop_idle_states(states, now, 10ull * 1000000000, true, drop);
  CHECK(states.empty());
  CHECK(dropped.size() == 16);

  int64_t next = 0;
  Timestamp t;
  t.sec = 5;
  CHECK(idle_sweep_due(t, next));
  CHECK(next == 15);
  t.sec = 14;
  CHECK_FALSE(idle_sweep_due(t, next));
  t.sec = 15;
  CHECK(idle_sweep_due(t, next));
}
