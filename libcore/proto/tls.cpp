#include "libcore/proto/tls.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <bitset>
#include <charconv>
#include <cstring>
#include <memory>

namespace nl {

const char* tls_anomaly_name(TlsAnomaly a) {
  static const char* const kNames[] = {
#define NETLINES_TLS_ANOMALY_NAME(name) #name,
      NETLINES_TLS_ANOMALIES(NETLINES_TLS_ANOMALY_NAME)
#undef NETLINES_TLS_ANOMALY_NAME
  };
  return unsigned(a) < unsigned(TlsAnomaly::count_) ? kNames[unsigned(a)] : "unknown";
}

void ClientHello::clear() {
  sslv2 = false;
  legacy_version = 0;
  has_version = false;
  std::memset(random, 0, sizeof random);
  session_id_length = 0;
  cipher_suites.clear();
  cipher_specs_v2.clear();
  compression_methods.clear();
  extensions.clear();
  extension_count = 0;
  has_extensions_block = false;
  server_names.clear();
  alpn.clear();
  supported_versions.clear();
  supported_groups.clear();
  ec_point_formats.clear();
  signature_algorithms.clear();
  key_share_groups.clear();
  psk_modes.clear();
  has_sni = has_alpn = has_supported_versions = false;
  session_ticket = early_data = ech = pre_shared_key = false;
  grease = false;
  anomalies = {};
}

uint16_t ClientHello::best_version() const {
  uint16_t best = 0;
  bool any = false;
  for (uint16_t v : supported_versions) {
    if (is_grease(v)) continue;
    // TLS 1.3 drafts (0x7fxx) sort below 0x0304 in spirit but above numerically;
    // JA4 maps them to "00" anyway, so a plain numeric max is fine.
    if (!any || v > best) best = v;
    any = true;
  }
  return any ? best : legacy_version;
}

void ServerHello::clear() {
  legacy_version = selected_version = 0;
  has_version = has_cipher = complete = false;
  std::memset(random, 0, sizeof random);
  cipher = 0;
  compression = 0;
  extension_types.clear();
  extension_count = 0;
  alpn.clear();
  has_alpn = false;
  key_share_group = 0;
  hello_retry_request = false;
  anomalies = {};
}

namespace {

// Reads a u16 list with a u16 (or u8) byte-length prefix into out (capped).
// Returns false when the lengths are inconsistent.
bool read_u16_list(ByteReader& r, bool u8_length, std::vector<uint16_t>& out, size_t cap,
                   bool& grease) {
  size_t len = u8_length ? r.u8() : r.be16();
  if (r.failed() || len % 2 != 0 || !r.can_read(len)) return false;
  ByteReader l(r.take(len));
  while (l.remaining() >= 2) {
    uint16_t v = l.be16();
    if (is_grease(v)) grease = true;
    if (out.size() < cap) out.push_back(v);
  }
  return true;
}

bool read_u8_list(ByteReader& r, std::vector<uint8_t>& out, size_t cap) {
  size_t len = r.u8();
  if (r.failed() || !r.can_read(len)) return false;
  Bytes b = r.take(len);
  for (size_t i = 0; i < b.size() && out.size() < cap; ++i) out.push_back(b[i]);
  return true;
}

// ALPN (RFC 7301 3.1): u16 list length, then u8-length-prefixed protocol names.
bool read_alpn(ByteReader& r, std::vector<std::string>& out, size_t cap) {
  size_t len = r.be16();
  if (r.failed() || !r.can_read(len) || len < 2) return false;
  ByteReader l(r.take(len));
  bool ok = true;
  while (l.remaining() > 0) {
    size_t n = l.u8();
    if (n == 0 || !l.can_read(n)) { ok = false; break; }
    Bytes p = l.take(n);
    if (out.size() < cap) out.emplace_back(as_text(p));
  }
  return ok;
}

bool decode_client_extension(uint16_t type, Bytes data, ClientHello& ch, const TlsCaps& caps) {
  ByteReader r(data);
  bool ok = true;
  switch (type) {
    case tls_ext::server_name: {  // RFC 6066 3
      ch.has_sni = true;
      if (data.empty()) return true;
      size_t len = r.be16();
      if (r.failed() || len != r.remaining()) return false;
      while (r.remaining() > 0) {
        uint8_t name_type = r.u8();
        size_t n = r.be16();
        if (r.failed() || !r.can_read(n)) return false;
        Bytes name = r.take(n);
        if (name_type == 0 && ch.server_names.size() < caps.max_names)
          ch.server_names.emplace_back(as_text(name));
      }
      return true;
    }
    case tls_ext::alpn:
      ch.has_alpn = true;
      ok = read_alpn(r, ch.alpn, caps.max_names);
      break;
    case tls_ext::supported_versions:  // RFC 8446 4.2.1: u8 length in the ClientHello
      ch.has_supported_versions = true;
      ok = read_u16_list(r, true, ch.supported_versions, caps.max_list, ch.grease);
      break;
    case tls_ext::supported_groups:
      ok = read_u16_list(r, false, ch.supported_groups, caps.max_list, ch.grease);
      break;
    case tls_ext::ec_point_formats:
      ok = read_u8_list(r, ch.ec_point_formats, caps.max_list);
      break;
    case tls_ext::signature_algorithms:
      ok = read_u16_list(r, false, ch.signature_algorithms, caps.max_list, ch.grease);
      break;
    case tls_ext::psk_key_exchange_modes:
      ok = read_u8_list(r, ch.psk_modes, caps.max_list);
      break;
    case tls_ext::key_share: {  // RFC 8446 4.2.8: u16 length, (group, u16 key length, key)*
      size_t len = r.be16();
      if (r.failed() || len != r.remaining()) return false;
      while (r.remaining() > 0) {
        uint16_t g = r.be16();
        size_t n = r.be16();
        if (r.failed() || !r.skip(n)) return false;
        if (is_grease(g)) ch.grease = true;
        if (ch.key_share_groups.size() < caps.max_list) ch.key_share_groups.push_back(g);
      }
      return true;
    }
    case tls_ext::session_ticket: ch.session_ticket = true; return true;
    case tls_ext::early_data: ch.early_data = true; return true;
    case tls_ext::encrypted_client_hello: ch.ech = true; return true;
    case tls_ext::pre_shared_key: ch.pre_shared_key = true; return true;
    default: return true;
  }
  return ok && r.remaining() == 0;
}

bool decode_server_extension(uint16_t type, Bytes data, ServerHello& sh) {
  ByteReader r(data);
  switch (type) {
    case tls_ext::supported_versions:
      sh.selected_version = r.be16();
      return !r.failed() && r.remaining() == 0;
    case tls_ext::alpn: {
      std::vector<std::string> one;
      if (!read_alpn(r, one, 2) || one.size() != 1) return false;
      sh.alpn = std::move(one[0]);
      sh.has_alpn = true;
      return r.remaining() == 0;
    }
    case tls_ext::key_share:
      sh.key_share_group = r.be16();  // HRR: just the group; ServerHello: group + key
      return !r.failed();
    default: return true;
  }
}

// RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello with this random.
constexpr uint8_t kHrrRandom[32] = {0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
                                    0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
                                    0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

// The shared front of both hellos: version, random, session id.
bool read_hello_front(ByteReader& r, uint16_t& version, bool& has_version, uint8_t* random,
                      uint8_t& sid_len, TlsAnomalies& an) {
  version = r.be16();
  if (r.failed()) { an.set(TlsAnomaly::truncated_hello); return false; }
  has_version = true;
  Bytes rnd = r.take(32);
  if (r.failed()) { an.set(TlsAnomaly::truncated_hello); return false; }
  std::memcpy(random, rnd.data(), 32);
  sid_len = r.u8();
  if (r.failed()) { an.set(TlsAnomaly::truncated_hello); return false; }
  if (sid_len > 32) an.set(TlsAnomaly::session_id_too_long);
  if (!r.skip(sid_len)) { an.set(TlsAnomaly::truncated_hello); return false; }
  return true;
}

// Walks the extension block (u16 length + (type, u16 length, data)*) calling f(type, data, offset).
template <class F>
void walk_extensions(ByteReader& r, size_t body_size, uint32_t& count, TlsAnomalies& an, F&& f) {
  size_t len = r.be16();
  if (r.failed()) { an.set(TlsAnomaly::truncated_hello); return; }  // one byte of the length
  if (len > r.remaining()) an.set(TlsAnomaly::extension_block_overflow);
  else if (len < r.remaining()) an.set(TlsAnomaly::bad_handshake_length);
  size_t base = r.offset();
  ByteReader b(r.take(std::min(len, r.remaining())));
  std::bitset<65536> seen;  // 8 KiB on the stack, for duplicate detection
  while (b.remaining() >= 4) {
    uint16_t type = b.be16();
    size_t n = b.be16();
    if (!b.can_read(n)) {
      an.set(TlsAnomaly::extension_overflow);
      break;
    }
    uint32_t off = uint32_t(base + b.offset());
    Bytes data = b.take(n);
    ++count;
    if (seen[type]) an.set(TlsAnomaly::duplicate_extension);
    seen[type] = true;
    f(type, data, off, n);
  }
  if (b.remaining() > 0) an.set(TlsAnomaly::extension_overflow);
  (void)body_size;
}

// True when the hello was read whole: nothing its lengths announce lies past its end.
// Trailing bytes after the extension block (bad_handshake_length) and decoded-extension
// issues leave every field read, so they do not count.
bool read_whole(TlsAnomalies a) {
  return !a.has(TlsAnomaly::truncated_hello) && !a.has(TlsAnomaly::extension_block_overflow) &&
         !a.has(TlsAnomaly::extension_overflow);
}

}  // namespace

bool parse_client_hello(Bytes body, ClientHello& ch, const TlsCaps& caps) {
  uint16_t rv = ch.record_version;
  ch.clear();
  ch.record_version = rv;
  ByteReader r(body);
  if (!read_hello_front(r, ch.legacy_version, ch.has_version, ch.random, ch.session_id_length,
                        ch.anomalies))
    return false;

  size_t cs_len = r.be16();
  if (r.failed()) { ch.anomalies.set(TlsAnomaly::truncated_hello); return false; }
  if (cs_len == 0 || cs_len % 2 != 0) ch.anomalies.set(TlsAnomaly::bad_cipher_suites_length);
  // A list cut mid-way is not kept: a part of it would read as the whole offer.
  if (cs_len > r.remaining()) { ch.anomalies.set(TlsAnomaly::truncated_hello); return false; }
  ByteReader cs(r.take(cs_len));
  ch.cipher_suites.reserve(cs.remaining() / 2);
  while (cs.remaining() >= 2) {
    uint16_t v = cs.be16();
    if (is_grease(v)) ch.grease = true;
    ch.cipher_suites.push_back(v);
  }

  size_t cm_len = r.u8();
  if (r.failed() || !r.can_read(cm_len)) {
    ch.anomalies.set(TlsAnomaly::truncated_hello);
    return false;
  }
  Bytes cm = r.take(cm_len);
  ch.compression_methods.assign(cm.begin(), cm.end());

  if (r.remaining() == 0) return true;  // no extensions: legal before TLS 1.3
  ch.has_extensions_block = true;
  bool ext_ok = true;
  walk_extensions(r, body.size(), ch.extension_count, ch.anomalies,
                  [&](uint16_t type, Bytes data, uint32_t off, size_t n) {
                    if (is_grease(type)) ch.grease = true;
                    if (ch.extensions.size() < caps.max_extensions)
                      ch.extensions.push_back({type, off, uint16_t(n)});
                    else
                      ch.anomalies.set(TlsAnomaly::too_many_extensions);
                    if (!decode_client_extension(type, data, ch, caps)) ext_ok = false;
                  });
  if (!ext_ok) ch.anomalies.set(TlsAnomaly::malformed_extension);
  return read_whole(ch.anomalies);
}

bool parse_server_hello(Bytes body, ServerHello& sh, const TlsCaps& caps) {
  uint16_t rv = sh.record_version;
  sh.clear();
  sh.record_version = rv;
  ByteReader r(body);
  uint8_t sid_len = 0;
  if (!read_hello_front(r, sh.legacy_version, sh.has_version, sh.random, sid_len, sh.anomalies)) {
    sh.selected_version = sh.legacy_version;
    return false;
  }
  sh.selected_version = sh.legacy_version;
  sh.hello_retry_request = std::memcmp(sh.random, kHrrRandom, 32) == 0;
  sh.cipher = r.be16();
  sh.compression = r.u8();
  if (r.failed()) {
    sh.cipher = sh.compression = 0;
    sh.anomalies.set(TlsAnomaly::truncated_hello);
    return false;
  }
  sh.has_cipher = true;
  if (r.remaining() == 0) return true;
  bool ext_ok = true;
  walk_extensions(r, body.size(), sh.extension_count, sh.anomalies,
                  [&](uint16_t type, Bytes data, uint32_t, size_t) {
                    if (sh.extension_types.size() < caps.max_extensions)
                      sh.extension_types.push_back(type);
                    else
                      sh.anomalies.set(TlsAnomaly::too_many_extensions);
                    if (!decode_server_extension(type, data, sh)) ext_ok = false;
                  });
  if (!ext_ok) sh.anomalies.set(TlsAnomaly::malformed_extension);
  return read_whole(sh.anomalies);
}

// RFC 5246 E.2 / SSL 2.0: 2-byte header (msb set, 15-bit length), then
// msg_type(1) version(2) cipher_spec_length(2) session_id_length(2)
// challenge_length(2) cipher_specs(3n) session_id challenge.
bool parse_sslv2_client_hello(Bytes record, ClientHello& ch, const TlsCaps& caps) {
  (void)caps;
  ch.clear();
  ch.record_version = 0;
  ch.sslv2 = true;
  ByteReader r(record);
  uint16_t hdr = r.be16();
  uint8_t type = r.u8();
  if (r.failed() || !(hdr & 0x8000) || type != 1) {
    ch.anomalies.set(TlsAnomaly::truncated_hello);
    return false;
  }
  size_t len = hdr & 0x7fff;
  if (len + 2 > record.size()) ch.anomalies.set(TlsAnomaly::truncated_record);
  ch.legacy_version = r.be16();
  ch.has_version = !r.failed();
  size_t spec_len = r.be16(), sid_len = r.be16(), chal_len = r.be16();
  if (r.failed()) { ch.anomalies.set(TlsAnomaly::truncated_hello); return false; }
  if (spec_len % 3 != 0 || 9 + spec_len + sid_len + chal_len != len)
    ch.anomalies.set(TlsAnomaly::sslv2_malformed);
  if (!r.can_read(spec_len)) { ch.anomalies.set(TlsAnomaly::truncated_hello); return false; }
  ByteReader s(r.take(spec_len));
  while (s.remaining() >= 3) ch.cipher_specs_v2.push_back(s.be24());
  ch.session_id_length = uint8_t(std::min<size_t>(sid_len, 255));
  if (!r.skip(sid_len)) { ch.anomalies.set(TlsAnomaly::truncated_hello); return false; }
  // The challenge becomes the right-aligned ClientHello.random (RFC 5246 E.2).
  Bytes chal = r.take(chal_len);
  if (r.failed()) { ch.anomalies.set(TlsAnomaly::truncated_hello); return false; }
  if (chal.size() <= 32) std::memcpy(ch.random + 32 - chal.size(), chal.data(), chal.size());
  return !ch.anomalies.any();
}

// ---- fingerprints ----

namespace {

void append_dec(std::string& s, uint32_t x) {
  char b[10];
  s.append(b, size_t(std::to_chars(b, b + sizeof b, x).ptr - b));
}

void append_dec_list(std::string& s, const std::vector<uint16_t>& v) {
  bool first = true;
  for (uint16_t x : v) {
    if (is_grease(x)) continue;
    if (!first) s += '-';
    append_dec(s, x);
    first = false;
  }
}

// OpenSSL 3 fetches an implementation on every EVP_Digest with EVP_md5()/EVP_sha256()
// (a provider lookup costing more than hashing a JA3 string): fetch once, reuse one
// context per thread.
enum class Digest : uint8_t { md5, sha256 };

const EVP_MD* fetched_md(Digest d) {
  if (d == Digest::md5) {
    static EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
    return md5;
  }
  static EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return sha256;
}

// The lowercase hex digest of s into out (32 or 64 characters); returns its length.
size_t digest_hex_uncached(Digest d, std::string_view s, char* out) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  const EVP_MD* m = fetched_md(d);
  if (!m || !ctx || EVP_DigestInit_ex2(ctx.get(), m, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), s.data(), s.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), md, &n) != 1) {
    // Fallback: the implicit-fetch path.
    EVP_Digest(s.data(), s.size(), md, &n, d == Digest::md5 ? EVP_md5() : EVP_sha256(), nullptr);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < n; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 15];
  }
  return 2 * size_t(n);
}

// Fingerprint strings repeat (one per client or server software, not one per
// connection) and a digest through EVP costs 0.2-0.4 us, more than the rest of a
// record's fingerprint work: the last digests are kept by their input, in a small
// direct-mapped table per thread. Inputs past kMaxInput are hashed each time, so
// the table stays under 40 KiB.
struct DigestMemo {
  static constexpr size_t kSlots = 64;  // a power of two
  static constexpr size_t kMaxInput = 512;
  struct Slot {
    std::string in;
    char hex[64];
    uint8_t len = 0;  // 0: empty
    Digest d = Digest::md5;
  };
  Slot slots[kSlots];

  std::string_view get(Digest d, std::string_view s) {
    if (s.size() > kMaxInput) {
      size_t n = digest_hex_uncached(d, s, scratch);
      return {scratch, n};
    }
    size_t h = std::hash<std::string_view>()(s) ^ size_t(d);
    Slot& e = slots[(h ^ h >> 17) & (kSlots - 1)];
    if (e.len == 0 || e.d != d || e.in != s) {
      e.len = uint8_t(digest_hex_uncached(d, s, e.hex));
      e.d = d;
      e.in.assign(s);
    }
    return {e.hex, e.len};
  }
  char scratch[2 * EVP_MAX_MD_SIZE];
};

// Valid until the next call on this thread.
std::string_view digest_hex(Digest d, std::string_view s) {
  thread_local DigestMemo memo;
  return memo.get(d, s);
}

void append_hex4(std::string& s, uint16_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  char b[4] = {kHex[v >> 12], kHex[v >> 8 & 15], kHex[v >> 4 & 15], kHex[v & 15]};
  s.append(b, 4);
}

void append_hex4_list(std::string& s, const std::vector<uint16_t>& v) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    append_hex4(s, v[i]);
  }
}

const char* ja4_version(uint16_t v) {
  switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
  }
}

bool is_alnum(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// First and last character of an ALPN value; when either is not alphanumeric, the
// first and last characters of its hex form; "00" for none (JA4.md, JA4S.md).
void append_alpn_chars(std::string& a, const std::string& p) {
  if (p.empty()) {
    a += "00";
    return;
  }
  uint8_t f = uint8_t(p.front()), l = uint8_t(p.back());
  if (is_alnum(f) && is_alnum(l)) {
    a += char(f);
    a += char(l);
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    a += kHex[f >> 4];
    a += kHex[l & 15];
  }
}

}  // namespace

std::string md5_hex(std::string_view s) { return std::string(digest_hex(Digest::md5, s)); }

Ja4 ja4s_fingerprint(const ServerHello& sh, char transport) {
  // JA4S (FoxIO, technical_details/JA4S.md): protocol, selected version, extension
  // count, chosen ALPN _ cipher _ SHA-256 of the extensions in the order sent.
  Ja4 out;
  std::string& a = out.ja4_r;  // the common head "a_cipher_" first
  a += transport;
  a += ja4_version(sh.selected_version);
  size_t ne = std::min<size_t>(sh.extension_count, 99);
  a += char('0' + ne / 10);
  a += char('0' + ne % 10);
  append_alpn_chars(a, sh.has_alpn ? sh.alpn : std::string());
  a += '_';
  append_hex4(a, sh.cipher);
  a += '_';
  out.ja4 = a;
  size_t head = a.size();
  append_hex4_list(a, sh.extension_types);
  if (sh.extension_types.empty()) out.ja4.append(12, '0');
  else out.ja4 += digest_hex(Digest::sha256, std::string_view(a).substr(head)).substr(0, 12);
  return out;
}

std::string ja3_string(const ClientHello& ch) {
  std::string s;
  s.reserve(16 + 6 * (ch.cipher_suites.size() + ch.extensions.size() + ch.supported_groups.size()));
  append_dec(s, ch.legacy_version);
  s += ',';
  append_dec_list(s, ch.cipher_suites);
  s += ',';
  bool first = true;
  for (const auto& e : ch.extensions) {
    if (is_grease(e.type)) continue;
    if (!first) s += '-';
    append_dec(s, e.type);
    first = false;
  }
  s += ',';
  append_dec_list(s, ch.supported_groups);
  s += ',';
  for (size_t i = 0; i < ch.ec_point_formats.size(); ++i) {
    if (i) s += '-';
    append_dec(s, ch.ec_point_formats[i]);
  }
  return s;
}

std::string ja3s_string(const ServerHello& sh) {
  std::string s;
  append_dec(s, sh.legacy_version);
  s += ',';
  append_dec(s, sh.cipher);
  s += ',';
  append_dec_list(s, sh.extension_types);
  return s;
}

Ja4 ja4_fingerprint(const ClientHello& ch, char transport) {
  // Scratch lists kept per thread: this runs once per record.
  thread_local std::vector<uint16_t> ciphers, exts, sigs;
  ciphers.clear();
  exts.clear();
  sigs.clear();
  for (uint16_t c : ch.cipher_suites)
    if (!is_grease(c)) ciphers.push_back(c);
  size_t ext_count = 0;
  for (const auto& e : ch.extensions) {
    if (is_grease(e.type)) continue;
    ++ext_count;
    if (e.type != tls_ext::server_name && e.type != tls_ext::alpn) exts.push_back(e.type);
  }
  for (uint16_t s : ch.signature_algorithms)
    if (!is_grease(s)) sigs.push_back(s);
  std::sort(ciphers.begin(), ciphers.end());
  std::sort(exts.begin(), exts.end());

  Ja4 out;
  std::string& r = out.ja4_r;  // a _ ciphers _ extensions [_ signature algorithms]
  r.reserve(12 + 5 * (ciphers.size() + exts.size() + sigs.size()));
  r += transport;
  r += ja4_version(ch.best_version());
  r += ch.has_sni ? 'd' : 'i';
  size_t nc = std::min<size_t>(ciphers.size(), 99), ne = std::min<size_t>(ext_count, 99);
  r += char('0' + nc / 10);
  r += char('0' + nc % 10);
  r += char('0' + ne / 10);
  r += char('0' + ne % 10);
  if (ch.alpn.empty()) r += "00";
  else append_alpn_chars(r, ch.alpn[0]);
  size_t a_len = r.size();
  r += '_';
  size_t c_at = r.size();
  append_hex4_list(r, ciphers);
  size_t c_end = r.size();
  r += '_';
  size_t e_at = r.size();
  append_hex4_list(r, exts);
  if (!sigs.empty()) {
    r += '_';
    append_hex4_list(r, sigs);
  }
  std::string_view rv(r);
  out.ja4.reserve(a_len + 26);
  out.ja4.assign(rv.substr(0, a_len));
  out.ja4 += '_';
  if (ciphers.empty()) out.ja4.append(12, '0');
  else out.ja4 += digest_hex(Digest::sha256, rv.substr(c_at, c_end - c_at)).substr(0, 12);
  out.ja4 += '_';
  if (exts.empty()) out.ja4.append(12, '0');
  else out.ja4 += digest_hex(Digest::sha256, rv.substr(e_at)).substr(0, 12);
  return out;
}

}  // namespace nl
