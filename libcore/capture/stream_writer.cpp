#include "libcore/capture/stream_writer.hpp"

#include <cstring>

#include "libcore/capture/format.hpp"

namespace nl {
namespace {

bool wants_nsec(const Packet& p) { return p.ts.digits > 6; }

}  // namespace

bool CaptureStreamWriter::write(const Packet& p, std::string& out, std::string& why) {
  if (format_ == Format::undecided) {
    if (p.interface >= 0) {
      decide(Format::pcapng, out);
    } else {
      if (!held_.empty() && p.linktype != held_.front().packet.linktype) mixed_ = true;
      if (mixed_) {
        decide(Format::pcapng, out);
      } else {
        Held& h = held_.emplace_back();
        h.bytes.assign(p.data.begin(), p.data.end());
        h.packet = p;
        h.packet.data = Bytes(h.bytes.data(), h.bytes.size());
        held_bytes_ += h.bytes.size() + 32;
        if (held_bytes_ >= kDecideBytes) decide(Format::pcap, out);
        return true;
      }
    }
  }
  if (format_ == Format::pcap && p.linktype != linktype_) {
    why = "link type " + std::to_string(p.linktype) + " after " + std::to_string(kDecideBytes >> 20) +
          " MiB of link type " + std::to_string(linktype_) + ": a pcap holds one; packet left out";
    return false;
  }
  put(p, out);
  return true;
}

void CaptureStreamWriter::finish(std::string& out, uint32_t empty_linktype) {
  if (format_ == Format::undecided) {
    if (held_.empty()) {
      linktype_ = empty_linktype;
      held_.clear();
    }
    decide(Format::pcap, out);
  }
}

void CaptureStreamWriter::decide(Format f, std::string& out) {
  format_ = f;
  if (f == Format::pcap) {
    if (!held_.empty()) linktype_ = held_.front().packet.linktype;
    // Nanoseconds when any packet held has them (the rest are exact in them too).
    for (const Held& h : held_) nsec_ = nsec_ || wants_nsec(h.packet);
    uint32_t snaplen = capture_format::kSnaplen;
    for (const Held& h : held_) snaplen = h.packet.caplen > snaplen ? h.packet.caplen : snaplen;
    capture_format::pcap_header(out, linktype_, nsec_, snaplen);
  } else {
    capture_format::pcapng_section(out);
  }
  for (const Held& h : held_) put(h.packet, out);
  held_.clear();
  held_.shrink_to_fit();
  held_bytes_ = 0;
}

uint32_t CaptureStreamWriter::interface_of(const Packet& p, std::string& out) {
  auto [it, added] = interfaces_.try_emplace({p.interface, p.linktype}, uint32_t(interfaces_.size()), wants_nsec(p));
  if (added) capture_format::pcapng_interface(out, p.linktype, it->second.second ? 9 : 6);
  return it->second.first;
}

void CaptureStreamWriter::put(const Packet& p, std::string& out) {
  if (format_ == Format::pcap) {
    capture_format::pcap_record_head(out, p, nsec_);
    out.append(reinterpret_cast<const char*>(p.data.data()), p.data.size());
    return;
  }
  uint32_t id = interface_of(p, out);
  capture_format::pcapng_packet_head(out, p, id, interfaces_.at({p.interface, p.linktype}).second ? 9 : 6);
  out.append(reinterpret_cast<const char*>(p.data.data()), p.data.size());
  capture_format::pcapng_packet_tail(out, p);
}

}  // namespace nl
