// DTLS 1.0 / 1.2 / 1.3 over bytes (RFC 6347 4.1-4.2, RFC 9147 4 and 5): the
// plaintext record header, the handshake fragment header, and the DTLS
// ClientHello's cookie (the one field TLS's ClientHello lacks). Pure functions;
// dtls_session.hpp reassembles fragments per connection.
//
//   DTLSPlaintext: type(1) version(2) epoch(2) sequence_number(6) length(2) fragment
//   Handshake:     msg_type(1) length(3) message_seq(2) fragment_offset(3)
//                  fragment_length(3) body
#pragma once
#include <cstdint>
#include <vector>

#include "libcore/bytes.hpp"

namespace nl {

namespace dtls_version {
constexpr uint16_t v1_0 = 0xfeff, v1_2 = 0xfefd, v1_3 = 0xfefc;
}

struct DtlsRecord {
  uint8_t type = 0;
  uint16_t version = 0;
  uint16_t epoch = 0;
  uint64_t seq = 0;
  Bytes body;
  size_t size = 0;  // header + body: the next record of the datagram follows
};

enum class DtlsRecordStatus : uint8_t { ok, not_dtls, truncated };

// One plaintext record at the start of `in`: content type 20..25, version 0xfeXX.
// Records of DTLS 1.3's unified header (encrypted) are not_dtls here.
DtlsRecordStatus parse_dtls_record(Bytes in, DtlsRecord& r);

struct DtlsFragment {
  uint8_t msg_type = 0;
  uint32_t length = 0;           // of the whole message body
  uint16_t message_seq = 0;
  uint32_t fragment_offset = 0;
  Bytes data;                    // fragment_length bytes
};

// The handshake fragments of one record's body, in order; false when one is cut
// (the ones before it were handed over).
template <class F>
bool walk_dtls_fragments(Bytes body, F&& f) {
  ByteReader r(body);
  while (!r.rest().empty()) {
    if (!r.can_read(12)) return false;
    DtlsFragment fr;
    fr.msg_type = r.u8();
    fr.length = r.be24();
    fr.message_seq = r.be16();
    fr.fragment_offset = r.be24();
    uint32_t fl = r.be24();
    if (!r.can_read(fl)) return false;
    fr.data = r.take(fl);
    f(fr);
  }
  return true;
}

// A DTLS ClientHello body rewritten as TLS's (the cookie taken out), for
// parse_client_hello. False when the body is cut before the cookie ends.
bool dtls_client_hello_as_tls(Bytes body, std::vector<uint8_t>& out, uint8_t& cookie_length);

}  // namespace nl
