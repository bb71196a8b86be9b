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

// Resynchronising after a corrupt record (see CaptureSource::error()). A record found
// by scanning is held to stricter limits than one read in sequence: a captured length
// within the snapshot length or libpcap's 256 KiB default (and at most 16 MiB, which
// also bounds what a scan buffers from a pipe), an original length at least as long,
// and a timestamp within a day of its neighbour's.
constexpr size_t kResyncScan = 1u << 20;           // bytes scanned past the bad record
constexpr uint32_t kPlausibleCaplen = 256u << 10;  // libpcap's MAXIMUM_SNAPLEN
constexpr uint32_t kResyncMaxCaplen = 16u << 20;
constexpr int64_t kResyncWindow = 86400;           // seconds

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
    if (mapped_) {
      // Every line up to kPrefetchAhead bytes ahead: records are ~700 bytes apart
      // on average, and fetching only a line or two at a fixed distance left a
      // miss per record (a walk over 1 GB: 0.15 s of user time, 0.06 s this way).
      const uint8_t* want = std::min(cur_ + kPrefetchAhead, end_);
      if (prefetched_ < cur_) prefetched_ = cur_;
      for (; prefetched_ < want; prefetched_ += 64) __builtin_prefetch(prefetched_);
      if (size_t(cur_ - released_) >= 2 * kReleaseStep) release();
    } else {
      __builtin_prefetch(cur_ + 2048);
      __builtin_prefetch(cur_ + 2048 + 64);
    }
  }
  size_t avail() const { return size_t(end_ - cur_); }
  bool mapped() const { return mapped_; }
  uint64_t offset() const { return base_ + uint64_t(cur_ - begin_); }
  uint64_t total() const { return total_; }
  bool failed() const { return !io_error_.empty(); }
  // Reading ended at a stop signal (interrupt.hpp), maybe inside a record.
  bool stopped() const { return stopped_; }
  const std::string& io_error() const { return io_error_; }

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
  static constexpr size_t kPrefetchAhead = 8192;
  // mmap mode
  void* map_ = nullptr;
  const uint8_t* released_ = nullptr;
  const uint8_t* prefetched_ = nullptr;  // lines before it are on their way
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

// Shared by both formats: sticky errors, progress, the truncation message and
// resynchronising.
class SourceBase : public CaptureSource {
 public:
  explicit SourceBase(std::unique_ptr<Input> in) : in_(std::move(in)) {}
  const std::string& error() const override { return error_; }
  uint64_t bytes_read() const override { return in_->offset(); }
  uint64_t total_bytes() const override { return in_->total(); }
  bool stable_data() const override { return in_->mapped(); }
  const std::vector<uint32_t>& linktypes() const override { return linktypes_; }
  uint32_t snaplen() const override { return snaplen_; }
  uint64_t packets_read() const override { return packets_; }
  uint64_t skipped_bytes() const override { return skipped_; }

 protected:
  ReadStatus fail(std::string msg) {
    error_ = std::move(msg);
    failed_ = true;
    return ReadStatus::error;
  }
  // After peek() of `need` bytes at record start `off` failed.
  std::string short_message(const char* what, uint64_t off, uint64_t need) const {
    uint64_t left = in_->offset() + in_->avail() - off;
    return str_offset(what, off) + ": needs " + std::to_string(need) + " bytes, " + std::to_string(left) +
           " left";
  }
  ReadStatus read_error() {
    return fail(str_offset("read error", in_->offset() + in_->avail()) + ": " + in_->io_error());
  }
  ReadStatus short_input(const char* what, uint64_t off, uint64_t need) {
    if (in_->stopped()) return ReadStatus::end;  // not truncated: the run was stopped
    if (in_->failed()) return read_error();
    return fail(short_message(what, off, need));
  }
  // The record at the current position (`msg` says what is wrong with it) cannot be
  // read: skips to the next plausible record when find_next() finds one, else fails.
  // `found_msg`, when given, replaces `msg` once a record was found (a record that
  // seemed cut by the end of the input was in fact corrupt).
  ReadStatus recover(std::string msg, std::string found_msg = {}) {
    if (in_->stopped()) return ReadStatus::end;
    if (in_->failed()) return read_error();
    size_t k = find_next();
    if (k == 0) return in_->failed() ? read_error() : fail(std::move(msg));  // the scan may read on
    in_->advance(k);
    skipped_ += k;
    resynced_ = true;
    error_ = (found_msg.empty() ? msg : found_msg) + "; resynchronised after skipping " + std::to_string(k) +
             " bytes";
    return ReadStatus::skipped;
  }
  // Distance from the current position (a bad record) to the first plausible record
  // within kResyncScan bytes, or 0.
  virtual size_t find_next() = 0;
  // A packet is about to be returned (`timed`: it has a timestamp).
  void returning(Packet& pkt, bool timed = true) {
    ++packets_;
    if (timed) {
      have_last_ = true;
      last_sec_ = pkt.ts.sec;
    }
    if (resynced_) {
      pkt.add_record_anomaly(Anomaly::resynchronised);
      resynced_ = false;
    }
  }
  // A found record's time is near the last packet's (any time before the first packet).
  bool near_last(int64_t sec) const { return !have_last_ || near(sec, last_sec_); }
  static bool near(int64_t a, int64_t b) { return a - b <= kResyncWindow && b - a <= kResyncWindow; }

  std::unique_ptr<Input> in_;
  std::string error_;
  bool failed_ = false;
  std::vector<uint32_t> linktypes_;
  uint32_t snaplen_ = 0;
  uint64_t packets_ = 0;
  uint64_t skipped_ = 0;
  bool resynced_ = false;  // the next packet comes right after a skipped stretch
  bool have_last_ = false;
  int64_t last_sec_ = 0;   // the last packet's time
};

// ---- classic pcap ---------------------------------------------------------------

class PcapSource final : public SourceBase {
 public:
  PcapSource(std::unique_ptr<Input> in, bool be, bool nsec, bool modified, uint32_t snaplen,
             uint32_t linktype)
      : SourceBase(std::move(in)), be_(be), nsec_(nsec), hdr_(modified ? 24 : 16), linktype_(linktype) {
    snaplen_ = snaplen;
    linktypes_.push_back(linktype);
    // A captured length above both the snapshot length and libpcap's largest default
    // cannot be right; without a snapshot length (0: some writers) only kMaxCaplen holds.
    uint32_t plausible = snaplen > kPlausibleCaplen ? snaplen : kPlausibleCaplen;
    if (plausible > kMaxCaplen) plausible = kMaxCaplen;
    max_caplen_ = snaplen == 0 ? kMaxCaplen : plausible;
    found_caplen_ = plausible < kResyncMaxCaplen ? plausible : kResyncMaxCaplen;
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
    if (caplen > max_caplen_)
      return recover(str_offset("corrupt packet record", in_->offset()) + ": captured length " +
                     std::to_string(caplen) + " exceeds " + std::to_string(max_caplen_));
    size_t need = hdr_ + size_t(caplen);
    p = in_->peek(need);
    if (!p) {
      if (in_->failed()) return read_error();
      return recover(short_message("truncated packet record", in_->offset(), need),
                     str_offset("corrupt packet record", in_->offset()) + ": captured length " +
                         std::to_string(caplen) + " runs past the end of the input");
    }
    uint32_t sec = rd32(p, be_), frac = rd32(p + 4, be_);
    pkt.n_record_anomalies = 0;
    // Fractions at or above one second are carried, as Wireshark does (seen in the wild
    // from broken writers), and flagged.
    uint32_t carry = 0;
    if (nsec_) {
      if (frac >= 1000000000u) carry = frac / 1000000000u, frac %= 1000000000u;
      pkt.ts.nsec = frac;
      pkt.ts.digits = 9;
    } else {
      if (frac >= 1000000u) carry = frac / 1000000u, frac %= 1000000u;
      pkt.ts.nsec = frac * 1000;
      pkt.ts.digits = 6;
    }
    if (carry) pkt.add_record_anomaly(Anomaly::bad_timestamp_fraction);
    pkt.ts.sec = int64_t(sec) + carry;  // unsigned in pcap files: good until 2106
    pkt.caplen = caplen;
    pkt.origlen = rd32(p + 12, be_);
    if (caplen > pkt.origlen) pkt.add_record_anomaly(Anomaly::caplen_exceeds_len);
    pkt.linktype = linktype_;
    pkt.interface = -1;
    pkt.data = Bytes(p + hdr_, caplen);
    in_->advance(need);
    returning(pkt);
    return ReadStatus::ok;
  }

 private:
  struct Header {
    uint32_t sec, frac, caplen, origlen;
  };
  Header header(const uint8_t* p) const {
    return {rd32(p, be_), rd32(p + 4, be_), rd32(p + 8, be_), rd32(p + 12, be_)};
  }
  // A record header that a resynchronising scan may stop at: sane lengths, a
  // fraction below one second, and a time near `ref` (when `have_ref`).
  bool plausible(const Header& h, bool have_ref, int64_t ref) const {
    return h.caplen <= found_caplen_ && h.origlen >= h.caplen && h.origlen != 0 && h.origlen <= kMaxCaplen &&
           h.frac < (nsec_ ? 1000000000u : 1000000u) && (!have_ref || near(h.sec, ref));
  }

  // Byte by byte from the bad record: the first plausible header that is followed by
  // another plausible one (near it in time) or, after a packet was read, by the end of
  // the input. Each position costs at most two header reads: linear in the scan.
  size_t find_next() override {
    for (size_t k = 1; k <= kResyncScan; ++k) {
      const uint8_t* p = in_->peek(k + hdr_);
      if (!p) return 0;
      Header h = header(p + k);
      if (!plausible(h, have_last_, last_sec_)) continue;
      size_t after = k + hdr_ + h.caplen;
      if (const uint8_t* q = in_->peek(after + hdr_)) {
        if (plausible(header(q + after), true, h.sec)) return k;
      } else if (have_last_ && !in_->failed() && in_->avail() == after) {
        return k;
      }
    }
    return 0;
  }

  bool be_, nsec_;
  size_t hdr_;
  uint32_t linktype_;
  uint32_t max_caplen_;    // above it a record is corrupt
  uint32_t found_caplen_;  // the most a record found by resynchronising may hold
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
    if (next_block() == ReadStatus::error) return false;
    started_ = true;
    return true;
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
    bool be = be_;             // a new section's byte order, once its header is whole
    if (type == kPcapngShb) {  // palindromic type; the byte-order magic sets the order
      p = in_->peek(12);
      if (!p) return short_input("truncated pcapng section header block", off, 12);
      if (load_le32(p + 8) == kPcapngBom)
        be = false;
      else if (load_be32(p + 8) == kPcapngBom)
        be = true;
      else
        return bad_frame(str_offset("corrupt pcapng section header block", off) + ": bad byte-order magic");
    }
    uint32_t len = rd32(p + 4, be);
    if (len < 12 || len % 4 != 0)
      return bad_frame(str_offset("corrupt pcapng block", off) + ": bad block total length " +
                       std::to_string(len));
    // Whatever the type: Wireshark too refuses blocks this large, and a length read
    // from garbage mostly is (streaming past it would lose the bytes to resynchronise on).
    if (len > kMaxBlock)
      return bad_frame(str_offset("corrupt pcapng block", off) + ": block total length " +
                       std::to_string(len) + " exceeds " + std::to_string(kMaxBlock));
    p = in_->peek(len);
    if (!p) {
      if (in_->failed()) return read_error();
      return bad_frame(short_message("truncated pcapng block", off, len),
                       str_offset("corrupt pcapng block", off) + ": block total length " + std::to_string(len) +
                           " runs past the end of the input");
    }
    uint32_t trailer = rd32(p + len - 4, be);
    if (trailer != len)
      return bad_frame(str_offset("corrupt pcapng block", off) + ": trailing block length " +
                       std::to_string(trailer) + " does not match " + std::to_string(len));
    const uint8_t* body = p + 8;
    const uint32_t body_len = len - 12;

    switch (type) {
      case kPcapngShb: {
        be_ = be;
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
        pkt->n_record_anomalies = 0;
        if (caplen > pkt->origlen) pkt->add_record_anomaly(Anomaly::caplen_exceeds_len);
        have_packet_ = true;
        returning(*pkt);
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
        pkt->n_record_anomalies = 0;
        have_packet_ = true;
        returning(*pkt, false);
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
  // The block's framing is bad: its length cannot be trusted to find the next one.
  // A well-framed block with bad contents (an undefined interface...) still ends the
  // input: its framing was sound, so the damage is not a few lost bytes.
  ReadStatus bad_frame(std::string msg, std::string found_msg = {}) {
    if (!started_) return fail(std::move(msg));
    return recover(std::move(msg), std::move(found_msg));
  }

  // Total length of the block `k` bytes ahead when a resynchronising scan may stop
  // there, else 0: a registered block type (not local use), a sane total length
  // repeated at its end, and for packet blocks a defined interface, a captured length
  // within the block and the original length, and a time near the last packet's.
  uint32_t plausible_block(size_t k) {
    const uint8_t* p = in_->peek(k + 12);
    if (!p) return 0;
    p += k;
    uint32_t type = rd32(p, be_);
    bool be = be_;
    if (type == kPcapngShb) {
      if (load_le32(p + 8) == kPcapngBom)
        be = false;
      else if (load_be32(p + 8) == kPcapngBom)
        be = true;
      else
        return 0;
    } else if ((type == 0 || type > 0x0a) && type != 0x0bad && type != 0x40000bad) {
      return 0;
    }
    uint32_t len = rd32(p + 4, be);
    if (len < 12 || len % 4 != 0 || len > kResyncMaxCaplen) return 0;
    if (!(p = in_->peek(k + len))) return 0;
    p += k;
    if (rd32(p + len - 4, be) != len) return 0;
    const uint8_t* body = p + 8;
    const uint32_t body_len = len - 12;
    switch (type) {
      case kPcapngShb:
        return body_len >= 16 && rd16(body + 4, be) == 1 ? len : 0;
      case block::idb:
        return body_len >= 8 ? len : 0;
      case block::spb:
        return body_len >= 4 && !interfaces_.empty() ? len : 0;
      case block::epb:
      case block::pb: {
        if (body_len < 20) return 0;
        uint32_t id = type == block::epb ? rd32(body, be) : rd16(body, be);
        uint32_t caplen = rd32(body + 12, be), origlen = rd32(body + 16, be);
        if (id >= interfaces_.size() || caplen > body_len - 20 || caplen > origlen) return 0;
        Timestamp ts;
        interfaces_[id].to_timestamp(uint64_t(rd32(body + 4, be)) << 32 | rd32(body + 8, be), ts);
        return near_last(ts.sec) ? len : 0;
      }
      default:
        return len;
    }
  }

  // Byte by byte from the bad block (blocks are 4-aligned only until bytes go
  // missing): the first plausible block followed by another or by the end of the
  // input. The trailing length makes a block found in garbage unlikely; the one after
  // it, more so.
  size_t find_next() override {
    for (size_t k = 1; k <= kResyncScan; ++k) {
      if (!in_->peek(k + 12)) return 0;
      uint32_t len = plausible_block(k);
      if (len == 0) continue;
      size_t after = k + len;
      // When the block after is not whole, the failed read has brought in all that is left.
      if (plausible_block(after) != 0 || (!in_->failed() && in_->avail() == after)) return k;
    }
    return 0;
  }

  bool be_ = false;
  bool have_packet_ = false;
  bool started_ = false;  // past the first section header: resynchronising is allowed
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
