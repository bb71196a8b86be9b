// StartTlsScanner (where TLS begins after a clear-text preamble, and which protocol
// that was) and the DTLS record, fragment and cookie helpers.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "libcore/proto/dtls.hpp"
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
