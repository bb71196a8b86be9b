// The bytes of the capture formats netlines writes, shared by both writers
// (writer.hpp: files and --split; stream_writer.hpp: pkt2pcap): classic pcap and
// pcapng, in the host's byte order as libpcap writes them (readers swap when they
// need to). A frame's own bytes are not copied here: the callers put them between
// a record's head and tail.
#pragma once
#include <cstdint>
#include <string>

#include "libcore/decode/packet.hpp"

namespace nl::capture_format {

constexpr uint32_t kSnaplen = 262144;  // tcpdump's default

// Classic pcap: the file header; microsecond or nanosecond timestamps.
void pcap_header(std::string& out, uint32_t linktype, bool nsec, uint32_t snaplen = kSnaplen);
// A packet record's 16-byte header; the frame follows.
void pcap_record_head(std::string& out, const Packet& p, bool nsec);

// pcapng: the section header block (version 1.0, length unknown).
void pcapng_section(std::string& out);
// An interface description block; if_tsresol says 10^-digits s unless digits is 6.
void pcapng_interface(std::string& out, uint32_t linktype, uint8_t digits);
// An enhanced packet block: its head before the frame, its tail (padding to 4
// bytes, the length again) after.
void pcapng_packet_head(std::string& out, const Packet& p, uint32_t interface, uint8_t digits);
void pcapng_packet_tail(std::string& out, const Packet& p);

}  // namespace nl::capture_format
