// Seals frames into a QUIC Initial as a sender does (RFC 9001 5: a 2-byte packet
// number, no token, keys from `key_dcid`), with OpenSSL's AES-GCM and AES-ECB
// called directly: the unit tests' and the fuzz harness's own writer, apart from
// the reading code under test (only the key derivation is shared, and the RFC
// vectors check that).
#pragma once
#include <openssl/evp.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "libcore/proto/quic.hpp"

namespace nl::test {

inline bool seal_quic_initial(uint32_t version, bool server, Bytes key_dcid, Bytes dcid, Bytes scid, uint16_t pn,
                              Bytes frames, std::vector<uint8_t>& out) {
  QuicKeys k;
  if (!quic_initial_keys(version, key_dcid, server, k)) return false;
  std::vector<uint8_t> payload(frames.begin(), frames.end());
  while (payload.size() < 20) payload.push_back(0);  // PADDING: room for the sample
  out = {uint8_t(0xc1 | (version == quic_version::v2 ? 0x10 : 0))};  // Initial, 2-byte pn
  for (int i = 3; i >= 0; --i) out.push_back(uint8_t(version >> (8 * i)));
  out.push_back(uint8_t(dcid.size()));
  out.insert(out.end(), dcid.begin(), dcid.end());
  out.push_back(uint8_t(scid.size()));
  out.insert(out.end(), scid.begin(), scid.end());
  out.push_back(0);  // token length
  size_t len = 2 + payload.size() + 16;
  out.push_back(uint8_t(0x40 | len >> 8));
  out.push_back(uint8_t(len));
  size_t pn_off = out.size();
  out.push_back(uint8_t(pn >> 8));
  out.push_back(uint8_t(pn));
  uint8_t nonce[12];
  std::memcpy(nonce, k.iv, 12);
  nonce[10] ^= uint8_t(pn >> 8);
  nonce[11] ^= uint8_t(pn);
  using Ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;
  Ctx g(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free), e(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::vector<uint8_t> ct(payload.size() + 16);
  int n = 0;
  if (!g || EVP_EncryptInit_ex(g.get(), EVP_aes_128_gcm(), nullptr, k.key, nonce) != 1 ||
      EVP_EncryptUpdate(g.get(), nullptr, &n, out.data(), int(out.size())) != 1 ||
      EVP_EncryptUpdate(g.get(), ct.data(), &n, payload.data(), int(payload.size())) != 1 ||
      EVP_EncryptFinal_ex(g.get(), ct.data() + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(g.get(), EVP_CTRL_GCM_GET_TAG, 16, ct.data() + payload.size()) != 1)
    return false;
  out.insert(out.end(), ct.begin(), ct.end());
  uint8_t mask[16];
  if (!e || EVP_EncryptInit_ex(e.get(), EVP_aes_128_ecb(), nullptr, k.hp, nullptr) != 1 ||
      EVP_EncryptUpdate(e.get(), mask, &n, out.data() + pn_off + 4, 16) != 1)
    return false;
  out[0] ^= mask[0] & 0x0f;
  out[pn_off] ^= mask[1];
  out[pn_off + 1] ^= mask[2];
  return true;
}

}  // namespace nl::test
