// IP defragmentation: the input is a sequence of IP datagrams (u16 length + bytes,
// a time step byte), fed to a Defragmenter with small bounds; every rebuilt datagram
// is decoded again.
#include "libcore/decode/packet.hpp"
#include "libcore/reasm/defrag.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace nl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Cursor c(data, size);
  DefragOptions opt;
  opt.timeout_nsec = 5'000'000'000LL;
  opt.max_datagrams = 4 + c.u8() % 8;
  opt.max_bytes = 4096 + size_t(c.u8()) * 256;
  Defragmenter df(opt);
  Reassembled out;
  Packet p;
  p.ts.sec = 1000;
  p.linktype = linktype::raw;
  for (uint64_t n = 1; !c.empty() && n < 2000; ++n) {
    uint8_t step = c.u8();
    if (step & 0x80) p.ts.sec -= step & 3;  // time may go backwards
    else p.ts.sec += step & 7;
    size_t len = c.u16() % 1600;
    Bytes b = c.take(len);
    p.number = n;
    p.data = b;
    p.caplen = p.origlen = uint32_t(b.size());
    Decoded d;
    decode_frame(linktype::raw, b, p.origlen, d);
    if (df.feed(p, d, out)) {
      FUZZ_CHECK(out.datagram.size() <= 65535 + 60 + 4096);
      Decoded whole = d;
      decode_ip(out.bytes(), whole);
    }
    const auto& st = df.stats();
    FUZZ_CHECK(st.in_progress <= opt.max_datagrams);
    FUZZ_CHECK(st.held_bytes <= opt.max_bytes);
  }
  (void)df.stats().named();
  return 0;
}
