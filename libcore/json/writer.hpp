// A small JSON writer that appends to a reused std::string: no DOM, no allocation
// per record once the buffer has grown. Callers write keys in a fixed order so
// that output is stable and "type" comes first.
#pragma once
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "libcore/bytes.hpp"
#include "libcore/time.hpp"

namespace nl {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}
  ~JsonWriter() { flush(); }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  // Structure. Commas are placed automatically. Small pieces go to a stack buffer
  // that is appended to `out` in one go when the outermost object or array closes
  // (or the buffer fills): this writer is the hot path of every binary.
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // Inlined so that the length of a literal key is a constant at the call site.
  [[gnu::always_inline]] void key(std::string_view k) {  // k must not need escaping
    if (k.size() > kSmall) return long_key(k);
    char* p = room(k.size() + 4);
    if (!first_) *p++ = ',';
    *p++ = '"';
    std::memcpy(p, k.data(), k.size());
    p += k.size();
    *p++ = '"';
    *p++ = ':';
    n_ = size_t(p - stage_);
    first_ = true;  // the value that follows takes no comma
  }

  // Values.
  void null() { literal(",null", 5); }
  void boolean(bool v) { v ? literal(",true", 5) : literal(",false", 6); }
  void number(uint64_t v) { integer(v, false); }
  void number(int64_t v) { v < 0 ? integer(uint64_t(0) - uint64_t(v), true) : integer(uint64_t(v), false); }
  void number(uint32_t v) { integer(v, false); }
  void number(int v) { number(int64_t(v)); }
  void number(double v);
  void string(std::string_view s);        // escaped; invalid UTF-8 becomes U+FFFD
  // A string that needs no escaping, by construction (names, addresses and flags
  // we formatted ourselves): copied as it is.
  [[gnu::always_inline]] void plain_string(std::string_view s) {
    if (s.size() > kSmall) return string(s);
    char* p = room(s.size() + 3);
    char* start = p;
    if (!first_) *p++ = ',';
    *p++ = '"';
    std::memcpy(p, s.data(), s.size());
    p += s.size();
    *p++ = '"';
    n_ += size_t(p - start);
    first_ = false;
  }
  void raw(std::string_view json);        // a pre-formatted JSON value
  // Pre-formatted members of the open object ("a":1,"b":2), placed after the
  // ones written so far: a separator and the text, as raw() places a value.
  void members(std::string_view json) {
    if (!json.empty()) raw(json);
  }
  void base64(Bytes b);
  void hex(Bytes b);                      // "0a1b..."
  void hex16(uint16_t v);                 // "0x0303"
  void text_view(Bytes b);                // printable ASCII kept, other bytes as '.' (like tcpdump -A)
  void timestamp(const Timestamp& t, TimeFormat f);

  // key + value shorthands (inlined, like key()).
  template <class T>
  [[gnu::always_inline]] void field(std::string_view k, T v) { key(k); number(v); }
  [[gnu::always_inline]] void field_str(std::string_view k, std::string_view v) { key(k); string(v); }
  [[gnu::always_inline]] void field_plain(std::string_view k, std::string_view v) { key(k); plain_string(v); }
  [[gnu::always_inline]] void field_bool(std::string_view k, bool v) { key(k); boolean(v); }
  [[gnu::always_inline]] void field_null(std::string_view k) { key(k); null(); }
  // Nullable fields: the value when there is one, else null.
  template <class Write>
  void field_or_null(std::string_view k, bool present, Write&& write) {
    key(k);
    if (present) write();
    else null();
  }
  void string_or_null(const char* s) { s ? string(s) : null(); }
  void field_or_null(std::string_view k, const char* s) {
    key(k);
    string_or_null(s);
  }
  void field_or_null(std::string_view k, const std::optional<std::string>& s) {
    field_or_null(k, s.has_value(), [&] { string(*s); });
  }
  void field_or_null(std::string_view k, const std::optional<uint64_t>& v) {
    field_or_null(k, v.has_value(), [&] { number(*v); });
  }

  // The output so far (flushes the stack buffer first).
  std::string& buffer() {
    flush();
    return out_;
  }
  void flush() {
    if (n_) {
      out_.append(stage_, n_);
      n_ = 0;
    }
  }

 private:
  static constexpr size_t kSmall = 64;
  static constexpr size_t kStage = 4096;
  // A pointer to at least n free bytes in the stack buffer (n <= kStage).
  [[gnu::always_inline]] char* room(size_t n) {
    if (n_ + n > kStage) [[unlikely]] flush();
    return stage_ + n_;
  }
  // Places the separator and leaves the stack buffer empty, for large values
  // written straight to out_.
  void sep_direct() {
    if (!first_) {
      char* p = room(1);
      *p = ',';
      ++n_;
    }
    first_ = false;
    flush();
  }
  void open(char c) {
    char* p = room(2);
    if (!first_) *p++ = ',';
    *p++ = c;
    n_ = size_t(p - stage_);
    first_ = true;
    ++depth_;
  }
  void close(char c) {
    *room(1) = c;
    ++n_;
    first_ = false;
    if (--depth_ <= 0) flush();
  }
  // `text` starts with a comma, used only when a separator is due.
  void literal(const char* text, size_t n) {
    if (first_) ++text, --n;
    std::memcpy(room(n), text, n);
    n_ += n;
    first_ = false;
  }
  void integer(uint64_t v, bool negative) {
    // Most fields are small (flags, lengths of headers, TTLs): two digits inline.
    if (v < 100 && !negative) {
      char* p = room(3);
      char* start = p;
      if (!first_) *p++ = ',';
      if (v >= 10) *p++ = char('0' + v / 10);
      *p++ = char('0' + v % 10);
      n_ += size_t(p - start);
      first_ = false;
      return;
    }
    big_integer(v, negative);
  }
  void big_integer(uint64_t v, bool negative);
  void long_key(std::string_view k);

  std::string& out_;
  bool first_ = true;
  int depth_ = 0;
  size_t n_ = 0;
  char stage_[kStage];
};

// Standalone helpers used by the writer and by tests.
void append_base64(std::string& out, Bytes b);
bool decode_base64(std::string_view in, std::string& out);  // false on invalid input
// Decodes into `out`, which has room for base64_decode_room(in) bytes; returns the
// decoded size, or SIZE_MAX on invalid input.
size_t decode_base64(std::string_view in, uint8_t* out);
// in.size() / 4 * 3, and 8 bytes of scratch the vector loop writes past its blocks.
inline size_t base64_decode_room(std::string_view in) { return in.size() / 4 * 3 + 8; }
// What valid base64 text decodes to: three bytes a quantum, less the '=' padding
// (0 for a length that is not a multiple of 4: invalid).
inline size_t base64_decoded_size(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return 0;
  size_t pad = in.back() != '=' ? 0 : in[in.size() - 2] == '=' ? 2 : 1;
  return in.size() / 4 * 3 - pad;
}
void append_json_string(std::string& out, std::string_view s);

}  // namespace nl
