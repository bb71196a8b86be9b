// A pkt line rebuilt into a frame must decode to the same fields as the original
// packet: this is what makes `pcap2pkt | stage` equal to `stage capture`.
#include <doctest/doctest.h>

#include <filesystem>
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

TEST_CASE("pkt records rebuild into frames that decode the same, on every fixture") {
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(NETLINES_FIXTURES)) {
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
      CHECK_NOTHROW((void)nlohmann::json::parse(line));
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
    }
  }
  CHECK(files >= 20);
}

TEST_CASE("pkt reader: errors name what is wrong") {
  PktReader reader;
  RebuiltPacket out;
  std::string type, msg;
  CHECK(reader.read("not json", true, out, type, msg) == PktReadStatus::error);
  CHECK(msg == "not valid JSON");
  CHECK(reader.read("[1,2]", true, out, type, msg) == PktReadStatus::error);
  CHECK(reader.read("{\"n\":1}", true, out, type, msg) == PktReadStatus::error);
  CHECK(msg == "missing field 'type'");
  CHECK(reader.read("{\"type\":\"flow\"}", true, out, type, msg) == PktReadStatus::not_pkt);
  CHECK(type == "flow");
  std::string base = R"({"type":"pkt","n":1,"ts":"2024-01-01T00:00:00.000001Z","caplen":60,"len":60,)"
                     R"("ip":{"version":4,"src":"10.0.0.1","dst":"10.0.0.2","hdr_len":20,"total_len":43,"proto":17},)"
                     R"("src_port":1,"dest_port":2,"udp":{"len":23},"payload_len":3)";
  CHECK(reader.read(base + "}", true, out, type, msg) == PktReadStatus::error);
  CHECK(msg.find("--payload=b64") != std::string::npos);
  CHECK(reader.read(base + R"(,"payload":"!!!!"})", true, out, type, msg) == PktReadStatus::error);
  CHECK(msg == "field 'payload' is not valid base64");
  REQUIRE(reader.read(base + R"(,"payload":"YWJj"})", true, out, type, msg) == PktReadStatus::ok);
  Decoded d;
  decode_frame(out.packet.linktype, out.packet.data, out.packet.origlen, d);
  CHECK(d.l4 == L4::udp);
  CHECK(as_text(d.payload) == "abc");
  CHECK(reader.read(R"({"type":"pkt","n":1,"ts":"bad","len":1,"ip":{}})", true, out, type, msg) == PktReadStatus::error);
  CHECK(msg == "bad timestamp in 'ts'");
}
