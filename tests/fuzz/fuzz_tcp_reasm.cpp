// TCP reassembly engine fed segment sequences. Each segment is described by a few
// bytes (endpoints, flags, sequence delta, ack, length) and built as a raw IPv4/TCP
// frame, decoded and fed to a TcpReassembler with small bounds; a checking sink
// verifies the SessionSink contract and the engine's counters stay within bounds.
#include <cstring>
#include <vector>

#include "libcore/decode/packet.hpp"
#include "libcore/reasm/tcp.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace nl;

namespace {
void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
void put32(uint8_t* p, uint32_t v) { put16(p, uint16_t(v >> 16)); put16(p + 2, uint16_t(v)); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Cursor c(data, size);
  TcpOptions opt;
  uint8_t o = c.u8();
  opt.overlap = (o & 1) ? OverlapPolicy::last : OverlapPolicy::first;
  opt.max_chunk = 16 + (c.u8() % 64) * 16;
  opt.max_session_size = (o & 2) ? 1000 + c.u8() * 8 : 0;
  opt.max_sessions = 1 + (o >> 2) % 4;
  opt.max_ooo_per_dir = 256 + c.u8() * 8;
  opt.max_ooo_total = opt.max_ooo_per_dir * 2;
  opt.max_buffered_total = 512 + c.u8() * 16;
  opt.idle_timeout_nsec = 10'000'000'000LL;

  fuzz::CheckingSink sink;
  TcpReassembler r(sink, opt);
  // Per (endpoint pair, direction): a running sequence number so that small deltas
  // make plausible streams.
  uint32_t seq[8][2] = {};
  uint32_t isn = c.u32();
  for (auto& s : seq) s[0] = isn, s[1] = ~isn;
  std::vector<uint8_t> frame;
  Packet p;
  p.ts.sec = 1000;
  p.linktype = linktype::raw;
  for (uint64_t n = 1; !c.empty() && n < 4000; ++n) {
    uint8_t ep = c.u8();
    uint8_t flags = c.u8();
    int8_t delta = int8_t(c.u8());
    uint8_t len = c.u8() % 64;
    uint8_t tstep = c.u8();
    int pair = ep & 7;
    int dir = (ep >> 3) & 1;
    uint32_t& s = seq[pair][dir];
    uint32_t sq = s + uint32_t(int32_t(delta) * ((ep & 0x40) ? 1 : 8));
    uint32_t ack = seq[pair][1 - dir] + ((ep & 0x80) ? uint32_t(delta) : 0);
    if (tstep & 0x80) p.ts.sec -= 1;
    else p.ts.sec += tstep % 4;
    if (tstep == 0x7f) p.ts.sec += 20;  // jump past the idle timeout
    Bytes payload = c.take(len);

    frame.assign(40 + payload.size(), 0);
    uint8_t* ip = frame.data();
    ip[0] = 0x45;
    put16(ip + 2, uint16_t(frame.size()));
    ip[8] = 64;
    ip[9] = 6;
    uint8_t a = uint8_t(10 + (pair & 3)), b = uint8_t(20 + (pair >> 2));
    uint8_t src[4] = {10, 0, 0, dir ? b : a}, dst[4] = {10, 0, 0, dir ? a : b};
    std::memcpy(ip + 12, src, 4);
    std::memcpy(ip + 16, dst, 4);
    uint8_t* tcp = ip + 20;
    uint16_t cport = uint16_t(40000 + pair), sport = 80;
    put16(tcp, dir ? sport : cport);
    put16(tcp + 2, dir ? cport : sport);
    put32(tcp + 4, sq);
    put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    if (!payload.empty()) std::memcpy(tcp + 20, payload.data(), payload.size());
    // Advance the running sequence past this segment (SYN/FIN take one number).
    uint32_t end = sq + uint32_t(payload.size()) + ((flags & tcpflag::syn) ? 1 : 0) +
                   ((flags & tcpflag::fin) ? 1 : 0);
    if (int32_t(end - s) > 0) s = end;

    p.number = n;
    uint32_t cut = (ep & 0x20) && payload.size() > 4 ? 4 : 0;  // snap length cut
    p.data = Bytes(frame.data(), frame.size() - cut);
    p.caplen = uint32_t(p.data.size());
    p.origlen = uint32_t(frame.size());
    Decoded d;
    decode_frame(p.linktype, p.data, p.origlen, d);
    r.feed(p, d);
    auto st = r.stats();
    FUZZ_CHECK(r.live_sessions() <= opt.max_sessions);
    FUZZ_CHECK(st.ooo_held_bytes <= opt.max_ooo_total + 4096);
  }
  r.finish();
  FUZZ_CHECK(sink.live.empty());
  FUZZ_CHECK(r.live_sessions() == 0);
  (void)r.stats().named();
  return 0;
}
