// The datagram path: decoded packets in, whole IP datagrams out, for every stage
// that works on datagrams (TCP reassembly, flowstat, the UDP analysers).
// A packet that is not a fragment passes as it is. Fragments go to the
// Defragmenter; the datagram one of them completes comes out as one packet with
// the link layer of that last fragment, decoded again from the IP header on, its
// origlen the bytes its fragments' frames took on the wire. Fragments that never
// make a datagram (dropped by the Defragmenter's bounds, malformed, or still held
// at finish()) go to the on_dropped callback, when one is set.
#pragma once
#include <cstdint>

#include "libcore/decode/packet.hpp"
#include "libcore/reasm/defrag.hpp"
#include "libcore/reasm/session.hpp"

namespace nl {

struct DatagramOptions {
  bool reassemble = true;   // false: fragments pass as packets of their own
  DefragOptions defrag;
  DecodeOptions decode;     // for decoding a reassembled datagram
};

// What a datagram analyser (DNS, QUIC, DTLS) implements: the session loop hands
// it every whole datagram that is not TCP, in input order, after the TCP engine
// has seen the packets before it; finish() comes once at the end of input (or
// where a signal stopped the run) with the reason open state ends for.
class DatagramSink {
 public:
  virtual ~DatagramSink() = default;
  virtual void on_datagram(const Packet& p, const Decoded& d) = 0;
  virtual void finish(EndReason why) { (void)why; }
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

  // Called with every datagram dropped unfinished (see DroppedDatagram).
  void on_dropped(std::function<void(const DroppedDatagram&)> cb) { defrag_.on_drop(std::move(cb)); }
  // End of input: datagrams still in progress are dropped (through on_dropped).
  void finish() { defrag_.finish(); }

  const Defragmenter::Stats& stats() const { return defrag_.stats(); }
  bool reassembles() const { return opt_.reassemble; }

 private:
  // Feeds a fragment; true when it completed a datagram, now in packet_/decoded_.
  bool complete(const Packet& p, const Decoded& d);

  DatagramOptions opt_;
  Defragmenter defrag_;
  Reassembled whole_;
  Packet packet_;
  Decoded decoded_;
};

}  // namespace nl
