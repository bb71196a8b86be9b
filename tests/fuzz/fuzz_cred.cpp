// Clear-text login parser fed monologue pieces: the input is a sequence of pieces
// (direction, gap, last flag, length, bytes); every attempt and SMTP transaction is
// written as its record. Small caps so that every bound is reached.
#include <string>

#include "libcore/json/writer.hpp"
#include "libcore/proto/cred.hpp"
#include "libcore/proto/cred_record.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace nl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Cursor c(data, size);
  CredOptions o;
  uint8_t cfg = c.u8();
  o.show_secrets = cfg & 1;
  o.max_line = 128;
  o.max_message = 256;
  o.max_pending = 4;
  o.max_rcpt = 3;
  o.max_reply_text = 32;

  SessionView sv;
  sv.session_no = 1;
  std::string out;
  CredStats stats;
  CredSummary summary(8);
  CredSessionParser parser(
      o,
      [&](const CredAttempt& a) {
        out.clear();
        JsonWriter w(out);
        write_cred_record(w, sv, a, o, TimeFormat::iso);
        summary.add(sv, a);
      },
      [&](const SmtpTransaction& t) {
        out.clear();
        JsonWriter w(out);
        write_smtp_record(w, sv, t, TimeFormat::iso);
      },
      &stats);
  fuzz::PieceFormat f;
  f.last_bit = true;
  f.min_gap = 0;
  f.long_mod = 4096;
  fuzz::for_each_piece(c, f, [&](const MonologuePiece& p) { parser.feed(p); });
  parser.finish(EndReason(size % 5));
  out.clear();
  summary.write(out, TimeFormat::iso);
  return 0;
}
