// A SessionSink that writes down every call it gets, field by field, so that two
// producers of session calls (the engine, the record reader read two ways) can be
// compared with one string comparison. Used by unit tests and the fuzz harness.
#pragma once
#include <string>

#include "libcore/reasm/session.hpp"
#include "libcore/time.hpp"

namespace nl::test {

class TraceSink : public SessionSink {
 public:
  std::string trace;

  void session_start(const SessionView& s) override {
    view("start", s);
    trace += '\n';
  }
  void monologue(const SessionView& s, const MonologuePiece& p) override {
    view("mono", s);
    put(int(p.dir), p.monologue_no, p.piece_no, p.offset, p.gap_before, p.packets, p.last);
    time(p.first_ts);
    time(p.last_ts);
    trace.append(reinterpret_cast<const char*>(p.data.data()), p.data.size());
    trace += '\n';
  }
  void session_end(const SessionView& s, const SessionEnd& e) override {
    view("end", s);
    put(int(e.reason), int(e.closed_by));
    time(e.end);
    for (const DirectionTotals* t : {&e.c2s, &e.s2c}) put(t->packets, t->bytes, t->missing, t->retransmitted, t->dropped_over_cap, t->truncated);
    trace += '\n';
  }

 private:
  template <class... T>
  void put(T... v) {
    ((trace += std::to_string(v), trace += ' '), ...);
  }
  void time(const Timestamp& t) { put(t.sec, t.nsec); }
  void view(const char* what, const SessionView& s) {
    trace += what;
    trace += ' ';
    put(s.session_no, s.flow_id, int(s.client_rule), s.handshake_seen, s.key.sport, s.key.dport, s.key.vlan,
        s.key.proto, int(s.key.src.family), int(s.key.dst.family));
    trace.append(reinterpret_cast<const char*>(s.key.src.bytes), sizeof s.key.src.bytes);
    trace.append(reinterpret_cast<const char*>(s.key.dst.bytes), sizeof s.key.dst.bytes);
    trace += s.community_id;
    time(s.start);
  }
};

}  // namespace nl::test
