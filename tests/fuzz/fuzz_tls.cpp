// TLS: the hello parsers on the raw input (the handshake body), the fingerprints made
// from what they return, and the session parser fed the input as monologue pieces;
// every result is written as a tls record.
#include <string>

#include "libcore/json/writer.hpp"
#include "libcore/proto/tls.hpp"
#include "libcore/proto/tls_record.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace nl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes all(data, size);
  TlsCaps caps;
  caps.max_extensions = 8;
  caps.max_names = 2;
  caps.max_list = 8;
  {
    ClientHello ch;
    parse_client_hello(all, ch, caps);
    (void)ja3_string(ch);
    (void)ja4_fingerprint(ch);
    ClientHello v2;
    parse_sslv2_client_hello(all, v2, caps);
    (void)ja3_string(v2);
    (void)ja4_fingerprint(v2);
    ServerHello sh;
    parse_server_hello(all, sh, caps);
    (void)ja3s_string(sh);
  }

  fuzz::Cursor c(data, size);
  TlsLimits lim;
  lim.max_handshake = 512 + c.u8() * 8;
  lim.caps = caps;
  TlsSessionParser parser(lim);
  SessionView sv;
  sv.session_no = 1;
  std::string out;
  auto write = [&](const TlsHandshakeResult& r) {
    out.clear();
    JsonWriter w(out);
    write_tls_record(w, sv, r, TimeFormat::iso);
  };
  fuzz::PieceFormat f;
  f.last_bit = false;
  f.min_gap = 1;
  f.long_mod = 2048;
  fuzz::for_each_piece(c, f, [&](const MonologuePiece& p) {
    parser.piece(p);
    parser.drain(write);
  });
  parser.end();
  parser.drain(write);
  return 0;
}
