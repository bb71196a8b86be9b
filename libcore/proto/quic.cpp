#include "libcore/proto/quic.hpp"

#include "libcore/proto/tls.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>
#include <memory>
#include <string_view>

namespace nl {

const char* quic_anomaly_name(QuicAnomaly a) {
  static const char* const kNames[] = {
#define NETLINES_QUIC_ANOMALY_NAME(name) #name,
      NETLINES_QUIC_ANOMALIES(NETLINES_QUIC_ANOMALY_NAME)
#undef NETLINES_QUIC_ANOMALY_NAME
  };
  return unsigned(a) < unsigned(QuicAnomaly::count_) ? kNames[unsigned(a)] : "unknown";
}

bool read_quic_varint(ByteReader& r, uint64_t& v) {
  if (!r.can_read(1)) return false;
  uint8_t b = r.rest()[0];
  size_t n = size_t(1) << (b >> 6);
  if (!r.can_read(n)) return false;
  Bytes x = r.take(n);
  v = x[0] & 0x3f;
  for (size_t i = 1; i < n; ++i) v = v << 8 | x[i];
  return true;
}

namespace quic_detail {
bool skip_ack(ByteReader& r, bool ecn) {
  uint64_t largest, delay, ranges, first, v;
  if (!read_quic_varint(r, largest) || !read_quic_varint(r, delay) || !read_quic_varint(r, ranges) ||
      !read_quic_varint(r, first))
    return false;
  // Each range is two varints of at least one byte: more ranges than bytes left lie.
  if (ranges > r.rest().size()) return false;
  for (uint64_t i = 0; i < 2 * ranges; ++i)
    if (!read_quic_varint(r, v)) return false;
  if (ecn)
    for (int i = 0; i < 3; ++i)
      if (!read_quic_varint(r, v)) return false;
  return true;
}
}  // namespace quic_detail

namespace {

struct Salt {
  uint8_t b[20];
};

// RFC 9001 5.2, RFC 9369 3.3.1, and the drafts' values (draft-ietf-quic-tls-23, -29).
constexpr Salt kSaltV1 = {{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                           0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}};
constexpr Salt kSaltV2 = {{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                           0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9}};
constexpr Salt kSaltDraft29 = {{0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
                                0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99}};
constexpr Salt kSaltDraft23 = {{0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
                                0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02}};

const Salt* salt_of(uint32_t v) {
  if (v == quic_version::v1) return &kSaltV1;
  if (v == quic_version::v2) return &kSaltV2;
  if (v >= 0xff000021 && v <= 0xff000022) return &kSaltV1;       // drafts 33, 34
  if (v >= 0xff00001d && v <= 0xff000020) return &kSaltDraft29;  // drafts 29..32
  if (v >= 0xff000017 && v <= 0xff00001c) return &kSaltDraft23;  // drafts 23..28
  return nullptr;
}

// HKDF (RFC 5869) on OpenSSL's HMAC through EVP_MAC, with contexts kept between
// calls. Both HKDF steps are one HMAC here (an Initial key is at most 32 bytes, one
// Expand block): Extract = HMAC(salt, DCID), Expand = HMAC(PRK, info || 0x01).
// EVP_KDF's HKDF gives the same bytes (the unit tests check both against RFC 9001
// and RFC 9369) but builds an HMAC context per call: 2.3 us a call, 11 us for one
// side's keys, where a kept context re-keyed or reused costs 0.4-1.1 us.
struct Crypto {
  // A cipher context keyed with one key: keying one (the AES key schedule, and
  // GHASH's tables for GCM) costs about as much as the AES work of a packet, and
  // a connection's packets alternate between the client's and the server's keys.
  // A few of them, the least recently used re-keyed.
  struct Keyed {
    EVP_CIPHER_CTX* ctx = nullptr;
    uint8_t key[16] = {};
    bool keyed = false;
    uint64_t used = 0;
  };
  static constexpr int kKeyed = 4;

  EVP_MAC* hmac = nullptr;
  EVP_MAC_CTX* salt_ctx[4] = {};  // keyed once with each salt
  EVP_MAC_CTX* prk = nullptr;     // re-keyed per secret, reused for its labels
  EVP_CIPHER* gcm = nullptr;
  EVP_CIPHER* ecb = nullptr;
  Keyed gcm_ctx[kKeyed], ecb_ctx[kKeyed];
  uint64_t clock = 0;
  bool ok = false;

  EVP_MAC_CTX* new_hmac() {
    EVP_MAC_CTX* c = EVP_MAC_CTX_new(hmac);
    if (!c) return nullptr;
    char digest[] = "SHA256";
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                      OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(c, p) != 1) {
      EVP_MAC_CTX_free(c);
      return nullptr;
    }
    return c;
  }

  Crypto() {
    hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!hmac) return;
    const Salt* salts[4] = {&kSaltV1, &kSaltV2, &kSaltDraft29, &kSaltDraft23};
    for (int i = 0; i < 4; ++i) {
      salt_ctx[i] = new_hmac();
      if (!salt_ctx[i] || EVP_MAC_init(salt_ctx[i], salts[i]->b, sizeof salts[i]->b, nullptr) != 1) return;
    }
    prk = new_hmac();
    gcm = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
    ecb = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
    if (!prk || !gcm || !ecb) return;
    for (int i = 0; i < kKeyed; ++i) {
      gcm_ctx[i].ctx = EVP_CIPHER_CTX_new();
      ecb_ctx[i].ctx = EVP_CIPHER_CTX_new();
      if (!gcm_ctx[i].ctx || !ecb_ctx[i].ctx) return;
      // The cipher is named once: naming it again at each new key would free and
      // rebuild the context's state.
      if (EVP_DecryptInit_ex2(gcm_ctx[i].ctx, gcm, nullptr, nullptr, nullptr) != 1 ||
          EVP_EncryptInit_ex2(ecb_ctx[i].ctx, ecb, nullptr, nullptr, nullptr) != 1)
        return;
      EVP_CIPHER_CTX_set_padding(ecb_ctx[i].ctx, 0);
    }
    ok = true;
  }
  ~Crypto() {
    for (auto* c : salt_ctx) EVP_MAC_CTX_free(c);
    EVP_MAC_CTX_free(prk);
    EVP_MAC_free(hmac);
    EVP_CIPHER_free(gcm);
    EVP_CIPHER_free(ecb);
    for (int i = 0; i < kKeyed; ++i) {
      EVP_CIPHER_CTX_free(gcm_ctx[i].ctx);
      EVP_CIPHER_CTX_free(ecb_ctx[i].ctx);
    }
  }

  // The context of `set` already keyed with `key`, or nullptr.
  Keyed* find(Keyed* set, const uint8_t key[16]) {
    for (int i = 0; i < kKeyed; ++i) {
      Keyed& k = set[i];
      if (k.keyed && std::memcmp(k.key, key, 16) == 0) {
        k.used = ++clock;
        return &k;
      }
    }
    return nullptr;
  }
  // The least recently used context of `set`, to be keyed by the caller.
  Keyed* victim(Keyed* set) {
    Keyed* lru = set;
    for (int i = 1; i < kKeyed; ++i)
      if (set[i].used < lru->used) lru = &set[i];
    lru->keyed = false;
    lru->used = ++clock;
    return lru;
  }
};

Crypto& crypto() {
  thread_local Crypto c;
  return c;
}

// One HMAC-SHA256, with `key` (32 bytes), or with the key the context already has
// (nullptr): keying starts the context afresh, so it is not started twice.
bool hmac_once(EVP_MAC_CTX* c, const uint8_t* key, const uint8_t* msg, size_t n, uint8_t out[32]) {
  size_t len = 0;
  return EVP_MAC_init(c, key, key ? 32 : 0, nullptr) == 1 && EVP_MAC_update(c, msg, n) == 1 &&
         EVP_MAC_final(c, out, &len, 32) == 1 && len == 32;
}

// HKDF-Expand-Label (RFC 8446 7.1) with an empty context, n <= 32: the `prk`
// context keyed with `secret` first, or as it is when secret is nullptr.
bool expand_label(EVP_MAC_CTX* prk, const uint8_t* secret, std::string_view label, uint8_t* out, size_t n) {
  uint8_t info[2 + 1 + 6 + 32 + 1 + 1];
  size_t len = 0;
  info[len++] = uint8_t(n >> 8);
  info[len++] = uint8_t(n);
  info[len++] = uint8_t(6 + label.size());
  std::memcpy(info + len, "tls13 ", 6);
  len += 6;
  std::memcpy(info + len, label.data(), label.size());
  len += label.size();
  info[len++] = 0;  // context length
  info[len++] = 1;  // HKDF-Expand's block counter: T(1) is all n <= 32 bytes need
  uint8_t t[32];
  if (!hmac_once(prk, secret, info, len, t)) return false;
  std::memcpy(out, t, n);
  return true;
}

int salt_index(const Salt* s) {
  return s == &kSaltV1 ? 0 : s == &kSaltV2 ? 1 : s == &kSaltDraft29 ? 2 : 3;
}

}  // namespace

bool quic_version_known(uint32_t version) { return salt_of(version) != nullptr; }
bool quic_is_v2(uint32_t version) { return version == quic_version::v2; }

const char* quic_version_name(uint32_t version) {
  static const char* const kDrafts[] = {"draft-23", "draft-24", "draft-25", "draft-26", "draft-27", "draft-28",
                                        "draft-29", "draft-30", "draft-31", "draft-32", "draft-33", "draft-34"};
  if (version == quic_version::v1) return "v1";
  if (version == quic_version::v2) return "v2";
  if (version >= 0xff000017 && version <= 0xff000022) return kDrafts[version - 0xff000017];
  return "unknown";
}

QuicHeaderStatus parse_quic_long_header(Bytes in, QuicLongHeader& h) {
  h = {};
  if (in.empty()) return QuicHeaderStatus::truncated;
  h.first = in[0];
  if (!(h.first & 0x80)) return QuicHeaderStatus::short_header;
  ByteReader r(in);
  r.u8();
  if (!r.can_read(4)) return QuicHeaderStatus::truncated;
  h.version = r.be32();
  uint8_t dl = r.u8();
  if (!r.can_read(dl)) return QuicHeaderStatus::truncated;
  h.dcid = r.take(dl);
  uint8_t sl = r.u8();
  if (r.failed() || !r.can_read(sl)) return QuicHeaderStatus::truncated;
  h.scid = r.take(sl);
  if (h.version == quic_version::negotiation) {
    h.type = QuicPacketType::version_negotiation;
    h.size = in.size();
    return QuicHeaderStatus::ok;
  }
  // RFC 9000 17.2: fixed bit set in every long header of v1 and v2.
  if (!(h.first & 0x40) || !salt_of(h.version)) {
    h.size = in.size();
    return QuicHeaderStatus::not_quic;
  }
  if (dl > 20 || sl > 20) return QuicHeaderStatus::bad_length;
  unsigned bits = h.first >> 4 & 3;
  // RFC 9369 3.2: v2 numbers the types Retry 0, Initial 1, 0-RTT 2, Handshake 3.
  static constexpr QuicPacketType kV1[] = {QuicPacketType::initial, QuicPacketType::zero_rtt,
                                           QuicPacketType::handshake, QuicPacketType::retry};
  static constexpr QuicPacketType kV2[] = {QuicPacketType::retry, QuicPacketType::initial,
                                           QuicPacketType::zero_rtt, QuicPacketType::handshake};
  h.type = quic_is_v2(h.version) ? kV2[bits] : kV1[bits];
  if (h.type == QuicPacketType::retry) {
    h.size = in.size();  // a Retry fills the rest of the datagram
    return QuicHeaderStatus::ok;
  }
  if (h.type == QuicPacketType::initial) {
    uint64_t tl;
    if (!read_quic_varint(r, tl)) return QuicHeaderStatus::truncated;
    if (tl > r.rest().size()) return QuicHeaderStatus::bad_length;
    h.token = r.take(size_t(tl));
  }
  uint64_t len;
  if (!read_quic_varint(r, len)) return QuicHeaderStatus::truncated;
  h.pn_offset = in.size() - r.rest().size();
  // The header protection sample starts 4 bytes past the packet number's start and
  // takes 16; the AEAD tag alone is 16: a shorter packet cannot be valid.
  if (len > r.rest().size() || len < 20) return QuicHeaderStatus::bad_length;
  h.size = h.pn_offset + size_t(len);
  return QuicHeaderStatus::ok;
}

bool quic_initial_secret(uint32_t version, Bytes dcid, uint8_t out[32]) {
  const Salt* salt = salt_of(version);
  Crypto& c = crypto();
  // RFC 9000 7.2: a client's first DCID is at least 8 bytes; an empty one gets no keys.
  if (!salt || !c.ok || dcid.empty()) return false;
  return hmac_once(c.salt_ctx[salt_index(salt)], nullptr, dcid.data(), dcid.size(), out);
}

bool quic_keys_from_secret(uint32_t version, const uint8_t initial[32], bool server, QuicKeys& out) {
  Crypto& c = crypto();
  if (!c.ok) return false;
  uint8_t secret[32];
  if (!expand_label(c.prk, initial, server ? "server in" : "client in", secret, 32)) return false;
  bool v2 = quic_is_v2(version);
  return expand_label(c.prk, secret, v2 ? "quicv2 key" : "quic key", out.key, 16) &&
         expand_label(c.prk, nullptr, v2 ? "quicv2 iv" : "quic iv", out.iv, 12) &&
         expand_label(c.prk, nullptr, v2 ? "quicv2 hp" : "quic hp", out.hp, 16);
}

bool quic_initial_keys(uint32_t version, Bytes dcid, bool server, QuicKeys& out) {
  uint8_t initial[32];
  return quic_initial_secret(version, dcid, initial) && quic_keys_from_secret(version, initial, server, out);
}

bool quic_decrypt_packet(const QuicKeys& k, const QuicLongHeader& h, const uint8_t* pkt,
                         std::vector<uint8_t>& plain, uint64_t& pn) {
  Crypto& c = crypto();
  if (!c.ok || h.size < h.pn_offset + 20) return false;
  // RFC 9001 5.4.2: the sample is 16 bytes from 4 past the packet number's start.
  uint8_t mask[16];
  int n = 0;
  Crypto::Keyed* hp = c.find(c.ecb_ctx, k.hp);
  if (!hp) {
    hp = c.victim(c.ecb_ctx);
    if (EVP_EncryptInit_ex2(hp->ctx, nullptr, k.hp, nullptr, nullptr) != 1) return false;
    std::memcpy(hp->key, k.hp, 16);
    hp->keyed = true;
  }
  if (EVP_EncryptUpdate(hp->ctx, mask, &n, pkt + h.pn_offset + 4, 16) != 1 || n != 16) return false;
  // The unprotected header is the AEAD's associated data: a copy of the header
  // only (the payload is read in place).
  uint8_t first = pkt[0] ^ (mask[0] & 0x0f);
  size_t pn_len = (first & 3) + 1;
  size_t hdr = h.pn_offset + pn_len;
  thread_local std::vector<uint8_t> aad;
  aad.assign(pkt, pkt + hdr);
  aad[0] = first;
  pn = 0;
  for (size_t i = 0; i < pn_len; ++i) {
    aad[h.pn_offset + i] ^= mask[1 + i];
    pn = pn << 8 | aad[h.pn_offset + i];
  }
  if (h.size < hdr + 16) return false;
  size_t ct_len = h.size - hdr - 16;
  uint8_t nonce[12];
  std::memcpy(nonce, k.iv, 12);
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= uint8_t(pn >> (8 * i));
  plain.resize(ct_len);
  int len = 0, fin = 0;
  uint8_t dummy[1];
  Crypto::Keyed* g = c.find(c.gcm_ctx, k.key);
  if (g) {
    if (EVP_DecryptInit_ex2(g->ctx, nullptr, nullptr, nonce, nullptr) != 1) return false;
  } else {
    g = c.victim(c.gcm_ctx);
    if (EVP_DecryptInit_ex2(g->ctx, nullptr, k.key, nonce, nullptr) != 1) return false;
    std::memcpy(g->key, k.key, 16);
    g->keyed = true;
  }
  if (EVP_DecryptUpdate(g->ctx, nullptr, &len, aad.data(), int(hdr)) != 1 ||
      EVP_DecryptUpdate(g->ctx, ct_len ? plain.data() : dummy, &len, pkt + hdr, int(ct_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_TAG, 16, const_cast<uint8_t*>(pkt + hdr + ct_len)) != 1 ||
      EVP_DecryptFinal_ex(g->ctx, dummy, &fin) != 1)
    return false;
  return true;
}

bool quic_initial_offers_only_h3(Bytes p) {
  QuicLongHeader h;
  if (p.size() < 1200 || parse_quic_long_header(p, h) != QuicHeaderStatus::ok || h.type != QuicPacketType::initial)
    return false;
  QuicKeys k;
  thread_local std::vector<uint8_t> plain, crypto;
  uint64_t pn;
  if (!quic_initial_keys(h.version, h.dcid, false, k) || !quic_decrypt_packet(k, h, p.data(), plain, pn)) return false;
  crypto.clear();
  walk_quic_initial_frames(plain, [&](uint64_t off, Bytes d) {
    if (off <= crypto.size() && off + d.size() > crypto.size())
      crypto.insert(crypto.end(), d.begin() + (crypto.size() - off), d.end());
  });
  if (crypto.size() < 4 || crypto[0] != 1) return false;
  thread_local ClientHello ch;
  ch.clear();
  parse_client_hello(Bytes(crypto).subspan(4), ch);
  if (ch.alpn.empty()) return false;
  for (const auto& a : ch.alpn)
    if (a.compare(0, 2, "h3") != 0) return false;
  return true;
}

}  // namespace nl
