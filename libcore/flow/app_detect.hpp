// Application labels from content, not ports: a flow is labelled by the first
// payload packets of either direction. Cheap signature checks only (no parsing
// beyond a few header bytes), so a label is a hint, never a verdict.
#pragma once
#include <cstdint>

#include "libcore/bytes.hpp"

namespace nl {

// Stable label order: records and interval "by_app" keys use app_name().
enum class App : uint8_t { unknown, http, tls, dns, ssh, quic, dtls, http2, http3, count_ };
// "http", "tls", "dns", "ssh", "quic", "dtls", "http2", "http3"; "unknown" for App::unknown.
const char* app_name(App a);

// Looks at one packet's captured payload. `proto` is the IP protocol (6 TCP,
// 17 UDP); ports select DNS only (port 53 on either side). Rules:
//   http: a request line "<METHOD> " with a known method, or a status line "HTTP/1."
//   tls:  TLS record header 0x16 0x03 0x00..0x04 + handshake type 1 (ClientHello)
//         or 2 (ServerHello) (RFC 8446 5.1), or an SSLv2-compatible ClientHello
//         (RFC 5246 E.2: 2-byte length with the high bit, msg type 1, version 0x0002/0x03xx)
//   dns:  port 53, a 12-byte header with sane counts (RFC 1035 4.1.1); over TCP
//         after the 2-byte length prefix (RFC 1035 4.2.2)
//   ssh:  identification string "SSH-2.0-" or "SSH-1." (RFC 4253 4.2)
//   http2: the HTTP/2 connection preface (RFC 9113 3.4), or a ServerHello (whole in
//         the packet) selecting ALPN "h2" (TLS 1.2 and older: 1.3 sends it encrypted)
//   quic: UDP, a QUIC long header (fixed bit set) of v1, v2 or a draft
//   http3: a QUIC client Initial the probe set by set_app_quic_probe says is HTTP/3
//         (flowstat sets quic_initial_offers_only_h3: its decrypted ClientHello offers
//         only "h3" ALPN values); without a probe, quic
//   dtls: UDP, a DTLS record header (content type 20..25, version 0xfeff/fd/fc)
// A flow labelled tls may become http2, one labelled quic http3 (the later packet
// says more); other labels stay (see app_refines).
App detect_app(Bytes payload, uint8_t proto, uint16_t sport, uint16_t dport);
// Decrypting an Initial takes proto/ (above this layer): the binary hands the
// probe down. nullptr (the default): no http3 label.
using AppQuicProbe = bool (*)(Bytes udp_payload);
void set_app_quic_probe(AppQuicProbe probe);

// Whether label `now` may replace `before` on a flow.
inline bool app_refines(App before, App now) {
  return before == App::unknown ? now != App::unknown
                                : (before == App::tls && now == App::http2) || (before == App::quic && now == App::http3);
}

}  // namespace nl
