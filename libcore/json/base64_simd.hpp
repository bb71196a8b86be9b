// AVX2 base64 (W. Muła and D. Lemire, "Faster Base64 Encoding and Decoding using
// AVX2 Instructions", 2018), used when the CPU has AVX2; the scalar code in
// writer.cpp does the tails and the rest of the machines.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nl::detail {

bool have_avx2();
// Encodes whole 24-byte blocks while at least 28 input bytes remain (a block reads
// 4 bytes past itself). Returns the input bytes consumed; writes 4/3 of that.
size_t base64_encode_avx2(const uint8_t* in, size_t n, char* out);
// Decodes whole 32-character blocks; returns the characters consumed (a multiple
// of 32), writing 3/4 of that plus up to 8 bytes of scratch past the end.
// Sets `bad` when a block held a character outside the alphabet.
size_t base64_decode_avx2(const uint8_t* in, size_t n, uint8_t* out, bool& bad);

}  // namespace nl::detail
