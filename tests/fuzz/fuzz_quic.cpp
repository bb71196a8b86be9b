// QUIC: the long-header parser and frame walk on the raw input, and QuicSink (with
// DtlsSink beside it) fed datagrams the input describes. Raw datagrams alone would
// never pass the AEAD, so the harness also seals fuzzer-chosen frames into valid
// Initial packets (keys from a DCID of the input, OpenSSL for the sealing) from the
// client or the server: the decrypted path (CRYPTO reassembly across packets,
// hello parsing, Retry, new DCIDs on one 5-tuple, caps) gets the fuzzer's bytes.
//
// Input: repeated [op][...]: op & 3 == 0: a raw datagram (u16 length, bytes);
// 1: a client Initial; 2: a server Initial (u8 version selector, u8 DCID byte,
// u16 length, frame bytes; op bit 2: append a raw tail as a coalesced packet);
// 3: a Retry from the server (u8 SCID byte). Op bits 3..: the 5-tuple (0..3).
#include <cstring>
#include <string>
#include <vector>

#include "libcore/json/writer.hpp"
#include "libcore/proto/dtls_session.hpp"
#include "libcore/proto/quic.hpp"
#include "libcore/proto/quic_session.hpp"
#include "libcore/proto/tls_record.hpp"
#include "tests/common/quic_seal.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace nl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes all(data, size);
  {
    QuicLongHeader h;
    (void)parse_quic_long_header(all, h);
    (void)walk_quic_initial_frames(all, [](uint64_t, Bytes) {});
    CryptoStream cs;
    QuicAnomalies an;
    fuzz::Cursor c(data, size);
    while (!c.empty()) {
      uint16_t off = c.u16();
      cs.add(off, c.take(c.u8()), 4096, 8, an);
      FUZZ_CHECK(cs.contiguous() <= 4096);
    }
  }

  std::string out;
  size_t records = 0;
  auto emit = [&](const SessionView& s, const TlsHandshakeResult& r) {
    JsonWriter w(out);
    write_tls_record(w, s, r, TimeFormat::iso);
    out.clear();
    ++records;
  };
  QuicLimits ql;
  ql.max_crypto = 4096;
  ql.max_ranges = 8;
  ql.max_connections = 3;
  ql.max_total_crypto = 8192;
  QuicSink quic(emit, ql);
  DtlsLimits dl;
  dl.max_message = 4096;
  dl.max_connections = 3;
  DtlsSink dtls(emit, dl);

  fuzz::Cursor c(data, size);
  Timestamp ts;
  ts.sec = 1700000000;
  std::vector<uint8_t> pkt;
  uint16_t pn = 0;
  uint8_t retry_scid = 0;
  while (!c.empty()) {
    uint8_t op = c.u8();
    FlowKey k;
    k.proto = 17;
    k.src.family = k.dst.family = 4;
    k.src.bytes[0] = k.dst.bytes[0] = 10;
    k.src.bytes[3] = 1;
    k.dst.bytes[3] = 2;
    k.sport = uint16_t(50000 + (op >> 3 & 3));
    k.dport = 443;
    ts.nsec = (ts.nsec + 1000000) % 1000000000;
    ts.sec += op >> 5;  // now and then a jump: idle sweeps
    switch (op & 3) {
      case 0: {
        Bytes d = c.take(c.u16() % 1600);
        FlowKey r = (op & 4) ? k.reversed() : k;
        quic.datagram(r, ts, d);
        dtls.datagram(r, ts, d);
        break;
      }
      case 1:
      case 2: {
        bool server = (op & 3) == 2;
        uint8_t vsel = c.u8();
        uint32_t version = vsel % 3 == 0 ? quic_version::v1 : vsel % 3 == 1 ? quic_version::v2 : 0xff00001d;
        uint8_t db = c.u8();
        std::vector<uint8_t> dcid(8, db);
        if (retry_scid && !server) dcid.assign(8, retry_scid);
        std::vector<uint8_t> scid(4, uint8_t(db ^ 0x5a));
        Bytes frames = c.take(c.u16() % 1400);
        // The server's packets carry the client's SCID as DCID; keys from the client's DCID.
        if (!test::seal_quic_initial(version, server, dcid, server ? scid : dcid, server ? dcid : scid, pn++, frames, pkt))
          break;
        if (op & 4) {
          Bytes tail = c.take(c.u8());
          pkt.insert(pkt.end(), tail.begin(), tail.end());
        }
        quic.datagram(server ? k.reversed() : k, ts, pkt);
        break;
      }
      case 3: {
        retry_scid = c.u8() | 1;
        std::vector<uint8_t> r = {0xf0, 0, 0, 0, 1, 4, 1, 2, 3, 4, 8};
        r.insert(r.end(), 8, retry_scid);
        r.insert(r.end(), 24, 0x77);  // token and integrity tag
        quic.datagram(k.reversed(), ts, r);
        break;
      }
    }
  }
  quic.finish(EndReason::eof);
  dtls.finish(EndReason::eof);
  FUZZ_CHECK(quic.stats().hellos + dtls.stats().hellos == records);
  return 0;
}
