#include "libcore/proto/http_body.hpp"

#include <memory>
#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace nl {

bool parse_body_mode(std::string_view s, BodyOptions& o) {
  if (s == "none") { o.mode = BodyMode::none; return true; }
  if (s == "sha256") { o.mode = BodyMode::sha256; return true; }
  if (s == "full") { o.mode = BodyMode::full; return true; }
  if (s.starts_with("preview:")) {
    std::string_view n = s.substr(8);
    if (n.empty() || n.size() > 9) return false;
    uint32_t v = 0;
    for (char c : n) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + uint32_t(c - '0');
    }
    o.mode = BodyMode::preview;
    o.preview_bytes = v;
    return true;
  }
  return false;
}

const char* decode_status_name(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::none: return "none";
    case DecodeStatus::off: return "off";
    case DecodeStatus::ok: return "ok";
    case DecodeStatus::unsupported: return "unsupported";
    case DecodeStatus::error: return "error";
    case DecodeStatus::limit: return "limit";
    case DecodeStatus::truncated: return "truncated";
    case DecodeStatus::gap: return "gap";
  }
  return "none";
}

namespace {

enum class Coding : uint8_t { none, gzip, deflate, unsupported };

Coding classify(std::string_view ce) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  ce = trim(ce);
  if (ce.empty()) return Coding::none;
  std::string low(ce);
  for (char& c : low) c = char(std::tolower(uint8_t(c)));
  if (low == "identity") return Coding::none;
  if (low == "gzip" || low == "x-gzip") return Coding::gzip;
  if (low == "deflate") return Coding::deflate;
  return Coding::unsupported;  // br, zstd, compress, or a list of codings
}

// Digest accumulator: SHA-256 plus the capped preview/full copies.
struct Acc {
  EVP_MD_CTX* ctx = nullptr;
  bool hashing = false;
  BodyDigest d;
  const BodyOptions* o = nullptr;

  ~Acc() { if (ctx) EVP_MD_CTX_free(ctx); }
  void begin(const BodyOptions& opts) {
    o = &opts;
    d = BodyDigest{};
    hashing = opts.mode != BodyMode::none;
    if (hashing) {
      if (!ctx) ctx = EVP_MD_CTX_new();
      hashing = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1;
    }
  }
  void feed(const uint8_t* p, size_t n) {
    d.len += n;
    if (hashing) EVP_DigestUpdate(ctx, p, n);
    if (o->mode == BodyMode::preview && d.preview.size() < o->preview_bytes) {
      size_t k = std::min<size_t>(n, o->preview_bytes - d.preview.size());
      d.preview.append(reinterpret_cast<const char*>(p), k);
    } else if (o->mode == BodyMode::full && !d.full_capped) {
      size_t room = size_t(o->full_cap - std::min<uint64_t>(o->full_cap, d.full.size()));
      size_t k = std::min(n, room);
      d.full.append(reinterpret_cast<const char*>(p), k);
      if (k < n) d.full_capped = true;
    }
  }
  // valid: the bytes seen are the whole sequence (no gap).
  void finish(bool valid, BodyDigest& out) {
    if (hashing) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      EVP_DigestFinal_ex(ctx, md, &len);
      if (valid) {
        static const char hexd[] = "0123456789abcdef";
        d.sha256.clear();
        for (unsigned i = 0; i < len; ++i) {
          d.sha256 += hexd[md[i] >> 4];
          d.sha256 += hexd[md[i] & 15];
        }
      }
    }
    hashing = false;
    out = std::move(d);
    d = BodyDigest{};
  }
};

}  // namespace

struct BodyStream::Impl {
  BodyOptions opts;
  Acc raw, dec;
  std::string coding;
  Coding kind = Coding::none;
  DecodeStatus status = DecodeStatus::none;
  uint64_t missing = 0;
  z_stream z{};
  bool z_init = false;
  bool z_started = false;   // inflateInit2/Reset2 done for this body
  bool z_ended = false;     // Z_STREAM_END seen
  uint8_t head[2]{};        // deflate: first two bytes decide zlib vs raw
  size_t nhead = 0;
  // Inflate output, allocated with the first compressed body: a parser exists per
  // open session, and most sessions never inflate anything.
  static constexpr size_t kOut = 16384;
  std::unique_ptr<unsigned char[]> out;

  ~Impl() {
    if (z_init) inflateEnd(&z);
  }

  bool start_inflate(int window_bits) {
    int rc;
    if (!out) out = std::make_unique<unsigned char[]>(kOut);
    if (!z_init) {
      z = z_stream{};
      rc = inflateInit2(&z, window_bits);
      z_init = rc == Z_OK;
    } else {
      rc = inflateReset2(&z, window_bits);
    }
    z_started = rc == Z_OK;
    if (!z_started) status = DecodeStatus::error;
    return z_started;
  }

  void inflate_bytes(const uint8_t* p, size_t n) {
    z.next_in = const_cast<Bytef*>(p);
    z.avail_in = uInt(n);
    while (z.avail_in > 0 && status == DecodeStatus::ok && !z_ended) {
      z.next_out = out.get();
      z.avail_out = kOut;
      int rc = inflate(&z, Z_NO_FLUSH);
      size_t produced = kOut - z.avail_out;
      if (produced) {
        uint64_t room = opts.decode_cap - std::min(opts.decode_cap, dec.d.len);
        if (produced > room) {
          dec.feed(out.get(), size_t(room));
          status = DecodeStatus::limit;
          return;
        }
        dec.feed(out.get(), produced);
      }
      if (rc == Z_STREAM_END) {
        z_ended = true;  // trailing bytes (a second gzip member, junk) are ignored
      } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && produced)) {
        status = DecodeStatus::error;
      }
    }
  }

  void decode(const uint8_t* p, size_t n) {
    if (status != DecodeStatus::ok || z_ended || n == 0) return;
    if (!z_started) {
      if (kind == Coding::gzip) {
        if (!start_inflate(16 + MAX_WBITS)) return;
      } else {
        // "deflate" is meant to be zlib (RFC 1950) but some servers send raw
        // RFC 1951 data: look at the first two bytes to choose.
        while (nhead < 2 && n > 0) {
          head[nhead++] = *p++;
          --n;
        }
        if (nhead < 2) return;
        bool zlib = (head[0] & 0x0f) == 8 && ((unsigned(head[0]) << 8 | head[1]) % 31) == 0;
        if (!start_inflate(zlib ? MAX_WBITS : -MAX_WBITS)) return;
        inflate_bytes(head, 2);
      }
    }
    inflate_bytes(p, n);
  }
};

BodyStream::BodyStream() : impl_(std::make_unique<Impl>()) {}
BodyStream::~BodyStream() = default;

void BodyStream::begin(const BodyOptions& o, std::string_view content_encoding) {
  Impl& m = *impl_;
  m.opts = o;
  m.raw.begin(m.opts);
  m.coding.assign(content_encoding);
  m.kind = classify(content_encoding);
  m.missing = 0;
  m.z_started = false;
  m.z_ended = false;
  m.nhead = 0;
  if (m.kind == Coding::none) {
    m.status = DecodeStatus::none;
  } else if (!o.decode) {
    m.status = DecodeStatus::off;
  } else if (m.kind == Coding::unsupported) {
    m.status = DecodeStatus::unsupported;
  } else {
    m.status = DecodeStatus::ok;
    m.dec.begin(m.opts);
  }
  active_ = true;
}

void BodyStream::feed(Bytes b) {
  if (!active_ || b.empty()) return;
  Impl& m = *impl_;
  m.raw.feed(b.data(), b.size());
  m.decode(b.data(), b.size());
}

void BodyStream::gap(uint64_t n) {
  if (!active_ || n == 0) return;
  Impl& m = *impl_;
  m.missing += n;
  if (m.status == DecodeStatus::ok) m.status = DecodeStatus::gap;
}

void BodyStream::finish(BodyResult& out) {
  Impl& m = *impl_;
  out = BodyResult{};
  if (!active_) return;
  active_ = false;
  m.raw.finish(m.missing == 0, out.body);
  out.missing = m.missing;
  out.coding = m.coding;
  bool decoding = m.kind == Coding::gzip || m.kind == Coding::deflate;
  if (decoding && m.opts.decode) {
    DecodeStatus st = m.status;
    if (st == DecodeStatus::ok && !m.z_ended)
      st = (out.body.len == 0 && m.missing == 0) ? DecodeStatus::none : DecodeStatus::truncated;
    m.dec.finish(st == DecodeStatus::ok, out.decoded);
    out.decode = st;
  } else {
    out.decode = m.status;
  }
}

}  // namespace nl
