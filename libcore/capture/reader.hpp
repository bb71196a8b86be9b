// Reading captures: classic pcap (both byte orders, usec and nsec) and pcapng
// (several interfaces, per-interface link type and timestamp resolution), from a
// file (mmap, zero copy) or a pipe (buffered), recognised by magic number.
// This is the only place besides live.cpp/bpf.cpp that knows capture formats.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libcore/decode/packet.hpp"

namespace nl {

enum class ReadStatus {
  ok,         // a packet was read into the Packet
  end,        // clean end of input
  error,      // unrecoverable (truncated record, corrupt block, I/O error): see error()
  skipped,    // a corrupt record or block was skipped up to a plausible next one (no
              // packet this time): error() says what and how many bytes; read on
};

class CaptureSource {
 public:
  virtual ~CaptureSource() = default;
  // Reads the next packet. pkt.data stays valid until the next call.
  // pkt.number is left for the caller to assign.
  virtual ReadStatus next(Packet& pkt) = 0;
  // After ReadStatus::error: what went wrong, with the byte offset,
  // e.g. "truncated packet record at byte offset 1234: needs 60 bytes, 12 left"
  // (the offset of the record start). Every packet before the cut came out first.
  // After ReadStatus::skipped: the same, then "; resynchronised after skipping K bytes".
  //
  // Resynchronising (docs/schema.md, "Corrupt captures"): a record header that cannot
  // be right (classic pcap: a captured length above the limits, or running past the
  // end of the input; pcapng: a bad block total length or trailer) is not the end when
  // a plausible record follows within kResyncScan bytes: one whose lengths are sane and
  // whose timestamp is near the last packet's, followed by another such record or by
  // the end of the input. The first packet found there carries the `resynchronised`
  // anomaly.
  virtual const std::string& error() const = 0;
  // Packets returned so far, and bytes skipped by resynchronising (both for this input).
  virtual uint64_t packets_read() const = 0;
  virtual uint64_t skipped_bytes() const = 0;
  // Bytes consumed so far and total size when known (0 for pipes): for progress.
  virtual uint64_t bytes_read() const = 0;
  virtual uint64_t total_bytes() const { return 0; }
  // True when pkt.data stays valid for the source's lifetime (a mapped file), not
  // just until the next call: packets may then be handed on without a copy.
  virtual bool stable_data() const { return false; }
  // Link types of the interfaces seen so far (one for classic pcap; for pcapng one per
  // Interface Description Block read, across sections, filled as blocks are read).
  virtual const std::vector<uint32_t>& linktypes() const = 0;
  // Snap length of the first interface (classic pcap header or first IDB); 0 if unknown.
  virtual uint32_t snaplen() const = 0;
};

enum class OpenStatus { ok, not_found, not_capture, io_error, empty };

struct OpenResult {
  OpenStatus status = OpenStatus::ok;
  std::string message;  // for everything but ok: strerror text or what was wrong
  std::unique_ptr<CaptureSource> source;
};

// Opens a capture file by path; "-" means standard input. Regular files are mmapped.
// Statuses: not_found (ENOENT), io_error (strerror text), empty ("empty file"),
// not_capture ("not a pcap or pcapng file", or what is wrong with the file header).
OpenResult open_capture(const std::string& path);
// Opens a capture whose first bytes were already read from fd (used when a stage
// sniffs stdin to choose between a capture and JSON Lines): `prefix` is replayed first.
// The source takes ownership of fd (closed when it is destroyed, unless it is 0) and
// reads it through a reused buffer; a failed open closes it too (unless it is 0).
OpenResult open_capture_fd(int fd, std::string prefix);

// True when the first 4 bytes are a pcap or pcapng magic number.
bool is_capture_magic(const uint8_t* p, size_t n);

}  // namespace nl
