#include "libcore/capture/stream_writer.hpp"

#include <cstring>

namespace nl {
namespace {

constexpr uint32_t kSnaplen = 262144;  // tcpdump's default

void u16(std::string& o, uint16_t v) { o.append(reinterpret_cast<const char*>(&v), 2); }
void u32(std::string& o, uint32_t v) { o.append(reinterpret_cast<const char*>(&v), 4); }

// Units of 10^-6 or 10^-9 s since 1970, as both formats count.
uint64_t units(const Timestamp& t, bool nsec) {
  uint64_t sec = uint64_t(t.sec);
  return nsec ? sec * 1000000000ULL + t.nsec : sec * 1000000ULL + t.nsec / 1000;
}

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
    uint32_t snaplen = kSnaplen;
    for (const Held& h : held_) snaplen = h.packet.caplen > snaplen ? h.packet.caplen : snaplen;
    u32(out, nsec_ ? 0xa1b23c4d : 0xa1b2c3d4);
    u16(out, 2);
    u16(out, 4);
    u32(out, 0);  // thiszone
    u32(out, 0);  // sigfigs
    u32(out, snaplen);
    u32(out, linktype_);
  } else {
    // Section header: byte-order magic, version 1.0, section length unknown.
    u32(out, 0x0A0D0D0A);
    u32(out, 28);
    u32(out, 0x1A2B3C4D);
    u16(out, 1);
    u16(out, 0);
    u32(out, 0xffffffff);
    u32(out, 0xffffffff);
    u32(out, 28);
  }
  for (const Held& h : held_) put(h.packet, out);
  held_.clear();
  held_.shrink_to_fit();
  held_bytes_ = 0;
}

uint32_t CaptureStreamWriter::interface_of(const Packet& p, std::string& out) {
  auto [it, added] = interfaces_.try_emplace({p.interface, p.linktype}, uint32_t(interfaces_.size()), wants_nsec(p));
  if (added) {
    bool nsec = it->second.second;
    // Interface description: link type, snap length, if_tsresol 9 for nanoseconds.
    uint32_t len = 20 + (nsec ? 8 : 0) + 4;
    u32(out, 1);
    u32(out, len);
    u16(out, uint16_t(p.linktype));
    u16(out, 0);
    u32(out, kSnaplen);
    if (nsec) {
      u16(out, 9);
      u16(out, 1);
      out.push_back(char(9));
      out.append(3, '\0');
    }
    u32(out, 0);  // opt_endofopt
    u32(out, len);
  }
  return it->second.first;
}

void CaptureStreamWriter::put(const Packet& p, std::string& out) {
  uint32_t caplen = uint32_t(p.data.size());
  uint32_t origlen = p.origlen;  // as read, even when it lies below caplen
  if (format_ == Format::pcap) {
    uint64_t sec = uint64_t(p.ts.sec);
    u32(out, uint32_t(sec));
    u32(out, nsec_ ? p.ts.nsec : p.ts.nsec / 1000);
    u32(out, caplen);
    u32(out, origlen);
    out.append(reinterpret_cast<const char*>(p.data.data()), caplen);
    return;
  }
  uint32_t id = interface_of(p, out);
  uint64_t t = units(p.ts, interfaces_.at({p.interface, p.linktype}).second);
  uint32_t padded = (caplen + 3) & ~3u;
  uint32_t len = 32 + padded;
  u32(out, 6);  // enhanced packet block
  u32(out, len);
  u32(out, id);
  u32(out, uint32_t(t >> 32));
  u32(out, uint32_t(t));
  u32(out, caplen);
  u32(out, origlen);
  out.append(reinterpret_cast<const char*>(p.data.data()), caplen);
  out.append(padded - caplen, '\0');
  u32(out, len);
}

}  // namespace nl
