// A pkt line rebuilt into a frame must decode to the same fields as the original
// packet: this is what makes `pcap2pkt | stage` equal to `stage capture`.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <tuple>
#include <nlohmann/json.hpp>

#include "libcore/capture/reader.hpp"
#include "libcore/record/pkt.hpp"

using namespace nl;

namespace {

void check_same(const Decoded& a, const Decoded& b, const std::string& where) {
  INFO(where);
  CHECK(a.ip.version == b.ip.version);
  CHECK(a.ip.src == b.ip.src);
  CHECK(a.ip.dst == b.ip.dst);
  CHECK(a.ip.proto == b.ip.proto);
  CHECK(a.ip.ttl == b.ip.ttl);
  CHECK(a.ip.total_len == b.ip.total_len);
  CHECK(a.ip.fragment == b.ip.fragment);
  CHECK(a.ip.frag_offset == b.ip.frag_offset);
  CHECK(a.ip.mf == b.ip.mf);
  CHECK(a.ip.id == b.ip.id);
  CHECK(a.n_vlan == b.n_vlan);
  CHECK(a.outer_vlan() == b.outer_vlan());
  CHECK(int(a.l4) == int(b.l4));
  CHECK(a.ports_src() == b.ports_src());
  CHECK(a.ports_dst() == b.ports_dst());
  CHECK(a.tcp.seq == b.tcp.seq);
  CHECK(a.tcp.ack == b.tcp.ack);
  CHECK(a.tcp.flags == b.tcp.flags);
  CHECK(a.tcp.window == b.tcp.window);
  CHECK(a.tcp.mss == b.tcp.mss);
  CHECK(a.tcp.wscale == b.tcp.wscale);
  CHECK(a.tcp.n_sack == b.tcp.n_sack);
  CHECK(a.tcp.header_len == b.tcp.header_len);
  CHECK(a.icmp.type == b.icmp.type);
  CHECK(a.payload_len == b.payload_len);
  CHECK(as_text(a.payload) == as_text(b.payload));
  if (a.ip.version == 4) CHECK(a.ip.header_len == b.ip.header_len);
}

}  // namespace

namespace {

// Every packet of every capture in `dir`: write its pkt line, read it back, decode the
// rebuilt frame. Frames of any link type rebuild as Ethernet or raw IP. Returns the
// number of captures; `linktypes` collects the link types met.
int check_roundtrip_dir(const std::string& dir, std::set<uint32_t>& linktypes) {
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string path = entry.path().string();
    if (path.find(".pcap") == std::string::npos) continue;
    ++files;
    OpenResult r = open_capture(path);
    REQUIRE(r.status == OpenStatus::ok);
    Packet p;
    Decoded original, rebuilt_d;
    PktReader reader;
    RebuiltPacket rebuilt;
    std::string line, type, message;
    uint64_t n = 0;
    while (r.source->next(p) == ReadStatus::ok) {
      p.number = ++n;
      decode_frame(p.linktype, p.data, p.origlen, original);
      line.clear();
      PktOptions opt;
      opt.time = n % 2 ? TimeFormat::iso : TimeFormat::epoch;
      write_pkt_record(line, p, original, opt);
      REQUIRE(line.back() == '\n');
      line.pop_back();
      CHECK_NOTHROW(std::ignore = nlohmann::json::parse(line));
      PktReadStatus st = reader.read(line, true, rebuilt, type, message);
      std::string where = path + " packet " + std::to_string(n) + ": " + message;
      if (original.ip.version == 0) {
        CHECK_MESSAGE(st == PktReadStatus::no_ip, where);
        continue;
      }
      REQUIRE_MESSAGE(st == PktReadStatus::ok, where);
      CHECK(rebuilt.packet.number == n);
      CHECK(rebuilt.packet.ts == p.ts);
      CHECK(rebuilt.packet.origlen == p.origlen);
      decode_frame(rebuilt.packet.linktype, rebuilt.packet.data, rebuilt.packet.origlen, rebuilt_d);
      check_same(original, rebuilt_d, where);
      linktypes.insert(p.linktype);
    }
  }
  return files;
}

}  // namespace

TEST_CASE("pkt records rebuild into frames that decode the same, on every fixture") {
  std::set<uint32_t> linktypes;
  CHECK(check_roundtrip_dir(NETLINES_FIXTURES, linktypes) >= 20);
}

TEST_CASE("pkt records rebuild the same from every link type of tests/data") {
  std::set<uint32_t> linktypes;
  CHECK(check_roundtrip_dir(NETLINES_TEST_DATA, linktypes) >= 10);
  // PPPoE (Ethernet), PPP, Cisco HDLC, 802.11 radiotap, NFLOG, IPoIB: each carried IP.
  for (uint32_t lt : {linktype::ethernet, linktype::ppp, linktype::c_hdlc, linktype::ieee802_11_radiotap,
                      linktype::nflog, linktype::ipoib}) {
    CAPTURE(lt);
    CHECK(linktypes.count(lt) == 1);
  }
}

TEST_CASE("pkt reader: errors name what is wrong") {
  PktReader reader;
  RebuiltPacket out;
  std::string type, msg;
  CHECK(reader.read("not json", true, out, type, msg) == PktReadStatus::error);
  CHECK(msg == "not valid JSON");
  CHECK(reader.read("[1,2]", true, out, type, msg) == PktReadStatus::error);
  CHECK(reader.read("{\"n\":1}", true, out, type, msg) == PktReadStatus::error);
  CHECK(msg == "missing field \"type\"");
  CHECK(reader.read("{\"type\":\"flow\"}", true, out, type, msg) == PktReadStatus::not_pkt);
  CHECK(type == "flow");
  std::string base = R"({"type":"pkt","n":1,"ts":"2024-01-01T00:00:00.000001Z","caplen":60,"len":60,)"
                     R"("ip":{"version":4,"src":"10.0.0.1","dst":"10.0.0.2","hdr_len":20,"total_len":43,"proto":17},)"
                     R"("src_port":1,"dest_port":2,"udp":{"len":23},"payload_len":3)";
  CHECK(reader.read(base + "}", true, out, type, msg) == PktReadStatus::error);
  CHECK(msg.find("--payload=b64") != std::string::npos);
  CHECK(reader.read(base + R"(,"payload":"!!!!"})", true, out, type, msg) == PktReadStatus::error);
  CHECK(msg == "field \"payload\": not valid base64");
  REQUIRE(reader.read(base + R"(,"payload":"YWJj"})", true, out, type, msg) == PktReadStatus::ok);
  Decoded d;
  decode_frame(out.packet.linktype, out.packet.data, out.packet.origlen, d);
  CHECK(d.l4 == L4::udp);
  CHECK(as_text(d.payload) == "abc");
  // JSON escapes in the payload are legal: the scanner leaves such a line to the DOM.
  uint64_t dom_before = reader.dom_reads();
  msg.clear();
  REQUIRE(reader.read(base + R"(,"payload":"\/\/8="})", true, out, type, msg) == PktReadStatus::ok);
  CHECK(reader.dom_reads() == dom_before + 1);
  CHECK(msg.empty());  // the scanner's attempt leaves no message behind
  decode_frame(out.packet.linktype, out.packet.data, out.packet.origlen, d);
  CHECK(as_text(d.payload) == "\xff\xff");
  CHECK(reader.read(R"({"type":"pkt","n":1,"ts":"bad","len":1,"ip":{}})", true, out, type, msg) == PktReadStatus::error);
  CHECK(msg == "field \"ts\": not a timestamp: \"bad\"");
}

TEST_CASE("pkt reader: skimming tells other records apart by their leading type alone") {
  PktReader skim, full;
  skim.skim_other_types();
  RebuiltPacket out;
  std::string type, msg;
  // Another type: not_pkt at once, even when the rest is not JSON (the caller reads it whole).
  for (const char* line : {R"({"type":"monologue","flow_id":1})", R"({"type":"monologue", bad)"}) {
    INFO(std::string(line));
    CHECK(skim.read(line, true, out, type, msg) == PktReadStatus::not_pkt);
    CHECK(type == "monologue");
  }
  CHECK(full.read(R"({"type":"monologue", bad)", true, out, type, msg) == PktReadStatus::error);
  // Anything else is read as before: a pkt record, an escaped type, another layout.
  for (const char* line : {R"({"type":"pkt","n":1})", R"({"type":"pkt","n":1})", R"( {"type":"x"})",
                           R"({"n":1,"type":"x"})", R"({"type":7})", "not json"}) {
    INFO(std::string(line));
    std::string type_full, msg_full;
    msg.clear();
    PktReadStatus a = skim.read(line, true, out, type, msg);
    PktReadStatus b = full.read(line, true, out, type_full, msg_full);
    CHECK(int(a) == int(b));
    CHECK(msg == msg_full);
  }
}

TEST_CASE("pkt reader: a huge recorded IPv6 header length builds a bounded frame") {
  PktReader reader;
  RebuiltPacket out;
  std::string type, msg;
  for (const char* hdr_len : {"1000000000000", "18446744073709551615", "2100", "48"}) {
    std::string line = std::string(R"({"type":"pkt","n":1,"ts":"2024-01-01T00:00:00Z","len":60,)") +
                       R"("ip":{"version":6,"src":"::1","dst":"::2","total_len":60,"hdr_len":)" + hdr_len +
                       R"(,"proto":17,"ext":["hop_by_hop"]},"src_port":1,"dest_port":2,"udp":{"len":8},"payload":""})";
    INFO(line);
    REQUIRE(reader.read(line, true, out, type, msg) == PktReadStatus::ok);
    CHECK(out.frame.size() <= 40 + 256 * 8 + 8);  // IPv6, the largest hop-by-hop header, UDP
    Decoded d;
    decode_frame(out.packet.linktype, out.packet.data, out.packet.origlen, d);
    if (std::string_view(hdr_len) == "48") CHECK(d.l4 == L4::udp);  // the others overrun total_len
  }
}

TEST_CASE("pkt reader: the most headers a record can describe fit the frame's room") {
  PktReader reader;
  RebuiltPacket out;
  std::string type, msg;
  std::string vlans, ext;
  const char* ext_names[] = {R"("hop_by_hop")", R"("ah")", R"("fragment")"};
  for (int i = 0; i < 8; ++i) vlans += std::string(i ? "," : "") + R"({"id":5,"pcp":0,"dei":false,"tpid":"0x8100"})";
  for (int i = 0; i < 16; ++i) ext += std::string(i ? "," : "") + ext_names[i % 3];
  std::string line =
      std::string(R"({"type":"pkt","n":1,"ts":"2024-01-01T00:00:00Z","len":60,"link":{"type":"ethernet"},"vlan":[)") +
      vlans + R"(],"ip":{"version":6,"src":"::1","dst":"::2","total_len":4000,"hdr_len":100000,"proto":6,"ext":[)" +
      ext + R"(]},"src_port":1,"dest_port":2,"tcp":{"seq":1,"ack":2,"flags_raw":16,"window":9,"hdr_len":60,)" +
      R"("options":{"mss":1460,"sack":[[1,2],[3,4],[5,6],[7,8]]}},"payload":"YWJj"})";
  REQUIRE(reader.read(line, true, out, type, msg) == PktReadStatus::ok);
  // 14 + 8 tags, 40 + 15 small extension headers + the last at its 2048 bytes, 60, 3.
  CHECK(out.frame.size() > 14 + 32 + 40 + 2048 + 60);
  CHECK(out.frame.size() <= 14 + 32 + 40 + 15 * 12 + 2048 + 60 + 3);
}

namespace {

// Reads `line` with the fast scanner and with the DOM only; everything a caller
// sees must be the same.
void check_readers_agree(PktReader& fast, PktReader& dom, const std::string& line) {
  RebuiltPacket a, b;
  std::string type_a, type_b, msg_a, msg_b;
  PktReadStatus sa = fast.read(line, true, a, type_a, msg_a);
  PktReadStatus sb = dom.read(line, true, b, type_b, msg_b);
  INFO(line);
  REQUIRE(int(sa) == int(sb));
  CHECK(msg_a == msg_b);
  if (sa == PktReadStatus::error) return;
  CHECK(type_a == type_b);
  if (sa != PktReadStatus::ok) return;
  CHECK(a.frame == b.frame);
  CHECK(a.packet.number == b.packet.number);
  CHECK(a.packet.ts == b.packet.ts);
  CHECK(a.packet.caplen == b.packet.caplen);
  CHECK(a.packet.origlen == b.packet.origlen);
  CHECK(a.packet.linktype == b.packet.linktype);
  CHECK(a.packet.interface == b.packet.interface);
}

}  // namespace

TEST_CASE("pkt reader: the fast scanner reads every line as the DOM does, mutated lines too") {
  namespace fs = std::filesystem;
  PktReader fast, dom(true);
  // Characters that stress the scanner's limits: escapes, numbers it leaves to
  // the DOM, structure, whitespace, control and non-ASCII bytes.
  const std::string specials = "\\\"-.eE0 9}]{[,:tfn\x01\t\xc3\xa9x";
  size_t lines = 0, layout_lines = 0;
  for (const auto& entry : fs::directory_iterator(NETLINES_FIXTURES)) {
    std::string path = entry.path().string();
    if (path.find(".pcap") == std::string::npos) continue;
    OpenResult r = open_capture(path);
    REQUIRE(r.status == OpenStatus::ok);
    Packet p;
    Decoded d;
    std::string line;
    uint64_t n = 0;
    while (r.source->next(p) == ReadStatus::ok && n < 40) {
      p.number = ++n;
      decode_frame(p.linktype, p.data, p.origlen, d);
      line.clear();
      PktOptions opt;
      opt.time = n % 3 ? TimeFormat::iso : TimeFormat::epoch;
      opt.payload = n % 5 ? PayloadMode::b64 : PayloadMode::text;
      write_pkt_record(line, p, d, opt);
      line.pop_back();
      uint64_t dom_before = fast.dom_reads(), layout_before = fast.layout_reads();
      check_readers_agree(fast, dom, line);
      // Our own lines stay on the fast path unless they hold an epoch number or text payload.
      if (opt.time == TimeFormat::iso && opt.payload == PayloadMode::b64) {
        CHECK(fast.dom_reads() == dom_before);
        // The layout reader takes every IP packet on plain Ethernet (VLAN tags allowed).
        bool plain = d.has_eth && !d.eth.llc && !d.n_mpls && !d.has_pppoe && d.ip.version && !d.n_anomalies;
        if (plain) CHECK_MESSAGE(fast.layout_reads() == layout_before + 1, line);
        layout_lines += fast.layout_reads() - layout_before;
      }
      ++lines;
      // Every 7th position: cut there, or put a special character there.
      for (size_t at = 0; at < line.size(); at += 7) {
        check_readers_agree(fast, dom, line.substr(0, at));
        std::string changed = line;
        changed[at] = specials[(at / 7 + n) % specials.size()];
        check_readers_agree(fast, dom, changed);
        changed = line;
        changed.insert(at, 1, specials[(at / 7 + n + 3) % specials.size()]);
        check_readers_agree(fast, dom, changed);
      }
    }
  }
  CHECK(lines > 200);
  CHECK(layout_lines > 100);
  // Hand-made cases at the scanner's edges.
  for (const char* odd : {
           R"({"type":"pkt"} )", R"( {"type":"pkt"})", "{\"type\":\"pkt\"}\t\r", R"({"type":"pkt"}x)",
           R"({"type":"pkt",})", R"({"type":"pkt","n":01})", R"({"type":"pkt","n":18446744073709551615})",
           R"({"type":"pkt","n":99999999999999999999})", R"({"type":"pkt","n":1e3})", R"({"type":"pkt","n":-1})",
           R"({"type":"pkt","iface":9223372036854775808})", R"({"type":"p\u006bt"})", R"({"type":"pkt","vlan":[]})",
           R"({"type":"pkt","vlan":[1,{"id":5}],"ip":7})", R"({"type":"pkt","a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})",
           R"({"type":"pkt","a":[,1]})", R"({"type":"pkt","a":[1,]})", R"({"type":"pkt","a":nul})", R"({"type":"pkt","a":truee})",
           R"({"type":"pkt","type":"flow"})", R"({"type":"pkt" , "n" : 1 })", "", "{}", "[]", "\"pkt\"",
           // A bad payload that a later duplicate replaces is still bad JSON (found by fuzzing).
           "{\"type\":\"pkt\",\"payload\":\"YW\x01Jj\",\"payload\":\"\"}",
           R"({"type":"pkt","payload":"YW\Jj","payload":"YWJj"})", R"({"type":"pkt","payload":"YWJj","payload":7})"}) {
    check_readers_agree(fast, dom, odd);
  }
}

namespace {

// A UDP pkt line with 3 payload bytes whose lengths fit exactly, with `edit`
// applied: {from, to} replaced once.
std::string udp_line(std::string_view from = {}, std::string_view to = {}) {
  std::string line = R"({"type":"pkt","n":1,"ts":"2024-01-01T00:00:00.000001Z","caplen":45,"len":45,)"
                     R"("ip":{"version":4,"src":"10.0.0.1","dst":"10.0.0.2","hdr_len":20,"total_len":31,)"
                     R"("ttl":64,"proto":17},"src_port":1,"dest_port":2,"udp":{"len":11},"payload":"YWJj"})";
  if (!from.empty()) {
    size_t at = line.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, from);
    line.replace(at, from.size(), to);
  }
  return line;
}

struct Told {
  PktReadStatus status;
  std::string message, kind, cause;
};

// What the fast reader and the DOM-only reader say of `line`: the same, or the test fails.
Told told(const std::string& line) {
  PktReader fast, dom(true);
  RebuiltPacket a, b;
  std::string type, msg_a, msg_b;
  Told t;
  t.status = fast.read(line, true, a, type, msg_a);
  INFO(line);
  CHECK(int(dom.read(line, true, b, type, msg_b)) == int(t.status));
  CHECK(msg_a == msg_b);
  t.message = msg_a;
  if (t.status == PktReadStatus::error) {
    REQUIRE(fast.problem());
    t.kind = fast.problem().kind;
    t.cause = fast.problem().cause;
    CHECK(fast.problem().message == msg_a);
    CHECK(std::string(dom.problem().kind) == t.kind);
    CHECK(dom.problem().cause == t.cause);
  } else {
    CHECK(!fast.problem());
  }
  return t;
}

}  // namespace

TEST_CASE("pkt reader: a line that lies gets a precise message, kind and cause") {
  REQUIRE(told(udp_line()).status == PktReadStatus::ok);

  Told t = told(udp_line(R"("udp":{"len":11})", R"("udp":{"len":11},"tcp":"string")"));
  CHECK(t.message == R"(field "tcp": expected an object, got a string)");
  CHECK(t.kind == "wrong_type");
  CHECK(t.cause == R"(field "tcp": expected an object)");

  t = told(udp_line(R"("ip":{"version":4,"src":"10.0.0.1","dst":"10.0.0.2","hdr_len":20,"total_len":31,)"
                    R"("ttl":64,"proto":17})",
                    R"("ip":[1,2])"));
  CHECK(t.message == R"(field "ip": expected an object, got an array)");
  CHECK(t.cause == R"(field "ip": expected an object)");

  t = told(udp_line(R"("src":"10.0.0.1")", R"("src":5)"));
  CHECK(t.message == R"(field "ip.src": expected a string, got a number)");
  t = told(udp_line(R"("ts":"2024-01-01T00:00:00.000001Z")", R"("ts":true)"));
  CHECK(t.message == R"(field "ts": expected a string or a number, got a boolean)");
  t = told(udp_line(R"("ttl":64)", R"("ttl":1.5)"));
  CHECK(t.message == R"(field "ip.ttl": expected an integer, got 1.5)");
  CHECK(t.kind == "wrong_type");

  t = told(udp_line(R"("src_port":1)", R"("src_port":70000)"));
  CHECK(t.message == R"(field "src_port": 70000 is out of range (0-65535))");
  CHECK(t.kind == "out_of_range");
  CHECK(t.cause == R"(field "src_port": out of range (0-65535))");
  t = told(udp_line(R"("src_port":1)", R"("src_port":-1)"));
  CHECK(t.message == R"(field "src_port": -1 is out of range (0-65535))");
  t = told(udp_line(R"("ttl":64)", R"("ttl":1e400)"));
  CHECK(t.message == R"(field "ip.ttl": 1e400 is out of range (0-255))");
  CHECK(t.kind == "out_of_range");
  t = told(udp_line(R"("ttl":64)", R"("ttl":256)"));
  CHECK(t.message == R"(field "ip.ttl": 256 is out of range (0-255))");
  t = told(udp_line(R"("dest_port":2)", R"("dest_port":123456789012345678901234567890)"));
  CHECK(t.kind == "out_of_range");
  CHECK(t.message.starts_with(R"(field "dest_port": )"));
  // A whole number written otherwise is still that number.
  CHECK(told(udp_line(R"("ttl":64)", R"("ttl":6.4e1)")).status == PktReadStatus::ok);

  t = told(udp_line(R"("payload":"YWJj")", R"("payload":"YWJjZGVm")"));
  CHECK(t.message == "payload is 6 bytes, the frame's lengths allow 3");
  CHECK(t.kind == "payload_too_long");
  CHECK(t.cause == "payload longer than the frame's lengths allow");
  t = told(udp_line(R"("udp":{"len":11})", R"("udp":{"len":9})"));
  CHECK(t.message == "payload is 3 bytes, the frame's lengths allow 1");

  t = told(udp_line(R"("type":"pkt","n":1,)", R"("type":"pkt",)"));
  CHECK(t.message == R"(missing field "n")");
  CHECK(t.kind == "missing_field");
  t = told(udp_line(R"("version":4)", R"("version":5)"));
  CHECK(t.message == R"(field "ip.version": 5 is neither 4 nor 6)");
  CHECK(t.kind == "bad_value");
  t = told(udp_line(R"("payload":"YWJj")", R"("payload_len":3)"));
  CHECK(t.kind == "no_payload");
  t = told("{\"type\":\"pkt\",");
  CHECK(t.message == "not valid JSON");
  CHECK(t.kind == "not_json");

  // Records of other types keep their fields to themselves.
  CHECK(told(R"({"type":"flow","ip":[1,2],"tcp":"x","src_port":70000,"len":-1})").status == PktReadStatus::not_pkt);
  CHECK(told(R"({"ip":[1,2],"type":"flow"})").status == PktReadStatus::not_pkt);
}

TEST_CASE("pkt reader: the fast readers leave lying lines to the DOM, and read good ones themselves") {
  PktReader reader;
  RebuiltPacket out;
  std::string type, msg;
  REQUIRE(reader.read(udp_line(), true, out, type, msg) == PktReadStatus::ok);
  CHECK(reader.dom_reads() == 0);
  CHECK(reader.read(udp_line(R"("udp":{"len":11})", R"("udp":{"len":11},"tcp":[])"), true, out, type, msg) ==
        PktReadStatus::error);
  CHECK(reader.dom_reads() == 1);
  // The problem of one line does not stay for the next.
  REQUIRE(reader.read(udp_line(), true, out, type, msg) == PktReadStatus::ok);
  CHECK(!reader.problem());
}
