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
  uint64_t off[2] = {0, 0}, mono = 0;
  int cur = -1;
  uint32_t piece_no = 0;
  Timestamp ts{1000, 0, 6};
  while (!c.empty()) {
    uint8_t h = c.u8();
    int dir = h & 1;
    uint64_t gap = (h & 2) ? (c.u8() % 32) : 0;
    bool last = h & 4;
    size_t len = (h >> 3) ? (h >> 3) * 8 + c.u8() % 8 : c.u16() % 4096;
    Bytes b = c.take(len);
    if (dir != cur) {
      ++mono;
      piece_no = 0;
      cur = dir;
    }
    MonologuePiece p;
    p.dir = Dir(dir);
    p.monologue_no = mono;
    p.piece_no = piece_no++;
    p.gap_before = gap;
    p.offset = off[dir] + gap;
    p.data = b;
    p.first_ts = ts;
    ts.nsec += 1000;
    p.last_ts = ts;
    p.packets = 1;
    p.last = last;
    if (last) cur = -1;
    off[dir] = p.offset + b.size();
    parser.feed(p);
  }
  parser.finish(EndReason(size % 5));
  return 0;
}
