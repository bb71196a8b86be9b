// PktReader (pcap2pkt's JSON Lines read back): every line of the input, with and
// without a required payload; a rebuilt frame is decoded. The fast scanner's
// reading is compared with the DOM's.
#include <string>
#include <string_view>

#include "libcore/record/pkt.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace nl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  PktReader reader, dom_reader(true);
  RebuiltPacket rb, rb_dom;
  std::string type, msg, type_dom, msg_dom;
  bool need = size & 1;
  size_t start = 0;
  while (start <= all.size()) {
    size_t nl = all.find('\n', start);
    std::string_view line = all.substr(start, nl == std::string_view::npos ? std::string_view::npos
                                                                             : nl - start);
    PktReadStatus st = reader.read(line, need, rb, type, msg);
    // The fast scanner and the DOM must read every line alike.
    PktReadStatus st_dom = dom_reader.read(line, need, rb_dom, type_dom, msg_dom);
    FUZZ_CHECK(st == st_dom && msg == msg_dom);
    if (st != PktReadStatus::error) FUZZ_CHECK(type == type_dom);
    if (st == PktReadStatus::ok) {
      FUZZ_CHECK(rb.frame == rb_dom.frame && rb.packet.ts == rb_dom.packet.ts &&
                 rb.packet.origlen == rb_dom.packet.origlen && rb.packet.linktype == rb_dom.packet.linktype);
    }
    if (st == PktReadStatus::ok) {
      FUZZ_CHECK(rb.packet.data.size() == rb.packet.caplen);
      Decoded d;
      decode_frame(rb.packet.linktype, rb.packet.data, rb.packet.origlen, d);
    } else if (st == PktReadStatus::error) {
      FUZZ_CHECK(!msg.empty());
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return 0;
}
