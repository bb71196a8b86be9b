// Packets into a capture file: pcap (one link type, micro- or nanosecond
// timestamps) or pcapng (one interface per link type and source interface), written
// into a buffer the caller sends on. The inverse of reader.hpp for what a Packet
// holds: link type, timestamp and its precision, captured bytes, wire length.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "libcore/decode/packet.hpp"

namespace nl {

class CaptureStreamWriter {
 public:
  // Packets are held (up to kDecideBytes) until the format is known: pcapng as soon
  // as the input is pcapng (a packet has an interface) or link types mix, else
  // pcap once that much was held or at the end.
  static constexpr size_t kDecideBytes = 16u << 20;

  // Appends the bytes of `p` (and of any header due) to `out`. False: the packet
  // cannot go into the pcap begun (another link type after kDecideBytes);
  // `why` says so and nothing was written.
  bool write(const Packet& p, std::string& out, std::string& why);
  // End of the packets: what is held is written (a capture without packets is a
  // pcap header alone, of link type `empty_linktype`).
  void finish(std::string& out, uint32_t empty_linktype = 1);
  bool pcapng() const { return format_ == Format::pcapng; }

 private:
  enum class Format { undecided, pcap, pcapng };
  struct Held {
    Packet packet;      // data points into bytes
    std::vector<uint8_t> bytes;
  };
  void decide(Format f, std::string& out);
  void put(const Packet& p, std::string& out);
  uint32_t interface_of(const Packet& p, std::string& out);

  Format format_ = Format::undecided;
  std::vector<Held> held_;
  size_t held_bytes_ = 0;
  bool mixed_ = false;
  // pcap: the link type and precision of the file.
  uint32_t linktype_ = 0;
  bool nsec_ = false;
  // pcapng: interfaces by (source interface, link type): their id and precision.
  std::map<std::pair<int32_t, uint32_t>, std::pair<uint32_t, bool>> interfaces_;
};

}  // namespace nl
