// The "tls" record, from a TlsHandshakeResult and its session's ids.
#include "libcore/proto/tls_record.hpp"

#include "libcore/record/session_record.hpp"

namespace nl {

namespace {

void write_hex16_list(JsonWriter& w, std::string_view k, const std::vector<uint16_t>& v) {
  w.key(k);
  w.begin_array();
  for (uint16_t x : v) w.hex16(x);
  w.end_array();
}

// A registry name or null; names need no escaping (checked in tls_names.cpp).
void write_name(JsonWriter& w, const char* name) {
  if (name) w.plain_string(name);
  else w.null();
}

void write_name_list(JsonWriter& w, std::string_view k, const std::vector<uint16_t>& v,
                     const char* (*name)(uint16_t)) {
  w.key(k);
  w.begin_array();
  for (uint16_t x : v) write_name(w, name(x));
  w.end_array();
}

void write_u8_list(JsonWriter& w, std::string_view k, const std::vector<uint8_t>& v) {
  w.key(k);
  w.begin_array();
  for (uint8_t x : v) w.number(uint32_t(x));
  w.end_array();
}

void write_anomalies(JsonWriter& w, std::string_view k, TlsAnomalies a) {
  w.key(k);
  w.begin_array();
  for (unsigned i = 0; i < unsigned(TlsAnomaly::count_); ++i)
    if (a.has(TlsAnomaly(i))) w.string(tls_anomaly_name(TlsAnomaly(i)));
  w.end_array();
}

void write_version(JsonWriter& w, std::string_view k, uint16_t v, bool present) {
  w.field_or_null(k, present, [&] { w.hex16(v); });
}

void write_server(JsonWriter& w, const ServerHello& sh, char transport) {
  w.begin_object();
  // A ServerHello cut short: fields not read are null (never 0x0000), JA3S is null.
  write_version(w, "version", sh.selected_version, sh.has_version);
  w.field_or_null("version_name", sh.has_version ? tls_version_name(sh.selected_version) : nullptr);
  write_version(w, "legacy_version", sh.legacy_version, sh.has_version);
  // QUIC carries hellos in CRYPTO frames: no record layer.
  write_version(w, "record_version", sh.record_version, transport != 'q');
  write_version(w, "cipher", sh.cipher, sh.has_cipher);
  w.field_or_null("cipher_name", sh.has_cipher ? tls_cipher_name(sh.cipher) : nullptr);
  w.field_or_null("compression", sh.has_cipher, [&] { w.number(uint32_t(sh.compression)); });
  write_hex16_list(w, "extensions", sh.extension_types);
  w.field_or_null("alpn", sh.has_alpn, [&] { w.string(sh.alpn); });
  w.field_or_null("key_share_group", sh.key_share_group != 0, [&] { w.hex16(sh.key_share_group); });
  w.field_bool("hello_retry_request", sh.hello_retry_request);
  if (sh.complete) {
    std::string ja3s = ja3s_string(sh);
    w.field_str("ja3s", ja3s);
    w.field_str("ja3s_hash", md5_hex(ja3s));
    Ja4 j = ja4s_fingerprint(sh, transport);
    w.field_str("ja4s", j.ja4);
    w.field_str("ja4s_r", j.ja4_r);
  } else {
    w.field_null("ja3s");
    w.field_null("ja3s_hash");
    w.field_null("ja4s");
    w.field_null("ja4s_r");
  }
  w.end_object();
}

void write_cid(JsonWriter& w, std::string_view k, const QuicCid& c) {
  static constexpr char kHex[] = "0123456789abcdef";
  char b[40];
  for (unsigned i = 0; i < c.len; ++i) {
    b[2 * i] = kHex[c.b[i] >> 4];
    b[2 * i + 1] = kHex[c.b[i] & 15];
  }
  w.field_str(k, std::string_view(b, 2 * size_t(c.len)));
}

void write_quic(JsonWriter& w, const QuicHelloInfo& q) {
  w.begin_object();
  static constexpr char kHex[] = "0123456789abcdef";
  char v[10] = {'0', 'x'};
  for (int i = 0; i < 8; ++i) v[2 + i] = kHex[q.version >> (28 - 4 * i) & 15];
  w.field_str("version", std::string_view(v, 10));
  w.field_str("version_name", quic_version_name(q.version));
  write_cid(w, "dcid", q.dcid);
  write_cid(w, "scid", q.scid);
  if (q.has_server_scid) write_cid(w, "server_scid", q.server_scid);
  else w.field_null("server_scid");
  w.field_bool("retry", q.retry);
  w.field("packets", q.packets);
  w.field("datagrams", q.datagrams);
  w.key("anomalies");
  w.begin_array();
  for (unsigned i = 0; i < unsigned(QuicAnomaly::count_); ++i)
    if (q.anomalies.has(QuicAnomaly(i))) w.string(quic_anomaly_name(QuicAnomaly(i)));
  w.end_array();
  w.end_object();
}

}  // namespace

void write_tls_record(JsonWriter& w, const SessionView& s, const TlsHandshakeResult& r, TimeFormat tf) {
  const ClientHello& ch = r.client;
  // Fingerprints only from a ClientHello received and read whole (hello_parsed): a
  // cut one would give "771,,,," and a JA4 of zeros, polluting fingerprint counts.
  bool tls = r.hello_parsed && !ch.sslv2;
  char transport = r.transport == TlsTransport::quic ? 'q' : r.transport == TlsTransport::dtls ? 'd' : 't';
  begin_session_record(w, "tls", s, r.first_ts, tf);
  w.key("tls");
  w.begin_object();
  w.field("hello_no", r.hello_no);
  w.field_bool("hello_parsed", r.hello_parsed);
  w.field_str("record", ch.sslv2 ? "sslv2" : "tls");
  w.field_bool("sslv2", ch.sslv2);
  // record_version is known once a hello's record header was read (never 0: major is 3).
  write_version(w, "record_version", ch.record_version, !ch.sslv2 && ch.record_version != 0);
  write_version(w, "version", ch.legacy_version, ch.has_version);
  write_hex16_list(w, "supported_versions", ch.supported_versions);
  w.field_or_null("sni", !ch.server_names.empty(), [&] { w.string(ch.server_names[0]); });
  w.key("sni_all");
  w.begin_array();
  for (const auto& n : ch.server_names) w.string(n);
  w.end_array();
  w.key("alpn");
  w.begin_array();
  for (const auto& p : ch.alpn) w.string(p);
  w.end_array();
  write_hex16_list(w, "cipher_suites", ch.cipher_suites);
  write_name_list(w, "cipher_suite_names", ch.cipher_suites, tls_cipher_name);
  w.key("cipher_specs_v2");
  w.begin_array();
  for (uint32_t v : ch.cipher_specs_v2) {
    static constexpr char kHex[] = "0123456789abcdef";
    char b[8] = {'0', 'x', kHex[v >> 20 & 15], kHex[v >> 16 & 15], kHex[v >> 12 & 15],
                 kHex[v >> 8 & 15], kHex[v >> 4 & 15], kHex[v & 15]};
    w.string(std::string_view(b, 8));
  }
  w.end_array();
  write_u8_list(w, "compression_methods", ch.compression_methods);
  w.field("session_id_length", uint32_t(ch.session_id_length));
  w.key("extensions");
  w.begin_array();
  for (const auto& e : ch.extensions) w.hex16(e.type);
  w.end_array();
  w.key("extension_names");
  w.begin_array();
  for (const auto& e : ch.extensions) write_name(w, tls_extension_name(e.type));
  w.end_array();
  w.field("extension_count", ch.extension_count);
  write_hex16_list(w, "supported_groups", ch.supported_groups);
  write_name_list(w, "supported_group_names", ch.supported_groups, tls_group_name);
  write_u8_list(w, "ec_point_formats", ch.ec_point_formats);
  write_hex16_list(w, "signature_algorithms", ch.signature_algorithms);
  write_hex16_list(w, "key_share_groups", ch.key_share_groups);
  write_u8_list(w, "psk_modes", ch.psk_modes);
  w.field_bool("session_ticket", ch.session_ticket);
  w.field_bool("early_data", ch.early_data);
  w.field_bool("pre_shared_key", ch.pre_shared_key);
  w.field_bool("ech", ch.ech);
  w.field_bool("grease", ch.grease);
  w.field("client_hello_records", r.client_hello_records);
  if (tls) {
    std::string ja3 = ja3_string(ch);
    w.field_str("ja3", ja3);
    w.field_str("ja3_hash", md5_hex(ja3));
    Ja4 j = ja4_fingerprint(ch, transport);
    w.field_str("ja4", j.ja4);
    w.field_str("ja4_r", j.ja4_r);
  } else {
    w.field_null("ja3");
    w.field_null("ja3_hash");
    w.field_null("ja4");
    w.field_null("ja4_r");
  }
  w.field_or_null("server", r.has_server, [&] { write_server(w, r.server, transport); });
  write_anomalies(w, "anomalies", r.anomalies);
  write_anomalies(w, "server_anomalies", r.server_anomalies);
  w.field_str("transport", tls_transport_name(r.transport));
  w.field_or_null("starttls", r.starttls != nullptr, [&] { w.string(r.starttls); });
  w.field_or_null("quic", r.transport == TlsTransport::quic, [&] { write_quic(w, r.quic); });
  w.field_or_null("dtls", r.transport == TlsTransport::dtls, [&] {
    const DtlsHelloInfo& d = r.dtls;
    w.begin_object();
    w.key("record_version");
    w.hex16(d.record_version);
    w.field("message_seq", uint32_t(d.message_seq));
    w.field_bool("cookie", d.cookie);
    w.field("cookie_length", uint32_t(d.cookie_length));
    w.field("fragments", d.fragments);
    w.field("retransmissions", d.retransmissions);
    w.field_bool("hello_verify_request", d.hello_verify_request);
    w.end_object();
  });
  w.end_object();
  w.end_object();
}

}  // namespace nl
