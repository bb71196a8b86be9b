// TCP (RFC 9293):
//   sport(16) dport(16) | seq(32) | ack(32) | offset(4) res(3) NS(1) flags(8) window(16)
//   checksum(16) urgent(16) | options (offset*4 - 20)
// Options: EOL 0, NOP 1, MSS 2 (len 4), window scale 3 (len 3, RFC 7323), SACK
// permitted 4 (len 2) and SACK 5 (len 2+8n, RFC 2018), timestamps 8 (len 10, RFC 7323),
// TFO 34 (RFC 7413) and its experimental form 254 with magic 0xf989. A malformed
// option list is reported (bad_tcp_option) and parsing stops; the segment still decodes.
#include "libcore/decode/layers.hpp"

namespace nl::detail {

namespace {

void parse_options(Bytes opts, Decoded& d) {
  TcpInfo& t = d.tcp;
  ByteReader o(opts);
  while (o.remaining()) {
    uint8_t kind = o.u8();
    if (kind == 0) break;     // end of option list
    if (kind == 1) continue;  // no-operation
    if (!o.can_read(1)) {
      d.add(Anomaly::bad_tcp_option);
      return;
    }
    uint8_t len = o.u8();
    if (len < 2 || !o.can_read(len - 2u)) {
      d.add(Anomaly::bad_tcp_option);
      return;
    }
    Bytes v = o.take(len - 2u);
    bool ok = true;
    switch (kind) {
      case 2:
        ok = len == 4;
        if (ok) t.mss = load_be16(v.data());
        break;
      case 3:
        ok = len == 3;
        if (ok) t.wscale = v[0];
        break;
      case 4:
        ok = len == 2;
        if (ok) t.sack_permitted = true;
        break;
      case 5:
        ok = len >= 10 && (len - 2) % 8 == 0;
        if (ok) {
          size_t n = (len - 2u) / 8;
          t.n_sack = 0;
          for (size_t i = 0; i < n && i < 4; ++i) {
            t.sack[i][0] = load_be32(v.data() + 8 * i);
            t.sack[i][1] = load_be32(v.data() + 8 * i + 4);
            ++t.n_sack;
          }
        }
        break;
      case 8:
        ok = len == 10;
        if (ok) {
          t.has_timestamps = true;
          t.ts_val = load_be32(v.data());
          t.ts_ecr = load_be32(v.data() + 4);
        }
        break;
      case 34:  // cookie request (len 2) or a 4..16-byte cookie
        ok = len == 2 || (len >= 6 && len <= 18);
        if (ok) t.fast_open = true;
        break;
      case 254:
        if (len >= 4 && load_be16(v.data()) == 0xf989) t.fast_open = true;
        break;
      default: break;  // other options are skipped by their length
    }
    if (!ok) d.add(Anomaly::bad_tcp_option);
  }
}

}  // namespace

bool decode_tcp(const L4In& in, Decoded& d, const Ctx& c) {
  ByteReader r(in.cap);
  if (in.wire < 20 || !r.can_read(20)) {
    d.add(Anomaly::truncated_tcp_header);
    d.l4_bytes = in.cap;
    return false;
  }
  TcpInfo& t = d.tcp;
  t.sport = r.be16();
  t.dport = r.be16();
  t.seq = r.be32();
  t.ack = r.be32();
  uint16_t of = r.be16();
  t.header_len = uint8_t((of >> 12) * 4);
  t.ns = of & 0x100;
  t.flags = uint8_t(of);
  t.window = r.be16();
  t.checksum = r.be16();
  t.urgent = r.be16();
  d.l4 = L4::tcp;
  d.l4_bytes = in.cap;
  uint32_t hl = t.header_len;
  if (hl < 20 || hl > in.wire) {
    d.add(Anomaly::bad_tcp_data_offset);
    return false;
  }
  if (hl > in.cap.size()) {
    d.add(Anomaly::truncated_tcp_options);
    return false;
  }
  if (hl > 20) parse_options(in.cap.subspan(20, hl - 20), d);
  d.payload = in.cap.subspan(hl);
  d.payload_len = in.wire - hl;
  if (can_verify(in, c) &&
      fold(sum16(in.cap, pseudo_header_sum(d.ip, 6, in.wire, c.final_dst))) != 0xffff)
    d.add(Anomaly::bad_tcp_checksum);
  return true;
}

}  // namespace nl::detail
