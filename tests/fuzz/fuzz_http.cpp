// HTTP/1.x session parser fed monologue pieces: the input is a sequence of pieces
// (direction, gap, last flag, length, bytes); every emitted transaction is written as
// an http record. Small caps so that every bound is reached.
#include <string>

#include "libcore/json/writer.hpp"
#include "libcore/proto/http.hpp"
#include "libcore/proto/http_record.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace nl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Cursor c(data, size);
  HttpOptions o;
  uint8_t cfg = c.u8();
  o.body.mode = BodyMode(cfg % 4);
  o.body.preview_bytes = 16;
  o.body.full_cap = 4096;
  o.body.decode = cfg & 4;
  o.body.decode_cap = 1 << 16;
  o.show_secrets = cfg & 8;
  o.preview_text = cfg & 16;
  o.max_header_line = 256;
  o.max_headers = 8;
  o.max_header_bytes = 512;
  o.max_pending = 4;
  o.max_interim = 2;

  SessionView sv;
  sv.session_no = 1;
  std::string out;
  HttpStats stats;
  HttpSessionParser parser(
      o,
      [&](const HttpTransaction& t) {
        out.clear();
        JsonWriter w(out);
        write_http_record(w, sv, t, o, TimeFormat::iso);
      },
      &stats);
  fuzz::PieceFormat f;
  f.last_bit = true;
  f.min_gap = 0;
  f.long_mod = 4096;
  fuzz::for_each_piece(c, f, [&](const MonologuePiece& p) { parser.feed(p); });
  parser.finish(EndReason(size % 5));
  return 0;
}
