// Shared helpers for the libFuzzer harnesses: a cursor over the fuzz input that never
// reads past its end (missing bytes read as 0), the split of an input into monologue
// pieces (fuzz_http, fuzz_tls), and a SessionSink that checks the contract of
// session.hpp (start before pieces, pieces contiguous modulo gaps, end last).
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "libcore/bytes.hpp"
#include "libcore/reasm/session.hpp"

namespace nl::fuzz {

#define FUZZ_CHECK(cond)                                                        \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                             \
    }                                                                           \
  } while (0)

class Cursor {
 public:
  Cursor(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool empty() const { return pos_ >= n_; }
  size_t left() const { return n_ - pos_; }
  uint8_t u8() { return pos_ < n_ ? d_[pos_++] : 0; }
  uint16_t u16() { return uint16_t(u8() << 8 | u8()); }
  uint32_t u32() { return uint32_t(u16()) << 16 | u16(); }
  Bytes take(size_t k) {
    if (k > left()) k = left();
    Bytes b{d_ + pos_, k};
    pos_ += k;
    return b;
  }
  Bytes rest() { return take(left()); }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t pos_ = 0;
};

// The piece encoding of fuzz_http and fuzz_tls (make_seeds.py piece_stream writes it):
// per piece a header byte h (bit 0: s2c; bit 1: a gap byte follows; bit 2, if the
// format has it: the monologue's last piece; the bits above: a short length code,
// 0 meaning a 16-bit length follows), then the piece's bytes. A monologue also ends
// where the direction changes.
struct PieceFormat {
  bool last_bit = false;    // bit 2 is the last flag; the length code is h >> 3 (else h >> 2)
  uint64_t min_gap = 0;     // a gap byte g means min_gap + g % 32 missing bytes
  size_t long_mod = 4096;   // a 16-bit length is taken modulo this
};

// Calls on_piece(const MonologuePiece&) for each piece until the input is used up.
template <class F>
void for_each_piece(Cursor& c, const PieceFormat& f, F&& on_piece) {
  const unsigned shift = f.last_bit ? 3 : 2;
  uint64_t off[2] = {0, 0}, mono = 0;
  int cur = -1;
  uint32_t piece_no = 0;
  Timestamp ts{1000, 0, 6};
  while (!c.empty()) {
    uint8_t h = c.u8();
    int dir = h & 1;
    uint64_t gap = (h & 2) ? f.min_gap + c.u8() % 32 : 0;
    bool last = f.last_bit && (h & 4);
    size_t code = h >> shift;
    size_t len = code ? (code << shift) + c.u8() % (1u << shift) : c.u16() % f.long_mod;
    Bytes b = c.take(len);
    if (dir != cur) {
      ++mono;
      piece_no = 0;
      cur = dir;
    }
    MonologuePiece p;
    p.dir = Dir(dir);
    p.monologue_no = mono;
    p.piece_no = piece_no++;
    p.gap_before = gap;
    p.offset = off[dir] + gap;
    p.data = b;
    p.first_ts = ts;
    ts.nsec += 1000;
    p.last_ts = ts;
    p.packets = 1;
    p.last = last;
    if (last) cur = -1;
    off[dir] = p.offset + b.size();
    on_piece(static_cast<const MonologuePiece&>(p));
  }
}

// Checks the SessionSink call order and piece arithmetic.
class CheckingSink : public SessionSink {
 public:
  struct DirState {
    uint64_t next = 0;        // offset after the last piece
    uint64_t bytes = 0, gaps = 0;
    uint64_t monologue = 0;
    uint32_t piece = 0;
    bool open = false;        // a monologue in progress (no last piece yet)
  };
  struct S {
    DirState d[2];
  };
  std::map<uint64_t, S> live;
  uint64_t sessions = 0, pieces = 0, ends = 0;

  void session_start(const SessionView& s) override {
    FUZZ_CHECK(s.session_no > 0);
    FUZZ_CHECK(live.find(s.session_no) == live.end());
    live[s.session_no] = S{};
    ++sessions;
  }
  void monologue(const SessionView& s, const MonologuePiece& p) override {
    auto it = live.find(s.session_no);
    FUZZ_CHECK(it != live.end());
    DirState& d = it->second.d[int(p.dir)];
    DirState& other = it->second.d[1 - int(p.dir)];
    FUZZ_CHECK(!other.open);  // monologues do not interleave
    if (!d.open) {
      FUZZ_CHECK(p.piece_no == 0);
      FUZZ_CHECK(p.monologue_no > d.monologue && p.monologue_no > other.monologue);
      d.monologue = p.monologue_no;
      d.piece = 0;
    } else {
      FUZZ_CHECK(p.monologue_no == d.monologue);
      FUZZ_CHECK(p.piece_no == d.piece + 1);
      d.piece = p.piece_no;
    }
    FUZZ_CHECK(p.offset == d.next + p.gap_before);
    d.next = p.offset + p.data.size();
    d.bytes += p.data.size();
    d.gaps += p.gap_before;
    d.open = !p.last;
    ++pieces;
  }
  void session_end(const SessionView& s, const SessionEnd& e) override {
    auto it = live.find(s.session_no);
    FUZZ_CHECK(it != live.end());
    for (int i = 0; i < 2; ++i) FUZZ_CHECK(!it->second.d[i].open);
    (void)e;
    live.erase(it);
    ++ends;
  }
};

}  // namespace nl::fuzz
