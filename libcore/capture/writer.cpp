#include "libcore/capture/writer.hpp"

#include <cerrno>
#include <cstring>

#include "libcore/capture/format.hpp"

namespace nl {

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
    linktype_ = like.linktype;
    nano_ = like.ts.digits > 6;
    capture_format::pcap_header(h, linktype_, nano_);
  } else {
    capture_format::pcapng_section(h);
  }
  return put(h.data(), h.size());
}

uint32_t CaptureWriter::interface_for(const Packet& p) {
  for (size_t i = 0; i < interfaces_.size(); ++i)
    if (interfaces_[i].first == p.linktype && interfaces_[i].second == p.ts.digits) return uint32_t(i);
  // Written where the first packet that needs it comes.
  head_.clear();
  capture_format::pcapng_interface(head_, p.linktype, p.ts.digits);
  put(head_.data(), head_.size());
  interfaces_.emplace_back(p.linktype, p.ts.digits);
  return uint32_t(interfaces_.size() - 1);
}

bool CaptureWriter::write(const Packet& p) {
  if (!file_ && !open(format_of(p), p)) return false;
  head_.clear();
  if (format_ == Format::pcap) {
    if (p.linktype != linktype_) {
      error_ = path_ + ": link type " + std::to_string(p.linktype) + " differs from the file's " +
               std::to_string(linktype_) + " (pcap holds one; a pcapng input splits into pcapng)";
      return false;
    }
    capture_format::pcap_record_head(head_, p, nano_);
    return put(head_.data(), head_.size()) && put(p.data.data(), p.data.size());
  }
  const uint32_t iface = interface_for(p);
  head_.clear();
  capture_format::pcapng_packet_head(head_, p, iface, p.ts.digits);
  if (!put(head_.data(), head_.size()) || !put(p.data.data(), p.data.size())) return false;
  head_.clear();
  capture_format::pcapng_packet_tail(head_, p);
  return put(head_.data(), head_.size());
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
