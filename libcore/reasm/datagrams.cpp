#include "libcore/reasm/datagrams.hpp"

#include <algorithm>

namespace nl {
namespace {
constexpr size_t kWireMax = 4096;
constexpr int64_t kWireTimeout = 30'000'000'000LL;
}  // namespace

void DatagramPath::WireBytes::add(const Packet& p, const Decoded& d) {
  int64_t now = p.ts.total_nsec();
  if (map_.size() >= kWireMax) {
    std::erase_if(map_, [now](const auto& e) { return now - e.second.first_nsec > kWireTimeout; });
    if (map_.size() >= kWireMax) map_.clear();
  }
  Entry& e = map_[key(d)];
  if (e.bytes == 0) e.first_nsec = now;
  e.bytes += p.origlen;
}

uint64_t DatagramPath::WireBytes::take(const Decoded& d) {
  auto it = map_.find(key(d));
  if (it == map_.end()) return 0;
  uint64_t b = it->second.bytes;
  map_.erase(it);
  return b;
}

// FNV-1a over what identifies a datagram (RFC 791 / RFC 8200: src, dst, id; plus the VLAN).
uint64_t DatagramPath::WireBytes::key(const Decoded& d) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](const uint8_t* b, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ULL;
  };
  uint8_t head[7] = {d.ip.version, uint8_t(d.ip.id >> 24), uint8_t(d.ip.id >> 16), uint8_t(d.ip.id >> 8),
                     uint8_t(d.ip.id), uint8_t(d.outer_vlan() >> 8), uint8_t(d.outer_vlan())};
  mix(head, sizeof head);
  mix(d.ip.src.bytes, d.ip.src.size());
  mix(d.ip.dst.bytes, d.ip.dst.size());
  return h;
}

bool DatagramPath::complete(const Packet& p, const Decoded& d) {
  wire_.add(p, d);
  if (!defrag_.feed(p, d, whole_)) return false;
  uint64_t frames = wire_.take(d);
  // The link layer is the last fragment's; everything from the IP header on is the datagram's.
  decoded_ = d;
  decode_ip(whole_.bytes(), decoded_, opt_.decode);
  packet_ = p;
  packet_.ts = whole_.ts;
  packet_.data = whole_.bytes();
  packet_.caplen = uint32_t(whole_.datagram.size());
  // If the fragments' frames were forgotten: the datagram plus this fragment's
  // framing and IP header once per fragment.
  if (frames == 0) {
    uint32_t framing = p.origlen > d.ip.total_len ? p.origlen - d.ip.total_len : 0;
    uint64_t payload = whole_.datagram.size() > decoded_.ip.header_len ? whole_.datagram.size() - decoded_.ip.header_len : 0;
    frames = payload + uint64_t(framing + d.ip.header_len) * whole_.fragments;
  }
  packet_.origlen = uint32_t(std::min<uint64_t>(frames, UINT32_MAX));
  return true;
}

}  // namespace nl
