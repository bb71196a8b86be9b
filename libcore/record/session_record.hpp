// tcpflow-reasm's records (session_start, monologue, session_end) and the way back:
// a reader that turns those JSON lines into the same SessionSink calls the
// reassembly engine makes, so httpextract and tlssni give the same records whether
// they read a capture or tcpflow-reasm's output.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "libcore/json/writer.hpp"
#include "libcore/reasm/session.hpp"
#include "libcore/record/problem.hpp"

namespace nl {

enum class DataMode { b64, none };

// Opens a record about a session: its "type", "ts", and "flow_id", "community_id"
// and the EVE 5-tuple, the members every record about a session carries (these,
// and the http, tls, cred and smtp records), formatted once per session (a cache
// kept here, not in the engine). The caller writes its own members and closes it.
void begin_session_record(JsonWriter& w, std::string_view type, const SessionView& s, const Timestamp& ts,
                          TimeFormat tf);

void write_session_start(std::string& out, const SessionView& s, TimeFormat tf);
void write_monologue(std::string& out, const SessionView& s, const MonologuePiece& p, DataMode data,
                     TimeFormat tf);
void write_session_end(std::string& out, const SessionView& s, const SessionEnd& e, TimeFormat tf);

class SessionRecordReader {
 public:
  enum class Status { ok, not_session, error };
  // Lines are read by a fast scanner, or by simdjson's DOM when the scanner gives
  // up; `dom_only` always uses the DOM (tests compare the two).
  explicit SessionRecordReader(SessionSink& sink, bool dom_only = false);
  ~SessionRecordReader();
  // One JSON line. ok: consumed (a sink call may have been made); not_session: a
  // record of another type (`type` set); error: `message` says what was wrong.
  Status read(std::string_view line, std::string& type, std::string& message);
  // After an error: its kind and cause (the message is the cause here).
  const LineProblem& problem() const { return problem_; }
  // End of input: sessions that never saw their session_end get one (reason eof,
  // or `why`).
  void finish(EndReason why = EndReason::eof);
  // Lines the scanner left to the DOM (an escape, a fraction, invalid JSON...).
  uint64_t dom_reads() const;

 private:
  Status read_record(std::string_view line, std::string& type, std::string& message);
  struct Impl;
  Impl* impl_;
  LineProblem problem_;
};

}  // namespace nl
