// A forward-only, validating reader of one JSON text, for the piped hot paths.
//
// It reads the subset our own writers produce: no whitespace between tokens,
// ASCII strings without escapes, non-negative integers (other numbers only
// skipped), true/false/null, objects and arrays. Anything else (whitespace, an
// escape, a non-ASCII byte, a fraction where an integer is read, deep nesting,
// invalid JSON) makes it fail, and the caller parses the line again with
// simdjson's DOM, which gives the error message or the unusual value. So on every
// line it accepts, it reads what a full parser reads; it only gives up more often.
//
// Values are read in order: object() calls fn(key) with the cursor at that key's
// value; fn reads the value with string()/uint()/boolean()/object()/array(), or
// leaves it, and it is skipped (validated) when fn returns.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace nl::json {

// The readers are small and called for every token of every line: inline them.
#define NL_SCAN_INLINE [[gnu::always_inline]] inline

// Whether the L bytes at a and b are equal, L known at compile time: a few
// integer compares, where a memcmp call would cost more than the compare.
template <class Word>
NL_SCAN_INLINE Word load_word(const char* p) {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}
template <size_t L>
NL_SCAN_INLINE bool same_text(const char* a, const char* b) {
  if constexpr (L == 0) {
    return true;
  } else if constexpr (L == 1) {
    return a[0] == b[0];
  } else if constexpr (L <= 16) {
    // Two words, overlapping when L is not twice their size.
    using Word = std::conditional_t<(L <= 3), uint16_t, std::conditional_t<(L <= 7), uint32_t, uint64_t>>;
    constexpr size_t W = sizeof(Word);
    return ((load_word<Word>(a) ^ load_word<Word>(b)) | (load_word<Word>(a + L - W) ^ load_word<Word>(b + L - W))) == 0;
  } else {
    return same_text<16>(a, b) && same_text<L - 16>(a + 16, b + 16);
  }
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool failed() const { return failed_; }
  // Gives up on this text: every later read returns false.
  void fail() {
    failed_ = true;
    p_ = end_;
  }
  // True when one whole value was read and nothing follows it.
  bool finish() { return !failed_ && p_ == end_; }

  // The first character of the next value, or '\0' at the end.
  NL_SCAN_INLINE char peek() { return p_ < end_ ? *p_ : '\0'; }

  NL_SCAN_INLINE bool string(std::string_view& out) {
    return peek() == '"' && take_string(string_end(p_ + 1, end_), out);
  }

  // A string taken without looking inside, for long values whose reader checks
  // every character anyway (base64): the caller must leave the text to the full
  // parser when the contents are not what it expects, since an escape or an
  // invalid byte would have gone unseen here.
  NL_SCAN_INLINE bool raw_string(std::string_view& out) {
    return peek() == '"' &&
           take_string(static_cast<const char*>(std::memchr(p_ + 1, '"', size_t(end_ - p_ - 1))), out);
  }

  // raw_string() for a value whose length is likely known (a payload's base64 from
  // its payload_len): the closing quote is looked for there first, then searched.
  // The caller's check of every character also catches a quote inside.
  NL_SCAN_INLINE bool raw_string_sized(std::string_view& out, uint64_t likely_size) {
    if (peek() == '"' && likely_size < uint64_t(end_ - p_ - 1) && p_[1 + likely_size] == '"')
      return take_string(p_ + 1 + likely_size, out);
    return raw_string(out);
  }

  // A non-negative integer below 10^19. Other numbers end the fast read.
  NL_SCAN_INLINE bool uint(uint64_t& out) {
    char c = peek();
    if (c < '0' || c > '9') {
      if (c == '-') fail();
      return false;
    }
    const char* start = p_;
    const char* p = p_;
    uint64_t v = 0;
    for (unsigned d; p < end_ && (d = unsigned(*p) - '0') < 10; ++p) v = v * 10 + d;
    size_t digits = size_t(p - start);
    if (digits > 19 || (digits > 1 && *start == '0') || (p < end_ && (*p == '.' || *p == 'e' || *p == 'E'))) {
      fail();
      return false;
    }
    p_ = p;
    out = v;
    return true;
  }

  // The fixed text `text` (a key with its quotes and colon, punctuation), taken
  // whole; false, taking nothing, when the input differs. For readers of one
  // known layout, which match everything but the values as fixed pieces.
  template <size_t N>
  NL_SCAN_INLINE bool expect(const char (&text)[N]) {
    constexpr size_t L = N - 1;
    if (size_t(end_ - p_) < L || !same_text<L>(p_, text)) return false;
    p_ += L;
    return true;
  }

  NL_SCAN_INLINE bool boolean(bool& out) {
    char c = peek();
    if (c == 't' && expect("true")) return out = true, true;
    if (c == 'f' && expect("false")) return out = false, true;
    return false;
  }

  // fn(std::string_view key) for each member; false when the value is not an object.
  template <class Fn>
  bool object(Fn&& fn) {
    return members('{', '}', [&] {
      std::string_view key;
      if (!string(key) || peek() != ':') return false;
      ++p_;
      value([&] { fn(key); });
      return true;
    });
  }

  // fn() for each element; false when the value is not an array.
  template <class Fn>
  bool array(Fn&& fn) {
    return members('[', ']', [&] {
      value(fn);
      return true;
    });
  }

  // Reads past the value at the cursor, checking it.
  void skip() {
    std::string_view s;
    bool b;
    switch (peek()) {
      case '{': object([](std::string_view) {}); break;
      case '[': array([] {}); break;
      case '"': string(s); break;
      case 't':
      case 'f': if (!boolean(b)) fail(); break;
      case 'n': if (!expect("null")) fail(); break;
      default: skip_number();
    }
  }

 private:
  static constexpr int kMaxDepth = 32;

  // The opening quote is at p_; `close` is the closing one (null: none found).
  NL_SCAN_INLINE bool take_string(const char* close, std::string_view& out) {
    if (!close) {
      fail();
      return false;
    }
    out = std::string_view(p_ + 1, size_t(close - p_ - 1));
    p_ = close + 1;
    return true;
  }

  // The members of an object or array between `open` and `close`, separated by
  // commas; member() reads one (false: malformed).
  template <class Member>
  bool members(char open, char close, Member&& member) {
    if (peek() != open) return false;
    if (++depth_ > kMaxDepth) return fail(), true;
    ++p_;
    if (peek() == close) return ++p_, --depth_, true;
    for (;;) {
      if (!member()) return fail(), true;
      if (failed_) return true;
      char c = peek();
      ++p_;
      if (c == close) return --depth_, true;
      if (c != ',') return fail(), true;
    }
  }

  // A value read by fn, or skipped when fn leaves it.
  template <class Fn>
  NL_SCAN_INLINE void value(Fn&& fn) {
    const char* at = p_;
    fn();
    if (!failed_ && p_ == at) skip();
  }

  // A number nobody asked for (a duration, say): checked against the JSON grammar
  // and passed over. Long or huge ones are left to the full parser, which decides
  // what it makes of them.
  void skip_number() {
    const char* p = p_;
    auto digits = [&](size_t max) {
      const char* from = p;
      while (p < end_ && unsigned(*p) - '0' < 10) ++p;
      size_t n = size_t(p - from);
      return n >= 1 && n <= max;
    };
    if (p < end_ && *p == '-') ++p;
    const char* int_start = p;
    if (!digits(19) || (*int_start == '0' && p - int_start > 1)) return fail();
    if (p < end_ && *p == '.') {
      ++p;
      if (!digits(30)) return fail();
    }
    if (p < end_ && (*p == 'e' || *p == 'E')) {
      ++p;
      if (p < end_ && (*p == '+' || *p == '-')) ++p;
      if (!digits(2)) return fail();
    }
    p_ = p;
  }

  // The closing quote of a string whose contents start at p, or null when an
  // escape, a control character or a non-ASCII byte comes first (or no quote).
  NL_SCAN_INLINE static const char* string_end(const char* p, const char* end) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
      __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      // Signed compare: bytes >= 0x80 are negative, so "< 0x20" catches them too.
      __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                     _mm_cmplt_epi8(x, space));
      if (int mask = _mm_movemask_epi8(special)) {
        p += __builtin_ctz(unsigned(mask));
        return *p == '"' ? p : nullptr;
      }
      p += 16;
    }
#endif
    for (; p < end; ++p) {
      auto c = static_cast<unsigned char>(*p);
      if (c == '"') return p;
      if (c == '\\' || c < 0x20 || c >= 0x80) return nullptr;
    }
    return nullptr;
  }

  const char* p_;
  const char* end_;
  int depth_ = 0;
  bool failed_ = false;
};

}  // namespace nl::json

#undef NL_SCAN_INLINE
