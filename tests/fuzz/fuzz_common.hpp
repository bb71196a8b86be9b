// Shared helpers for the libFuzzer harnesses: a cursor over the fuzz input that never
// reads past its end (missing bytes read as 0), and a SessionSink that checks the
// contract of session.hpp (start before pieces, pieces contiguous modulo gaps, end last).
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
