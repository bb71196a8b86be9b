// Flow table, flow records, app labels and dedup, on handmade decoded packets
// and on the shared fixtures (their truth files give per-connection byte counts).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libcore/capture/reader.hpp"
#include "libcore/flow/app_detect.hpp"
#include "libcore/flow/flow_record.hpp"
#include "libcore/flow/table.hpp"
#include "libcore/reasm/defrag.hpp"
#include "tests/unit/flow_helpers.hpp"

using namespace nl;
using namespace nl::flow_test;
using json = nlohmann::json;

namespace {

// Holds payload bytes for Decoded spans.
std::string g_zeros(4096, 'x');

Decoded base_ip(const char* src, const char* dst, uint8_t proto, uint32_t l4len) {
  Decoded d;
  d.ip.src = ip(src);
  d.ip.dst = ip(dst);
  d.ip.version = d.ip.src.family;
  d.ip.header_len = d.ip.version == 4 ? 20 : 40;
  d.ip.total_len = d.ip.header_len + l4len;
  d.ip.proto = proto;
  d.ip.ttl = 64;
  d.ethertype = d.ip.version == 4 ? 0x0800 : 0x86dd;
  return d;
}

Decoded tcp(const char* src, uint16_t sp, const char* dst, uint16_t dp, uint8_t flags, uint32_t seq,
            uint32_t ack, uint32_t len, std::string_view payload = {}, uint16_t window = 65535) {
  Decoded d = base_ip(src, dst, 6, 20 + len);
  d.l4 = L4::tcp;
  d.tcp.sport = sp;
  d.tcp.dport = dp;
  d.tcp.flags = flags;
  d.tcp.seq = seq;
  d.tcp.ack = ack;
  d.tcp.window = window;
  d.tcp.header_len = 20;
  d.payload_len = len;
  if (payload.empty()) payload = std::string_view(g_zeros).substr(0, len);
  d.payload = as_bytes(payload);
  return d;
}

Decoded udp(const char* src, uint16_t sp, const char* dst, uint16_t dp, std::string_view payload) {
  Decoded d = base_ip(src, dst, 17, 8 + uint32_t(payload.size()));
  d.l4 = L4::udp;
  d.udp.sport = sp;
  d.udp.dport = dp;
  d.udp.length = uint16_t(8 + payload.size());
  d.payload_len = uint32_t(payload.size());
  d.payload = as_bytes(payload);
  return d;
}

Decoded icmp(const char* src, const char* dst, uint8_t type, uint8_t code, uint32_t len = 56) {
  bool v6 = std::string_view(src).find(':') != std::string_view::npos;
  Decoded d = base_ip(src, dst, v6 ? 58 : 1, 8 + len);
  d.l4 = v6 ? L4::icmpv6 : L4::icmp;
  d.icmp.type = type;
  d.icmp.code = code;
  d.payload_len = len;
  d.payload = as_bytes(std::string_view(g_zeros).substr(0, len));
  return d;
}

struct Emitted {
  Flow flow;
  FlowEnd reason;
  bool partial;
  json rec;
  std::string line;
};

struct Sink : FlowSink {
  std::vector<Emitted> flows;
  std::vector<IntervalStats> intervals;
  std::vector<json> interval_recs;
  bool keep_records = true;
  uint64_t count = 0;
  void flow(const Flow& f, FlowEnd reason, bool partial) override {
    ++count;
    if (!keep_records) return;
    std::string out;
    write_flow_record(out, f, reason, partial, FlowRecordOptions{TimeFormat::epoch});
    REQUIRE(!out.empty());
    CHECK(out.back() == '\n');
    flows.push_back({f, reason, partial, json::parse(out), out});
  }
  void interval(const IntervalStats& s) override {
    intervals.push_back(s);
    std::string out;
    write_interval_record(out, s, FlowRecordOptions{TimeFormat::epoch});
    interval_recs.push_back(json::parse(out));
  }
};

struct Rig {
  Sink sink;
  FlowTableOptions opt;
  std::unique_ptr<FlowTable> table;
  explicit Rig(FlowTableOptions o = {}) : opt(o) { table = std::make_unique<FlowTable>(opt, sink); }
  // t in milliseconds from the base time.
  void add(int64_t t_ms, const Decoded& d) {
    table->add(pkt_at(t_ms * 1'000'000, d.ip.total_len + 14), d);
  }
};

constexpr uint8_t S = tcpflag::syn, A = tcpflag::ack, F = tcpflag::fin, R = tcpflag::rst,
                  P = tcpflag::psh;

const char* C = "10.0.0.1";
const char* Sv = "93.184.216.34";

// A complete connection: handshake, request, response, FIN both ways.
void full_connection(Rig& r, int64_t t0 = 0) {
  r.add(t0 + 0, tcp(C, 40000, Sv, 80, S, 1000, 0, 0));
  r.add(t0 + 10, tcp(Sv, 80, C, 40000, S | A, 5000, 1001, 0));
  r.add(t0 + 20, tcp(C, 40000, Sv, 80, A, 1001, 5001, 0));
  r.add(t0 + 21, tcp(C, 40000, Sv, 80, P | A, 1001, 5001, 18, "GET / HTTP/1.1\r\n\r\n"));
  r.add(t0 + 30, tcp(Sv, 80, C, 40000, A, 5001, 1019, 0));
  r.add(t0 + 31, tcp(Sv, 80, C, 40000, P | A, 5001, 1019, 100));
  r.add(t0 + 40, tcp(C, 40000, Sv, 80, F | A, 1019, 5101, 0));
  r.add(t0 + 50, tcp(Sv, 80, C, 40000, F | A, 5101, 1020, 0));
  r.add(t0 + 60, tcp(C, 40000, Sv, 80, A, 1020, 5102, 0));
}

}  // namespace

TEST_CASE("flow: TCP handshake, data, FIN both ways -> SF and Zeek history") {
  Rig r;
  full_connection(r);
  CHECK(r.sink.flows.empty());  // grace period not over
  CHECK(r.table->live() == 1);
  // A packet of another flow 6 s later moves the clock past the 5 s grace.
  r.add(6100, udp("10.0.0.9", 5000, "10.0.0.10", 6000, "x"));
  REQUIRE(r.sink.flows.size() == 1);
  const Emitted& e = r.sink.flows[0];
  CHECK(e.reason == FlowEnd::fin);
  CHECK(std::string(e.flow.conn_state()) == "SF");
  CHECK(e.flow.history_view() == "ShADadFf");
  CHECK(e.flow.app == App::http);
  const json& j = e.rec;
  CHECK(j["type"] == "flow");
  CHECK(e.line.rfind("{\"type\":\"flow\",\"ts\":", 0) == 0);
  CHECK(j["src_ip"] == C);
  CHECK(j["src_port"] == 40000);
  CHECK(j["dest_ip"] == Sv);
  CHECK(j["dest_port"] == 80);
  CHECK(j["proto"] == "TCP");
  CHECK(j["vlan"].is_null());
  CHECK(j["ip_version"] == 4);
  CHECK(j["flow"]["reason"] == "fin");
  CHECK(j["flow"]["partial"] == false);
  CHECK(j["flow"]["state"] == "SF");
  CHECK(j["flow"]["history"] == "ShADadFf");
  CHECK(j["flow"]["app"] == "http");
  CHECK(j["flow"]["direction"].is_null());
  CHECK(j["flow"]["duration"].get<double>() == doctest::Approx(0.06));
  const json& o = j["flow"]["orig"];
  CHECK(o["packets"] == 5);
  CHECK(o["l3_bytes"] == 5 * 40 + 18);
  CHECK(o["l4_bytes"] == 5 * 20 + 18);
  CHECK(o["l7_bytes"] == 18);
  CHECK(o["link_bytes"] == 5 * 54 + 18);
  CHECK(o["l7_bytes_unique"] == 18);
  CHECK(o["retransmits"] == 0);
  CHECK(o["missing_bytes"] == 0);
  CHECK(o["tcp_flags"] == "FSPA");
  const json& rs = j["flow"]["resp"];
  CHECK(rs["packets"] == 4);
  CHECK(rs["l7_bytes"] == 100);
  CHECK(rs["l7_bytes_unique"] == 100);
  CHECK(rs["tcp_flags"] == "FSPA");
  CHECK(j["flow_id"].get<uint64_t>() < (uint64_t(1) << 53));
  CHECK(r.table->stats().ended[size_t(FlowEnd::fin)] == 1);
}

TEST_CASE("flow: conn_state S0, REJ, RSTO, RSTOS0, SH, S1, OTH") {
  SUBCASE("S0: SYN only") {
    Rig r;
    r.add(0, tcp(C, 1, Sv, 22, S, 7, 0, 0));
    r.add(3000, tcp(C, 1, Sv, 22, S, 7, 0, 0));  // SYN retransmitted
    r.table->finish();
    REQUIRE(r.sink.flows.size() == 1);
    CHECK(std::string(r.sink.flows[0].flow.conn_state()) == "S0");
    CHECK(r.sink.flows[0].flow.history_view() == "S");
    CHECK(r.sink.flows[0].reason == FlowEnd::eof);
    CHECK(r.sink.flows[0].flow.orig.retransmits == 0);  // no data: not a retransmission
  }
  SUBCASE("S0, ended by a signal: reason interrupted") {
    Rig r;
    r.add(0, tcp(C, 1, Sv, 22, S, 7, 0, 0));
    r.table->finish(FlowEnd::interrupted);
    REQUIRE(r.sink.flows.size() == 1);
    CHECK(r.sink.flows[0].reason == FlowEnd::interrupted);
    CHECK(r.sink.flows[0].rec["flow"]["reason"] == "interrupted");
    CHECK(r.table->stats().ended[size_t(FlowEnd::interrupted)] == 1);
  }
  SUBCASE("REJ: SYN answered by RST") {
    Rig r;
    r.add(0, tcp(C, 1, Sv, 23, S, 7, 0, 0));
    r.add(1, tcp(Sv, 23, C, 1, R | A, 0, 8, 0));
    r.add(10000, udp("1.1.1.1", 1, "2.2.2.2", 2, ""));
    REQUIRE(r.sink.flows.size() == 1);
    CHECK(std::string(r.sink.flows[0].flow.conn_state()) == "REJ");
    CHECK(r.sink.flows[0].flow.history_view() == "Sr");
    CHECK(r.sink.flows[0].reason == FlowEnd::rst);
  }
  SUBCASE("RSTO: established, originator resets") {
    Rig r;
    r.add(0, tcp(C, 1, Sv, 80, S, 7, 0, 0));
    r.add(1, tcp(Sv, 80, C, 1, S | A, 70, 8, 0));
    r.add(2, tcp(C, 1, Sv, 80, A, 8, 71, 0));
    r.add(3, tcp(C, 1, Sv, 80, R, 8, 0, 0));
    r.table->finish();
    REQUIRE(r.sink.flows.size() == 1);
    CHECK(std::string(r.sink.flows[0].flow.conn_state()) == "RSTO");
    CHECK(r.sink.flows[0].flow.history_view() == "ShAR");
    CHECK(r.sink.flows[0].rec["flow"]["reason"] == "rst");  // closed before the end
  }
  SUBCASE("RSTOS0: originator resets its unanswered SYN") {
    Rig r;
    r.add(0, tcp(C, 1, Sv, 80, S, 7, 0, 0));
    r.add(3, tcp(C, 1, Sv, 80, R, 8, 0, 0));
    r.table->finish();
    CHECK(std::string(r.sink.flows[0].flow.conn_state()) == "RSTOS0");
  }
  SUBCASE("SH: SYN then FIN, no answer") {
    Rig r;
    r.add(0, tcp(C, 1, Sv, 80, S, 7, 0, 0));
    r.add(3, tcp(C, 1, Sv, 80, F, 8, 0, 0));
    r.table->finish();
    CHECK(std::string(r.sink.flows[0].flow.conn_state()) == "SH");
  }
  SUBCASE("S1: established, not closed") {
    Rig r;
    r.add(0, tcp(C, 1, Sv, 80, S, 7, 0, 0));
    r.add(1, tcp(Sv, 80, C, 1, S | A, 70, 8, 0));
    r.add(2, tcp(C, 1, Sv, 80, A, 8, 71, 0));
    r.table->finish();
    CHECK(std::string(r.sink.flows[0].flow.conn_state()) == "S1");
  }
  SUBCASE("OTH: midstream, no SYN") {
    Rig r;
    r.add(0, tcp(C, 1, Sv, 80, A, 7, 9, 10));
    r.add(1, tcp(Sv, 80, C, 1, A, 9, 17, 0));
    r.table->finish();
    CHECK(std::string(r.sink.flows[0].flow.conn_state()) == "OTH");
    CHECK(r.sink.flows[0].flow.history_view() == "Da");
    CHECK(r.sink.flows[0].flow.key.src == ip(C));  // first packet's sender
  }
}

TEST_CASE("flow: SYN-ACK seen first -> its receiver is the originator, history '^h'") {
  Rig r;
  r.add(0, tcp(Sv, 443, C, 5555, S | A, 70, 8, 0));
  r.add(1, tcp(C, 5555, Sv, 443, A, 8, 71, 0));
  r.table->finish();
  REQUIRE(r.sink.flows.size() == 1);
  const Emitted& e = r.sink.flows[0];
  CHECK(e.rec["src_ip"] == C);
  CHECK(e.rec["src_port"] == 5555);
  CHECK(e.rec["dest_port"] == 443);
  CHECK(e.flow.history_view() == "^hA");
  CHECK(e.flow.resp.packets == 1);
  CHECK(e.flow.orig.packets == 1);
}

TEST_CASE("flow: retransmissions, holes filled later, missing bytes, sequence wrap") {
  Rig r;
  uint32_t isn = 0xffffff00u;  // data wraps past 2^32
  r.add(0, tcp(C, 1, Sv, 80, S, isn, 0, 0));
  r.add(1, tcp(Sv, 80, C, 1, S | A, 70, isn + 1, 0));
  r.add(2, tcp(C, 1, Sv, 80, A, isn + 1, 71, 0));
  r.add(3, tcp(C, 1, Sv, 80, A, isn + 1, 71, 200));        // [0,200)
  r.add(4, tcp(C, 1, Sv, 80, A, isn + 1, 71, 200));        // retransmission
  r.add(5, tcp(C, 1, Sv, 80, A, isn + 401, 71, 100));      // hole [200,400)
  r.add(6, tcp(C, 1, Sv, 80, A, isn + 201, 71, 50));       // fills [200,250): not a retransmission
  r.add(7, tcp(C, 1, Sv, 80, A, isn + 601, 71, 100));      // hole [500,600)
  r.add(8, tcp(C, 1, Sv, 80, A, isn + 101, 71, 50));       // old data again: retransmission
  r.table->finish();
  REQUIRE(r.sink.flows.size() == 1);
  const FlowSide& o = r.sink.flows[0].flow.orig;
  CHECK(o.l7_bytes == 700);
  CHECK(o.l7_bytes_unique == 450);
  CHECK(o.retransmits == 2);
  CHECK(o.missing_bytes == 150 + 100);
  std::string_view h = r.sink.flows[0].flow.history_view();
  CHECK(h.find('T') != std::string_view::npos);
  CHECK(h.find('G') != std::string_view::npos);
}

TEST_CASE("flow: zero window letter and the logarithmic repeat") {
  Rig r;
  r.add(0, tcp(C, 1, Sv, 80, A, 1, 1, 0, {}, 0));
  for (int i = 1; i < 10; ++i) r.add(i, tcp(C, 1, Sv, 80, A, 1, 1, 0, {}, 0));
  r.table->finish();
  CHECK(r.sink.flows[0].flow.history_view() == "AWW");  // at 1 and at 10
}

TEST_CASE("flow: UDP request/response -> SF, DNS label; unanswered -> S0") {
  // DNS query for example.com A, id 0x1234.
  std::string q("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07" "example\x03" "com\x00\x00\x01\x00\x01", 29);
  std::string a = q;
  a[2] = char(0x81);
  a[3] = char(0x80);
  a[7] = 1;
  Rig r;
  r.add(0, udp("192.168.1.52", 54585, "8.8.8.8", 53, q));
  r.add(20, udp("8.8.8.8", 53, "192.168.1.52", 54585, a));
  r.add(30, udp("192.168.1.52", 1000, "192.0.2.1", 9999, "ping"));
  r.table->finish();
  REQUIRE(r.sink.flows.size() == 2);
  const Emitted& e = r.sink.flows[0];  // eof order: first packet first
  CHECK(std::string(e.flow.conn_state()) == "SF");
  CHECK(e.flow.history_view() == "Dd");
  CHECK(e.rec["flow"]["app"] == "dns");
  CHECK(e.rec["proto"] == "UDP");
  CHECK(e.rec["community_id"] == "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  CHECK(e.rec["flow"]["orig"]["l7_bytes"] == 29);
  CHECK(e.rec["flow"]["orig"]["l4_bytes"] == 37);
  CHECK(e.rec["flow"]["orig"]["l7_bytes_unique"].is_null());
  CHECK(e.rec["flow"]["orig"]["retransmits"].is_null());
  CHECK(e.rec["flow"]["orig"]["tcp_flags"].is_null());
  CHECK(std::string(r.sink.flows[1].flow.conn_state()) == "S0");
  CHECK(r.sink.flows[1].rec["flow"]["app"].is_null());
}

TEST_CASE("flow: Community ID spec vectors (TCP, UDP, ICMP) through flow records") {
  Rig r;
  r.add(0, tcp("128.232.110.120", 34855, "66.35.250.204", 80, S, 1, 0, 0));
  r.add(1, tcp("66.35.250.204", 80, "128.232.110.120", 34855, S | A, 1, 2, 0));
  r.add(2, udp("192.168.1.52", 54585, "8.8.8.8", 53, "q"));
  r.add(3, icmp("192.168.0.89", "192.168.0.1", 8, 0));
  r.table->finish();
  REQUIRE(r.sink.flows.size() == 3);
  CHECK(r.sink.flows[0].rec["community_id"] == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  CHECK(r.sink.flows[1].rec["community_id"] == "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  CHECK(r.sink.flows[2].rec["community_id"] == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
}

TEST_CASE("flow: ICMP echo request and reply are one flow; other types their own") {
  Rig r;
  r.add(0, icmp("192.168.0.89", "192.168.0.1", 8, 0));
  r.add(1, icmp("192.168.0.1", "192.168.0.89", 0, 0));
  r.add(1000, icmp("192.168.0.89", "192.168.0.1", 8, 0));
  r.add(1001, icmp("192.168.0.1", "192.168.0.89", 0, 0));
  r.add(1002, icmp("192.168.0.1", "192.168.0.89", 3, 3));  // unreachable: another flow
  r.add(2000, icmp("fe80::1", "fe80::2", 128, 0));
  r.add(2001, icmp("fe80::2", "fe80::1", 129, 0));
  r.table->finish();
  REQUIRE(r.sink.flows.size() == 3);
  const Emitted& e = r.sink.flows[0];
  CHECK(e.flow.orig.packets == 2);
  CHECK(e.flow.resp.packets == 2);
  CHECK(e.rec["proto"] == "ICMP");
  CHECK(e.rec["src_ip"] == "192.168.0.89");
  CHECK(e.rec["src_port"] == 8);
  CHECK(e.rec["community_id"] == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  CHECK(e.rec["flow"]["state"] == "OTH");
  CHECK(r.sink.flows[1].flow.key.sport == 3);
  CHECK(r.sink.flows[2].flow.orig.packets == 1);
  CHECK(r.sink.flows[2].flow.resp.packets == 1);
  CHECK(r.sink.flows[2].rec["ip_version"] == 6);
  CHECK(r.sink.flows[2].rec["proto"] == "IPv6-ICMP");
}

TEST_CASE("flow: other IP protocols key on addresses only") {
  Rig r;
  Decoded g = base_ip("10.1.1.1", "10.2.2.2", 47, 100);  // GRE
  g.l4 = L4::other;
  r.add(0, g);
  Decoded back = base_ip("10.2.2.2", "10.1.1.1", 47, 60);
  back.l4 = L4::other;
  r.add(1, back);
  r.table->finish();
  REQUIRE(r.sink.flows.size() == 1);
  CHECK(r.sink.flows[0].flow.resp.l3_bytes == 80);
  CHECK(r.sink.flows[0].rec["proto"] == 47);
  CHECK(r.sink.flows[0].rec["flow"]["orig"]["l4_bytes"] == 100);
}

TEST_CASE("flow: fragments of datagrams never rebuilt: a port-less flow of their own, flagged") {
  Rig r;
  Decoded g = base_ip("10.1.1.1", "10.2.2.2", 47, 100);  // GRE, whole
  g.l4 = L4::other;
  r.add(0, g);
  r.add(1, udp("10.1.1.1", 5000, "10.2.2.2", 53, "q"));
  auto lost = [](const char* src, const char* dst, uint8_t proto, int64_t ms) {
    IncompleteDatagram i;
    i.version = 4;
    i.proto = proto;
    i.src = ip(src);
    i.dst = ip(dst);
    i.fragments = 2;
    i.frame_bytes = 2 * 1514;
    i.ip_bytes = 2 * 1500;
    i.payload_bytes = 2 * 1480;
    i.first = pkt_at(ms * 1'000'000, 0).ts;
    i.last = pkt_at((ms + 1) * 1'000'000, 0).ts;
    return i;
  };
  r.table->add_incomplete(lost("10.1.1.1", "10.2.2.2", 47, 2));  // apart from the whole GRE flow
  r.table->add_incomplete(lost("10.2.2.2", "10.1.1.1", 47, 5));  // the other way: same flow, resp
  r.table->add_incomplete(lost("10.1.1.1", "10.2.2.2", 6, 3));   // TCP, no TCP header seen
  r.table->finish();
  REQUIRE(r.sink.flows.size() == 4);
  CHECK(r.table->stats().incomplete_datagrams == 3);
  CHECK(r.table->stats().incomplete_fragments == 6);
  const json& gre = r.sink.flows[0].rec;
  CHECK(gre["flow"]["fragments_incomplete"] == false);
  CHECK(gre["flow"]["orig"]["packets"] == 1);
  CHECK(r.sink.flows[1].rec["flow"]["fragments_incomplete"] == false);
  const json& lg = r.sink.flows[2].rec;
  CHECK(lg["proto"] == 47);
  CHECK(lg["flow"]["fragments_incomplete"] == true);
  CHECK(lg["src_port"] == 0);
  CHECK(lg["flow"]["orig"]["packets"] == 2);
  CHECK(lg["flow"]["orig"]["link_bytes"] == 3028);
  CHECK(lg["flow"]["orig"]["l3_bytes"] == 3000);
  CHECK(lg["flow"]["orig"]["l4_bytes"] == 2960);
  CHECK(lg["flow"]["resp"]["link_bytes"] == 3028);
  CHECK(lg["flow"]["history"] == "Dd");
  CHECK(lg["flow"]["duration"].get<double>() == doctest::Approx(0.004));
  CHECK(lg["community_id"] == community_id(r.sink.flows[2].flow.key, 0, false));
  const json& lt = r.sink.flows[3].rec;
  CHECK(lt["proto"] == "TCP");
  CHECK(lt["flow"]["fragments_incomplete"] == true);
  CHECK(lt["flow"]["orig"]["retransmits"].is_null());
  CHECK(lt["flow"]["orig"]["tcp_flags"].is_null());
}

TEST_CASE("flow: VLANs separate flows; vlan field") {
  Rig r;
  Decoded a = udp("10.0.0.1", 1, "10.0.0.2", 2, "a");
  a.n_vlan = 1;
  a.vlan[0].tci = 100;
  Decoded b = a;
  b.vlan[0].tci = 200;
  r.add(0, a);
  r.add(1, b);
  r.table->finish();
  REQUIRE(r.sink.flows.size() == 2);
  CHECK(r.sink.flows[0].rec["vlan"] == 100);
  CHECK(r.sink.flows[1].rec["vlan"] == 200);
}

TEST_CASE("flow: idle timeouts per protocol, in capture time") {
  Rig r;
  r.add(0, udp("10.0.0.1", 1, "10.0.0.2", 2, "a"));
  r.add(0, tcp(C, 1, Sv, 80, A, 1, 1, 5));
  r.add(0, icmp("10.0.0.1", "10.0.0.3", 8, 0));
  r.add(59'000, udp("10.0.0.5", 1, "10.0.0.6", 2, "a"));
  CHECK(r.sink.flows.empty());
  r.add(61'000, udp("10.0.0.5", 1, "10.0.0.6", 2, "a"));
  REQUIRE(r.sink.flows.size() == 2);  // udp and icmp at 60 s; tcp lives 300 s
  CHECK(r.sink.flows[0].reason == FlowEnd::idle);
  CHECK(r.sink.flows[0].flow.key.proto == 17);
  CHECK(r.sink.flows[1].flow.key.proto == 1);
  r.add(301'000, udp("10.0.0.5", 1, "10.0.0.6", 2, "a"));
  REQUIRE(r.sink.flows.size() == 4);  // the tcp flow, then udp 10.0.0.5 (idle 240 s)
  CHECK(r.sink.flows[2].flow.key.proto == 6);
  CHECK(r.sink.flows[2].rec["flow"]["reason"] == "idle");
  CHECK(r.table->live() == 1);
  // A flow that times out and comes back is a new flow with a new flow_id.
  r.table->finish();
  CHECK(r.sink.flows[3].flow.id != r.sink.flows[4].flow.id);
  CHECK(r.table->live() == 0);
}

TEST_CASE("flow: port reuse after close starts a new flow") {
  Rig r;
  full_connection(r);
  full_connection(r, 1000);  // same 5-tuple, 1 s later (within the grace)
  r.table->finish();
  REQUIRE(r.sink.flows.size() == 2);
  CHECK(r.sink.flows[0].reason == FlowEnd::fin);
  CHECK(r.sink.flows[1].reason == FlowEnd::fin);  // closed, grace cut short by the end
  CHECK(r.table->stats().port_reuse == 1);
  CHECK(r.sink.flows[1].flow.history_view() == "ShADadFf");
}

TEST_CASE("flow: emergency timeouts and eviction keep the table bounded") {
  FlowTableOptions o;
  o.max_flows = 1000;
  Rig r(o);
  r.sink.keep_records = false;
  char src[32];
  size_t peak = 0;
  for (int i = 0; i < 100000; ++i) {
    std::snprintf(src, sizeof src, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    r.add(i / 10, udp(src, 1234, "192.0.2.1", 53, "x"));  // 10 new flows per ms
    peak = std::max(peak, r.table->live());
  }
  CHECK(peak <= 1000);
  const FlowTableStats& st = r.table->stats();
  CHECK(st.max_live <= 1000);
  CHECK(st.flows_created == 100000);
  CHECK(st.ended[size_t(FlowEnd::evicted)] > 0);
  r.table->finish();
  CHECK(r.sink.count == 100000);  // every flow reported exactly once
  CHECK(r.table->live() == 0);
}

TEST_CASE("flow: emergency timeouts expire before the cap") {
  FlowTableOptions o;
  o.max_flows = 100;
  Rig r(o);
  for (int i = 0; i < 95; ++i) r.add(0, udp("10.0.0.1", uint16_t(1000 + i), "10.0.0.2", 53, "x"));
  CHECK(r.table->emergency());
  r.add(11'000, udp("10.0.0.9", 1, "10.0.0.2", 53, "x"));  // 11 s > emergency 10 s
  CHECK(r.table->stats().emergency_expired == 95);
  CHECK(r.table->stats().ended[size_t(FlowEnd::idle)] == 95);
  CHECK(r.table->live() == 1);
}

TEST_CASE("flow: timestamps going backwards are counted and harmless") {
  Rig r;
  r.add(10'000, udp("10.0.0.1", 1, "10.0.0.2", 2, "a"));
  r.add(5'000, udp("10.0.0.2", 2, "10.0.0.1", 1, "b"));     // 5 s back
  r.add(9'000'000, tcp(C, 1, Sv, 80, S, 1, 0, 0));           // far future: expires the udp flow
  CHECK(r.sink.flows.size() == 1);
  for (int i = 0; i < 100; ++i) r.add(20'000 + i, udp("10.0.0.7", 7, "10.0.0.8", 8, "c"));
  CHECK(r.sink.flows.size() == 1);  // no expiry storm after the jump
  CHECK(r.table->stats().ts_backwards == 101);
  r.table->finish();
  REQUIRE(r.sink.flows.size() == 3);
  const Flow& f = r.sink.flows[0].flow;
  CHECK(f.duration_nsec() == 5 * kSec);  // first = earliest, last = latest
  CHECK(f.resp.packets == 1);
  CHECK(r.sink.flows[2].flow.orig.packets == 100);
}

TEST_CASE("flow: --interval records and partial flow records") {
  FlowTableOptions o;
  o.interval = 60 * kSec;
  Rig r(o);
  // Base time 1700000000 is 20 s after a minute boundary (1699999980).
  r.add(0, tcp(C, 1, Sv, 443, S, 1, 0, 0));
  r.add(1, tcp(Sv, 443, C, 1, S | A, 1, 2, 0));
  std::string hello("\x16\x03\x01\x00\x10\x01\x00\x00\x0c\x03\x03", 11);
  r.add(2, tcp(C, 1, Sv, 443, P | A, 2, 2, uint32_t(hello.size()), hello));
  r.add(3, udp("10.0.0.1", 5, "10.0.0.2", 6, "a"));
  r.add(50'000, tcp(C, 1, Sv, 443, A, 13, 2, 100));  // second interval
  r.add(130'000, tcp(C, 1, Sv, 443, A, 113, 2, 100));  // third (minute starting 1700000100)
  r.table->finish();
  REQUIRE(r.sink.intervals.size() == 3);
  const json& i0 = r.sink.interval_recs[0];
  CHECK(i0["type"] == "interval");
  CHECK(i0["ts"].get<double>() == doctest::Approx(1699999980.0));
  CHECK(i0["interval"] == 60);
  CHECK(i0["packets"] == 4);
  CHECK(i0["flows_started"] == 2);
  CHECK(i0["flows_active"] == 2);
  CHECK(i0["flows_ended"] == 0);
  // The TLS flow's SYN and SYN-ACK were re-labelled once the ClientHello was seen.
  CHECK(i0["by_app"]["tls"] == 54 + 54 + 54 + 11);
  CHECK(i0["by_app"]["unknown"] == 14 + 28 + 1);
  const json& i1 = r.sink.interval_recs[1];
  CHECK(i1["packets"] == 1);
  CHECK(i1["flows_ended"] == 1);  // the udp flow went idle in it
  CHECK(i1["flows_active"] == 1);
  // Partial records: the TLS flow started before the 2nd and 3rd intervals and was active.
  std::vector<const Emitted*> partial;
  for (auto& e : r.sink.flows)
    if (e.partial) partial.push_back(&e);
  REQUIRE(partial.size() == 1);  // end of 2nd interval; the 3rd ends with eof
  CHECK(partial[0]->rec["flow"]["reason"] == "interval");
  CHECK(partial[0]->rec["flow"]["partial"] == true);
  CHECK(partial[0]->rec["flow"]["orig"]["l7_bytes"] == 111);
  CHECK(r.sink.flows.back().rec["flow"]["orig"]["l7_bytes"] == 211);
  CHECK(r.sink.flows.back().rec["flow"]["reason"] == "eof");
}

TEST_CASE("flow: --local direction") {
  LocalNets nets;
  std::string err;
  REQUIRE(nets.parse("10.0.0.0/8, 2001:db8::/32,192.168.1.1", err));
  CHECK(nets.contains(ip("10.200.1.1")));
  CHECK(!nets.contains(ip("11.0.0.1")));
  CHECK(nets.contains(ip("2001:db8:1::5")));
  CHECK(!nets.contains(ip("2001:db9::5")));
  CHECK(nets.contains(ip("192.168.1.1")));
  CHECK(!nets.contains(ip("192.168.1.2")));
  LocalNets bad;
  CHECK(!bad.parse("10.0.0.0/33", err));
  CHECK(!bad.parse("nonsense", err));
  CHECK(!bad.parse("10.0.0.0/", err));
  LocalNets odd;
  REQUIRE(odd.parse("172.16.0.0/12", err));
  CHECK(odd.contains(ip("172.31.255.255")));
  CHECK(!odd.contains(ip("172.32.0.0")));

  FlowTableOptions o;
  o.local = &nets;
  Rig r(o);
  r.add(0, udp("10.0.0.1", 1, "8.8.8.8", 53, "x"));
  r.add(1, udp("8.8.8.8", 1, "10.0.0.1", 53, "x"));
  r.add(2, udp("10.0.0.1", 1, "10.0.0.2", 53, "x"));
  r.add(3, udp("8.8.8.8", 1, "9.9.9.9", 53, "x"));
  r.table->finish();
  REQUIRE(r.sink.flows.size() == 4);
  CHECK(r.sink.flows[0].rec["flow"]["direction"] == "outbound");
  CHECK(r.sink.flows[1].rec["flow"]["direction"] == "inbound");
  CHECK(r.sink.flows[2].rec["flow"]["direction"] == "internal");
  CHECK(r.sink.flows[3].rec["flow"]["direction"] == "external");
}

TEST_CASE("flow: dedup of mirrored frames (TTL and checksum ignored, short window)") {
  uint8_t frame[28] = {0x45, 0, 0, 28, 0x12, 0x34, 0, 0, 64, 17, 0xab, 0xcd, 10, 0, 0, 1,
                       10, 0, 0, 2, 0x13, 0x88, 0x17, 0x70, 0, 8, 0, 0};
  uint8_t copy[28];
  std::memcpy(copy, frame, sizeof copy);
  copy[8] = 63;      // one hop later
  copy[10] = 0xac;   // checksum follows the TTL
  Decoded a = udp("10.0.0.1", 5000, "10.0.0.2", 6000, "");
  a.l3 = Bytes(frame, sizeof frame);
  Decoded b = a;
  b.l3 = Bytes(copy, sizeof copy);
  CHECK(FrameDedup::l3_hash(a) == FrameDedup::l3_hash(b));
  FrameDedup dd(50'000'000);
  CHECK(!dd.duplicate(pkt_at(0, 42), a));
  CHECK(dd.duplicate(pkt_at(10'000'000, 42), b));    // 10 ms later: duplicate
  CHECK(!dd.duplicate(pkt_at(200'000'000, 42), b));  // 200 ms later: a new packet
  uint8_t other[28];
  std::memcpy(other, frame, sizeof other);
  other[5] = 0x35;  // different IP id: a different packet
  Decoded c = a;
  c.l3 = Bytes(other, sizeof other);
  CHECK(!dd.duplicate(pkt_at(200'000'001, 42), c));
  CHECK(dd.dropped() == 1);
  Decoded arp;  // non-IP passes
  CHECK(!dd.duplicate(pkt_at(1, 42), arp));
  CHECK(!dd.duplicate(pkt_at(1, 42), arp));
  // IPv6: hop limit ignored.
  uint8_t v6[40] = {0x60, 0, 0, 0, 0, 0, 59, 64};
  uint8_t v6b[40];
  std::memcpy(v6b, v6, 40);
  v6b[7] = 1;
  Decoded x = base_ip("::1", "::2", 59, 0);
  x.l3 = Bytes(v6, 40);
  Decoded y = x;
  y.l3 = Bytes(v6b, 40);
  CHECK(FrameDedup::l3_hash(x) == FrameDedup::l3_hash(y));
}

TEST_CASE("app_detect: labels and truncated prefixes") {
  std::string ch("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  std::string sh("\x16\x03\x03\x00\x5a\x02\x00\x00\x56\x03\x03", 11);
  std::string v2("\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10", 11);
  std::string dnsq("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07" "example\x03" "com\x00\x00\x01\x00\x01", 29);
  std::string dnstcp = std::string("\x00\x1d", 2) + dnsq;
  CHECK(detect_app(as_bytes(ch), 6, 5000, 443) == App::tls);
  CHECK(detect_app(as_bytes(sh), 6, 443, 5000) == App::tls);
  CHECK(detect_app(as_bytes(v2), 6, 5000, 443) == App::tls);
  CHECK(detect_app(as_bytes("GET /index.html HTTP/1.1\r\n"), 6, 5000, 8080) == App::http);
  CHECK(detect_app(as_bytes("HTTP/1.1 200 OK\r\n"), 6, 80, 5000) == App::http);
  CHECK(detect_app(as_bytes("GETX / HTTP/1.1"), 6, 5000, 80) == App::unknown);
  CHECK(detect_app(as_bytes("SSH-2.0-OpenSSH_9.6\r\n"), 6, 5000, 443) == App::ssh);
  CHECK(detect_app(as_bytes(dnsq), 17, 5000, 53) == App::dns);
  CHECK(detect_app(as_bytes(dnsq), 17, 5000, 5300) == App::unknown);  // port 53 only
  CHECK(detect_app(as_bytes(dnstcp), 6, 5000, 53) == App::dns);
  CHECK(detect_app(as_bytes("GET / HTTP/1.1"), 17, 5000, 80) == App::unknown);  // TCP only
  CHECK(detect_app(as_bytes(std::string(12, '\xff')), 17, 5000, 53) == App::unknown);
  CHECK(std::string(app_name(App::unknown)) == "unknown");
  // Every truncated prefix: no crash, and no label from fewer bytes than the rule needs.
  for (const std::string* s : {&ch, &sh, &v2, &dnsq, &dnstcp}) {
    for (size_t n = 0; n < s->size(); ++n) {
      Bytes b(reinterpret_cast<const uint8_t*>(s->data()), n);
      App a = detect_app(b, s == &dnsq ? 17 : 6, 5000, s == &dnsq || s == &dnstcp ? 53 : 443);
      if (n < 6) CHECK(a == App::unknown);
    }
  }
}

TEST_CASE("app_detect: quic, dtls, http2 and the labels that may refine others") {
  CHECK(detect_app(as_bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 6, 5000, 80) == App::http2);
  // A TLS 1.2 ServerHello selecting h2 (record + handshake whole in the packet).
  std::string ext = std::string("\x00\x10\x00\x05\x00\x03\x02h2", 9);
  std::string body = std::string("\x03\x03", 2) + std::string(32, 'r') + std::string("\x00\xc0\x2f\x00", 4) +
                     std::string("\x00", 1) + char(ext.size()) + ext;
  std::string hs = std::string("\x02\x00", 2) + char(body.size() >> 8) + char(body.size()) + body;
  std::string rec = std::string("\x16\x03\x03", 3) + char(hs.size() >> 8) + char(hs.size()) + hs;
  CHECK(detect_app(as_bytes(rec), 6, 443, 5000) == App::http2);
  std::string quic = std::string("\xc3\x00\x00\x00\x01\x08", 6) + std::string(40, 'q');
  CHECK(detect_app(as_bytes(quic), 17, 5000, 443) == App::quic);
  quic[1] = 0x2a;  // not a version with known Initial keys
  CHECK(detect_app(as_bytes(quic), 17, 5000, 443) == App::unknown);
  std::string dtls = std::string("\x16\xfe\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 13) + std::string(16, 'd');
  CHECK(detect_app(as_bytes(dtls), 17, 5000, 4433) == App::dtls);
  CHECK(detect_app(as_bytes(dtls), 6, 5000, 4433) == App::unknown);
  CHECK(app_refines(App::unknown, App::quic));
  CHECK(app_refines(App::tls, App::http2));
  CHECK(app_refines(App::quic, App::http3));
  CHECK_FALSE(app_refines(App::http, App::tls));
  CHECK_FALSE(app_refines(App::tls, App::unknown));
  CHECK(std::string(app_name(App::http3)) == "http3");
}

TEST_CASE("flow: tcp flag letters") {
  std::string s;
  append_tcp_flag_letters(s, 0x1b);
  CHECK(s == "FSPA");
  s.clear();
  append_tcp_flag_letters(s, 0xff);
  CHECK(s == "FSRPAUEC");
}

// ---- Real captures: byte counts against the fixtures' truth ----

namespace {

struct FixtureRun {
  Sink sink;
  bool ok = false;
};

void run_fixture(const std::string& name, FixtureRun& run, bool defrag) {
  std::string path = std::string(NETLINES_FIXTURES) + "/" + name;
  OpenResult r = open_capture(path);
  if (r.status != OpenStatus::ok) return;
  FlowTableOptions o;
  FlowTable table(o, run.sink);
  Defragmenter df;
  Reassembled re;
  Packet p;
  while (r.source->next(p) == ReadStatus::ok) {
    Decoded d;
    decode_frame(p.linktype, p.data, p.origlen, d);
    if (defrag && d.ip.fragment) {
      if (!df.feed(p, d, re)) continue;
      Decoded whole;
      decode_ip(re.bytes(), whole);
      whole.n_vlan = d.n_vlan;
      for (int i = 0; i < d.n_vlan; ++i) whole.vlan[i] = d.vlan[i];
      Packet rp = p;
      rp.ts = re.ts;
      rp.origlen = uint32_t(re.datagram.size());
      table.add(rp, whole);
      continue;
    }
    table.add(p, d);
  }
  table.finish();
  run.ok = true;
}

const Emitted* find_flow(const Sink& s, const json& client, const json& server, uint8_t proto) {
  for (const Emitted& e : s.flows)
    if (e.flow.key.proto == proto && e.rec["src_ip"] == client["ip"] && e.rec["src_port"] == client["port"] &&
        e.rec["dest_ip"] == server["ip"] && e.rec["dest_port"] == server["port"])
      return &e;
  return nullptr;
}

}  // namespace

TEST_CASE("flow: fixtures' TCP byte counts, end reason and app; UDP datagrams") {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(NETLINES_FIXTURES) / "truth";
  if (!fs::exists(dir)) return;
  int checked = 0;
  for (const auto& ent : fs::directory_iterator(dir)) {
    std::ifstream in(ent.path());
    json truth = json::parse(in);
    std::string file = truth["file"];
    CAPTURE(file);
    FixtureRun run;
    run_fixture(file, run, true);
    if (!run.ok) continue;
    for (const json& c : truth["connections"]) {
      const Emitted* e = find_flow(run.sink, c["client"], c["server"], 6);
      REQUIRE_MESSAGE(e, "no flow for connection " << c.dump());
      CHECK(e->flow.orig.l7_bytes_unique == c["c2s_bytes"].get<uint64_t>());
      CHECK(e->flow.resp.l7_bytes_unique == c["s2c_bytes"].get<uint64_t>());
      std::string l7 = c.value("l7", "other");
      if (l7 == "http" || l7 == "tls" || l7 == "dns") CHECK(app_name(e->flow.app) == l7);
      if (c.value("handshake_in_capture", false) && c["end"] == "fin" && truth["notes"].empty())
        CHECK(e->flow.history_view().substr(0, 3) == "ShA");
      ++checked;
    }
    for (const json& u : truth["udp_flows"]) {
      const Emitted* e = find_flow(run.sink, u["client"], u["server"], 17);
      REQUIRE_MESSAGE(e, "no flow for udp " << u.dump());
      CHECK(e->flow.orig.packets == u["c2s_datagrams"].get<uint64_t>());
      CHECK(e->flow.orig.l7_bytes == u["c2s_bytes"].get<uint64_t>());
      CHECK(e->flow.resp.packets == u["s2c_datagrams"].get<uint64_t>());
      CHECK(e->flow.resp.l7_bytes == u["s2c_bytes"].get<uint64_t>());
      ++checked;
    }
  }
  CHECK(checked > 20);
}
