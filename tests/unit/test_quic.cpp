// QUIC Initials: key derivation and packet protection against RFC 9001 Appendix A
// and RFC 9369 Appendix A, the frame walk, CRYPTO reassembly, and QuicSink on
// broken input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "libcore/proto/quic.hpp"
#include "libcore/proto/quic_session.hpp"
#include "tests/common/quic_seal.hpp"

using namespace nl;

namespace {

std::vector<uint8_t> hex(std::string_view h) {
  std::vector<uint8_t> out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(uint8_t(nib(h[i]) << 4 | nib(h[i + 1])));
  return out;
}

std::string to_hex(const uint8_t* p, size_t n) {
  static constexpr char k[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += k[p[i] >> 4];
    s += k[p[i] & 15];
  }
  return s;
}

const auto kDcid = hex("8394c8f03e515708");

// RFC 9001 A.3 / RFC 9369 A.3: the server's Initial (ACK + CRYPTO with a ServerHello).
const char* kServerPayload =
    "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739"
    "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
    "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
    "020304";
const char* kV1ServerPacket =
    "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
    "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
    "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
    "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
    "2158407dd074ee";
const char* kV2ServerPacket =
    "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698"
    "baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17"
    "f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2"
    "c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8"
    "4bed8521e2e140";

void check_keys(uint32_t v, bool server, const char* key, const char* iv, const char* hp) {
  QuicKeys k;
  REQUIRE(quic_initial_keys(v, kDcid, server, k));
  CHECK(to_hex(k.key, 16) == key);
  CHECK(to_hex(k.iv, 12) == iv);
  CHECK(to_hex(k.hp, 16) == hp);
}

void check_server_packet(uint32_t v, const char* packet) {
  auto pkt = hex(packet);
  QuicLongHeader h;
  REQUIRE(parse_quic_long_header(pkt, h) == QuicHeaderStatus::ok);
  CHECK(h.version == v);
  CHECK(h.type == QuicPacketType::initial);
  CHECK(h.dcid.empty());
  CHECK(to_hex(h.scid.data(), h.scid.size()) == "f067a5502a4262b5");
  CHECK(h.size == pkt.size());
  QuicKeys k;
  REQUIRE(quic_initial_keys(v, kDcid, true, k));
  std::vector<uint8_t> plain;
  uint64_t pn = 0;
  auto copy = pkt;
  REQUIRE(quic_decrypt_packet(k, h, copy.data(), plain, pn));
  CHECK(pn == 1);
  CHECK(to_hex(plain.data(), plain.size()) == kServerPayload);
  // The CRYPTO frame holds the ServerHello, TLS_AES_128_GCM_SHA256, TLS 1.3.
  std::vector<uint8_t> crypto;
  uint64_t at = 99;
  CHECK(walk_quic_initial_frames(plain, [&](uint64_t off, Bytes d) {
    at = off;
    crypto.assign(d.begin(), d.end());
  }));
  CHECK(at == 0);
  REQUIRE(crypto.size() == 0x5a);
  CHECK(crypto[0] == 2);
  ServerHello sh;
  CHECK(parse_server_hello(Bytes(crypto).subspan(4), sh));
  CHECK(sh.cipher == 0x1301);
  CHECK(sh.selected_version == 0x0304);
  // One bit flipped anywhere: the tag no longer verifies.
  for (size_t i : {size_t(30), pkt.size() - 1}) {
    copy = pkt;
    copy[i] ^= 1;
    CHECK_FALSE(quic_decrypt_packet(k, h, copy.data(), plain, pn));
  }
  // Client keys do not open the server's packet.
  QuicKeys ck;
  REQUIRE(quic_initial_keys(v, kDcid, false, ck));
  copy = pkt;
  CHECK_FALSE(quic_decrypt_packet(ck, h, copy.data(), plain, pn));
}

}  // namespace

TEST_CASE("quic: RFC 9001 A.1 Initial keys (v1)") {
  check_keys(quic_version::v1, false, "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
             "9f50449e04a0e810283a1e9933adedd2");
  check_keys(quic_version::v1, true, "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e",
             "c206b8d9b9f0f37644430b490eeaa314");
}

TEST_CASE("quic: RFC 9369 A.1 Initial keys (v2)") {
  check_keys(quic_version::v2, false, "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
             "45b95e15235d6f45a6b19cbcb0294ba9");
  check_keys(quic_version::v2, true, "82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652",
             "edf6d05c83121201b436e16877593c3a");
}

TEST_CASE("quic: RFC 9001 A.3 / RFC 9369 A.3 server Initial decrypts to its ServerHello") {
  check_server_packet(quic_version::v1, kV1ServerPacket);
  check_server_packet(quic_version::v2, kV2ServerPacket);
}

// OpenSSL's own HKDF (EVP_KDF), one HKDF-Expand-Label, as the reference.
std::vector<uint8_t> kdf_expand_label(const std::vector<uint8_t>& secret, const std::string& label, size_t n) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* c = EVP_KDF_CTX_new(kdf);
  std::vector<uint8_t> info = {uint8_t(n >> 8), uint8_t(n), uint8_t(6 + label.size())};
  for (char ch : "tls13 " + label) info.push_back(uint8_t(ch));
  info.push_back(0);
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  char digest[] = "SHA256";
  OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
                    OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
                    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void*)secret.data(), secret.size()),
                    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
                    OSSL_PARAM_construct_end()};
  std::vector<uint8_t> out(n);
  REQUIRE(EVP_KDF_derive(c, out.data(), n, p) == 1);
  EVP_KDF_CTX_free(c);
  EVP_KDF_free(kdf);
  return out;
}

std::vector<uint8_t> kdf_extract(const std::vector<uint8_t>& salt, const std::vector<uint8_t>& ikm) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* c = EVP_KDF_CTX_new(kdf);
  int mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
  char digest[] = "SHA256";
  OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
                    OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
                    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void*)ikm.data(), ikm.size()),
                    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void*)salt.data(), salt.size()),
                    OSSL_PARAM_construct_end()};
  std::vector<uint8_t> out(32);
  REQUIRE(EVP_KDF_derive(c, out.data(), 32, p) == 1);
  EVP_KDF_CTX_free(c);
  EVP_KDF_free(kdf);
  return out;
}

TEST_CASE("quic: Initial keys equal OpenSSL's EVP_KDF HKDF for any DCID, both versions, both sides") {
  std::mt19937 rng(11);
  const auto salt_v1 = hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
  const auto salt_v2 = hex("0dede3def700a6db819381be6e269dcbf9bd2ed9");
  for (int i = 0; i < 50; ++i) {
    std::vector<uint8_t> dcid(1 + rng() % 20);
    for (auto& b : dcid) b = uint8_t(rng());
    for (uint32_t v : {quic_version::v1, quic_version::v2}) {
      bool v2 = v == quic_version::v2;
      auto initial = kdf_extract(v2 ? salt_v2 : salt_v1, dcid);
      for (bool server : {false, true}) {
        auto secret = kdf_expand_label(initial, server ? "server in" : "client in", 32);
        std::string pre = v2 ? "quicv2 " : "quic ";
        QuicKeys k;
        REQUIRE(quic_initial_keys(v, dcid, server, k));
        CHECK(to_hex(k.key, 16) == to_hex(kdf_expand_label(secret, pre + "key", 16).data(), 16));
        CHECK(to_hex(k.iv, 12) == to_hex(kdf_expand_label(secret, pre + "iv", 12).data(), 12));
        CHECK(to_hex(k.hp, 16) == to_hex(kdf_expand_label(secret, pre + "hp", 16).data(), 16));
      }
    }
  }
}

TEST_CASE("quic: versions and names") {
  CHECK(quic_version_known(quic_version::v1));
  CHECK(quic_version_known(0xff00001d));
  CHECK_FALSE(quic_version_known(0x1a2a3a4a));  // a greased version
  CHECK(std::string(quic_version_name(quic_version::v2)) == "v2");
  CHECK(std::string(quic_version_name(0xff00001d)) == "draft-29");
  QuicKeys k;
  CHECK_FALSE(quic_initial_keys(0x1a2a3a4a, kDcid, false, k));
  CHECK_FALSE(quic_initial_keys(quic_version::v1, {}, false, k));
}

TEST_CASE("quic: long headers cut or lying") {
  auto pkt = hex(kV1ServerPacket);
  QuicLongHeader h;
  for (size_t n = 0; n < 22; ++n) {
    QuicHeaderStatus st = parse_quic_long_header(Bytes(pkt).first(n), h);
    CHECK((st == QuicHeaderStatus::truncated || st == QuicHeaderStatus::bad_length));
  }
  // Length 0x75 promises more than 30 bytes of packet.
  CHECK(parse_quic_long_header(Bytes(pkt).first(30), h) == QuicHeaderStatus::bad_length);
  pkt[0] &= 0x7f;
  CHECK(parse_quic_long_header(pkt, h) == QuicHeaderStatus::short_header);
  pkt = hex(kV1ServerPacket);
  pkt[0] &= ~0x40;  // fixed bit clear
  CHECK(parse_quic_long_header(pkt, h) == QuicHeaderStatus::not_quic);
  auto vn = hex("c0000000000401020304040506070800000001");
  REQUIRE(parse_quic_long_header(vn, h) == QuicHeaderStatus::ok);
  CHECK(h.type == QuicPacketType::version_negotiation);
}

TEST_CASE("quic: frames of an Initial") {
  // PADDING, PING, ACK with one range and ECN counts, CRYPTO, CONNECTION_CLOSE.
  auto f = hex("000001" "03" "05" "00" "01" "00" "02" "03" "00" "00" "00" "06" "4003" "02" "abcd" "1c" "00" "06" "01" "78");
  std::vector<std::pair<uint64_t, size_t>> seen;
  CHECK(walk_quic_initial_frames(f, [&](uint64_t off, Bytes d) { seen.push_back({off, d.size()}); }));
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == std::pair<uint64_t, size_t>{3, 2});
  // A CRYPTO frame whose length runs past the payload; a STREAM frame (not allowed).
  CHECK_FALSE(walk_quic_initial_frames(hex("060005ab"), [](uint64_t, Bytes) {}));
  CHECK_FALSE(walk_quic_initial_frames(hex("0800"), [](uint64_t, Bytes) {}));
  // An ACK claiming more ranges than bytes left.
  CHECK_FALSE(walk_quic_initial_frames(hex("0201008fffffff00"), [](uint64_t, Bytes) {}));
}

TEST_CASE("quic: CRYPTO reassembly out of order, repeated, overlapping, capped") {
  CryptoStream s;
  QuicAnomalies an;
  std::vector<uint8_t> data(100);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7);
  Bytes d(data);
  s.add(50, d.subspan(50, 30), 1000, 8, an);
  CHECK(s.contiguous() == 0);
  s.add(10, d.subspan(10, 20), 1000, 8, an);
  s.add(0, d.subspan(0, 12), 1000, 8, an);
  CHECK(s.contiguous() == 30);
  s.add(25, d.subspan(25, 30), 1000, 8, an);  // bridges the gap, overlapping both sides
  s.add(80, d.subspan(80, 20), 1000, 8, an);  // touches the end
  REQUIRE(s.contiguous() == 100);
  CHECK(std::memcmp(s.bytes().data(), data.data(), 100) == 0);
  CHECK_FALSE(an.any());
  std::vector<uint8_t> other(10, 0xee);
  s.add(5, other, 1000, 8, an);
  CHECK(an.has(QuicAnomaly::crypto_data_mismatch));
  CHECK(s.bytes()[5] == data[5]);
  s.add(995, Bytes(other), 1000, 8, an);
  CHECK(an.has(QuicAnomaly::crypto_offset_too_large));
  s.add(uint64_t(1) << 62, Bytes(other), 1000, 8, an);
  CryptoStream t;
  QuicAnomalies an2;
  for (int i = 0; i < 10; ++i) t.add(uint64_t(i) * 20 + 5, Bytes(other).first(1), 1000, 4, an2);
  CHECK(an2.has(QuicAnomaly::crypto_too_fragmented));
}

TEST_CASE("quic: the sink on a server packet alone, garbage, and a flood of spoofed Initials") {
  int emitted = 0;
  QuicLimits lim;
  lim.max_connections = 64;
  QuicSink sink([&](const SessionView&, const TlsHandshakeResult&) { ++emitted; }, lim);
  FlowKey k;
  k.proto = 17;
  k.sport = 443;
  k.dport = 50000;
  Timestamp ts;
  ts.sec = 1000;
  auto server = hex(kV1ServerPacket);
  sink.datagram(k, ts, server);  // no client state: cannot be decrypted, no record
  CHECK(sink.stats().decrypt_failed == 1);
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::vector<uint8_t> d(1 + rng() % 1300);
    for (auto& b : d) b = uint8_t(rng());
    if (i % 2) {
      // A plausible v1 Initial header in front of noise.
      auto hdr = hex("c30000000108");
      if (d.size() < 40) d.resize(40);  // room for the header first
      std::copy(hdr.begin(), hdr.end(), d.begin());
    }
    k.sport = uint16_t(i);
    sink.datagram(k, ts, d);
  }
  CHECK(sink.stats().connections == 0);
  CHECK(emitted == 0);
  sink.finish(EndReason::eof);
}

namespace {

// An Initial sealed by the tests' own writer (tests/common/quic_seal.hpp).
std::vector<uint8_t> seal(uint32_t version, bool server, const std::vector<uint8_t>& key_dcid,
                          const std::vector<uint8_t>& dcid, const std::vector<uint8_t>& scid, uint16_t pn,
                          const std::vector<uint8_t>& frames) {
  std::vector<uint8_t> out;
  REQUIRE(test::seal_quic_initial(version, server, key_dcid, dcid, scid, pn, frames, out));
  return out;
}

std::vector<uint8_t> crypto_frame(uint64_t off, const std::vector<uint8_t>& d) {
  std::vector<uint8_t> f = {0x06, uint8_t(0x40 | off >> 8), uint8_t(off), uint8_t(0x40 | d.size() >> 8),
                            uint8_t(d.size())};
  f.reserve(f.size() + d.size());  // (GCC 12 warns of a bound it made up without it)
  f.insert(f.end(), d.begin(), d.end());
  return f;
}

// A ClientHello handshake message naming `sni`.
std::vector<uint8_t> client_hello_msg(const std::string& sni) {
  std::vector<uint8_t> name(sni.begin(), sni.end());
  std::vector<uint8_t> ext = {0, 0, 0, uint8_t(name.size() + 5), 0, uint8_t(name.size() + 3), 0, 0,
                              uint8_t(name.size())};
  ext.reserve(ext.size() + name.size());  // (GCC 12 warns of a bound it made up without it)
  ext.insert(ext.end(), name.begin(), name.end());
  std::vector<uint8_t> body = {3, 3};
  body.insert(body.end(), 32, 0x11);
  body.insert(body.end(), {0, 0, 2, 0x13, 0x01, 1, 0, 0, uint8_t(ext.size())});
  body.insert(body.end(), ext.begin(), ext.end());
  std::vector<uint8_t> m = {1, 0, uint8_t(body.size() >> 8), uint8_t(body.size())};
  m.reserve(m.size() + body.size());
  m.insert(m.end(), body.begin(), body.end());
  return m;
}

FlowKey udp_key(uint8_t client, uint16_t sport) {
  FlowKey k;
  k.proto = 17;
  k.src.family = k.dst.family = 4;
  k.src.bytes[0] = 10;
  k.src.bytes[3] = client;
  k.dst.bytes[0] = 192;
  k.dst.bytes[3] = 1;
  k.sport = sport;
  k.dport = 443;
  return k;
}

}  // namespace

TEST_CASE("quic sink: a hello over two Initials out of order, then the server's, then a Retry and a new DCID") {
  std::vector<TlsHandshakeResult> got;
  QuicSink sink([&](const SessionView&, const TlsHandshakeResult& r) { got.push_back(r); });
  FlowKey k = udp_key(1, 50000);
  Timestamp ts;
  ts.sec = 100;
  std::vector<uint8_t> dcid(8, 0xa1), scid(4, 0xc1), sscid(4, 0x5e);
  auto ch = client_hello_msg("split.example");
  std::vector<uint8_t> a(ch.begin(), ch.begin() + 30), b(ch.begin() + 30, ch.end());
  sink.datagram(k, ts, seal(quic_version::v2, false, dcid, dcid, scid, 1, crypto_frame(30, b)));
  CHECK(got.empty());
  sink.datagram(k, ts, seal(quic_version::v2, false, dcid, dcid, scid, 0, crypto_frame(0, a)));
  CHECK(got.empty());  // waits for the server's answer
  // The server's Initial: DCID = the client's SCID, keys from the client's first DCID.
  std::vector<uint8_t> sh = {2, 0, 0, 40, 3, 3};
  sh.insert(sh.end(), 32, 0x22);
  sh.insert(sh.end(), {0, 0x13, 0x01, 0, 0, 0});
  sink.datagram(k.reversed(), ts, seal(quic_version::v2, true, dcid, scid, sscid, 0, crypto_frame(0, sh)));
  REQUIRE(got.size() == 1);
  CHECK(got[0].hello_parsed);
  CHECK(got[0].client.server_names.at(0) == "split.example");
  CHECK(got[0].quic.packets == 2);
  CHECK(got[0].quic.version == quic_version::v2);
  CHECK(got[0].quic.has_server_scid);
  CHECK(got[0].has_server);
  CHECK(got[0].server.cipher == 0x1301);
  CHECK_FALSE(got[0].quic.retry);

  // Another connection on another port: its hello, a Retry, and the hello again to
  // the Retry's SCID with keys from it.
  FlowKey k2 = udp_key(1, 50001);
  std::vector<uint8_t> d1(8, 0xb1), d2(8, 0xb2);
  auto ch2 = client_hello_msg("retry.example");
  sink.datagram(k2, ts, seal(quic_version::v1, false, d1, d1, scid, 0, crypto_frame(0, ch2)));
  std::vector<uint8_t> retry = {0xf0, 0, 0, 0, 1, 4, 0xc1, 0xc1, 0xc1, 0xc1, 8};
  retry.insert(retry.end(), d2.begin(), d2.end());
  retry.insert(retry.end(), 24, 0x77);
  sink.datagram(k2.reversed(), ts, retry);
  CHECK(sink.stats().retry == 1);
  sink.datagram(k2, ts, seal(quic_version::v1, false, d2, d2, scid, 1, crypto_frame(0, ch2)));
  sink.finish(EndReason::eof);
  REQUIRE(got.size() == 3);
  CHECK(got[1].hello_no == 1);
  CHECK_FALSE(got[1].quic.retry);
  CHECK(got[2].hello_no == 2);
  CHECK(got[2].quic.retry);
  CHECK(got[2].client.server_names.at(0) == "retry.example");
  CHECK(to_hex(got[2].quic.dcid.b, got[2].quic.dcid.len) == "b2b2b2b2b2b2b2b2");
}

TEST_CASE("quic sink: a flood of valid Initials stays within the connection cap; a lying CRYPTO offset is flagged") {
  size_t emitted = 0;
  QuicLimits lim;
  lim.max_connections = 100;
  QuicSink sink([&](const SessionView&, const TlsHandshakeResult& r) {
    ++emitted;
    CHECK(r.hello_parsed);
  }, lim);
  Timestamp ts;
  ts.sec = 5;
  auto ch = client_hello_msg("flood.example");
  for (int i = 0; i < 1000; ++i) {
    std::vector<uint8_t> dcid(8, uint8_t(i));
    dcid[0] = uint8_t(i >> 8);
    sink.datagram(udp_key(uint8_t(i), uint16_t(1000 + i)), ts, seal(quic_version::v1, false, dcid, dcid, {}, 0, crypto_frame(0, ch)));
  }
  CHECK(sink.stats().connections == 1000);
  CHECK(sink.stats().evicted >= 900);
  CHECK(emitted >= 900);  // evicted states write their hellos
  sink.finish(EndReason::eof);
  CHECK(emitted == 1000);

  std::vector<TlsHandshakeResult> got;
  QuicSink s2([&](const SessionView&, const TlsHandshakeResult& r) { got.push_back(r); });
  std::vector<uint8_t> dcid(8, 0x99);
  std::vector<uint8_t> far = {0x06, 0x80, 0x10, 0x00, 0x00, 0x02, 0xaa, 0xbb};  // offset 1 MiB
  auto first = std::vector<uint8_t>(ch.begin(), ch.begin() + 10);
  auto frames = crypto_frame(0, first);
  frames.insert(frames.end(), far.begin(), far.end());
  s2.datagram(udp_key(7, 7), ts, seal(quic_version::v1, false, dcid, dcid, {}, 0, frames));
  s2.finish(EndReason::eof);
  REQUIRE(got.size() == 1);
  CHECK_FALSE(got[0].hello_parsed);
  CHECK(got[0].quic.anomalies.has(QuicAnomaly::crypto_offset_too_large));
  CHECK(got[0].quic.anomalies.has(QuicAnomaly::incomplete_crypto));
}

TEST_CASE("quic sink: the client's Initials after its hello are not decrypted; a new connection on the 5-tuple still is") {
  std::vector<std::string> snis;
  QuicSink sink([&](const SessionView&, const TlsHandshakeResult& r) {
    snis.push_back(r.client.server_names.empty() ? "" : r.client.server_names[0]);
  });
  Timestamp ts;
  ts.sec = 5;
  FlowKey k = udp_key(3, 40000);
  std::vector<uint8_t> dcid(8, 0x31), scid = {0x5c, 1};
  sink.datagram(k, ts, seal(quic_version::v1, false, dcid, dcid, scid, 0, crypto_frame(0, client_hello_msg("first.example"))));
  // The same connection: an ACK-only Initial (a PING here) to the first DCID.
  sink.datagram(k, ts, seal(quic_version::v1, false, dcid, dcid, scid, 1, {0x01}));
  CHECK(sink.stats().after_hello == 1);
  CHECK(sink.stats().decrypted == 1);
  // Another connection from the same address and port: new IDs, its own keys.
  std::vector<uint8_t> dcid2(8, 0x32), scid2 = {0x5c, 2};
  sink.datagram(k, ts, seal(quic_version::v1, false, dcid2, dcid2, scid2, 0, crypto_frame(0, client_hello_msg("second.example"))));
  CHECK(sink.stats().after_hello == 1);
  CHECK(sink.stats().decrypted == 2);
  sink.finish(EndReason::eof);
  CHECK(snis == std::vector<std::string>{"first.example", "second.example"});
}

TEST_CASE("quic sink: the bytes of hellos never written leave the total when their connections go") {
  // The client's Initials carry no CRYPTO (a PING), the server's carry the start of
  // a ServerHello: held and counted, yet nothing to write when the connection goes.
  size_t emitted = 0;
  QuicSink sink([&](const SessionView&, const TlsHandshakeResult&) { ++emitted; });
  Timestamp ts;
  ts.sec = 5;
  const std::vector<uint8_t> ping = {0x01}, sh = {0x02, 0x00, 0x00, 0x40, 0x03, 0x03};
  for (int i = 0; i < 50; ++i) {
    std::vector<uint8_t> dcid(8, uint8_t(i)), scid = {uint8_t(i), 0x5c}, sscid = {uint8_t(i), 0x55};
    FlowKey k = udp_key(uint8_t(i), uint16_t(2000 + i));
    sink.datagram(k, ts, seal(quic_version::v1, false, dcid, dcid, scid, 0, ping));
    sink.datagram(k.reversed(), ts, seal(quic_version::v1, true, dcid, scid, sscid, 0, crypto_frame(0, sh)));
  }
  CHECK(sink.buffered_bytes() > 0);
  sink.finish(EndReason::eof);
  CHECK(emitted == 0);
  CHECK(sink.buffered_bytes() == 0);
}

TEST_CASE("quic: packets of more connections than kept cipher contexts, interleaved, all decrypt") {
  // Seven connections' client and server Initials in turn: fourteen keys against
  // the four keyed contexts a thread keeps, so every packet finds its key gone and
  // re-keys a context; then one key's packets in a row, and a packet of another
  // key's connection with a wrong tag between them.
  std::vector<std::vector<uint8_t>> pkts, plains;
  for (int c = 0; c < 7; ++c) {
    std::vector<uint8_t> dcid = {uint8_t(c), 1, 2, 3, 4, 5, 6, 7};
    for (bool server : {false, true}) {
      std::vector<uint8_t> payload = {0x06, 0x00, 0x04, uint8_t(c), uint8_t(server), 0xaa, 0xbb};
      pkts.push_back(seal(c % 2 ? quic_version::v2 : quic_version::v1, server, dcid, dcid, {9}, uint16_t(c), payload));
      while (payload.size() < 20) payload.push_back(0);
      plains.push_back(payload);
    }
  }
  auto open = [&](size_t i) {
    int c = int(i / 2);
    bool server = i % 2;
    std::vector<uint8_t> dcid = {uint8_t(c), 1, 2, 3, 4, 5, 6, 7};
    QuicLongHeader h;
    REQUIRE(parse_quic_long_header(pkts[i], h) == QuicHeaderStatus::ok);
    QuicKeys k;
    REQUIRE(quic_initial_keys(h.version, dcid, server, k));
    std::vector<uint8_t> plain;
    uint64_t pn = 0;
    bool ok = quic_decrypt_packet(k, h, pkts[i].data(), plain, pn);
    return ok && plain == plains[i] && pn == uint64_t(c);
  };
  for (int round = 0; round < 3; ++round)
    for (size_t i = 0; i < pkts.size(); ++i) CHECK(open(i));
  std::vector<uint8_t> bad = pkts[5];
  bad.back() ^= 1;
  for (int i = 0; i < 5; ++i) {
    CHECK(open(0));
    std::swap(bad, pkts[5]);
    CHECK_FALSE(open(5));
    std::swap(bad, pkts[5]);
  }
  CHECK(open(5));
}
