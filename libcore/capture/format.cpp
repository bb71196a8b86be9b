#include "libcore/capture/format.hpp"

#include <cstring>

namespace nl::capture_format {
namespace {

void u16(std::string& o, uint16_t v) { o.append(reinterpret_cast<const char*>(&v), 2); }
void u32(std::string& o, uint32_t v) { o.append(reinterpret_cast<const char*>(&v), 4); }

uint64_t pow10(uint8_t d) {
  uint64_t v = 1;
  while (d--) v *= 10;
  return v;
}

uint32_t padded(const Packet& p) { return (uint32_t(p.data.size()) + 3) & ~3u; }

}  // namespace

void pcap_header(std::string& out, uint32_t linktype, bool nsec, uint32_t snaplen) {
  u32(out, nsec ? 0xa1b23c4d : 0xa1b2c3d4);
  u16(out, 2);
  u16(out, 4);
  u32(out, 0);  // thiszone
  u32(out, 0);  // sigfigs
  u32(out, snaplen);
  u32(out, linktype);
}

void pcap_record_head(std::string& out, const Packet& p, bool nsec) {
  u32(out, uint32_t(p.ts.sec));
  u32(out, nsec ? p.ts.nsec : p.ts.nsec / 1000);
  u32(out, uint32_t(p.data.size()));
  u32(out, p.origlen);  // as read, even when it lies below the captured length
}

void pcapng_section(std::string& out) {
  u32(out, 0x0a0d0d0a);
  u32(out, 28);
  u32(out, 0x1a2b3c4d);  // byte-order magic
  u16(out, 1);
  u16(out, 0);
  u32(out, 0xffffffff);  // section length: unknown
  u32(out, 0xffffffff);
  u32(out, 28);
}

void pcapng_interface(std::string& out, uint32_t linktype, uint8_t digits) {
  const bool tsresol = digits != 6;
  const uint32_t len = 20 + (tsresol ? 8 : 0) + 4;
  u32(out, 1);
  u32(out, len);
  u16(out, uint16_t(linktype));
  u16(out, 0);
  u32(out, kSnaplen);
  if (tsresol) {  // if_tsresol: 10^-digits seconds
    u16(out, 9);
    u16(out, 1);
    out.push_back(char(digits));
    out.append(3, '\0');
  }
  u32(out, 0);  // opt_endofopt
  u32(out, len);
}

void pcapng_packet_head(std::string& out, const Packet& p, uint32_t interface, uint8_t digits) {
  const uint64_t units = uint64_t(p.ts.sec) * pow10(digits) + p.ts.nsec / pow10(uint8_t(9 - digits));
  u32(out, 6);
  u32(out, 32 + padded(p));
  u32(out, interface);
  u32(out, uint32_t(units >> 32));
  u32(out, uint32_t(units));
  u32(out, uint32_t(p.data.size()));
  u32(out, p.origlen);
}

void pcapng_packet_tail(std::string& out, const Packet& p) {
  out.append(padded(p) - p.data.size(), '\0');
  u32(out, 32 + padded(p));
}

}  // namespace nl::capture_format
