// QUIC Initial packets (RFC 9000 17.2, RFC 9001 5, RFC 9369 3): the long header,
// the Initial keys every observer can derive from the client's Destination
// Connection ID, header protection removal and AEAD decryption (OpenSSL's HKDF,
// AES-128-GCM and AES-128-ECB through EVP; nothing of our own), and the frames of
// a decrypted Initial (CRYPTO, ACK, PADDING, PING, CONNECTION_CLOSE). Pure
// functions over bytes; quic_session.hpp keeps the per-connection state.
//
//   Long header (RFC 9000 17.2)
//   +-----------+---------+--------+------+--------+------+----------+--------+----+---------+
//   |1|1|T T|R R|P P| version |dcid len| dcid |scid len| scid |token(vi) | length | pn | payload |
//   +-----------+---------+--------+------+--------+------+----------+--------+----+---------+
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include "libcore/bytes.hpp"

namespace nl {

namespace quic_version {
constexpr uint32_t negotiation = 0x00000000;
constexpr uint32_t v1 = 0x00000001;
constexpr uint32_t v2 = 0x6b3343cf;  // RFC 9369
}  // namespace quic_version

// The packet types of a long header, whatever the version's bit pattern for them.
enum class QuicPacketType : uint8_t { initial, zero_rtt, handshake, retry, version_negotiation };

// Stable anomaly names, in output order; a set of them travels as a bit mask.
#define NETLINES_QUIC_ANOMALIES(X)                                                        \
  /* a long header cut before its fields end */                                           \
  X(truncated_packet)                                                                     \
  /* the Length field runs past the datagram, or is too short for a packet number */     \
  X(bad_packet_length)                                                                    \
  /* connection ID longer than 20 bytes in a version that limits it */                    \
  X(bad_connection_id_length)                                                             \
  /* the AEAD tag of an Initial did not verify with the keys of its connection */         \
  X(decrypt_failed)                                                                       \
  /* a frame cut by the end of the payload, or a type an Initial may not carry */         \
  X(bad_frame)                                                                            \
  /* a CRYPTO frame ends past the reassembly cap */                                       \
  X(crypto_offset_too_large)                                                              \
  /* CRYPTO bytes resent with other contents than the first time */                       \
  X(crypto_data_mismatch)                                                                 \
  /* CRYPTO bytes kept in more pieces than the cap allows */                              \
  X(crypto_too_fragmented)                                                                \
  /* the handshake message in the CRYPTO stream is not the hello expected */              \
  X(unexpected_handshake_type)                                                            \
  /* the connection ended before its ClientHello came whole */                            \
  X(incomplete_crypto)                                                                    \
  /* a server Initial did not decrypt with the keys of the client's first DCID */         \
  X(server_decrypt_failed)

enum class QuicAnomaly : uint8_t {
#define NETLINES_QUIC_ANOMALY(name) name,
  NETLINES_QUIC_ANOMALIES(NETLINES_QUIC_ANOMALY)
#undef NETLINES_QUIC_ANOMALY
  count_
};
const char* quic_anomaly_name(QuicAnomaly a);

struct QuicAnomalies {
  uint32_t bits = 0;
  void set(QuicAnomaly a) { bits |= 1u << unsigned(a); }
  bool has(QuicAnomaly a) const { return bits >> unsigned(a) & 1u; }
  bool any() const { return bits != 0; }
};

// QUIC variable-length integer (RFC 9000 16); false when cut.
bool read_quic_varint(ByteReader& r, uint64_t& v);

struct QuicLongHeader {
  uint8_t first = 0;          // first byte as on the wire (still protected)
  uint32_t version = 0;
  QuicPacketType type = QuicPacketType::initial;
  Bytes dcid, scid, token;    // token: Initial only
  size_t pn_offset = 0;       // Initial / 0-RTT / Handshake: where the packet number starts
  size_t size = 0;            // bytes of this packet in the datagram (coalesced ones follow)
};

enum class QuicHeaderStatus : uint8_t {
  ok,
  short_header,  // first bit clear: a 1-RTT packet, the rest of the datagram is it
  not_quic,      // fixed bit clear, or an unknown version's layout
  truncated,     // cut (QuicAnomaly::truncated_packet)
  bad_length,    // QuicAnomaly::bad_packet_length
};

// One long-header packet at the start of `in` (a datagram or what follows a coalesced
// packet). Versions without a salt known here still parse (the layout is RFC 8999's
// invariant up to the connection IDs) but only as far as the connection IDs: type is
// then meaningless and size the whole of `in`.
QuicHeaderStatus parse_quic_long_header(Bytes in, QuicLongHeader& h);

// Whether Initial keys can be derived for this version (v1, v2, drafts 23..34).
bool quic_version_known(uint32_t version);
bool quic_is_v2(uint32_t version);
// "v1", "v2", "draft-29", ...; "unknown" otherwise.
const char* quic_version_name(uint32_t version);

struct QuicKeys {
  uint8_t key[16], iv[12], hp[16];
};

// RFC 9001 5.2 / RFC 9369 3.3.1: the Initial keys of one side from the client's
// first Destination Connection ID. False for an unknown version, an empty DCID or a
// crypto failure. In two steps: the initial secret (shared by both sides), then
// one side's keys from it.
bool quic_initial_keys(uint32_t version, Bytes dcid, bool server, QuicKeys& out);
bool quic_initial_secret(uint32_t version, Bytes dcid, uint8_t out[32]);
bool quic_keys_from_secret(uint32_t version, const uint8_t initial[32], bool server, QuicKeys& out);

// Removes header protection and decrypts one Initial packet: `pkt` is the packet's
// bytes (h.size of them, left as they are), h its parsed header. On success
// `plain` holds the payload (frames) and pn the packet number.
bool quic_decrypt_packet(const QuicKeys& k, const QuicLongHeader& h, const uint8_t* pkt,
                         std::vector<uint8_t>& plain, uint64_t& pn);

// A client Initial (a UDP payload of at least 1200 bytes) whose ClientHello, as far
// as this packet carries it from the CRYPTO stream's start, offers only ALPN values
// beginning "h3": flowstat's http3 label (flow/app_detect.hpp's probe).
bool quic_initial_offers_only_h3(Bytes udp_payload);

// Walks the frames of a decrypted Initial, calling on_crypto(offset, data) for
// each CRYPTO frame. False (and QuicAnomaly::bad_frame) at a frame cut short or of a
// type an Initial may not carry; frames before it were handed over.
template <class F>
bool walk_quic_initial_frames(Bytes payload, F&& on_crypto);

// Implementation of the template.
namespace quic_detail {
bool skip_ack(ByteReader& r, bool ecn);
// Bytes of zeros at the start of b, eight at a time.
inline size_t zero_run(Bytes b) {
  size_t n = 0;
  for (; n + 8 <= b.size(); n += 8) {
    uint64_t w;
    std::memcpy(&w, b.data() + n, 8);
    if (w != 0) break;
  }
  while (n < b.size() && b[n] == 0) ++n;
  return n;
}
}  // namespace quic_detail

template <class F>
bool walk_quic_initial_frames(Bytes payload, F&& on_crypto) {
  ByteReader r(payload);
  while (!r.rest().empty()) {
    uint64_t type;
    if (!read_quic_varint(r, type)) return false;
    switch (type) {
      case 0x00:  // PADDING: often a thousand of them, skipped as a run
        r.skip(quic_detail::zero_run(r.rest()));
        continue;
      case 0x01:  // PING
        continue;
      case 0x02:
      case 0x03:
        if (!quic_detail::skip_ack(r, type == 0x03)) return false;
        continue;
      case 0x06: {  // CRYPTO
        uint64_t off, len;
        if (!read_quic_varint(r, off) || !read_quic_varint(r, len) || len > r.rest().size()) return false;
        on_crypto(off, r.take(size_t(len)));
        continue;
      }
      case 0x1c: {  // CONNECTION_CLOSE (transport): error, frame type, reason
        uint64_t err, ft, len;
        if (!read_quic_varint(r, err) || !read_quic_varint(r, ft) || !read_quic_varint(r, len) ||
            len > r.rest().size())
          return false;
        r.skip(size_t(len));
        continue;
      }
      default:
        return false;
    }
  }
  return true;
}

}  // namespace nl
