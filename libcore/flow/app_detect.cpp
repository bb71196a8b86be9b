#include "libcore/flow/app_detect.hpp"

#include <cstring>
#include <string_view>

namespace nl {
namespace {

bool starts_with(Bytes b, std::string_view s) {
  return b.size() >= s.size() && std::memcmp(b.data(), s.data(), s.size()) == 0;
}

bool is_http(Bytes p) {
  // RFC 9110 9.3 methods plus PATCH (RFC 5789); the space keeps "GETX" out.
  static constexpr std::string_view kMethods[] = {"GET ",     "POST ",    "HEAD ",  "PUT ",
                                                  "DELETE ",  "OPTIONS ", "CONNECT ", "PATCH ",
                                                  "TRACE "};
  if (starts_with(p, "HTTP/1.")) return true;
  for (auto m : kMethods)
    if (starts_with(p, m)) return true;
  return false;
}

bool is_tls(Bytes p) {
  if (p.size() < 6) return false;
  uint8_t b0 = p[0];
  if (b0 == 0x16) {  // handshake record: type, version, length, then handshake type
    if (p[1] != 0x03 || p[2] > 0x04) return false;
    uint16_t len = load_be16(&p[3]);
    return len >= 4 && (p[5] == 1 || p[5] == 2);
  }
  if (b0 & 0x80) {  // SSLv2 record header (2 bytes), msg type 1 = CLIENT-HELLO
    uint16_t len = uint16_t((b0 & 0x7f) << 8 | p[1]);
    if (len < 9 || p[2] != 1) return false;
    return (p[3] == 0x00 && p[4] == 0x02) || (p[3] == 0x03 && p[4] <= 0x04);
  }
  return false;
}

bool dns_header_ok(Bytes p) {
  if (p.size() < 12) return false;
  uint16_t flags = load_be16(&p[2]);
  uint8_t opcode = (flags >> 11) & 0x0f;
  if (opcode > 6 || opcode == 3) return false;  // QUERY, IQUERY, STATUS, NOTIFY, UPDATE, DSO
  uint16_t qd = load_be16(&p[4]), an = load_be16(&p[6]), ns = load_be16(&p[8]),
           ar = load_be16(&p[10]);
  bool response = flags & 0x8000;
  if (qd == 0 && !(response || opcode == 4 || opcode == 6)) return false;
  if (qd > 4) return false;                     // real traffic asks one question
  if (!response && an > 16) return false;
  if (an > 512 || ns > 512 || ar > 512) return false;
  // With a question, the first name must start with a label length or the root.
  if (qd > 0 && p.size() > 12 && p[12] > 63) return false;
  return true;
}

bool is_dns(Bytes p, uint8_t proto, uint16_t sport, uint16_t dport) {
  if (sport != 53 && dport != 53) return false;
  if (proto == 17) return dns_header_ok(p);
  if (proto == 6) {
    if (p.size() < 14) return false;
    uint16_t len = load_be16(&p[0]);
    return len >= 12 && dns_header_ok(p.subspan(2));
  }
  return false;
}

// A ServerHello whole in this packet whose ALPN extension selects "h2" (a walk
// over its fields; the full parser lives in proto/, above this layer).
bool selects_h2(Bytes p) {
  if (p.size() < 9 || p[0] != 0x16 || p[5] != 2) return false;
  size_t rec = load_be16(&p[3]);
  size_t hs = size_t(p[6]) << 16 | size_t(p[7]) << 8 | p[8];
  if (p.size() < 5 + rec || rec < 4 + hs) return false;
  ByteReader r(p.subspan(9, hs));
  r.skip(2 + 32);
  r.skip(r.u8());     // session id
  r.skip(2 + 1);      // cipher, compression
  size_t ext_len = r.be16();
  if (r.failed() || !r.can_read(ext_len)) return false;
  ByteReader e(r.take(ext_len));
  while (e.can_read(4)) {
    uint16_t type = e.be16();
    Bytes data = e.take(e.be16());
    if (e.failed()) return false;
    // ALPN (RFC 7301 3.1): a list of one name in a ServerHello.
    if (type == 0x0010) return data.size() == 5 && data[2] == 2 && data[3] == 'h' && data[4] == '2';
  }
  return false;
}

bool is_quic(Bytes p) {
  if (p.size() < 7 || (p[0] & 0xc0) != 0xc0) return false;
  // v1, v2 (RFC 9369) and drafts 23..34: the versions whose Initials can be read.
  uint32_t v = load_be32(&p[1]);
  return v == 0x00000001 || v == 0x6b3343cf || (v >= 0xff000017 && v <= 0xff000022);
}

AppQuicProbe quic_probe = nullptr;

bool is_dtls(Bytes p) {
  return p.size() >= 13 && p[0] >= 20 && p[0] <= 25 && p[1] == 0xfe && (p[2] == 0xff || p[2] == 0xfd || p[2] == 0xfc);
}

}  // namespace

void set_app_quic_probe(AppQuicProbe probe) { quic_probe = probe; }

const char* app_name(App a) {
  switch (a) {
    case App::http: return "http";
    case App::tls: return "tls";
    case App::dns: return "dns";
    case App::ssh: return "ssh";
    case App::quic: return "quic";
    case App::dtls: return "dtls";
    case App::http2: return "http2";
    case App::http3: return "http3";
    default: return "unknown";
  }
}

App detect_app(Bytes payload, uint8_t proto, uint16_t sport, uint16_t dport) {
  if (payload.empty()) return App::unknown;
  if (is_dns(payload, proto, sport, dport)) return App::dns;
  if (proto == 17) {
    if (is_quic(payload)) return quic_probe && quic_probe(payload) ? App::http3 : App::quic;
    if (is_dtls(payload)) return App::dtls;
    return App::unknown;
  }
  if (proto != 6) return App::unknown;
  if (starts_with(payload, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")) return App::http2;
  if (is_tls(payload)) return selects_h2(payload) ? App::http2 : App::tls;
  if (is_http(payload)) return App::http;
  if (starts_with(payload, "SSH-2.0-") || starts_with(payload, "SSH-1.")) return App::ssh;
  return App::unknown;
}

}  // namespace nl
