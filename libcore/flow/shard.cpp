#include "libcore/flow/shard.hpp"

#include <charconv>
#include <cstring>

namespace nl {

bool parse_shard(std::string_view text, ShardSpec& out, std::string& error) {
  size_t slash = text.find('/');
  auto number = [](std::string_view s, uint32_t& v) {
    if (s.empty() || s.size() > 9) return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  };
  uint32_t k = 0, n = 0;
  if (slash == std::string_view::npos || !number(text.substr(0, slash), k) || !number(text.substr(slash + 1), n)) {
    error = "--shard: expected K/N (this shard of N, counted from 1), got '" + std::string(text) + "'";
    return false;
  }
  if (n < 1 || k < 1 || k > n) {
    error = "--shard: K must be between 1 and N, got '" + std::string(text) + "'";
    return false;
  }
  out.k = k;
  out.n = n;
  return true;
}

uint64_t shard_hash(const IpAddress& a, const IpAddress& b, uint8_t proto) {
  const size_t len = a.size();
  const bool a_first = std::memcmp(a.bytes, b.bytes, len) <= 0;
  const IpAddress& lo = a_first ? a : b;
  const IpAddress& hi = a_first ? b : a;
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  auto mix = [&h](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  };
  mix(lo.bytes, len);
  mix(hi.bytes, len);
  mix(&proto, 1);
  // FNV's low bits are weak and h % n reads them: murmur3's fmix64 spreads every bit.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace nl
