// Bounds-checked cursor over a byte span. Every field of a packet is read through
// this, never by casting a pointer to a struct: a capture may cut a packet at any byte.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace nl {

using Bytes = std::span<const uint8_t>;

inline std::string_view as_text(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline uint16_t load_be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint16_t load_le16(const uint8_t* p) { return uint16_t(p[1] << 8 | p[0]); }
inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0];
}
inline uint64_t load_le64(const uint8_t* p) { return uint64_t(load_le32(p + 4)) << 32 | load_le32(p); }
inline uint64_t load_be64(const uint8_t* p) { return uint64_t(load_be32(p)) << 32 | load_be32(p + 4); }

// Reads advance only when the bytes are there; callers test can_read() (or the
// bool-returning forms) first. A read past the end returns 0 and sets failed().
class ByteReader {
 public:
  explicit ByteReader(Bytes b) : b_(b) {}

  bool can_read(size_t n) const { return n <= b_.size() - pos_; }
  size_t remaining() const { return b_.size() - pos_; }
  size_t offset() const { return pos_; }
  bool failed() const { return failed_; }
  Bytes rest() const { return b_.subspan(pos_); }
  Bytes whole() const { return b_; }

  uint8_t u8() { return can(1) ? b_[pos_++] : 0; }
  uint16_t be16() { return can(2) ? advance(2, load_be16(&b_[pos_])) : 0; }
  uint32_t be24() {
    if (!can(3)) return 0;
    uint32_t v = uint32_t(b_[pos_]) << 16 | uint32_t(b_[pos_ + 1]) << 8 | b_[pos_ + 2];
    pos_ += 3;
    return v;
  }
  uint32_t be32() { return can(4) ? advance(4, load_be32(&b_[pos_])) : 0; }
  uint64_t be64() { return can(8) ? advance(8, load_be64(&b_[pos_])) : 0; }
  uint16_t le16() { return can(2) ? advance(2, load_le16(&b_[pos_])) : 0; }
  uint32_t le32() { return can(4) ? advance(4, load_le32(&b_[pos_])) : 0; }
  uint64_t le64() { return can(8) ? advance(8, load_le64(&b_[pos_])) : 0; }

  // A sub-span of n bytes (empty and failed when fewer remain).
  Bytes take(size_t n) {
    if (!can(n)) return {};
    Bytes out = b_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  bool skip(size_t n) {
    if (!can(n)) return false;
    pos_ += n;
    return true;
  }

 private:
  bool can(size_t n) {
    if (can_read(n)) return true;
    failed_ = true;
    return false;
  }
  template <class T>
  T advance(size_t n, T v) {
    pos_ += n;
    return v;
  }

  Bytes b_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace nl
