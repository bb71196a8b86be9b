// DNS: the message parser on the raw input (written as a record, as query and as
// response), then DnsSink fed the input as UDP datagrams (a header byte: bit 0 the
// direction, bits 1-2 the port: 53, 5353, 5300, 40000; bits 3-7 seconds to move
// the clock; a length byte; the payload) up to a zero byte, and the rest as TCP
// monologue pieces (fuzz_tls's encoding); every transaction is written.
#include <string>
#include <vector>

#include "libcore/decode/packet.hpp"
#include "libcore/json/writer.hpp"
#include "libcore/proto/dns_record.hpp"
#include "libcore/proto/dns_session.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace nl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string out;
  {
    DnsTransaction tx;
    tx.has_response = parse_dns(Bytes(data, size), tx.response, size + (size & 1));
    tx.has_query = true;
    parse_dns(Bytes(data, size), tx.query);
    JsonWriter w(out);
    write_dns_record(w, "\"flow_id\":1", tx, TimeFormat::iso);
  }

  DnsOptions opt;
  opt.max_pending = 8;
  opt.max_pending_per_flow = 3;
  opt.max_flows = 4;
  uint64_t written = 0;
  DnsSink sink(
      [&](const std::string& ids, const DnsTransaction& tx) {
        out.clear();
        JsonWriter w(out);
        write_dns_record(w, ids, tx, TimeFormat::epoch);
        ++written;
      },
      opt);
  fuzz::Cursor c(data, size);
  static const uint16_t kPorts[4] = {53, 5353, 5300, 40000};
  int64_t sec = 1000;
  std::vector<uint8_t> frame;
  while (!c.empty()) {
    uint8_t h = c.u8();
    if (h == 0) break;
    bool back = h & 1;
    uint16_t port = kPorts[h >> 1 & 3];
    sec += h >> 3;
    Bytes payload = c.take(c.u8());
    size_t ulen = 8 + payload.size();
    uint8_t a = back ? 2 : 1, b = back ? 1 : 2;
    uint16_t sp = back ? port : uint16_t(30000 + (h >> 3 & 3)), dp = back ? uint16_t(30000 + (h >> 3 & 3)) : port;
    frame = {0x45, 0, uint8_t((20 + ulen) >> 8), uint8_t(20 + ulen), 0, 0, 0, 0, 64, 17, 0, 0,
             10, 0, 0, a, 10, 0, 0, b,
             uint8_t(sp >> 8), uint8_t(sp), uint8_t(dp >> 8), uint8_t(dp), uint8_t(ulen >> 8), uint8_t(ulen), 0, 0};
    frame.insert(frame.end(), payload.begin(), payload.end());
    Packet p;
    p.linktype = linktype::raw;
    p.ts.sec = sec;
    p.data = {frame.data(), frame.size()};
    p.caplen = p.origlen = uint32_t(frame.size());
    Decoded d;
    decode_packet(p, d);
    sink.on_datagram(p, d);
    FUZZ_CHECK(sink.pending() <= opt.max_pending);
  }
  SessionView sv;
  sv.session_no = 1;
  sv.key.proto = 6;
  sv.key.sport = 40000;
  sv.key.dport = c.u8() & 1 ? 53 : 8053;
  sv.handshake_seen = c.u8() & 1;
  sink.session_start(sv);
  fuzz::PieceFormat f;
  f.min_gap = 1;
  f.long_mod = 2048;
  fuzz::for_each_piece(c, f, [&](const MonologuePiece& p) { sink.monologue(sv, p); });
  sink.session_end(sv, {});
  sink.finish(EndReason::eof);
  FUZZ_CHECK(sink.pending() == 0);
  FUZZ_CHECK(written == sink.stats().transactions);
  return 0;
}
