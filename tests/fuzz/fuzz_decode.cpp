// decode_frame for every link type (chosen by the first byte), decode_ip, and the pkt
// record writer and reader on what was decoded (a frame rebuilt from its own pkt line
// must decode again without trouble).
#include <string>

#include "libcore/decode/packet.hpp"
#include "libcore/record/pkt.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace nl;

// make_seeds.py keeps the same order (LINKTYPES): the last entry stands for any other.
static const uint32_t kLinkTypes[] = {
    linktype::null_bsd,  linktype::ethernet, linktype::raw_dlt12,  linktype::raw_dlt14,
    linktype::raw,       linktype::loop,     linktype::linux_sll,  linktype::ipv4,
    linktype::ipv6,      linktype::linux_sll2, linktype::ppp,      linktype::ppp_hdlc,
    linktype::c_hdlc,    linktype::nflog,    linktype::ipoib,      linktype::ieee802_11,
    linktype::ieee802_11_radiotap, 147 /* unknown */};

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Cursor c(data, size);
  uint8_t sel = c.u8();
  // Bit 7 is the checksum switch: the link type comes from the other seven bits alone.
  uint32_t lt = kLinkTypes[(sel & 0x7f) % (sizeof kLinkTypes / sizeof kLinkTypes[0])];
  bool verify = sel & 0x80;
  uint16_t extra = c.u16() & 0x7ff;  // origlen beyond caplen (snap length cut)
  Bytes frame = c.rest();
  DecodeOptions opt;
  opt.verify_checksums = verify;

  Decoded d;
  decode_frame(lt, frame, uint32_t(frame.size()) + extra, d, opt);
  FUZZ_CHECK(d.n_anomalies <= Decoded::kMaxAnomalies);
  FUZZ_CHECK(d.payload.size() <= frame.size());
  Decoded d2;
  decode_ip(frame, d2, opt);

  // pkt line out and back.
  Packet p;
  p.number = 1;
  p.ts.sec = 1700000000;
  p.caplen = uint32_t(frame.size());
  p.origlen = uint32_t(frame.size()) + extra;
  p.linktype = lt;
  p.data = frame;
  std::string line;
  PktOptions po;
  write_pkt_record(line, p, d, po);
  FUZZ_CHECK(!line.empty() && line.back() == '\n');
  line.pop_back();
  static PktReader reader;
  RebuiltPacket rb;
  std::string type, msg;
  if (reader.read(line, true, rb, type, msg) == PktReadStatus::ok) {
    Decoded d3;
    decode_frame(rb.packet.linktype, rb.packet.data, rb.packet.origlen, d3, opt);
  }
  return 0;
}
