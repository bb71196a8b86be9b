#include "libcore/json/writer.hpp"

#include "libcore/json/base64_simd.hpp"

#include <charconv>
#include <array>
#include <cstring>

namespace nl {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at p (RFC 3629), or 0 when invalid.
size_t utf8_len(const unsigned char* p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t min;
  if ((c & 0xe0) == 0xc0) { len = 2; min = 0x80; }
  else if ((c & 0xf0) == 0xe0) { len = 3; min = 0x800; }
  else if ((c & 0xf8) == 0xf0) { len = 4; min = 0x10000; }
  else return 0;
  if (n < len) return 0;
  uint32_t cp = c & (0x7f >> len);
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // Copy the longest run that needs no escaping in one append.
    size_t run = i;
    while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\') ++run;
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      if (i == n) break;
    }
    unsigned char c = p[i];
    if (c >= 0x80) {
      size_t len = utf8_len(p + i, n - i);
      if (len == 0) {
        out += "\xef\xbf\xbd";  // U+FFFD for a byte that is not UTF-8
        ++i;
      } else {
        out.append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        char esc[7] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15], 0};
        out.append(esc, 6);
      }
    }
    ++i;
  }
  out += '"';
}

namespace {

// Two output characters per 12 input bits: one table lookup per half of a
// 3-byte group instead of four.
const std::array<uint16_t, 4096>& b64_pairs() {
  static const auto table = [] {
    std::array<uint16_t, 4096> t{};
    for (unsigned i = 0; i < 4096; ++i) {
      char two[2] = {kB64[i >> 6], kB64[i & 63]};
      std::memcpy(&t[i], two, 2);
    }
    return t;
  }();
  return table;
}

// For each character, its 6-bit value shifted into place for each of the four
// positions of a quantum; invalid characters set bit 24 in every table, so one
// test per input tells whether any character was bad.
struct B64Decode {
  std::array<uint32_t, 256> d[4];
  B64Decode() {
    for (auto& t : d) t.fill(1u << 24);
    for (unsigned i = 0; i < 64; ++i) {
      auto c = uint8_t(kB64[i]);
      d[0][c] = i << 18;
      d[1][c] = i << 12;
      d[2][c] = i << 6;
      d[3][c] = i;
    }
  }
};

}  // namespace

namespace {

// Writes (b.size() + 2) / 3 * 4 characters at o.
void encode_base64(Bytes b, char* o) {
  const auto& pairs = b64_pairs();
  const uint8_t* p = b.data();
  size_t n = b.size(), i = 0;
  if (n >= 28 && detail::have_avx2()) {
    i = detail::base64_encode_avx2(p, n, o);
    o += i / 3 * 4;
  }
  for (; i + 3 <= n; i += 3, o += 4) {
    uint32_t v = uint32_t(p[i]) << 16 | uint32_t(p[i + 1]) << 8 | p[i + 2];
    std::memcpy(o, &pairs[v >> 12], 2);
    std::memcpy(o + 2, &pairs[v & 4095], 2);
  }
  if (size_t rest = n - i) {
    uint32_t v = uint32_t(p[i]) << 16 | (rest == 2 ? uint32_t(p[i + 1]) << 8 : 0);
    o[0] = kB64[v >> 18];
    o[1] = kB64[v >> 12 & 63];
    o[2] = rest == 2 ? kB64[v >> 6 & 63] : '=';
    o[3] = '=';
  }
}

}  // namespace

void append_base64(std::string& out, Bytes b) {
  size_t start = out.size(), size = start + (b.size() + 2) / 3 * 4;
#if __cpp_lib_string_resize_and_overwrite
  // Every byte is written, so none is zeroed first: that memset was 3% of
  // tcpflow-reasm's main thread.
  // (GCC 12's libstdc++ hands the lambda the grown capacity, not `size`.)
  out.resize_and_overwrite(size, [&](char* d, size_t) {
    encode_base64(b, d + start);
    return size;
  });
#else
  out.resize(size);
  encode_base64(b, out.data() + start);
#endif
}

bool decode_base64(std::string_view in, std::string& out) {
  size_t n = 0;
#if __cpp_lib_string_resize_and_overwrite
  // The room is not zeroed first (a memset of up to a monologue's size per call).
  out.resize_and_overwrite(base64_decode_room(in), [&](char* d, size_t) {
    n = decode_base64(in, reinterpret_cast<uint8_t*>(d));
    return n == SIZE_MAX ? 0 : n;
  });
#else
  out.resize(base64_decode_room(in));
  n = decode_base64(in, reinterpret_cast<uint8_t*>(out.data()));
  out.resize(n == SIZE_MAX ? 0 : n);
#endif
  return n != SIZE_MAX;
}

size_t decode_base64(std::string_view in, uint8_t* o) {
  static const B64Decode t;
  constexpr size_t kInvalid = SIZE_MAX;
  if (in.size() % 4 != 0) return kInvalid;
  if (in.empty()) return 0;
  // Padding only in the last quantum, only in its last two places.
  size_t size = base64_decoded_size(in);
  size_t pad = in.size() / 4 * 3 - size;
  const auto* s = reinterpret_cast<const uint8_t*>(in.data());
  size_t whole = in.size() - (pad ? 4 : 0);
  uint32_t bad = 0;
  size_t i = 0;
  if (whole >= 32 && detail::have_avx2()) {
    bool simd_bad = false;
    i = detail::base64_decode_avx2(s, whole, o, simd_bad);
    if (simd_bad) return kInvalid;
    o += i / 4 * 3;
  }
  for (; i < whole; i += 4, o += 3) {
    uint32_t w = t.d[0][s[i]] | t.d[1][s[i + 1]] | t.d[2][s[i + 2]] | t.d[3][s[i + 3]];
    bad |= w;
    o[0] = uint8_t(w >> 16);
    o[1] = uint8_t(w >> 8);
    o[2] = uint8_t(w);
  }
  if (pad) {
    const uint8_t* q = s + whole;
    uint32_t w = t.d[0][q[0]] | t.d[1][q[1]] | (pad == 1 ? t.d[2][q[2]] : 0);
    bad |= w;
    o[0] = uint8_t(w >> 16);
    if (pad == 1) o[1] = uint8_t(w >> 8);
  }
  return (bad >> 24) == 0 ? size : kInvalid;
}

void JsonWriter::long_key(std::string_view k) {
  sep_direct();
  out_ += '"';
  out_ += k;
  out_ += "\":";
  first_ = true;
}

void JsonWriter::big_integer(uint64_t v, bool negative) {
  // Digits two at a time from the back, then one fixed-size copy: sequence numbers
  // and timestamps make this one of the hottest calls of pcap2pkt.
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char digits[40];
  char* end = digits + 20;
  char* q = end;
  while (v >= 100) {
    q -= 2;
    std::memcpy(q, kPairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    q -= 2;
    std::memcpy(q, kPairs + 2 * v, 2);
  } else {
    *--q = char('0' + v);
  }
  char* p = room(22);
  char* start = p;
  if (!first_) *p++ = ',';
  if (negative) *p++ = '-';
  std::memcpy(p, q, 20);  // past the digits: scratch that the next write overwrites
  p += end - q;
  n_ += size_t(p - start);
  first_ = false;
}

void JsonWriter::number(double v) {
  char* p = room(34);
  char* start = p;
  if (!first_) *p++ = ',';
  p = std::to_chars(p, p + 32, v).ptr;
  n_ += size_t(p - start);
  first_ = false;
}

void JsonWriter::raw(std::string_view json) {
  if (json.size() > kSmall) {
    sep_direct();
    out_ += json;
    return;
  }
  char* p = room(json.size() + 1);
  char* start = p;
  if (!first_) *p++ = ',';
  std::memcpy(p, json.data(), json.size());
  n_ += size_t(p - start) + json.size();
  first_ = false;
}

void JsonWriter::string(std::string_view s) {
  // Short strings that need no escaping (addresses, names) are copied as they are.
  if (s.size() <= kSmall) {
    bool plain = true;
    for (char c : s) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x80 || c == '"' || c == '\\') {
        plain = false;
        break;
      }
    }
    if (plain) return plain_string(s);
  }
  sep_direct();
  append_json_string(out_, s);
}

void JsonWriter::base64(Bytes b) {
  sep_direct();
  out_ += '"';
  append_base64(out_, b);
  out_ += '"';
}

void JsonWriter::hex(Bytes b) {
  sep_direct();
  out_ += '"';
  for (uint8_t c : b) {
    out_ += kHex[c >> 4];
    out_ += kHex[c & 15];
  }
  out_ += '"';
}

void JsonWriter::hex16(uint16_t v) {
  char* p = room(9);
  char* start = p;
  if (!first_) *p++ = ',';
  char buf[8] = {'"', '0', 'x', kHex[v >> 12], kHex[v >> 8 & 15], kHex[v >> 4 & 15], kHex[v & 15], '"'};
  std::memcpy(p, buf, 8);
  n_ += size_t(p - start) + 8;
  first_ = false;
}

void JsonWriter::text_view(Bytes b) {
  sep_direct();
  out_ += '"';
  for (uint8_t c : b) {
    if (c == '"' || c == '\\') {
      out_ += '\\';
      out_ += char(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out_ += char(c);
    } else if (c == '\n') {
      out_ += "\\n";
    } else {
      out_ += '.';
    }
  }
  out_ += '"';
}

void JsonWriter::timestamp(const Timestamp& t, TimeFormat f) {
  sep_direct();
  if (f == TimeFormat::iso) out_ += '"';
  append_timestamp(out_, t, f);
  if (f == TimeFormat::iso) out_ += '"';
}

}  // namespace nl
