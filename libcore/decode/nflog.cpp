// Linux netfilter log (LINKTYPE_NFLOG; libpcap's pcap/nflog.h, the kernel's
// nfnetlink_log attributes), what `iptables -j NFLOG` / nftables `log group N` send to
// a capture on the nflog:N interface:
//   family(1) version(1)=0 resource_id(2, big-endian: the log group)
//   then TLVs:  length(2) type(2) value(length - 4)  padding to a multiple of 4
// `length` counts the TLV header, not the padding. Length and type are in the byte
// order of the host that captured, which the frame does not say: types are small
// numbers (1..19), so the first TLV tells (little-endian when both readings fit).
// Types kept: NFULA_PREFIX (10, the rule's log prefix, NUL-terminated) and
// NFULA_PAYLOAD (9, the packet from its network header). The family says what the
// payload is: NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10).
#include "libcore/decode/layers.hpp"

namespace nl::detail {
namespace {

constexpr uint16_t kNfulaPayload = 9, kNfulaPrefix = 10;
constexpr uint8_t kNfprotoIpv4 = 2, kNfprotoIpv6 = 10;

// Netlink attribute types are at most 14 bits (the top two are flags).
bool plausible_tlv(uint16_t len, uint16_t type) { return len >= 4 && (type & 0x3fff) < 0x100; }

}  // namespace

void decode_nflog(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  if (!r.can_read(4)) {
    d.add(Anomaly::truncated_nflog_header);
    return;
  }
  d.has_nflog = true;
  d.nflog.family = r.u8();
  r.skip(1);  // version
  d.nflog.resource_id = r.be16();

  bool big_endian = false;
  if (r.can_read(4)) {
    ByteReader look = r;
    uint16_t len_le = look.le16(), type_le = look.le16();
    ByteReader look_be = r;
    uint16_t len_be = look_be.be16(), type_be = look_be.be16();
    big_endian = !plausible_tlv(len_le, type_le) && plausible_tlv(len_be, type_be);
  }

  Bytes payload;
  bool have_payload = false, cut = false;
  while (r.remaining()) {
    if (!r.can_read(4)) {
      cut = true;
      break;
    }
    uint16_t len = big_endian ? r.be16() : r.le16();
    uint16_t type = uint16_t((big_endian ? r.be16() : r.le16()) & 0x3fff);
    if (len < 4) {
      d.add(Anomaly::bad_nflog_tlv);
      break;
    }
    size_t value_len = size_t(len) - 4;
    if (!r.can_read(value_len)) {
      // The packet itself cut short: the IP layer below says what is missing.
      if (type == kNfulaPayload) {
        payload = r.rest();
        have_payload = true;
      } else {
        cut = true;
      }
      break;
    }
    Bytes value = r.take(value_len);
    if (type == kNfulaPayload) {
      payload = value;
      have_payload = true;
    } else if (type == kNfulaPrefix) {
      size_t n = 0;
      while (n < value.size() && value[n] != 0) ++n;
      d.nflog.prefix = value.first(n);
    }
    size_t pad = (4 - value_len % 4) % 4;
    r.skip(pad < r.remaining() ? pad : r.remaining());  // the last TLV's padding may be absent
  }
  // A frame cut between two TLVs before the payload is cut all the same.
  if (cut || (!have_payload && c.snap_cut)) d.add(Anomaly::truncated_nflog_tlv);
  if (!have_payload) return;  // logged without the packet (e.g. NFULNL_COPY_META)
  switch (d.nflog.family) {
    case kNfprotoIpv4: decode_ethertype(ethertype::ipv4, payload, d, c); return;
    case kNfprotoIpv6: decode_ethertype(ethertype::ipv6, payload, d, c); return;
    default: d.add(Anomaly::unknown_nflog_family); return;
  }
}

}  // namespace nl::detail
