#include "libcore/stage/decompress.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace nl {

Compression compression_of(std::string_view b) {
  if (b.size() >= 2 && uint8_t(b[0]) == 0x1f && uint8_t(b[1]) == 0x8b) return Compression::gzip;  // RFC 1952
  if (b.size() >= 4 && uint8_t(b[0]) == 0x28 && uint8_t(b[1]) == 0xb5 && uint8_t(b[2]) == 0x2f &&
      uint8_t(b[3]) == 0xfd)
    return Compression::zstd;  // RFC 8878 frame magic 0xFD2FB528, little-endian
  return Compression::none;
}

struct Decompressor::Shared {
  int in_fd = -1;
  int write_fd = -1;
  std::string prefix;
  Compression kind = Compression::none;
  mutable std::mutex mu;
  std::string error;

  void fail(std::string e) {
    std::lock_guard<std::mutex> lock(mu);
    if (error.empty()) error = std::move(e);
  }
  // The next compressed bytes: the sniffed prefix first. 0 at the end, -1 on error.
  ssize_t read_in(uint8_t* buf, size_t cap) {
    if (!prefix.empty()) {
      size_t n = std::min(cap, prefix.size());
      std::memcpy(buf, prefix.data(), n);
      prefix.erase(0, n);
      return ssize_t(n);
    }
    for (;;) {
      ssize_t n = ::read(in_fd, buf, cap);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(std::string("read error: ") + std::strerror(errno));
      return n;
    }
  }
  // False when the reader is gone (EPIPE) or writing failed: stop.
  bool write_out(const uint8_t* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(write_fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= size_t(w);
    }
    return true;
  }
  void run() {
    if (kind == Compression::gzip) inflate_gzip();
    else inflate_zstd();
    ::close(write_fd);  // after any error is set: the reader sees the end only then
    if (in_fd > 0) ::close(in_fd);
  }
  void inflate_gzip() {
    std::vector<uint8_t> in(1 << 16), out(1 << 18);
    z_stream z{};
    if (inflateInit2(&z, 15 + 32) != Z_OK) return fail("gzip: cannot initialise zlib");
    bool member_done = false;  // at a member's end: more members may follow (gzip -c a b)
    for (;;) {
      if (z.avail_in == 0) {
        ssize_t n = read_in(in.data(), in.size());
        if (n < 0) break;
        if (n == 0) {
          if (!member_done) fail("gzip: unexpected end of data");
          break;
        }
        z.next_in = in.data();
        z.avail_in = uInt(n);
      }
      if (member_done) {
        inflateReset(&z);
        member_done = false;
      }
      z.next_out = out.data();
      z.avail_out = uInt(out.size());
      int r = inflate(&z, Z_NO_FLUSH);
      if (!write_out(out.data(), out.size() - z.avail_out)) break;
      if (r == Z_STREAM_END) {
        member_done = true;
      } else if (r != Z_OK && r != Z_BUF_ERROR) {
        fail(std::string("gzip: ") + (z.msg ? z.msg : "corrupt data"));
        break;
      }
    }
    inflateEnd(&z);
  }
  void inflate_zstd() {
    std::vector<uint8_t> in(ZSTD_DStreamInSize()), out(ZSTD_DStreamOutSize());
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    if (!ctx) return fail("zstd: cannot initialise");
    size_t pending = 0;  // nonzero: inside a frame
    for (;;) {
      ssize_t n = read_in(in.data(), in.size());
      if (n < 0) break;
      if (n == 0) {
        if (pending) fail("zstd: unexpected end of data");
        break;
      }
      ZSTD_inBuffer ib{in.data(), size_t(n), 0};
      bool ok = true;
      while (ib.pos < ib.size && ok) {
        ZSTD_outBuffer ob{out.data(), out.size(), 0};
        pending = ZSTD_decompressStream(ctx, &ob, &ib);
        if (ZSTD_isError(pending)) {
          fail(std::string("zstd: ") + ZSTD_getErrorName(pending));
          ok = false;
        }
        if (ob.pos && !write_out(out.data(), ob.pos)) ok = false;
      }
      if (!ok) break;
    }
    ZSTD_freeDCtx(ctx);
  }
};

Decompressor::Decompressor(int fd, std::string prefix, Compression c) : shared_(std::make_shared<Shared>()) {
  shared_->in_fd = fd;
  shared_->prefix = std::move(prefix);
  shared_->kind = c;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    shared_->fail(std::string("cannot decompress: ") + std::strerror(errno));
    if (fd > 0) ::close(fd);
    return;
  }
  (void)::fcntl(p[1], F_SETPIPE_SZ, 1 << 20);  // fewer wake-ups of the reader, as between stages
  shared_->write_fd = p[1];
  out_fd_ = p[0];
  // Detached: it ends when the input ends or the reader closes its end (EPIPE:
  // SIGPIPE is ignored by every binary), never holding up the process's exit.
  std::thread([s = shared_] { s->run(); }).detach();
}

Decompressor::~Decompressor() = default;

std::string Decompressor::error() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->error;
}

}  // namespace nl
