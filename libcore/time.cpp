#include "libcore/time.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>
#include <string_view>

namespace nl {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days: proleptic Gregorian, no tz database.
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = int64_t(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

void put_digits(std::string& out, uint64_t v, int width) {
  char buf[24];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = char('0' + v % 10);
    v /= 10;
  }
  out.append(buf, size_t(width));
}

void put_fraction(std::string& out, uint32_t nsec, uint8_t digits) {
  if (digits == 0) return;
  uint32_t v = nsec;
  for (int i = 9; i > digits; --i) v /= 10;
  out += '.';
  put_digits(out, v, digits);
}

bool parse_uint(std::string_view s, int64_t& v) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && v >= 0;
}

// ".123456" -> nsec and digit count.
bool parse_fraction(std::string_view s, uint32_t& nsec, uint8_t& digits) {
  nsec = 0;
  digits = 0;
  if (s.empty()) return true;
  if (s[0] != '.' || s.size() < 2 || s.size() > 10) return false;
  uint32_t v = 0;
  for (char c : s.substr(1)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint32_t(c - '0');
  }
  digits = uint8_t(s.size() - 1);
  for (int i = digits; i < 9; ++i) v *= 10;
  nsec = v;
  return true;
}

}  // namespace

void append_timestamp(std::string& out, const Timestamp& t, TimeFormat f) {
  if (f == TimeFormat::epoch) {
    // Negative times do not occur in captures; print sec and fraction as stored.
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, t.sec);
    out.append(buf, r.ptr);
    put_fraction(out, t.nsec, t.digits);
    return;
  }
  // Packets come in bursts within one second: reuse the formatted seconds.
  static thread_local int64_t cached_sec = INT64_MIN;
  static thread_local char cached[24];
  static thread_local size_t cached_len = 0;
  if (t.sec == cached_sec) {
    out.append(cached, cached_len);
    put_fraction(out, t.nsec, t.digits);
    out += 'Z';
    return;
  }
  size_t start = out.size();
  int64_t days = t.sec >= 0 ? t.sec / 86400 : -((-t.sec + 86399) / 86400);
  int64_t secs = t.sec - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  put_digits(out, uint64_t(y < 0 ? 0 : y), 4);
  out += '-';
  put_digits(out, m, 2);
  out += '-';
  put_digits(out, d, 2);
  out += 'T';
  put_digits(out, uint64_t(secs / 3600), 2);
  out += ':';
  put_digits(out, uint64_t(secs / 60 % 60), 2);
  out += ':';
  put_digits(out, uint64_t(secs % 60), 2);
  cached_len = std::min(out.size() - start, sizeof cached);
  std::memcpy(cached, out.data() + start, cached_len);
  cached_sec = t.sec;
  put_fraction(out, t.nsec, t.digits);
  out += 'Z';
}

void append_duration(std::string& out, int64_t nsec, uint8_t digits) {
  if (nsec < 0) {
    out += '-';
    nsec = -nsec;
  }
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, nsec / 1000000000);
  out.append(buf, r.ptr);
  put_fraction(out, uint32_t(nsec % 1000000000), digits);
}

bool parse_timestamp(std::string_view s, Timestamp& t) {
  if (s.size() >= 20 && s[4] == '-' && s[10] == 'T' && s.back() == 'Z') {
    // Packets come in bursts within one second: the seconds of the last
    // "YYYY-MM-DDTHH:MM:SS" read are reused (4% of a piped stage's instructions).
    constexpr size_t kPrefix = 19;
    static thread_local char cached[kPrefix];
    static thread_local int64_t cached_sec = 0;
    static thread_local bool have_cached = false;
    int64_t sec;
    if (have_cached && std::memcmp(s.data(), cached, kPrefix) == 0) {
      sec = cached_sec;
    } else {
      int64_t y, mo, d, h, mi, se;
      if (!parse_uint(s.substr(0, 4), y) || !parse_uint(s.substr(5, 2), mo) ||
          !parse_uint(s.substr(8, 2), d) || !parse_uint(s.substr(11, 2), h) ||
          !parse_uint(s.substr(14, 2), mi) || !parse_uint(s.substr(17, 2), se))
        return false;
      if (s[7] != '-' || s[13] != ':' || s[16] != ':' || mo < 1 || mo > 12 || d < 1 || d > 31 ||
          h > 23 || mi > 59 || se > 60)
        return false;
      sec = days_from_civil(y, unsigned(mo), unsigned(d)) * 86400 + h * 3600 + mi * 60 + se;
      std::memcpy(cached, s.data(), kPrefix);
      cached_sec = sec;
      have_cached = true;
    }
    if (!parse_fraction(s.substr(kPrefix, s.size() - kPrefix - 1), t.nsec, t.digits)) return false;
    t.sec = sec;
    return true;
  }
  size_t dot = s.find('.');
  int64_t sec;
  bool neg = !s.empty() && s[0] == '-';
  std::string_view whole = s.substr(neg ? 1 : 0, dot == std::string_view::npos ? s.npos : dot - (neg ? 1 : 0));
  if (!parse_uint(whole, sec)) return false;
  if (!parse_fraction(dot == std::string_view::npos ? std::string_view{} : s.substr(dot), t.nsec, t.digits))
    return false;
  t.sec = neg ? -sec : sec;
  return true;
}

}  // namespace nl
