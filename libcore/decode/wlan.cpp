// IEEE 802.11 (LINKTYPE_IEEE802_11), and behind a radiotap header
// (LINKTYPE_IEEE802_11_RADIOTAP): what a Wi-Fi interface in monitor mode captures.
//
// Radiotap (radiotap.org), little-endian:
//   version(1)=0 pad(1) length(2) present(4) [present(4) while bit 31 is set] fields
// `length` covers the whole radiotap header. Of the fields only Flags (present bit 1,
// after TSFT: bit 0, 8 bytes aligned to 8) is read: flag 0x10 says the frame ends
// with its 4-byte FCS.
//
// 802.11 MAC header (IEEE 802.11-2020 section 9.2):
//   frame_control(2) duration(2) addr1(6) addr2(6) addr3(6) seq_ctl(2)
//   [addr4(6): to DS and from DS] [qos_ctl(2): QoS data] [ht_ctl(4): QoS data with Order]
// frame_control byte 0: subtype(4) type(2) version(2); byte 1: flags
//   0x01 to DS, 0x02 from DS, 0x40 protected, 0x80 order (+HTC in QoS frames).
// Addresses:  to/from DS  00: DA SA BSSID   01: DA BSSID SA   10: BSSID SA DA
//                         11: RA TA DA SA
// A data frame's body is LLC/SNAP (aa aa 03 00 00 00 + ethertype, RFC 1042), unless
// the subtype carries no data (bit 2: Null, QoS Null), the frame is protected (WEP,
// TKIP, CCMP: the body is ciphertext) or an A-MSDU (QoS control bit 7). Management and
// control frames are not IP.
#include <cstring>

#include "libcore/decode/layers.hpp"

namespace nl::detail {
namespace {

void read_addr(ByteReader& r, uint8_t* mac) {
  Bytes m = r.take(6);
  for (size_t i = 0; i < m.size(); ++i) mac[i] = m[i];
}

constexpr uint8_t kToDs = 0x01, kFromDs = 0x02, kProtected = 0x40, kOrder = 0x80;
constexpr uint8_t kTypeManagement = 0, kTypeData = 2;

}  // namespace

void decode_80211(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  if (!r.can_read(2)) {
    d.add(Anomaly::truncated_80211_header);
    return;
  }
  d.has_wlan = true;
  uint8_t fc = r.u8();
  uint8_t flags = r.u8();
  WlanInfo& w = d.wlan;
  w.type = uint8_t(fc >> 2 & 3);
  w.subtype = uint8_t(fc >> 4);
  w.flags = flags;
  if (w.type != kTypeData && w.type != kTypeManagement) return;  // control, extension

  bool qos = w.type == kTypeData && (w.subtype & 0x8);
  bool four = w.type == kTypeData && (flags & kToDs) && (flags & kFromDs);
  size_t need = 22 + (four ? 6 : 0) + (qos ? 2 : 0) + (qos && (flags & kOrder) ? 4 : 0);
  if (!r.can_read(need)) {
    d.add(Anomaly::truncated_80211_header);
    return;
  }
  r.skip(2);  // duration
  uint8_t a1[6], a2[6], a3[6];
  read_addr(r, a1);
  read_addr(r, a2);
  read_addr(r, a3);
  r.skip(2);  // sequence control
  uint8_t a4[6] = {};
  const uint8_t* dst = a1;
  const uint8_t* src = a2;
  const uint8_t* bssid = a3;
  if (w.type == kTypeData) {
    switch (flags & (kToDs | kFromDs)) {
      case kFromDs:
        src = a3;
        bssid = a2;
        break;
      case kToDs:
        dst = a3;
        bssid = a1;
        break;
      case kToDs | kFromDs:  // A1 RA, A2 TA (the radios), A3 DA, A4 SA; no BSSID
        read_addr(r, a4);
        dst = a3;
        src = a4;
        bssid = nullptr;
        break;
    }
  }
  std::memcpy(w.dst, dst, 6);
  std::memcpy(w.src, src, 6);
  if (bssid) {
    std::memcpy(w.bssid, bssid, 6);
    w.has_bssid = true;
  }
  w.has_addrs = true;
  if (w.type != kTypeData || (w.subtype & 0x4)) return;  // management; Null data frames

  bool amsdu = false;
  if (qos) {
    amsdu = r.u8() & 0x80;
    r.skip(1);
    if (flags & kOrder) r.skip(4);  // HT/VHT/HE control
  }
  if (flags & kProtected) {
    d.add(Anomaly::protected_80211_frame);
    return;
  }
  if (amsdu) {
    d.add(Anomaly::unsupported_80211_amsdu);
    return;
  }
  decode_llc(r.rest(), d, c);
}

void decode_radiotap(Bytes b, Decoded& d, const Ctx& c) {
  ByteReader r(b);
  if (!r.can_read(8)) {
    d.add(Anomaly::truncated_radiotap_header);
    return;
  }
  uint8_t version = r.u8();
  r.skip(1);
  uint16_t len = r.le16();
  uint32_t present = r.le32();
  if (version != 0 || len < 8) {
    d.add(Anomaly::bad_radiotap_header);
    return;
  }
  if (!r.can_read(size_t(len) - 8)) {
    d.add(Anomaly::truncated_radiotap_header);
    return;
  }
  ByteReader hdr(r.whole().first(len));  // the radiotap header alone: fields read in it
  hdr.skip(8);
  for (uint32_t more = present; more & 0x80000000u;) {
    more = hdr.le32();
    if (hdr.failed()) {
      d.add(Anomaly::bad_radiotap_header);
      return;
    }
  }
  uint8_t rt_flags = 0;
  if (present & 1) {  // TSFT, aligned to 8 from the header's start
    size_t at = hdr.offset();
    hdr.skip((8 - at % 8) % 8);
    hdr.skip(8);
  }
  if (present & 2) rt_flags = hdr.u8();
  if (hdr.failed()) {
    d.add(Anomaly::bad_radiotap_header);
    return;
  }
  r.skip(size_t(len) - 8);
  Bytes frame = r.rest();
  // The FCS is the last 4 bytes of the frame as sent: captured only if nothing was cut.
  if ((rt_flags & 0x10) && !c.snap_cut && frame.size() >= 4) frame = frame.first(frame.size() - 4);
  decode_80211(frame, d, c);
}

}  // namespace nl::detail
