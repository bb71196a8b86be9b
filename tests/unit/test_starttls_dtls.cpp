// StartTlsScanner (where TLS begins after a clear-text preamble, and which protocol
// that was), the DTLS record, fragment and cookie helpers, and DtlsSink's bounds.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "libcore/proto/dtls.hpp"
#include "libcore/proto/dtls_session.hpp"
#include "libcore/proto/starttls.hpp"

using namespace nl;

namespace {
// The first 9 bytes of a TLS record with a ClientHello of 200 bytes.
const std::string kHello = std::string("\x16\x03\x01\x00\xcc\x01\x00\x00\xc8", 9) + std::string(200, 'x');
Bytes b(const std::string& s) { return as_bytes(s); }
}  // namespace

TEST_CASE("starttls: openings that may lead to TLS, and those that may not") {
  CHECK(starttls_plausible_opening(false, b("220 mail ESMTP\r\n")));
  CHECK(starttls_plausible_opening(false, b("* OK ready\r\n")));
  CHECK(starttls_plausible_opening(false, b("+OK POP3\r\n")));
  CHECK(starttls_plausible_opening(true, b("CONNECT a:443 HTTP/1.1\r\n")));
  CHECK(starttls_plausible_opening(true, b(std::string("\0\0\0\x08\x04\xd2\x16\x2f", 8))));
  CHECK_FALSE(starttls_plausible_opening(true, b("GET / HTTP/1.1\r\n")));
  CHECK_FALSE(starttls_plausible_opening(false, b("SSH-2.0-OpenSSH\r\n")));
  CHECK_FALSE(starttls_plausible_opening(true, b("")));
}

TEST_CASE("starttls: the ClientHello is found at a boundary only, and the protocol named") {
  StartTlsScanner s;
  s.server(b("220 mail ESMTP\r\n"));
  CHECK(s.client(b("EHLO x\r\n"), true) == StartTlsScanner::npos);
  s.server(b("250 STARTTLS\r\n"));
  // 0x16 inside a line is no boundary.
  CHECK(s.client(b("STARTTLS\r\nX" + kHello.substr(0, 20)), true) == StartTlsScanner::npos);
  s.server(b("220 go ahead\r\n"));
  CHECK(s.client(b(kHello), true) == 0);
  CHECK(std::string(starttls_name(s.protocol())) == "smtp");

  StartTlsScanner pg;
  CHECK(pg.client(b(std::string("\0\0\0\x08\x04\xd2\x16\x2f", 8) + kHello), true) == 8);
  CHECK(std::string(starttls_name(pg.protocol())) == "postgresql");

  StartTlsScanner px;
  CHECK(px.client(b("CONNECT h:443 HTTP/1.1\r\n\r\n"), true) == StartTlsScanner::npos);
  px.server(b("HTTP/1.1 407 Auth\r\n\r\n"));
  CHECK(px.client(b(kHello), true) == StartTlsScanner::npos);  // no tunnel without a 2xx

  StartTlsScanner cap(100);
  cap.client(b(std::string(150, 'a')), true);
  CHECK(cap.exceeded());
}

TEST_CASE("dtls: records, fragments and the cookie taken out of a ClientHello") {
  std::vector<uint8_t> rec = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 14,
                              1, 0, 0, 10, 0, 3, 0, 0, 4, 0, 0, 2, 0xaa, 0xbb};
  DtlsRecord r;
  REQUIRE(parse_dtls_record(rec, r) == DtlsRecordStatus::ok);
  CHECK(r.version == 0xfefd);
  CHECK(r.seq == 1);
  CHECK(r.size == rec.size());
  std::vector<DtlsFragment> fs;
  CHECK(walk_dtls_fragments(r.body, [&](const DtlsFragment& f) { fs.push_back(f); }));
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].length == 10);
  CHECK(fs[0].message_seq == 3);
  CHECK(fs[0].fragment_offset == 4);
  CHECK(fs[0].data.size() == 2);
  CHECK(parse_dtls_record(Bytes(rec).first(12), r) == DtlsRecordStatus::truncated);
  rec[0] = 0x2f;  // DTLS 1.3 unified header (encrypted)
  CHECK(parse_dtls_record(rec, r) == DtlsRecordStatus::not_dtls);
  // A fragment promising more than the record holds.
  std::vector<uint8_t> bad = {1, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 9, 1};
  CHECK_FALSE(walk_dtls_fragments(bad, [](const DtlsFragment&) {}));

  std::vector<uint8_t> body(34, 7);
  body.push_back(0);            // session id
  body.push_back(3);            // cookie
  body.insert(body.end(), {9, 9, 9, 0, 2, 0x13, 0x01});
  std::vector<uint8_t> out;
  uint8_t cl = 0;
  REQUIRE(dtls_client_hello_as_tls(body, out, cl));
  CHECK(cl == 3);
  CHECK(out.size() == body.size() - 4);
  CHECK(out[35] == 0);
  CHECK_FALSE(dtls_client_hello_as_tls(Bytes(body).first(36), out, cl));
}

namespace {
// A DTLS 1.2 datagram: one record with a whole ClientHello (no cookie).
std::vector<uint8_t> dtls_client_hello() {
  std::vector<uint8_t> body = {0xfe, 0xfd};
  body.insert(body.end(), 32, 0x42);                  // random
  body.insert(body.end(), {0, 0, 0, 2, 0xc0, 0x2b, 1, 0});  // session id, cookie, ciphers, compression
  size_t n = body.size();
  std::vector<uint8_t> hs = {1, 0, 0, uint8_t(n), 0, 0, 0, 0, 0, 0, 0, uint8_t(n)};
  hs.insert(hs.end(), body.begin(), body.end());
  std::vector<uint8_t> rec = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, uint8_t(hs.size())};
  rec.insert(rec.end(), hs.begin(), hs.end());
  return rec;
}

FlowKey dtls_key(uint16_t sport) {
  FlowKey k;
  k.proto = 17;
  k.src.family = k.dst.family = 4;
  k.src.bytes[0] = 10;
  k.dst.bytes[0] = 192;
  k.sport = sport;
  k.dport = 4433;
  return k;
}
}  // namespace

TEST_CASE("dtls sink: a full table writes and drops its least recently seen; idle states go at a sweep") {
  DtlsLimits lim;
  lim.max_connections = 8;
  std::vector<uint16_t> written;  // client ports, in the order their records came
  DtlsSink sink([&](const SessionView& s, const TlsHandshakeResult&) { written.push_back(s.key.sport); }, lim);
  std::vector<uint8_t> hello = dtls_client_hello();
  Timestamp ts;
  ts.sec = 1000;
  for (uint16_t port = 0; port < 20; ++port) {
    ts.nsec = port * 1000;
    sink.datagram(dtls_key(port), ts, hello);
  }
  // Each new 5-tuple past the eighth pushed out the oldest, its hello written then.
  CHECK(sink.stats().evicted == 12);
  REQUIRE(written.size() == 12);
  for (uint16_t i = 0; i < 12; ++i) CHECK(written[i] == i);
  // Past the idle timeout, the next datagram's sweep writes the other eight.
  ts.sec += 61;
  sink.datagram(dtls_key(100), ts, hello);
  CHECK(written.size() == 20);
  sink.finish(EndReason::eof);
  CHECK(written.size() == 21);
  CHECK(sink.stats().hellos == 21);
  CHECK(sink.stats().evicted == 12);
}
