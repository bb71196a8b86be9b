// Readable names for well-known TLS code points (IANA TLS parameter registries).
// Only the common ones: an unknown value simply has no name.
#include "libcore/proto/tls.hpp"

namespace nl {

const char* tls_cipher_name(uint16_t v) {
  switch (v) {
    case 0x0000: return "TLS_NULL_WITH_NULL_NULL";
    case 0x0004: return "TLS_RSA_WITH_RC4_128_MD5";
    case 0x0005: return "TLS_RSA_WITH_RC4_128_SHA";
    case 0x000a: return "TLS_RSA_WITH_3DES_EDE_CBC_SHA";
    case 0x002f: return "TLS_RSA_WITH_AES_128_CBC_SHA";
    case 0x0033: return "TLS_DHE_RSA_WITH_AES_128_CBC_SHA";
    case 0x0035: return "TLS_RSA_WITH_AES_256_CBC_SHA";
    case 0x0039: return "TLS_DHE_RSA_WITH_AES_256_CBC_SHA";
    case 0x003c: return "TLS_RSA_WITH_AES_128_CBC_SHA256";
    case 0x003d: return "TLS_RSA_WITH_AES_256_CBC_SHA256";
    case 0x0067: return "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256";
    case 0x006b: return "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256";
    case 0x009c: return "TLS_RSA_WITH_AES_128_GCM_SHA256";
    case 0x009d: return "TLS_RSA_WITH_AES_256_GCM_SHA384";
    case 0x009e: return "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256";
    case 0x009f: return "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384";
    case 0x00ff: return "TLS_EMPTY_RENEGOTIATION_INFO_SCSV";
    case 0x1301: return "TLS_AES_128_GCM_SHA256";
    case 0x1302: return "TLS_AES_256_GCM_SHA384";
    case 0x1303: return "TLS_CHACHA20_POLY1305_SHA256";
    case 0x1304: return "TLS_AES_128_CCM_SHA256";
    case 0x1305: return "TLS_AES_128_CCM_8_SHA256";
    case 0x5600: return "TLS_FALLBACK_SCSV";
    case 0xc009: return "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA";
    case 0xc00a: return "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA";
    case 0xc013: return "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA";
    case 0xc014: return "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA";
    case 0xc023: return "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256";
    case 0xc024: return "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384";
    case 0xc027: return "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256";
    case 0xc028: return "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384";
    case 0xc02b: return "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
    case 0xc02c: return "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
    case 0xc02f: return "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    case 0xc030: return "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
    case 0xcca8: return "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
    case 0xcca9: return "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256";
    case 0xccaa: return "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
    default: return is_grease(v) ? "GREASE" : nullptr;
  }
}

const char* tls_extension_name(uint16_t v) {
  switch (v) {
    case 0x0000: return "server_name";
    case 0x0001: return "max_fragment_length";
    case 0x0005: return "status_request";
    case 0x000a: return "supported_groups";
    case 0x000b: return "ec_point_formats";
    case 0x000d: return "signature_algorithms";
    case 0x000f: return "heartbeat";
    case 0x0010: return "application_layer_protocol_negotiation";
    case 0x0012: return "signed_certificate_timestamp";
    case 0x0015: return "padding";
    case 0x0016: return "encrypt_then_mac";
    case 0x0017: return "extended_master_secret";
    case 0x001b: return "compress_certificate";
    case 0x001c: return "record_size_limit";
    case 0x0023: return "session_ticket";
    case 0x0029: return "pre_shared_key";
    case 0x002a: return "early_data";
    case 0x002b: return "supported_versions";
    case 0x002c: return "cookie";
    case 0x002d: return "psk_key_exchange_modes";
    case 0x0031: return "post_handshake_auth";
    case 0x0032: return "signature_algorithms_cert";
    case 0x0033: return "key_share";
    case 0x0039: return "quic_transport_parameters";
    case 0x44cd: return "application_settings";
    case 0x4469: return "application_settings_old";
    case 0xfe0d: return "encrypted_client_hello";
    case 0xff01: return "renegotiation_info";
    default: return is_grease(v) ? "GREASE" : nullptr;
  }
}

const char* tls_group_name(uint16_t v) {
  switch (v) {
    case 0x0017: return "secp256r1";
    case 0x0018: return "secp384r1";
    case 0x0019: return "secp521r1";
    case 0x001d: return "x25519";
    case 0x001e: return "x448";
    case 0x0100: return "ffdhe2048";
    case 0x0101: return "ffdhe3072";
    case 0x0102: return "ffdhe4096";
    case 0x0103: return "ffdhe6144";
    case 0x0104: return "ffdhe8192";
    case 0x11ec: return "X25519MLKEM768";
    case 0x6399: return "X25519Kyber768Draft00";
    default: return is_grease(v) ? "GREASE" : nullptr;
  }
}

const char* tls_sigalg_name(uint16_t v) {
  switch (v) {
    case 0x0201: return "rsa_pkcs1_sha1";
    case 0x0203: return "ecdsa_sha1";
    case 0x0401: return "rsa_pkcs1_sha256";
    case 0x0403: return "ecdsa_secp256r1_sha256";
    case 0x0501: return "rsa_pkcs1_sha384";
    case 0x0503: return "ecdsa_secp384r1_sha384";
    case 0x0601: return "rsa_pkcs1_sha512";
    case 0x0603: return "ecdsa_secp521r1_sha512";
    case 0x0804: return "rsa_pss_rsae_sha256";
    case 0x0805: return "rsa_pss_rsae_sha384";
    case 0x0806: return "rsa_pss_rsae_sha512";
    case 0x0807: return "ed25519";
    case 0x0808: return "ed448";
    case 0x0809: return "rsa_pss_pss_sha256";
    case 0x080a: return "rsa_pss_pss_sha384";
    case 0x080b: return "rsa_pss_pss_sha512";
    default: return is_grease(v) ? "GREASE" : nullptr;
  }
}

const char* tls_version_name(uint16_t v) {
  switch (v) {
    case 0x0002: return "SSLv2";
    case 0x0300: return "SSLv3";
    case 0x0301: return "TLSv1.0";
    case 0x0302: return "TLSv1.1";
    case 0x0303: return "TLSv1.2";
    case 0x0304: return "TLSv1.3";
    default:
      if ((v >> 8) == 0x7f) return "TLSv1.3-draft";
      return is_grease(v) ? "GREASE" : nullptr;
  }
}

}  // namespace nl
