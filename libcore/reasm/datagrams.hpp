// The datagram path: decoded packets in, whole IP datagrams out, for every stage
// that works on datagrams (TCP reassembly, flowstat, the UDP analysers).
// A packet that is not a fragment passes as it is. Fragments go to the
// Defragmenter; the datagram one of them completes comes out as one packet with
// the link layer of that last fragment, decoded again from the IP header on, its
// origlen the bytes its fragments' frames took on the wire.
#pragma once
#include <cstdint>
#include <unordered_map>

#include "libcore/decode/packet.hpp"
#include "libcore/reasm/defrag.hpp"

namespace nl {

struct DatagramOptions {
  bool reassemble = true;   // false: fragments pass as packets of their own
  DefragOptions defrag;
  DecodeOptions decode;     // for decoding a reassembled datagram
};

class DatagramPath {
 public:
  explicit DatagramPath(const DatagramOptions& opt = {}) : opt_(opt), defrag_(opt.defrag) {}

  // Calls whole(packet, decoded) with the datagram `p` is or completes; not at
  // all for a fragment that completes nothing yet.
  template <class Whole>
  void feed(const Packet& p, Decoded& d, Whole&& whole) {
    if (!opt_.reassemble || !d.ip.fragment) {
      whole(p, d);
      return;
    }
    if (complete(p, d)) whole(packet_, decoded_);
  }

  const Defragmenter::Stats& stats() const { return defrag_.stats(); }
  bool reassembles() const { return opt_.reassemble; }

 private:
  // Frame bytes of the fragments of each datagram in progress (every fragment
  // repeats the link framing and an IP header). Bounded like the defragmenter
  // (30 s, 4096 datagrams); a datagram forgotten here falls back to an estimate.
  class WireBytes {
   public:
    void add(const Packet& p, const Decoded& d);
    uint64_t take(const Decoded& d);  // 0 if unknown

   private:
    struct Entry {
      uint64_t bytes = 0;
      int64_t first_nsec = 0;
    };
    static uint64_t key(const Decoded& d);
    std::unordered_map<uint64_t, Entry> map_;
  };

  // Feeds a fragment; true when it completed a datagram, now in packet_/decoded_.
  bool complete(const Packet& p, const Decoded& d);

  DatagramOptions opt_;
  Defragmenter defrag_;
  WireBytes wire_;
  Reassembled whole_;
  Packet packet_;
  Decoded decoded_;
};

}  // namespace nl
