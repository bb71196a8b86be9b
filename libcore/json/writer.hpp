// A small JSON writer that appends to a reused std::string: no DOM, no allocation
// per record once the buffer has grown. Callers write keys in a fixed order so
// that output is stable and "type" comes first.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "libcore/bytes.hpp"
#include "libcore/time.hpp"

namespace nl {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  // Structure. Commas are placed automatically. Each call ends in one append of a
  // small stack buffer: this writer is the hot path of every binary.
  void begin_object() { put2(first_ ? '\0' : ',', '{'); first_ = true; }
  void end_object() { out_ += '}'; first_ = false; }
  void begin_array() { put2(first_ ? '\0' : ',', '['); first_ = true; }
  void end_array() { out_ += ']'; first_ = false; }
  void key(std::string_view k) {  // k must not need escaping
    char buf[kSmall + 4];
    if (k.size() > kSmall) return long_key(k);
    char* p = buf;
    if (!first_) *p++ = ',';
    *p++ = '"';
    std::memcpy(p, k.data(), k.size());
    p += k.size();
    *p++ = '"';
    *p++ = ':';
    out_.append(buf, size_t(p - buf));
    first_ = true;  // the value that follows takes no comma
  }

  // Values.
  void null() { literal(",null", 5); }
  void boolean(bool v) { v ? literal(",true", 5) : literal(",false", 6); }
  void number(uint64_t v);
  void number(int64_t v);
  void number(uint32_t v) { number(uint64_t(v)); }
  void number(int v) { number(int64_t(v)); }
  void number(double v);
  void string(std::string_view s);        // escaped; invalid UTF-8 becomes U+FFFD
  void raw(std::string_view json) { sep(); out_ += json; }  // pre-formatted JSON value
  void base64(Bytes b);
  void hex(Bytes b);                      // "0a1b..."
  void hex16(uint16_t v);                 // "0x0303"
  void text_view(Bytes b);                // printable ASCII kept, other bytes as '.' (like tcpdump -A)
  void timestamp(const Timestamp& t, TimeFormat f);

  // key + value shorthands.
  // key and integer in one append (the most common pair in every record).
  void field(std::string_view k, uint64_t v) { field_int(k, v, false); }
  void field(std::string_view k, int64_t v) {
    v < 0 ? field_int(k, uint64_t(0) - uint64_t(v), true) : field_int(k, uint64_t(v), false);
  }
  void field(std::string_view k, uint32_t v) { field_int(k, v, false); }
  void field(std::string_view k, int v) { field(k, int64_t(v)); }
  void field(std::string_view k, double v) { key(k); number(v); }
  void field_str(std::string_view k, std::string_view v) { key(k); string(v); }
  void field_bool(std::string_view k, bool v) { key(k); boolean(v); }
  void field_null(std::string_view k) { key(k); null(); }

  std::string& buffer() { return out_; }

 private:
  static constexpr size_t kSmall = 64;
  void sep() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  // `text` starts with a comma, used only when a separator is due.
  void literal(const char* text, size_t n) {
    if (first_) out_.append(text + 1, n - 1);
    else out_.append(text, n);
    first_ = false;
  }
  void put2(char comma, char c) {
    char buf[2] = {comma, c};
    if (comma) out_.append(buf, 2);
    else out_ += c;
  }
  void long_key(std::string_view k);
  void field_int(std::string_view k, uint64_t v, bool negative);
  std::string& out_;
  bool first_ = true;
};

// Standalone helpers used by the writer and by tests.
void append_base64(std::string& out, Bytes b);
bool decode_base64(std::string_view in, std::string& out);  // false on invalid input
void append_json_string(std::string& out, std::string_view s);

}  // namespace nl
