// DNS: the message parser (every truncated prefix, compression pointers, bounds),
// the record's rdata per type, and DnsSink's pairing, caps and TCP framing.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libcore/decode/packet.hpp"
#include "libcore/proto/dns.hpp"
#include "libcore/proto/dns_record.hpp"
#include "libcore/proto/dns_session.hpp"

using namespace nl;

namespace {

struct Msg {
  std::vector<uint8_t> b;
  Msg& u8(uint8_t v) { b.push_back(v); return *this; }
  Msg& u16(uint16_t v) { return u8(uint8_t(v >> 8)).u8(uint8_t(v)); }
  Msg& u32(uint32_t v) { return u16(uint16_t(v >> 16)).u16(uint16_t(v)); }
  Msg& name(std::string_view n) {
    size_t i = 0;
    while (i < n.size()) {
      size_t j = n.find('.', i);
      if (j == std::string_view::npos) j = n.size();
      u8(uint8_t(j - i));
      for (size_t k = i; k < j; ++k) u8(uint8_t(n[k]));
      i = j + 1;
    }
    return u8(0);
  }
  Msg& raw(std::initializer_list<uint8_t> v) {
    b.insert(b.end(), v);
    return *this;
  }
  Msg& header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns = 0, uint16_t ar = 0) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  Bytes bytes() const { return {b.data(), b.size()}; }
};

// www.example.test A -> CNAME edge.example.test (compressed), A 192.0.2.1.
Msg answer_message() {
  Msg m;
  m.header(0x1234, 0x8180, 1, 2);
  m.name("www.example.test").u16(1).u16(1);
  m.raw({0xc0, 0x0c}).u16(5).u16(1).u32(300).u16(7).u8(4).raw({'e', 'd', 'g', 'e'}).raw({0xc0, 0x10});
  m.raw({0xc0, 0x2e}).u16(1).u16(1).u32(60).u16(4).raw({192, 0, 2, 1});
  return m;
}

// Raw IPv4 + UDP around a payload, decoded as a capture would be.
struct Datagram {
  std::vector<uint8_t> frame;
  Packet p;
  Decoded d;
  Datagram(uint8_t src, uint8_t dst, uint16_t sport, uint16_t dport, const std::vector<uint8_t>& payload,
           int64_t sec) {
    size_t ulen = 8 + payload.size();
    frame = {0x45, 0, uint8_t((20 + ulen) >> 8), uint8_t(20 + ulen), 0, 0, 0, 0, 64, 17, 0, 0,
             10, 0, 0, src, 10, 0, 0, dst,
             uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), uint8_t(ulen >> 8),
             uint8_t(ulen), 0, 0};
    frame.reserve(frame.size() + payload.size());  // (GCC 12 warns of a bound it made up without it)
    frame.insert(frame.end(), payload.begin(), payload.end());
    p.linktype = linktype::raw;
    p.ts.sec = sec;
    p.data = {frame.data(), frame.size()};
    p.caplen = p.origlen = uint32_t(frame.size());
    decode_packet(p, d);
  }
};

std::vector<uint8_t> query(uint16_t id, std::string_view n) {
  Msg m;
  m.header(id, 0x0100, 1, 0).name(n).u16(1).u16(1);
  return m.b;
}
std::vector<uint8_t> reply(uint16_t id, std::string_view n) {
  Msg m;
  m.header(id, 0x8180, 1, 1).name(n).u16(1).u16(1).raw({0xc0, 0x0c}).u16(1).u16(1).u32(60).u16(4).raw({1, 2, 3, 4});
  return m.b;
}

struct Collected {
  std::vector<nlohmann::json> recs;
  DnsSink::Emit emit() {
    return [this](const std::string& ids, const DnsTransaction& tx) {
      std::string out;
      {
        JsonWriter w(out);
        write_dns_record(w, ids, tx, TimeFormat::epoch);
      }
      recs.push_back(nlohmann::json::parse(out));
    };
  }
};

}  // namespace

TEST_CASE("dns: a response with compressed names") {
  Msg m = answer_message();
  DnsMessage d;
  REQUIRE(parse_dns(m.bytes(), d));
  CHECK(d.h.id == 0x1234);
  CHECK(d.h.qr());
  CHECK(d.h.rd());
  CHECK(d.h.ra());
  CHECK_FALSE(d.anomalies.any());
  REQUIRE(d.questions.size() == 1);
  CHECK(d.questions[0].name == "www.example.test");
  REQUIRE(d.rrs.size() == 2);
  CHECK(d.rrs[0].name == "www.example.test");
  CHECK(d.rrs[0].type == dnstype::CNAME);
  CHECK(d.rrs[1].name == "edge.example.test");
  CHECK(d.rrs[1].ttl == 60);
  std::string target;
  DnsAnomalies an;
  CHECK(read_dns_name(d.raw, d.rrs[0].rdata, target, an) == d.rrs[0].rdata + 7);
  CHECK(target == "edge.example.test");
}

TEST_CASE("dns: every truncated prefix parses what is there, with an anomaly, never past the end") {
  Msg m = answer_message();
  for (size_t n = 0; n < m.b.size(); ++n) {
    DnsMessage d;
    bool header = parse_dns(m.bytes().first(n), d, m.b.size());
    CHECK(header == (n >= 12));
    CHECK(d.anomalies.has(DnsAnomaly::snaplen_truncated));
    bool cut = d.anomalies.has(DnsAnomaly::truncated_header) || d.anomalies.has(DnsAnomaly::truncated_question) ||
               d.anomalies.has(DnsAnomaly::truncated_record) || d.anomalies.has(DnsAnomaly::count_exceeds_message) ||
               d.anomalies.has(DnsAnomaly::rdlength_overflow);
    CHECK_MESSAGE(cut, "prefix " << n);
    CHECK(d.rrs.size() <= 2);
    for (const DnsRr& rr : d.rrs) CHECK(rr.rdata + rr.rdlength <= n);
  }
}

TEST_CASE("dns: compression pointers that loop, point forward or out, and names over 255 bytes") {
  SUBCASE("two pointers pointing at each other") {
    Msg m;
    m.header(1, 0x8180, 1, 0).raw({0xc0, 0x0e, 0xc0, 0x0c}).u16(1).u16(1);
    DnsMessage d;
    REQUIRE(parse_dns(m.bytes(), d));
    CHECK(d.anomalies.has(DnsAnomaly::name_pointer_loop));
    CHECK(d.anomalies.has(DnsAnomaly::name_pointer_forward));
  }
  SUBCASE("a pointer past the end") {
    Msg m;
    m.header(1, 0x8180, 1, 0).raw({0xc3, 0xff}).u16(1).u16(1);
    DnsMessage d;
    REQUIRE(parse_dns(m.bytes(), d));
    CHECK(d.anomalies.has(DnsAnomaly::name_pointer_out_of_bounds));
    REQUIRE(d.questions.size() == 1);
    CHECK(d.questions[0].type == 1);
  }
  SUBCASE("a name of 5 labels of 60 bytes") {
    std::string n;
    for (int i = 0; i < 5; ++i) n += std::string(60, 'a') + ".";
    n.pop_back();
    Msg m;
    m.header(1, 0x0100, 1, 0).name(n).u16(1).u16(1);
    DnsMessage d;
    REQUIRE(parse_dns(m.bytes(), d));
    CHECK(d.anomalies.has(DnsAnomaly::name_too_long));
    REQUIRE(d.questions.size() == 1);
    CHECK(d.questions[0].name.size() < 255);
  }
  SUBCASE("a label length byte over 63 stops the message there") {
    Msg m;
    m.header(1, 0x0100, 1, 0).u8(0x41).raw({'x', 'y'}).u8(0).u16(1).u16(1);
    DnsMessage d;
    REQUIRE(parse_dns(m.bytes(), d));
    CHECK(d.anomalies.has(DnsAnomaly::label_too_long));
    CHECK_FALSE(d.anomalies.has(DnsAnomaly::truncated_question));
    CHECK(d.questions.empty());
  }
  SUBCASE("escapes in labels") {
    Msg m;
    m.header(1, 0x0100, 1, 0).u8(4).raw({'a', '.', 0, '\\'}).u8(0).u16(1).u16(1);
    DnsMessage d;
    REQUIRE(parse_dns(m.bytes(), d));
    CHECK(d.questions[0].name == "a\\046\\000\\092");
  }
}

TEST_CASE("dns: plausibility tells DNS from other bytes") {
  std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK_FALSE(dns_plausible(as_bytes(http), true));
  auto q = query(7, "a.example");
  CHECK(dns_plausible({q.data(), q.size()}, true));
  Msg m = answer_message();
  CHECK(dns_plausible(m.bytes(), true));
  CHECK_FALSE(dns_plausible(m.bytes().first(11), false));
}

TEST_CASE("dns: the record renders rdata per type; bad rdata goes out as base64") {
  Msg m;
  m.header(9, 0x8180, 1, 4, 0, 1).name("t.test").u16(15).u16(1);
  m.raw({0xc0, 0x0c}).u16(15).u16(1).u32(1).u16(4).u16(10).raw({0xc0, 0x0c});           // MX 10 t.test
  m.raw({0xc0, 0x0c}).u16(16).u16(1).u32(1).u16(6).raw({2, 'a', 'b', 2, 'c', 'd'});     // TXT "ab" "cd"
  m.raw({0xc0, 0x0c}).u16(1).u16(1).u32(1).u16(3).raw({1, 2, 3});                       // A of 3 bytes
  m.raw({0xc0, 0x0c}).u16(4000).u16(1).u32(1).u16(2).raw({0xab, 0xcd});                 // unknown type
  // OPT: udp 4096, DO, client subnet 198.51.100.0/24, cookie of 8 bytes.
  m.u8(0).u16(41).u16(4096).u32(0x8000).u16(23);
  m.u16(8).u16(7).u16(1).u8(24).u8(0).raw({198, 51, 100});
  m.u16(10).u16(8).raw({1, 2, 3, 4, 5, 6, 7, 8});
  DnsTransaction tx;
  tx.has_response = true;
  REQUIRE(parse_dns(m.bytes(), tx.response));
  tx.status = DnsStatus::unsolicited;
  std::string out;
  {
    JsonWriter w(out);
    write_dns_record(w, "\"flow_id\":1", tx, TimeFormat::epoch);
  }
  auto j = nlohmann::json::parse(out)["dns"];
  CHECK(j["answers"][0]["rdata"] == "t.test");
  CHECK(j["answers"][0]["mx"]["preference"] == 10);
  CHECK(j["answers"][1]["rdata"] == "abcd");
  CHECK(j["answers"][1]["txt"] == nlohmann::json::array({"ab", "cd"}));
  CHECK(j["answers"][2]["rdata"].is_null());
  CHECK(j["answers"][2]["rdata_base64"] == "AQID");
  CHECK(j["answers"][3]["type_name"].is_null());
  CHECK(j["answers"][3]["rdata_base64"] == "q80=");
  auto opt = j["additionals"][0]["opt"];
  CHECK(opt["udp_size"] == 4096);
  CHECK(opt["do"] == true);
  CHECK(opt["client_subnet"]["address"] == "198.51.100.0");
  CHECK(opt["client_subnet"]["source_prefix"] == 24);
  CHECK(opt["cookie"]["client"] == "0102030405060708");
  CHECK(opt["cookie"]["server"].is_null());
  CHECK(j["anomalies"] == nlohmann::json::array({"bad_rdata"}));
  CHECK(j["rtt"].is_null());
}

TEST_CASE("dns: pairing by flow, id and question; retransmissions, duplicates, unsolicited, timeouts") {
  Collected c;
  DnsOptions opt;
  DnsSink sink(c.emit(), opt);
  auto feed = [&](uint8_t src, uint8_t dst, uint16_t sp, uint16_t dp, const std::vector<uint8_t>& pl, int64_t sec) {
    Datagram g(src, dst, sp, dp, pl, sec);
    sink.on_datagram(g.p, g.d);
  };
  feed(1, 2, 5000, 53, query(1, "a.test"), 100);
  feed(1, 2, 5000, 53, query(2, "b.test"), 100);
  feed(1, 2, 5000, 53, query(2, "b.test"), 101);           // retransmitted
  feed(2, 1, 53, 5000, reply(2, "b.test"), 101);
  feed(2, 1, 53, 5000, reply(2, "b.test"), 101);           // again: duplicate
  feed(2, 1, 53, 5000, reply(3, "c.test"), 101);           // nobody asked (yet)
  REQUIRE(c.recs.size() == 2);
  CHECK(c.recs[0]["dns"]["status"] == "answered");
  CHECK(c.recs[0]["dns"]["query_packets"] == 2);
  CHECK(c.recs[0]["src_port"] == 5000);
  CHECK(c.recs[0]["dns"]["rtt"] == 1);
  CHECK(c.recs[1]["dns"]["status"] == "duplicate");
  feed(1, 2, 5000, 53, query(1, "x.test"), 102);           // same id, another question: not a retransmission
  feed(3, 4, 6000, 53, query(9, "late.test"), 110);        // moves time past the 5 s timeout
  REQUIRE(c.recs.size() == 5);
  CHECK(c.recs[2]["dns"]["status"] == "unanswered");
  CHECK(c.recs[2]["dns"]["queries"][0]["name"] == "a.test");
  CHECK(c.recs[3]["dns"]["status"] == "unsolicited");
  CHECK(c.recs[3]["dns"]["anomalies"] == nlohmann::json::array({"unsolicited"}));
  CHECK(c.recs[4]["dns"]["queries"][0]["name"] == "x.test");
  sink.finish(EndReason::eof);
  REQUIRE(c.recs.size() == 6);
  CHECK(c.recs[5]["dns"]["queries"][0]["name"] == "late.test");
  CHECK(sink.stats().retransmitted_queries == 1);
  CHECK(sink.pending() == 0);
}

TEST_CASE("dns: a response captured before its query is paired") {
  Collected c;
  DnsSink sink(c.emit());
  Datagram r(2, 1, 53, 5000, reply(5, "r.test"), 100);
  Datagram q(1, 2, 5000, 53, query(5, "r.test"), 100);
  sink.on_datagram(r.p, r.d);
  sink.on_datagram(q.p, q.d);
  REQUIRE(c.recs.size() == 1);
  CHECK(c.recs[0]["dns"]["status"] == "answered");
  CHECK(c.recs[0]["dns"]["anomalies"] == nlohmann::json::array({"response_before_query"}));
}

TEST_CASE("dns: pending queries are capped per flow and in total, the oldest written first") {
  Collected c;
  DnsOptions opt;
  opt.max_pending_per_flow = 4;
  opt.max_pending = 6;
  DnsSink sink(c.emit(), opt);
  for (uint16_t i = 0; i < 10; ++i) {
    Datagram g(1, 2, 5000, 53, query(i, "flood.test"), 100);
    sink.on_datagram(g.p, g.d);
  }
  CHECK(sink.pending() == 4);
  CHECK(sink.stats().evicted_flow_cap == 6);
  for (uint16_t i = 0; i < 10; ++i) {
    Datagram g(1, 2, uint16_t(6000 + i), 53, query(i, "many.test"), 100);
    sink.on_datagram(g.p, g.d);
  }
  CHECK(sink.pending() == 6);
  CHECK(sink.stats().evicted_total_cap == 8);
  REQUIRE(!c.recs.empty());
  CHECK(c.recs[0]["dns"]["id"] == 0);
  CHECK(c.recs[0]["dns"]["anomalies"] == nlohmann::json::array({"evicted"}));
  sink.finish(EndReason::eof);
  CHECK(c.recs.size() == 20);
}

TEST_CASE("dns: TCP framing, messages over several pieces and several in one, and a mid-stream pickup") {
  Collected c;
  DnsSink sink(c.emit());
  SessionView s;
  s.session_no = 1;
  s.flow_id = 42;
  s.community_id = "1:x";
  s.key.src.family = s.key.dst.family = 4;
  s.key.src.bytes[3] = 1;
  s.key.dst.bytes[3] = 2;
  s.key.sport = 7000;
  s.key.dport = 53;
  s.key.proto = 6;
  s.handshake_seen = true;
  auto framed = [](std::vector<uint8_t> m) {
    m.insert(m.begin(), {uint8_t(m.size() >> 8), uint8_t(m.size())});
    return m;
  };
  std::vector<uint8_t> qs = framed(query(1, "one.test"));
  auto q2 = framed(query(2, "two.test"));
  qs.insert(qs.end(), q2.begin(), q2.end());
  std::vector<uint8_t> rs = framed(reply(1, "one.test"));
  auto r2 = framed(reply(2, "two.test"));
  rs.insert(rs.end(), r2.begin(), r2.end());
  sink.session_start(s);
  MonologuePiece p;
  p.dir = Dir::c2s;
  p.data = {qs.data(), qs.size()};
  sink.monologue(s, p);
  p.dir = Dir::s2c;
  for (size_t i = 0; i < rs.size(); ++i) {  // a byte at a time
    p.offset = i;
    p.data = {rs.data() + i, 1};
    sink.monologue(s, p);
  }
  REQUIRE(c.recs.size() == 2);
  CHECK(c.recs[0]["dns"]["transport"] == "tcp");
  CHECK(c.recs[1]["dns"]["answers"][0]["rdata"] == "1.2.3.4");
  CHECK(c.recs[1]["flow_id"] == 42);
  sink.session_end(s, {});

  // Without the handshake, starting 5 bytes into a query.
  s.session_no = 2;
  s.handshake_seen = false;
  sink.session_start(s);
  p.dir = Dir::c2s;
  p.offset = 0;
  std::vector<uint8_t> mid(qs.begin() + 5, qs.end());
  p.data = {mid.data(), mid.size()};
  sink.monologue(s, p);
  p.dir = Dir::s2c;
  p.data = {r2.data(), r2.size()};
  sink.monologue(s, p);
  sink.session_end(s, {});
  REQUIRE(c.recs.size() == 3);
  CHECK(c.recs[2]["dns"]["id"] == 2);
  CHECK(c.recs[2]["dns"]["status"] == "answered");
  CHECK(c.recs[2]["dns"]["anomalies"] == nlohmann::json::array({"tcp_resync"}));

  // Not DNS (on a port that is not DNS's): the sink lets the session go.
  s.session_no = 3;
  s.key.dport = 8080;
  s.handshake_seen = true;
  sink.session_start(s);
  std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  p.dir = Dir::c2s;
  p.data = as_bytes(http);
  s.want_data = true;
  sink.monologue(s, p);
  CHECK_FALSE(s.want_data);
  sink.session_end(s, {});
  CHECK(c.recs.size() == 3);
}
