#include "libcore/reasm/datagrams.hpp"

#include <algorithm>

namespace nl {

bool DatagramPath::complete(const Packet& p, const Decoded& d) {
  if (!defrag_.feed(p, d, whole_)) return false;
  // The link layer is the last fragment's; everything from the IP header on is the datagram's.
  decoded_ = d;
  decode_ip(whole_.bytes(), decoded_, opt_.decode);
  packet_ = p;
  packet_.ts = whole_.ts;
  packet_.data = whole_.bytes();
  packet_.caplen = uint32_t(whole_.datagram.size());
  packet_.origlen = uint32_t(std::min<uint64_t>(whole_.frame_bytes, UINT32_MAX));
  return true;
}

}  // namespace nl
