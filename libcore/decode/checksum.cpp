// Internet checksum (RFC 1071) and the transport pseudo headers (RFC 768/793 for
// IPv4, RFC 8200 section 8.1 for IPv6). Used only when DecodeOptions.verify_checksums.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

// Sums 32-bit big-endian words: 2^16 == 1 (mod 0xffff), so this is congruent to
// the 16-bit ones' complement sum and needs fewer steps.
uint32_t sum16(Bytes b, uint32_t acc) {
  uint64_t s = acc;
  const uint8_t* p = b.data();
  size_t n = b.size(), i = 0;
  for (; i + 4 <= n; i += 4) s += load_be32(p + i);
  if (i + 2 <= n) {
    s += load_be16(p + i);
    i += 2;
  }
  if (i < n) s += uint32_t(p[i]) << 8;  // odd length: pad with a zero byte
  while (s >> 32) s = (s & 0xffffffffu) + (s >> 32);
  return uint32_t(s);
}

uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return uint16_t(acc);
}

uint32_t pseudo_header_sum(const IpInfo& ip, uint8_t proto, uint32_t len,
                           const uint8_t* final_dst) {
  uint32_t s = sum16(ip.src.span());
  s = sum16(final_dst && ip.version == 6 ? Bytes(final_dst, 16) : ip.dst.span(), s);
  uint64_t t = uint64_t(s) + proto + (len >> 16) + (len & 0xffff);
  return fold(uint32_t(t & 0xffffffffu) + uint32_t(t >> 32));
}

}  // namespace nl::detail
