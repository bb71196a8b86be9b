// Reading a JSON record two ways through one interface: the fast Scanner (scan.hpp)
// and simdjson's DOM, which reads whatever the scanner gives up on.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "libcore/json/scan.hpp"
#include "libcore/json/writer.hpp"

namespace nl::json {

// Key comparison with the literal's length known at compile time: a length check
// and a few integer compares instead of a memcmp call per key.
template <size_t N>
[[gnu::always_inline]] inline bool is(std::string_view k, const char (&literal)[N]) {
  constexpr size_t L = N - 1;
  static_assert(L >= 1);
  return k.size() == L && same_text<L>(k.data(), literal);
}

// A record is read through one of two kinds of value with the same small
// interface: the fast scanner over the line (ScanValue) or, when the scanner gives
// up, simdjson's DOM (element). get() is true when the value has the type;
// fields()/elements() are false when it is not an object/array. Readers are
// templates over the value type, so both ways share one reading of the record.
// The scanner of one record, with where get_base64() decodes to.
struct RecordScan : Scanner {
  RecordScan(std::string_view text, std::string& out) : Scanner(text), base64_out(&out) {}
  std::string* base64_out;
};
// One pointer, so that it travels in a register: the lambdas that receive it are
// called per key, and a two-word value stored and reloaded there stalled them.
struct ScanValue {
  RecordScan* s;
};
inline bool get(ScanValue v, uint64_t& out) { return v.s->uint(out); }
inline bool get(ScanValue v, int64_t& out) {
  uint64_t u = 0;
  if (!v.s->uint(u) || u > uint64_t(INT64_MAX)) return false;
  out = int64_t(u);
  return true;
}
inline bool get(ScanValue v, std::string_view& out) { return v.s->string(out); }
inline bool get(ScanValue v, bool& out) { return v.s->boolean(out); }
// A long base64 string (a payload, a monologue's data) is taken with memchr and
// decoded at once into base64_out: the decoder checks every character, and one
// that is not plain base64 (a JSON escape, a control byte) sends the line to the
// DOM. Decoding here, not later, also checks a value a duplicate key replaces.
// The DOM's get_base64() only reads the string; its caller decodes.
inline bool get_base64(ScanValue v, std::string_view& out) {
  if (!v.s->raw_string(out)) return false;
  if (!decode_base64(out, *v.s->base64_out)) {
    v.s->fail();
    return false;
  }
  return true;
}
// A base64 string's text, for a caller that decodes it into a buffer of its own
// later, and leaves the line to the DOM when that decoding fails.
inline bool get_base64_text(ScanValue v, std::string_view& out) { return v.s->raw_string(out); }
// Leaves the line to the DOM (which reads whatever the scanner may read).
inline void give_up(ScanValue v) { v.s->fail(); }
inline bool get_true(ScanValue v) {
  bool b = false;
  return v.s->boolean(b) && b;
}
template <class Fn>
bool fields(ScanValue v, Fn&& fn) {
  return v.s->object([&](std::string_view k) { fn(k, v); });
}
template <class Fn>
bool elements(ScanValue v, Fn&& fn) {
  return v.s->array([&] { fn(v); });
}

inline bool get(simdjson::dom::element v, uint64_t& out) { return v.get(out) == simdjson::SUCCESS; }
inline bool get(simdjson::dom::element v, int64_t& out) { return v.get(out) == simdjson::SUCCESS; }
inline bool get(simdjson::dom::element v, std::string_view& out) { return v.get(out) == simdjson::SUCCESS; }
inline bool get(simdjson::dom::element v, bool& out) { return v.get(out) == simdjson::SUCCESS; }
inline bool get_base64(simdjson::dom::element v, std::string_view& out) { return get(v, out); }
inline bool get_base64_text(simdjson::dom::element v, std::string_view& out) { return get(v, out); }
inline void give_up(simdjson::dom::element) {}
inline bool get_true(simdjson::dom::element v) {
  bool b = false;
  return v.get(b) == simdjson::SUCCESS && b;
}
template <class Fn>
bool fields(simdjson::dom::element v, Fn&& fn) {
  simdjson::dom::object o;
  if (v.get(o) != simdjson::SUCCESS) return false;
  for (auto field : o) fn(field.key, field.value);
  return true;
}
template <class Fn>
bool elements(simdjson::dom::element v, Fn&& fn) {
  simdjson::dom::array a;
  if (v.get(a) != simdjson::SUCCESS) return false;
  for (simdjson::dom::element e : a) fn(e);
  return true;
}

// True when the value is a number (which the scanner reads only as a
// non-negative integer).
inline bool is_number(ScanValue v) {
  char c = v.s->peek();
  return c == '-' || (c >= '0' && c <= '9');
}
inline bool is_number(simdjson::dom::element v) { return v.is_number(); }

// The literal text of a number, for epoch timestamps: a double cannot hold
// nanoseconds. The DOM keeps only the double, so the text is taken from the line:
// the value of the first `"key":`, up to the next ',' or '}'. The scanner leaves
// such a line to the DOM (and gives false).
inline bool number_text(ScanValue v, std::string_view, std::string_view, std::string_view&) {
  if (is_number(v)) v.s->fail();
  return false;
}
inline bool number_text(simdjson::dom::element v, std::string_view line, std::string_view key,
                        std::string_view& out) {
  if (!v.is_number()) return false;
  std::string pattern(1, '"');
  pattern.append(key).append("\":");
  size_t at = line.find(pattern);
  if (at == std::string_view::npos) return false;
  std::string_view text = line.substr(at + pattern.size());
  out = text.substr(0, text.find_first_of(",}"));
  return true;
}

}  // namespace nl::json
