#include "libcore/json/base64_simd.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace nl::detail {

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

__attribute__((target("avx2"))) size_t base64_encode_avx2(const uint8_t* in, size_t n, char* out) {
  // Per 128-bit lane: 12 input bytes spread to 4 bytes per 3 ([b1 b0 b2 b1]).
  const __m256i spread = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,  //
                                          1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
  // 6-bit index -> offset to its character: 0..25 'A', 26..51 'a', 52..61 '0', '+', '/'.
  const __m256i shift = _mm256_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
                                         '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0,
                                         'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
                                         '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0);
  size_t i = 0;
  for (; i + 28 <= n; i += 24, out += 32) {
    __m256i v = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i + 12)), 1);
    v = _mm256_shuffle_epi8(v, spread);
    __m256i t0 = _mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00));
    __m256i t1 = _mm256_mulhi_epu16(t0, _mm256_set1_epi32(0x04000040));
    __m256i t2 = _mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0));
    __m256i t3 = _mm256_mullo_epi16(t2, _mm256_set1_epi32(0x01000010));
    __m256i idx = _mm256_or_si256(t1, t3);
    __m256i r = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));
    __m256i less = _mm256_cmpgt_epi8(_mm256_set1_epi8(26), idx);
    r = _mm256_or_si256(r, _mm256_and_si256(less, _mm256_set1_epi8(13)));
    r = _mm256_add_epi8(_mm256_shuffle_epi8(shift, r), idx);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), r);
  }
  return i;
}

__attribute__((target("avx2"))) size_t base64_decode_avx2(const uint8_t* in, size_t n, uint8_t* out, bool& bad) {
  // Validity by nibbles: a character is bad when lut_lo[low] & lut_hi[high] != 0.
  const __m256i lut_lo = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a,
                                          0x1b, 0x1b, 0x1b, 0x1a, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
  const __m256i lut_hi = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  // Offset from character to 6-bit value, by high nibble ('/' moved to slot 1).
  const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                            0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i mask_2f = _mm256_set1_epi8(0x2f);
  const __m256i pack = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,  //
                                        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  size_t i = 0;
  for (; i + 32 <= n; i += 32, out += 24) {
    __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    __m256i hi_nib = _mm256_and_si256(_mm256_srli_epi32(s, 4), mask_2f);
    __m256i lo_nib = _mm256_and_si256(s, mask_2f);
    __m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nib);
    __m256i lo = _mm256_shuffle_epi8(lut_lo, lo_nib);
    if (!_mm256_testz_si256(lo, hi)) {
      bad = true;
      return i;
    }
    __m256i eq_2f = _mm256_cmpeq_epi8(s, mask_2f);
    __m256i roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(eq_2f, hi_nib));
    s = _mm256_add_epi8(s, roll);
    __m256i ab_bc = _mm256_maddubs_epi16(s, _mm256_set1_epi32(0x01400140));
    __m256i words = _mm256_madd_epi16(ab_bc, _mm256_set1_epi32(0x00011000));
    words = _mm256_shuffle_epi8(words, pack);
    words = _mm256_permutevar8x32_epi32(words, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), words);
  }
  return i;
}

}  // namespace nl::detail

#else

namespace nl::detail {
bool have_avx2() { return false; }
size_t base64_encode_avx2(const uint8_t*, size_t, char*) { return 0; }
size_t base64_decode_avx2(const uint8_t*, size_t, uint8_t*, bool&) { return 0; }
}  // namespace nl::detail

#endif
