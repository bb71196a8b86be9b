// Streaming treatment of an HTTP entity body (after de-chunking): SHA-256,
// a bounded preview, an optional bounded full copy, and Content-Encoding
// decoding (gzip/x-gzip/deflate via zlib, RFC 9110 8.4.1) with an output cap
// against decompression bombs. A body is never held whole: bytes go through
// feed() and only the digests (and the capped preview/full copies) stay.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "libcore/bytes.hpp"

namespace nl {

enum class BodyMode : uint8_t { none, sha256, preview, full };

struct BodyOptions {
  BodyMode mode = BodyMode::sha256;   // preview and full imply sha256 too
  uint32_t preview_bytes = 0;         // for BodyMode::preview: first N bytes kept
  uint64_t full_cap = 16u << 20;      // BodyMode::full keeps at most this many bytes
  bool decode = true;                 // inflate gzip/deflate bodies
  uint64_t decode_cap = 64u << 20;    // decoded bytes produced at most (bomb guard)
};

// "none|sha256|preview:N|full" -> options (mode and preview_bytes). False when malformed.
bool parse_body_mode(std::string_view s, BodyOptions& o);

// What one byte sequence (the entity, or its decoded form) looked like.
struct BodyDigest {
  uint64_t len = 0;            // bytes seen (for decoded: produced, up to the cap)
  std::string sha256;          // lowercase hex; empty when not computed or not meaningful
  std::string preview;         // raw bytes (first preview_bytes)
  std::string full;            // raw bytes (BodyMode::full, up to full_cap)
  bool full_capped = false;    // full copy stopped at full_cap
};

enum class DecodeStatus : uint8_t {
  none,         // no Content-Encoding (or identity): nothing to decode
  off,          // decoding disabled by option
  ok,           // decoded to the end of the compressed stream
  unsupported,  // br, zstd, compress, several codings...: reported, not decoded
  error,        // zlib reported corrupt data
  limit,        // output stopped at decode_cap (decompression_limit)
  truncated,    // input ended before the compressed stream did
  gap,          // bytes of the body were never captured: cannot decode
};
const char* decode_status_name(DecodeStatus s);

struct BodyResult {
  BodyDigest body;             // entity body (after de-chunking, before decoding)
  uint64_t missing = 0;        // bytes lost in capture gaps (sha256 then empty)
  DecodeStatus decode = DecodeStatus::none;
  std::string coding;          // the Content-Encoding value as sent (empty if none)
  BodyDigest decoded;          // meaningful when decode is ok/limit/error/truncated
};

// One body at a time; reused for the next body of the same direction (the
// hashing and zlib contexts are allocated once).
class BodyStream {
 public:
  BodyStream();
  ~BodyStream();
  BodyStream(const BodyStream&) = delete;
  BodyStream& operator=(const BodyStream&) = delete;

  // content_encoding: the Content-Encoding header value (empty when absent).
  void begin(const BodyOptions& o, std::string_view content_encoding);
  void feed(Bytes b);
  void gap(uint64_t n);        // n body bytes were never captured
  // Ends the body (complete or cut short: the caller knows which) and fills out.
  void finish(BodyResult& out);
  bool active() const { return active_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool active_ = false;
};

}  // namespace nl
