// Capture readers: classic pcap (draft-ietf-opsawg-pcap) and pcapng
// (draft-ietf-opsawg-pcapng), over one byte window that is either a whole-file
// mmap (zero copy) or a reused read() buffer for pipes.
#include "libcore/capture/reader.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "libcore/interrupt.hpp"

namespace nl {
namespace {

// A record or block above this is corrupt, not a jumbo frame (libpcap caps at 256 KiB
// for most link types; USB and D-Bus captures need far more, but not 256 MiB).
constexpr uint32_t kMaxCaplen = 256u << 20;
constexpr uint32_t kMaxBlock = kMaxCaplen + (1u << 20);  // a packet block and its options
constexpr size_t kMaxInterfaces = 65536;                 // per pcapng section
constexpr size_t kBufferSize = 1u << 20;                 // buffered reads: chunk size

constexpr uint32_t kPcapUsec = 0xa1b2c3d4;
constexpr uint32_t kPcapNsec = 0xa1b23c4d;
constexpr uint32_t kPcapModified = 0xa1b2cd34;  // Kuznetzov's patched libpcap: 8 more header bytes
constexpr uint32_t kPcapngShb = 0x0a0d0d0a;
constexpr uint32_t kPcapngBom = 0x1a2b3c4d;

std::string str_offset(const char* what, uint64_t off) {
  return std::string(what) + " at byte offset " + std::to_string(off);
}

// The bytes of the input, seen through a window [cur_, end_). In mmap mode the
// window is the whole file; in buffered mode it is refilled by read() on demand.
// peek() is the only call on the hot path and is inline; refills are out of line.
class Input {
 public:
  Input(const uint8_t* data, size_t size, void* map)
      : map_(map), released_(data), map_len_(size), begin_(data), cur_(data), end_(data + size), total_(size),
        eof_(true) {
    mapped_ = true;
  }
  Input(int fd, bool own_fd, std::string_view prefix, uint64_t total)
      : fd_(fd), own_fd_(own_fd), total_(total) {
    cap_ = prefix.size() > kBufferSize ? prefix.size() : kBufferSize;
    buf_.reset(new uint8_t[cap_]);
    if (!prefix.empty()) std::memcpy(buf_.get(), prefix.data(), prefix.size());
    begin_ = cur_ = buf_.get();
    end_ = begin_ + prefix.size();
  }
  ~Input() {
    if (map_) ::munmap(map_, map_len_);
    if (own_fd_ && fd_ > 0) ::close(fd_);
  }
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  // n contiguous bytes at the current position, or nullptr when the input ends (or
  // fails) first: avail() then says how many bytes were left.
  const uint8_t* peek(size_t n) {
    if (size_t(end_ - cur_) >= n) return cur_;
    return refill(n);
  }
  void advance(size_t n) { cur_ += n; }
  // Called once per record, before peek(). The next record's header depends on this
  // one's length, a chain of cache misses on a cold mapping: prefetching ahead
  // breaks it. Consumed mapped pages are dropped from the process (not from the page
  // cache) so the resident size stays small on big files; one step behind the read
  // position, as packets handed out a little earlier may still be in use.
  void prepare() {
    __builtin_prefetch(cur_ + 2048);
    __builtin_prefetch(cur_ + 2048 + 64);
    if (mapped_ && size_t(cur_ - released_) >= 2 * kReleaseStep) release();
  }
  size_t avail() const { return size_t(end_ - cur_); }
  bool mapped() const { return mapped_; }
  uint64_t offset() const { return base_ + uint64_t(cur_ - begin_); }
  uint64_t total() const { return total_; }
  bool failed() const { return !io_error_.empty(); }
  // Reading ended at a stop signal (interrupt.hpp), maybe inside a record.
  bool stopped() const { return stopped_; }
  const std::string& io_error() const { return io_error_; }

  // Skips n bytes without holding them (for large skipped pcapng blocks). False
  // when the input ends first (everything available was skipped).
  bool skip(uint64_t n) {
    while (n > 0) {
      if (avail() == 0 && !refill(1)) return false;
      size_t k = avail() < n ? avail() : size_t(n);
      cur_ += k;
      n -= k;
    }
    return true;
  }

 private:
  const uint8_t* refill(size_t n) {
    if (mapped_ || eof_ || failed()) return nullptr;
    size_t have = avail();
    // Keep reads large: grow when one record would fill much of the buffer.
    if (n > cap_ / 2) {
      size_t ncap = n + kBufferSize;
      std::unique_ptr<uint8_t[]> nb(new uint8_t[ncap]);
      std::memcpy(nb.get(), cur_, have);
      buf_ = std::move(nb);
      cap_ = ncap;
    } else if (cur_ != buf_.get()) {
      std::memmove(buf_.get(), cur_, have);
    }
    base_ += uint64_t(cur_ - begin_);
    begin_ = cur_ = buf_.get();
    end_ = begin_ + have;
    while (avail() < n) {
      ssize_t r = read_unless_stopped(fd_, const_cast<uint8_t*>(end_), cap_ - avail());
      if (r < 0) {
        if (errno == EINTR) {  // a stop signal: the input ends here
          eof_ = stopped_ = true;
          return nullptr;
        }
        io_error_ = std::strerror(errno);
        return nullptr;
      }
      if (r == 0) {
        eof_ = true;
        return nullptr;
      }
      end_ += r;
    }
    return cur_;
  }

  void release() {
    // Up to a step boundary at least one step behind cur_.
    const uint8_t* upto = begin_ + ((cur_ - kReleaseStep - begin_) & ~uintptr_t(kReleaseStep - 1));
    if (upto > released_) {
      ::madvise(const_cast<uint8_t*>(released_), size_t(upto - released_), MADV_DONTNEED);
      released_ = upto;
    }
  }

  static constexpr size_t kReleaseStep = 8u << 20;  // keeps peak RSS well under 32 MiB
  // mmap mode
  void* map_ = nullptr;
  const uint8_t* released_ = nullptr;
  size_t map_len_ = 0;
  bool mapped_ = false;
  // buffered mode
  int fd_ = -1;
  bool own_fd_ = false;
  std::unique_ptr<uint8_t[]> buf_;
  size_t cap_ = 0;
  // window
  const uint8_t* begin_ = nullptr;  // file offset base_
  const uint8_t* cur_ = nullptr;
  const uint8_t* end_ = nullptr;
  uint64_t base_ = 0;
  uint64_t total_ = 0;
  bool eof_ = false;
  bool stopped_ = false;
  std::string io_error_;
};

__extension__ typedef unsigned __int128 u128;  // exact 2^-n fractions

inline uint32_t rd32(const uint8_t* p, bool be) { return be ? load_be32(p) : load_le32(p); }
inline uint16_t rd16(const uint8_t* p, bool be) { return be ? load_be16(p) : load_le16(p); }

// Shared by both formats: sticky errors, progress and the truncation message.
class SourceBase : public CaptureSource {
 public:
  explicit SourceBase(std::unique_ptr<Input> in) : in_(std::move(in)) {}
  const std::string& error() const override { return error_; }
  uint64_t bytes_read() const override { return in_->offset(); }
  uint64_t total_bytes() const override { return in_->total(); }
  bool stable_data() const override { return in_->mapped(); }
  const std::vector<uint32_t>& linktypes() const override { return linktypes_; }
  uint32_t snaplen() const override { return snaplen_; }

 protected:
  ReadStatus fail(std::string msg) {
    error_ = std::move(msg);
    failed_ = true;
    return ReadStatus::error;
  }
  // After peek() of `need` bytes at record start `off` failed.
  ReadStatus short_input(const char* what, uint64_t off, uint64_t need) {
    if (in_->stopped()) return ReadStatus::end;  // not truncated: the run was stopped
    uint64_t left = in_->offset() + in_->avail() - off;
    if (in_->failed())
      return fail(str_offset("read error", in_->offset() + in_->avail()) + ": " + in_->io_error());
    return fail(str_offset(what, off) + ": needs " + std::to_string(need) + " bytes, " +
                std::to_string(left) + " left");
  }

  std::unique_ptr<Input> in_;
  std::string error_;
  bool failed_ = false;
  std::vector<uint32_t> linktypes_;
  uint32_t snaplen_ = 0;
};

// ---- classic pcap ---------------------------------------------------------------

class PcapSource final : public SourceBase {
 public:
  PcapSource(std::unique_ptr<Input> in, bool be, bool nsec, bool modified, uint32_t snaplen,
             uint32_t linktype)
      : SourceBase(std::move(in)), be_(be), nsec_(nsec), hdr_(modified ? 24 : 16), linktype_(linktype) {
    snaplen_ = snaplen;
    linktypes_.push_back(linktype);
  }

  ReadStatus next(Packet& pkt) override {
    if (failed_) return ReadStatus::error;
    in_->prepare();
    const uint8_t* p = in_->peek(hdr_);
    if (!p) {
      if (in_->avail() == 0 && !in_->failed()) return ReadStatus::end;
      return short_input("truncated packet record", in_->offset(), hdr_);
    }
    uint32_t caplen = rd32(p + 8, be_);
    if (caplen > kMaxCaplen)
      return fail(str_offset("corrupt packet record", in_->offset()) + ": captured length " +
                  std::to_string(caplen) + " exceeds " + std::to_string(kMaxCaplen));
    size_t need = hdr_ + size_t(caplen);
    p = in_->peek(need);
    if (!p) return short_input("truncated packet record", in_->offset(), need);
    uint32_t sec = rd32(p, be_), frac = rd32(p + 4, be_);
    // Fractions at or above one second are carried (seen in the wild from broken writers).
    if (nsec_) {
      if (frac >= 1000000000u) sec += frac / 1000000000u, frac %= 1000000000u;
      pkt.ts.nsec = frac;
      pkt.ts.digits = 9;
    } else {
      if (frac >= 1000000u) sec += frac / 1000000u, frac %= 1000000u;
      pkt.ts.nsec = frac * 1000;
      pkt.ts.digits = 6;
    }
    pkt.ts.sec = sec;  // unsigned in pcap files: good until 2106
    pkt.caplen = caplen;
    pkt.origlen = rd32(p + 12, be_);
    pkt.linktype = linktype_;
    pkt.interface = -1;
    pkt.data = Bytes(p + hdr_, caplen);
    in_->advance(need);
    return ReadStatus::ok;
  }

 private:
  bool be_, nsec_;
  size_t hdr_;
  uint32_t linktype_;
};

// ---- pcapng ---------------------------------------------------------------------

namespace block {
constexpr uint32_t idb = 1, pb = 2, spb = 3, epb = 6;
}

struct Interface {
  uint32_t linktype = 0;
  uint32_t snaplen = 0;
  // if_tsresol: 10^-exp or 2^-exp seconds per unit (default 10^-6).
  bool pow2 = false;
  uint8_t exp = 6;
  uint8_t digits = 6;
  uint64_t div = 1000000;  // units per second when representable (pow10 exp <= 19, pow2 exp <= 63)
  uint64_t mul = 1000;     // pow10 exp <= 9: nsec per unit
  uint64_t down = 1;       // pow10 9 < exp <= 18: units per nsec
  int64_t offset = 0;      // if_tsoffset, seconds

  void set_resolution(uint8_t v) {
    pow2 = v & 0x80;
    exp = v & 0x7f;
    if (!pow2) {
      digits = exp == 0 ? 0 : exp <= 3 ? 3 : exp <= 6 ? 6 : 9;
      div = 1;
      for (int i = 0; i < exp && i < 19; ++i) div *= 10;
      mul = 1;
      for (int i = exp; i < 9; ++i) mul *= 10;
      down = 1;
      for (int i = 9; i < exp && i < 27; ++i) down *= 10;
    } else {
      digits = exp == 0 ? 0 : exp <= 9 ? 3 : exp <= 19 ? 6 : 9;
      div = exp < 64 ? uint64_t(1) << exp : 0;
    }
  }

  void to_timestamp(uint64_t t, Timestamp& ts) const {
    uint64_t sec, nsec;
    if (!pow2) {
      if (exp <= 19) {
        sec = t / div;
        uint64_t frac = t - sec * div;
        nsec = exp <= 9 ? frac * mul : frac / down;
      } else {  // every representable value is below one second
        sec = 0;
        nsec = exp <= 27 ? t / down : 0;
      }
    } else {
      sec = exp < 64 ? t >> exp : 0;
      u128 frac = exp < 64 ? t & (div - 1) : t;
      nsec = uint64_t((frac * 1000000000u) >> exp);
    }
    ts.sec = int64_t(sec + uint64_t(offset));
    ts.nsec = uint32_t(nsec);
    ts.digits = digits;
  }
};

class PcapngSource final : public SourceBase {
 public:
  explicit PcapngSource(std::unique_ptr<Input> in) : SourceBase(std::move(in)) {}

  // Reads the first Section Header Block; false with error() set when it is bad.
  bool start() {
    const uint8_t* p = in_->peek(12);
    if (!p) {
      short_input("truncated pcapng section header block", 0, 12);
      return false;
    }
    return next_block() != ReadStatus::error;
  }

  ReadStatus next(Packet& pkt) override {
    if (failed_) return ReadStatus::error;
    for (;;) {
      ReadStatus s = next_block(&pkt);
      if (s != ReadStatus::ok || have_packet_) {
        have_packet_ = false;
        return s;
      }
    }
  }

 private:
  // Reads one block; for a packet block fills *pkt and sets have_packet_.
  ReadStatus next_block(Packet* pkt = nullptr) {
    const uint64_t off = in_->offset();
    in_->prepare();
    const uint8_t* p = in_->peek(8);
    if (!p) {
      if (in_->avail() == 0 && !in_->failed()) return ReadStatus::end;
      return short_input("truncated pcapng block", off, 8);
    }
    uint32_t type = rd32(p, be_);
    if (type == kPcapngShb) {  // palindromic type; the byte-order magic sets the order
      p = in_->peek(12);
      if (!p) return short_input("truncated pcapng section header block", off, 12);
      if (load_le32(p + 8) == kPcapngBom)
        be_ = false;
      else if (load_be32(p + 8) == kPcapngBom)
        be_ = true;
      else
        return fail(str_offset("corrupt pcapng section header block", off) + ": bad byte-order magic");
    }
    uint32_t len = rd32(p + 4, be_);
    if (len < 12 || len % 4 != 0)
      return fail(str_offset("corrupt pcapng block", off) + ": bad block total length " +
                  std::to_string(len));
    bool known = type == kPcapngShb || type == block::idb || type == block::pb || type == block::spb ||
                 type == block::epb;
    if (len > kMaxBlock) {
      if (known)
        return fail(str_offset("corrupt pcapng block", off) + ": block total length " +
                    std::to_string(len) + " exceeds " + std::to_string(kMaxBlock));
      // A big block we skip anyway: stream past it without buffering it whole.
      if (!in_->skip(len - 4) || !(p = in_->peek(4)))
        return short_input("truncated pcapng block", off, len);
      if (rd32(p, be_) != len) return bad_trailer(off, len, rd32(p, be_));
      in_->advance(4);
      return ReadStatus::ok;
    }
    p = in_->peek(len);
    if (!p) return short_input("truncated pcapng block", off, len);
    uint32_t trailer = rd32(p + len - 4, be_);
    if (trailer != len) return bad_trailer(off, len, trailer);
    const uint8_t* body = p + 8;
    const uint32_t body_len = len - 12;

    switch (type) {
      case kPcapngShb: {
        if (body_len < 16) return corrupt(off, "section header block too short");
        uint16_t major = rd16(body + 4, be_);
        if (major != 1)
          return fail(str_offset("unsupported pcapng section", off) + ": version " +
                      std::to_string(major) + "." + std::to_string(rd16(body + 6, be_)));
        interfaces_.clear();  // interface ids are per section
        break;
      }
      case block::idb: {
        if (body_len < 8) return corrupt(off, "interface description block too short");
        if (interfaces_.size() >= kMaxInterfaces) return corrupt(off, "too many interfaces in section");
        Interface f;
        f.linktype = rd16(body, be_);
        f.snaplen = rd32(body + 4, be_);
        parse_idb_options(body + 8, body_len - 8, f);
        if (linktypes_.empty()) snaplen_ = f.snaplen;
        interfaces_.push_back(f);
        linktypes_.push_back(f.linktype);
        break;
      }
      case block::epb:
      case block::pb: {
        if (!pkt) return corrupt(off, "packet block before the section header");
        if (body_len < 20) return corrupt(off, "packet block too short");
        uint32_t id = type == block::epb ? rd32(body, be_) : rd16(body, be_);
        if (id >= interfaces_.size())
          return fail(str_offset("corrupt pcapng packet block", off) + ": undefined interface " +
                      std::to_string(id));
        uint32_t caplen = rd32(body + 12, be_);
        if (caplen > body_len - 20)
          return fail(str_offset("corrupt pcapng packet block", off) + ": captured length " +
                      std::to_string(caplen) + " exceeds the block");
        const Interface& f = interfaces_[id];
        uint64_t t = uint64_t(rd32(body + 4, be_)) << 32 | rd32(body + 8, be_);
        f.to_timestamp(t, pkt->ts);
        pkt->caplen = caplen;
        pkt->origlen = rd32(body + 16, be_);
        pkt->linktype = f.linktype;
        pkt->interface = int32_t(id);
        pkt->data = Bytes(body + 20, caplen);
        have_packet_ = true;
        break;
      }
      case block::spb: {
        if (!pkt) return corrupt(off, "packet block before the section header");
        if (body_len < 4) return corrupt(off, "simple packet block too short");
        if (interfaces_.empty())
          return fail(str_offset("corrupt pcapng packet block", off) + ": undefined interface 0");
        const Interface& f = interfaces_[0];
        uint32_t origlen = rd32(body, be_);
        // The captured length is implicit: min(original length, snaplen, what the block holds).
        uint32_t caplen = origlen;
        if (f.snaplen != 0 && caplen > f.snaplen) caplen = f.snaplen;
        if (caplen > body_len - 4) caplen = body_len - 4;
        pkt->ts = Timestamp{0, 0, f.digits};
        pkt->caplen = caplen;
        pkt->origlen = origlen;
        pkt->linktype = f.linktype;
        pkt->interface = 0;
        pkt->data = Bytes(body + 4, caplen);
        have_packet_ = true;
        break;
      }
      default:  // NRB, ISB, DSB, custom, comments...: not needed to read packets
        break;
    }
    in_->advance(len);
    return ReadStatus::ok;
  }

  // Options: code, length, value padded to 4 bytes; a malformed list ends parsing
  // (the options are advisory; the packets are still readable).
  void parse_idb_options(const uint8_t* p, uint32_t n, Interface& f) {
    uint32_t i = 0;
    while (n - i >= 4) {
      uint16_t code = rd16(p + i, be_), olen = rd16(p + i + 2, be_);
      i += 4;
      if (code == 0 || olen > n - i) break;
      if (code == 9 && olen == 1) f.set_resolution(p[i]);                           // if_tsresol
      if (code == 14 && olen == 8)                                                  // if_tsoffset
        f.offset = int64_t(uint64_t(rd32(p + i, be_)) << 32 | rd32(p + i + 4, be_));  // 64-bit in order
      i += (uint32_t(olen) + 3) & ~3u;
      if (i > n) break;
    }
  }

  ReadStatus corrupt(uint64_t off, const char* why) {
    return fail(str_offset("corrupt pcapng block", off) + ": " + why);
  }
  ReadStatus bad_trailer(uint64_t off, uint32_t len, uint32_t trailer) {
    return fail(str_offset("corrupt pcapng block", off) + ": trailing block length " +
                std::to_string(trailer) + " does not match " + std::to_string(len));
  }

  bool be_ = false;
  bool have_packet_ = false;
  std::vector<Interface> interfaces_;
};

// Recognises the format from the first bytes and builds the source.
OpenResult open_input(std::unique_ptr<Input> in) {
  OpenResult r;
  const uint8_t* p = in->peek(4);
  if (!p) {
    if (in->failed()) {
      r.status = OpenStatus::io_error;
      r.message = in->io_error();
    } else if (in->avail() == 0) {
      r.status = OpenStatus::empty;
      r.message = "empty file";
    } else {
      r.status = OpenStatus::not_capture;
      r.message = "not a pcap or pcapng file";
    }
    return r;
  }
  if (!is_capture_magic(p, 4)) {
    r.status = OpenStatus::not_capture;
    r.message = "not a pcap or pcapng file";
    return r;
  }
  if (load_le32(p) == kPcapngShb) {
    auto src = std::make_unique<PcapngSource>(std::move(in));
    if (!src->start()) {
      r.status = src->error().rfind("read error", 0) == 0 ? OpenStatus::io_error : OpenStatus::not_capture;
      r.message = src->error();
      return r;
    }
    r.source = std::move(src);
    return r;
  }
  uint32_t le = load_le32(p);
  bool be = !(le == kPcapUsec || le == kPcapNsec || le == kPcapModified);
  uint32_t magic = be ? load_be32(p) : le;
  p = in->peek(24);
  if (!p) {
    r.status = in->failed() ? OpenStatus::io_error : OpenStatus::not_capture;
    r.message = in->failed() ? in->io_error()
                             : "truncated pcap file header: needs 24 bytes, " + std::to_string(in->avail()) +
                                   " left";
    return r;
  }
  uint16_t major = rd16(p + 4, be), minor = rd16(p + 6, be);
  if (major != 2) {
    r.status = OpenStatus::not_capture;
    r.message = "unsupported pcap version " + std::to_string(major) + "." + std::to_string(minor);
    return r;
  }
  uint32_t snaplen = rd32(p + 16, be);
  // The link-type field also carries the FCS length and flag bits (LT_LINKTYPE in libpcap).
  uint32_t linktype = rd32(p + 20, be) & 0x03ffffff;
  in->advance(24);
  r.source = std::make_unique<PcapSource>(std::move(in), be, magic == kPcapNsec, magic == kPcapModified,
                                          snaplen, linktype);
  return r;
}

}  // namespace

bool is_capture_magic(const uint8_t* p, size_t n) {
  if (n < 4) return false;
  uint32_t v = load_le32(p), w = load_be32(p);
  for (uint32_t m : {kPcapUsec, kPcapNsec, kPcapModified})
    if (v == m || w == m) return true;
  return v == kPcapngShb;
}

OpenResult open_capture(const std::string& path) {
  if (path == "-") return open_capture_fd(0, {});
  OpenResult r;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r.status = errno == ENOENT ? OpenStatus::not_found : OpenStatus::io_error;
    r.message = std::strerror(errno);
    return r;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    r.status = OpenStatus::io_error;
    r.message = std::strerror(S_ISDIR(st.st_mode) ? EISDIR : errno);
    ::close(fd);
    return r;
  }
  if (S_ISREG(st.st_mode)) {
    if (st.st_size == 0) {
      ::close(fd);
      r.status = OpenStatus::empty;
      r.message = "empty file";
      return r;
    }
    size_t size = size_t(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      ::close(fd);
      ::madvise(map, size, MADV_SEQUENTIAL);
      return open_input(std::make_unique<Input>(static_cast<const uint8_t*>(map), size, map));
    }
    // Not mappable (some special file systems): read it instead.
  }
  auto res = open_input(std::make_unique<Input>(fd, true, std::string_view(),
                                                S_ISREG(st.st_mode) ? uint64_t(st.st_size) : 0));
  return res;
}

OpenResult open_capture_fd(int fd, std::string prefix) {
  uint64_t total = 0;
  struct stat st;
  if (::fstat(fd, &st) == 0) {
    if (S_ISREG(st.st_mode)) total = uint64_t(st.st_size);
#ifdef F_SETPIPE_SZ
    // A bigger pipe means fewer, larger reads (and writes by the producer); best effort.
    if (S_ISFIFO(st.st_mode)) ::fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#endif
  }
  return open_input(std::make_unique<Input>(fd, true, prefix, total));
}

}  // namespace nl
