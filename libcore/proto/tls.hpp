// TLS handshake parsing over bytes: ClientHello / ServerHello (SSL 3.0 .. TLS 1.3,
// drafts 0x7fxx), the SSLv2-compatible ClientHello, and the JA3 / JA3S / JA4
// fingerprints. Pure functions: bytes in, a struct with anomaly flags out; every
// read is bounds-checked and a truncated hello keeps the fields read whole before
// the cut (a list cut mid-way is left empty, never kept in part). Fingerprints are
// only meaningful for a hello the parser returned true for.
//
//   ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2)
//   +---------+--------+------------+---------------+-------------+------------+
//   | version | random | session_id | cipher_suites | compression | extensions |
//   |   2     |   32   | 1 + <=32   | 2 + 2n        | 1 + n       | 2 + ...    |
//   +---------+--------+------------+---------------+-------------+------------+
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libcore/bytes.hpp"

namespace nl {

// Well-known code points (IANA TLS registries).
namespace tls_ext {
constexpr uint16_t server_name = 0x0000;
constexpr uint16_t supported_groups = 0x000a;
constexpr uint16_t ec_point_formats = 0x000b;
constexpr uint16_t signature_algorithms = 0x000d;
constexpr uint16_t alpn = 0x0010;
constexpr uint16_t session_ticket = 0x0023;
constexpr uint16_t pre_shared_key = 0x0029;
constexpr uint16_t early_data = 0x002a;
constexpr uint16_t supported_versions = 0x002b;
constexpr uint16_t psk_key_exchange_modes = 0x002d;
constexpr uint16_t key_share = 0x0033;
constexpr uint16_t encrypted_client_hello = 0xfe0d;
}  // namespace tls_ext

// RFC 8701: GREASE values are 0x?A?A with both bytes equal (0x0a0a, 0x1a1a .. 0xfafa).
inline bool is_grease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

// Stable anomaly names, in output order; a set of them travels as a bit mask.
#define NETLINES_TLS_ANOMALIES(X) \
  /* first bytes are neither a TLS record nor an SSLv2 hello */                           \
  X(not_tls)                                                                              \
  /* stream ended (or gave up) inside a record */                                         \
  X(truncated_record)                                                                     \
  /* record length > 2^14 + 2048 (RFC 5246 6.2.3) */                                      \
  X(record_length_overflow)                                                               \
  /* record version major != 3 */                                                         \
  X(bad_record_version)                                                                   \
  /* zero-length handshake fragment (RFC 8446 5.1) */                                     \
  X(empty_handshake_record)                                                               \
  /* a non-handshake record inside a fragmented handshake message */                      \
  X(interleaved_record)                                                                   \
  /* first message is not a (Client|Server)Hello */                                       \
  X(unexpected_handshake_type)                                                            \
  /* hello body shorter than its fields / trailing bytes */                               \
  X(bad_handshake_length)                                                                 \
  /* a hello longer than the buffering cap (parsed up to the cap) */                      \
  X(handshake_too_large)                                                                  \
  /* the hello ends before its mandatory fields do */                                     \
  X(truncated_hello)                                                                      \
  /* > 32 bytes */                                                                        \
  X(session_id_too_long)                                                                  \
  /* odd or zero length */                                                                \
  X(bad_cipher_suites_length)                                                             \
  /* extensions length runs past the hello body */                                        \
  X(extension_block_overflow)                                                             \
  /* one extension's length runs past the extension block */                              \
  X(extension_overflow)                                                                   \
  /* more than the cap stored (all are still counted) */                                  \
  X(too_many_extensions)                                                                  \
  /* the same extension type twice (RFC 8446 4.2) */                                      \
  X(duplicate_extension)                                                                  \
  /* a decoded extension's inner lengths are inconsistent */                              \
  X(malformed_extension)                                                                  \
  /* bytes missing (gap_before > 0) before the hellos were complete */                    \
  X(gap_in_handshake)                                                                     \
  /* SSLv2 hello lengths inconsistent */                                                  \
  X(sslv2_malformed)                                                                      \
  /* server's first bytes are not TLS */                                                  \
  X(server_not_tls)                                                                       \
  /* server answered with an alert record */                                              \
  X(server_alert)                                                                         \
  /* Appended (bit order is output order): the hello was not received and read whole */   \
  /* (stream end, gap, a record or handshake length promising more than came, its own */  \
  /* lengths running past its end). Its fingerprints are then not computed. */            \
  X(truncated_client_hello)                                                               \
  X(truncated_server_hello)                                                              

enum class TlsAnomaly : uint8_t {
#define NETLINES_TLS_ANOMALY(name) name,
  NETLINES_TLS_ANOMALIES(NETLINES_TLS_ANOMALY)
#undef NETLINES_TLS_ANOMALY
  count_
};
const char* tls_anomaly_name(TlsAnomaly a);

struct TlsAnomalies {
  uint32_t bits = 0;
  void set(TlsAnomaly a) { bits |= 1u << unsigned(a); }
  bool has(TlsAnomaly a) const { return bits >> unsigned(a) & 1u; }
  bool any() const { return bits != 0; }
  void merge(TlsAnomalies o) { bits |= o.bits; }
};
static_assert(unsigned(TlsAnomaly::count_) <= 32);

// One extension: its type and where its data lies in the handshake body parsed.
struct TlsExtension {
  uint16_t type = 0;
  uint32_t offset = 0;  // of the data, relative to the handshake body
  uint16_t length = 0;
};

struct TlsCaps {
  size_t max_extensions = 1024;   // stored; extension_count keeps counting past it
  size_t max_names = 16;          // SNI names and ALPN protocols kept
  size_t max_list = 512;          // entries of each decoded u16/u8 list kept
};

struct ClientHello {
  bool sslv2 = false;              // SSLv2-compatible hello (RFC 5246 E.2)
  uint16_t record_version = 0;     // filled by the caller from the record header
  uint16_t legacy_version = 0;
  bool has_version = false;        // legacy_version was read
  uint8_t random[32] = {};
  uint8_t session_id_length = 0;
  std::vector<uint16_t> cipher_suites;     // offered order, GREASE and SCSV included
  std::vector<uint32_t> cipher_specs_v2;   // SSLv2 hello: 3-byte cipher specs
  std::vector<uint8_t> compression_methods;
  std::vector<TlsExtension> extensions;    // offered order, at most caps.max_extensions
  uint32_t extension_count = 0;            // all extensions seen
  bool has_extensions_block = false;

  std::vector<std::string> server_names;   // every host_name entry, as sent (IP literals too)
  std::vector<std::string> alpn;
  std::vector<uint16_t> supported_versions;
  std::vector<uint16_t> supported_groups;
  std::vector<uint8_t> ec_point_formats;
  std::vector<uint16_t> signature_algorithms;
  std::vector<uint16_t> key_share_groups;
  std::vector<uint8_t> psk_modes;
  bool has_sni = false, has_alpn = false, has_supported_versions = false;
  bool session_ticket = false, early_data = false, ech = false, pre_shared_key = false;
  bool grease = false;                     // a GREASE value anywhere
  TlsAnomalies anomalies;

  void clear();  // keeps vector capacity
  // Highest non-GREASE supported_versions entry, else legacy_version.
  uint16_t best_version() const;
};

struct ServerHello {
  uint16_t record_version = 0;     // filled by the caller
  uint16_t legacy_version = 0;
  uint16_t selected_version = 0;   // supported_versions (TLS 1.3) or legacy_version
  bool has_version = false;        // legacy_version was read
  uint8_t random[32] = {};
  uint16_t cipher = 0;
  uint8_t compression = 0;
  bool has_cipher = false;         // cipher and compression were read
  bool complete = false;           // received and read whole: JA3S is computed only then
  std::vector<uint16_t> extension_types;   // in order, at most caps.max_extensions
  uint32_t extension_count = 0;
  std::string alpn;                // selected protocol, empty when none
  bool has_alpn = false;
  uint16_t key_share_group = 0;    // TLS 1.3 key_share (or HRR selected_group)
  bool hello_retry_request = false;  // RFC 8446 4.1.3 special random
  TlsAnomalies anomalies;

  void clear();
};

// body: the handshake message body (after the 4-byte type/length header).
// Returns true when the hello was read whole: every field and extension its lengths
// announce is inside body (trailing bytes after it are an anomaly, not a cut); false
// when it is cut (truncated_hello, extension_block_overflow, extension_overflow).
bool parse_client_hello(Bytes body, ClientHello& ch, const TlsCaps& caps = {});
bool parse_server_hello(Bytes body, ServerHello& sh, const TlsCaps& caps = {});
// record: a whole SSLv2 record starting with its 2-byte header (msb set), msg type 1.
bool parse_sslv2_client_hello(Bytes record, ClientHello& ch, const TlsCaps& caps = {});

// Fingerprints. JA3 (Salesforce, as tshark): "SSLVersion,Ciphers,Extensions,
// EllipticCurves,EllipticCurvePointFormats", decimals joined by '-', GREASE removed.
std::string ja3_string(const ClientHello& ch);
std::string ja3s_string(const ServerHello& sh);
std::string md5_hex(std::string_view s);
// JA4 (FoxIO spec, technical_details/JA4.md). ja4_r is the raw (unhashed) form.
struct Ja4 {
  std::string ja4, ja4_r;
};
Ja4 ja4_fingerprint(const ClientHello& ch, char transport = 't');
// JA4S (FoxIO, technical_details/JA4S.md) of a ServerHello read whole; ja4_r holds
// the raw form (extension list unhashed).
Ja4 ja4s_fingerprint(const ServerHello& sh, char transport = 't');

// Readable names (nullptr when unknown): printable ASCII that needs no JSON escaping.
const char* tls_cipher_name(uint16_t v);
const char* tls_extension_name(uint16_t v);
const char* tls_group_name(uint16_t v);
const char* tls_sigalg_name(uint16_t v);
const char* tls_version_name(uint16_t v);

}  // namespace nl
