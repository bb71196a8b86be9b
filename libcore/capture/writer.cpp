#include "libcore/capture/writer.hpp"

#include <cerrno>
#include <cstring>

namespace nl {
namespace {

constexpr uint32_t kSnaplen = 262144;

void le16(std::string& b, uint16_t v) { b.append(reinterpret_cast<const char*>(&v), 2); }
void le32(std::string& b, uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); }
void pad4(std::string& b) { b.append((4 - b.size() % 4) % 4, '\0'); }

uint64_t pow10(uint8_t d) {
  uint64_t v = 1;
  while (d--) v *= 10;
  return v;
}

}  // namespace

CaptureWriter::~CaptureWriter() { close(); }

bool CaptureWriter::put(const void* data, size_t n) {
  if (n && std::fwrite(data, 1, n, file_) != n) {
    closed_pipe_ = errno == EPIPE;
    error_ = path_ + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool CaptureWriter::open(Format f, const Packet& like) {
  if (file_) return true;
  file_ = path_ == "-" ? stdout : std::fopen(path_.c_str(), "wb");
  if (!file_) {
    error_ = path_ + ": " + std::strerror(errno);
    return false;
  }
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  format_ = f;
  std::string h;
  if (f == Format::pcap) {
    // The host's byte order, as libpcap writes: readers swap when they need to.
    linktype_ = like.linktype;
    nano_ = like.ts.digits > 6;
    le32(h, nano_ ? 0xa1b23c4d : 0xa1b2c3d4);
    le16(h, 2);
    le16(h, 4);
    le32(h, 0);
    le32(h, 0);
    le32(h, kSnaplen);
    le32(h, linktype_);
  } else {
    // Section header block: no options, section length unknown.
    le32(h, 0x0a0d0d0a);
    le32(h, 28);
    le32(h, 0x1a2b3c4d);
    le16(h, 1);
    le16(h, 0);
    uint64_t unknown = ~uint64_t(0);
    h.append(reinterpret_cast<const char*>(&unknown), 8);
    le32(h, 28);
  }
  return put(h.data(), h.size());
}

uint32_t CaptureWriter::interface_for(const Packet& p) {
  for (size_t i = 0; i < interfaces_.size(); ++i)
    if (interfaces_[i].first == p.linktype && interfaces_[i].second == p.ts.digits) return uint32_t(i);
  // Interface description block, written where the first packet that needs it comes.
  std::string b;
  le32(b, 1);
  le32(b, 0);  // length, set below
  le16(b, uint16_t(p.linktype));
  le16(b, 0);
  le32(b, kSnaplen);
  if (p.ts.digits != 6) {  // if_tsresol: 10^-digits seconds
    le16(b, 9);
    le16(b, 1);
    b += char(p.ts.digits);
    pad4(b);
  }
  le32(b, 0);  // opt_endofopt
  le32(b, uint32_t(b.size() + 4));
  uint32_t len = uint32_t(b.size());
  std::memcpy(&b[4], &len, 4);
  put(b.data(), b.size());
  interfaces_.emplace_back(p.linktype, p.ts.digits);
  return uint32_t(interfaces_.size() - 1);
}

bool CaptureWriter::write(const Packet& p) {
  if (!file_ && !open(format_of(p), p)) return false;
  const uint32_t caplen = uint32_t(p.data.size());
  if (format_ == Format::pcap) {
    if (p.linktype != linktype_) {
      error_ = path_ + ": link type " + std::to_string(p.linktype) + " differs from the file's " +
               std::to_string(linktype_) + " (pcap holds one; a pcapng input splits into pcapng)";
      return false;
    }
    uint32_t rec[4] = {uint32_t(p.ts.sec), nano_ ? p.ts.nsec : p.ts.nsec / 1000, caplen, p.origlen};
    return put(rec, sizeof rec) && put(p.data.data(), caplen);
  }
  const uint32_t iface = interface_for(p);
  const uint64_t units = uint64_t(p.ts.sec) * pow10(p.ts.digits) + p.ts.nsec / pow10(9 - p.ts.digits);
  const uint32_t padded = (caplen + 3) & ~3u;
  const uint32_t total = 32 + padded;
  uint32_t head[7] = {6, total, iface, uint32_t(units >> 32), uint32_t(units), caplen, p.origlen};
  static const uint8_t zeros[4] = {};
  return put(head, sizeof head) && put(p.data.data(), caplen) && put(zeros, padded - caplen) &&
         put(&total, 4);
}

bool CaptureWriter::close() {
  if (!file_) return error_.empty();
  bool ok = std::fflush(file_) == 0;
  if (!ok && error_.empty()) {
    closed_pipe_ = errno == EPIPE;
    error_ = path_ + ": " + std::strerror(errno);
  }
  if (file_ != stdout && std::fclose(file_) != 0 && ok) {
    ok = false;
    error_ = path_ + ": " + std::strerror(errno);
  }
  file_ = nullptr;
  return ok && error_.empty();
}

}  // namespace nl
