// A small JSON writer that appends to a reused std::string: no DOM, no allocation
// per record once the buffer has grown. Callers write keys in a fixed order so
// that output is stable and "type" comes first.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "libcore/bytes.hpp"
#include "libcore/time.hpp"

namespace nl {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  // Structure. Commas are placed automatically.
  void begin_object() { sep(); out_ += '{'; first_ = true; }
  void end_object() { out_ += '}'; first_ = false; }
  void begin_array() { sep(); out_ += '['; first_ = true; }
  void end_array() { out_ += ']'; first_ = false; }
  void key(std::string_view k) {  // k must not need escaping
    sep();
    out_ += '"';
    out_ += k;
    out_ += "\":";
    first_ = true;  // the value that follows takes no comma
  }

  // Values.
  void null() { sep(); out_ += "null"; }
  void boolean(bool v) { sep(); out_ += v ? "true" : "false"; }
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
  template <class T>
  void field(std::string_view k, T v) { key(k); number(v); }
  void field_str(std::string_view k, std::string_view v) { key(k); string(v); }
  void field_bool(std::string_view k, bool v) { key(k); boolean(v); }
  void field_null(std::string_view k) { key(k); null(); }

  std::string& buffer() { return out_; }

 private:
  void sep() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
};

// Standalone helpers used by the writer and by tests.
void append_base64(std::string& out, Bytes b);
bool decode_base64(std::string_view in, std::string& out);  // false on invalid input
void append_json_string(std::string& out, std::string_view s);

}  // namespace nl
