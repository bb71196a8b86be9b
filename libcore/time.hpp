// Capture timestamps, kept lossless: whole seconds plus nanoseconds, and the
// number of fractional digits the source resolution carries (6 for usec, 9 for nsec).
#pragma once
#include <cstdint>
#include <string>

namespace nl {

struct Timestamp {
  int64_t sec = 0;
  uint32_t nsec = 0;
  uint8_t digits = 6;

  // Saturates at +-kMaxNsecSec seconds (about year 2106): a corrupt or crafted capture can
  // carry any 64-bit time, and sec * 1e9 must not overflow; the headroom keeps
  // now + timeout arithmetic on the result from overflowing too.
  static constexpr int64_t kMaxNsecSec = int64_t(1) << 32;
  int64_t total_nsec() const {
    if (sec >= kMaxNsecSec) return kMaxNsecSec * 1000000000LL;
    if (sec <= -kMaxNsecSec) return -kMaxNsecSec * 1000000000LL;
    return sec * 1000000000LL + nsec;
  }
  double seconds() const { return double(sec) + nsec / 1e9; }
  friend bool operator<(const Timestamp& a, const Timestamp& b) {
    return a.sec != b.sec ? a.sec < b.sec : a.nsec < b.nsec;
  }
  friend bool operator==(const Timestamp& a, const Timestamp& b) {
    return a.sec == b.sec && a.nsec == b.nsec;
  }
};

// iso: "2024-05-01T12:00:00.123456Z" (UTC); epoch: 1714564800.123456 as a JSON number.
enum class TimeFormat { iso, epoch };

// Appends the timestamp in the given format, without quotes.
void append_timestamp(std::string& out, const Timestamp& t, TimeFormat f);
// Parses either format back (for JSON Lines input). False when malformed.
bool parse_timestamp(std::string_view s, Timestamp& t);
// Duration between two timestamps in seconds, as a decimal string with t's digits.
void append_duration(std::string& out, int64_t nsec, uint8_t digits);

}  // namespace nl
