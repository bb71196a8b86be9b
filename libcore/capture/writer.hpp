// Writing captures: the packets of one shard (pcap2pkt -w, --split) as a file that
// any capture reader opens. Classic pcap where the packets came from pcap (one
// link type, microseconds or nanoseconds as read); pcapng where they came from
// pcapng, with an interface block per link type and timestamp precision met, so
// a pcapng input that mixes link types splits into pcapng files that do too.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "libcore/decode/packet.hpp"

namespace nl {

class CaptureWriter {
 public:
  enum class Format { pcap, pcapng };
  // "-" writes to standard output. Nothing is written until the format is known
  // (open()) or the first packet comes.
  explicit CaptureWriter(std::string path) : path_(std::move(path)) {}
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  // Opens the file and writes the header: the format and, for pcap, the link type
  // and precision of `like`. False and error() on failure.
  bool open(Format f, const Packet& like);
  bool is_open() const { return file_ != nullptr; }
  // Writes one packet (opening the file first, in the format its packet suggests).
  // False when it cannot: a write error, or (pcap) a link type other than the
  // file's; error() says which.
  bool write(const Packet& p);
  // Flushes and closes; false on a write error.
  bool close();
  const std::string& error() const { return error_; }
  // The write failed because the reader of a pipe went away (EPIPE): a normal end.
  bool closed_pipe() const { return closed_pipe_; }
  const std::string& path() const { return path_; }
  // The format a packet's origin asks for: pcapng packets carry an interface id.
  static Format format_of(const Packet& p) { return p.interface >= 0 ? Format::pcapng : Format::pcap; }

 private:
  bool put(const void* data, size_t n);
  uint32_t interface_for(const Packet& p);

  std::string path_;
  std::FILE* file_ = nullptr;
  Format format_ = Format::pcap;
  uint32_t linktype_ = 0;  // pcap: the file's link type
  bool nano_ = false;      // pcap: nanosecond timestamps
  std::vector<std::pair<uint32_t, uint8_t>> interfaces_;  // pcapng: (link type, digits) per interface id
  std::string head_;  // a record's head or an interface block, before it is written
  std::string error_;
  bool closed_pipe_ = false;
};

}  // namespace nl
