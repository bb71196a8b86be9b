#include "libcore/record/session_record.hpp"

#include "libcore/json/value.hpp"

#include <simdjson.h>

#include <cstring>
#include <map>
#include <memory>
#include <vector>

namespace nl {
namespace {

void head(JsonWriter& w, const char* type, const SessionView& s, const Timestamp& ts, TimeFormat tf) {
  begin_session_record(w, type, s, ts, tf);
  w.key("vlan");
  if (s.key.vlan) w.number(uint64_t(s.key.vlan));
  else w.null();
}

void totals(JsonWriter& w, const char* k, const DirectionTotals& t) {
  w.key(k);
  w.begin_object();
  w.field("packets", t.packets);
  w.field("bytes", t.bytes);
  w.field("missing_bytes", t.missing);
  w.field("retransmitted_bytes", t.retransmitted);
  w.field("dropped_over_cap_bytes", t.dropped_over_cap);
  w.field("truncated_bytes", t.truncated);
  w.end_object();
}

}  // namespace

namespace {

// The ids begin_session_record writes, kept per session: every record about a
// session repeats them, and formatting them each time cost 7% of tcpflow-reasm's
// instructions. A small table indexed by session number; an entry serves only the
// session it was made from (checked against everything it was made of), so a
// collision, or a later run on the same thread, costs a formatting, never a
// wrong id.
struct SessionIdsCache {
  struct Entry {
    uint64_t session_no = 0, flow_id = 0;
    FlowKey key;
    std::string json;
    size_t community_at = std::string::npos;  // where the text holds community_id (npos: nowhere)
  };
  static constexpr size_t kSlots = 1024;  // a power of two
  std::vector<Entry> slots = std::vector<Entry>(kSlots);

  const std::string& ids(const SessionView& s) {
    Entry& e = slots[s.session_no & (kSlots - 1)];
    if (e.session_no != s.session_no || e.flow_id != s.flow_id || !(e.key == s.key) ||
        !holds(e, s.community_id)) [[unlikely]]
      make(e, s);
    return e.json;
  }

 private:
  // Whether the entry's text holds `id` where community_id was written, compared
  // a word at a time (a memcmp call cost more than the rest of a hit).
  static bool holds(const Entry& e, std::string_view id) {
    if (e.community_at > e.json.size() || e.json.size() - e.community_at < id.size()) return false;
    const char* a = e.json.data() + e.community_at;
    const char* b = id.data();
    size_t n = id.size(), i = 0;
    uint64_t diff = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t x, y;
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      diff |= x ^ y;
    }
    for (; i < n; ++i) diff |= uint64_t(uint8_t(a[i]) ^ uint8_t(b[i]));
    return diff == 0;
  }

  [[gnu::noinline]] static void make(Entry& e, const SessionView& s) {
    e.session_no = s.session_no;
    e.flow_id = s.flow_id;
    e.key = s.key;
    e.json.clear();
    {
      JsonWriter ids(e.json);  // the text is complete when the writer is gone
      ids.field("flow_id", s.flow_id);
      ids.field_str("community_id", s.community_id);
      write_eve_tuple(ids, s.key);
    }
    e.community_at = e.json.find(s.community_id);  // after the digits of flow_id
  }
};

}  // namespace

void begin_session_record(JsonWriter& w, std::string_view type, const SessionView& s, const Timestamp& ts,
                          TimeFormat tf) {
  static thread_local SessionIdsCache cache;
  w.begin_object();
  w.field_str("type", type);
  w.key("ts");
  w.timestamp(ts, tf);
  w.members(cache.ids(s));
}

void write_session_start(std::string& out, const SessionView& s, TimeFormat tf) {
  JsonWriter w(out);
  head(w, "session_start", s, s.start, tf);
  w.field_str("client_rule", s.client_rule == ClientRule::syn ? "syn" : "port");
  w.field_bool("handshake", s.handshake_seen);
  w.end_object();
  out += '\n';
}

void write_monologue(std::string& out, const SessionView& s, const MonologuePiece& p, DataMode data,
                     TimeFormat tf) {
  JsonWriter w(out);
  head(w, "monologue", s, p.first_ts, tf);
  w.field_str("dir", dir_name(p.dir));
  w.field("monologue", p.monologue_no);
  w.field("piece", uint64_t(p.piece_no));
  w.field("offset", p.offset);
  w.field("len", uint64_t(p.data.size()));
  w.field("gap_before", p.gap_before);
  w.key("first_ts");
  w.timestamp(p.first_ts, tf);
  w.key("last_ts");
  w.timestamp(p.last_ts, tf);
  w.field("packets", uint64_t(p.packets));
  w.field_bool("last", p.last);
  if (data == DataMode::b64) {
    w.key("data");
    w.base64(p.data);
  }
  w.end_object();
  out += '\n';
}

void write_session_end(std::string& out, const SessionView& s, const SessionEnd& e, TimeFormat tf) {
  JsonWriter w(out);
  head(w, "session_end", s, e.end, tf);
  w.field_str("reason", end_reason_name(e.reason));
  w.key("start");
  w.timestamp(s.start, tf);
  w.key("duration");
  std::string d;
  append_duration(d, e.end.total_nsec() - s.start.total_nsec(), 9);
  w.raw(d);
  w.key("closed_by");
  if (e.reason == EndReason::fin || e.reason == EndReason::rst) w.string(e.closed_by == Dir::c2s ? "client" : "server");
  else w.null();
  totals(w, "c2s", e.c2s);
  totals(w, "s2c", e.s2c);
  w.end_object();
  out += '\n';
}

// ---- reader ---------------------------------------------------------------

struct SessionRecordReader::Impl {
  SessionSink& sink;
  simdjson::dom::parser parser;
  std::map<uint64_t, SessionView> open;   // by flow_id; ordered so finish() is stable
  uint64_t next_no = 1;
  std::string data;
  bool dom_only = false;
  uint64_t dom_reads = 0;
  explicit Impl(SessionSink& s) : sink(s) {}
};

SessionRecordReader::SessionRecordReader(SessionSink& sink, bool dom_only) : impl_(new Impl(sink)) {
  impl_->dom_only = dom_only;
}
SessionRecordReader::~SessionRecordReader() { delete impl_; }
uint64_t SessionRecordReader::dom_reads() const { return impl_->dom_reads; }

namespace {

using json::fields;
using json::get;
using json::get_base64;
using json::is;
using json::ScanValue;
using simdjson::dom::element;

// A field read as a key lookup reads it: the first occurrence counts, even when
// it has the wrong type (then it is there but not ok).
template <class T>
struct First {
  bool seen = false, ok = false;
  T value{};
};
template <class V, class T>
void take(First<T>& f, V v) {
  if (f.seen) return;
  f.seen = true;
  f.ok = get(v, f.value);
}

// A timestamp: an ISO string, or an epoch number whose literal text is read from
// the line, since a double cannot hold nanoseconds (the scanner leaves numbers
// to the DOM).
struct TsField {
  bool seen = false, ok = false;
  std::string_view text;
};
template <class V>
void take_ts(TsField& f, V v, std::string_view line, std::string_view key) {
  if (f.seen) return;
  f.seen = true;
  f.ok = get(v, f.text) || json::number_text(v, line, key, f.text);
}

struct TotalsFields {
  bool seen = false, ok = false;  // ok: an object
  First<uint64_t> packets, bytes, missing, retransmitted, dropped_over_cap, truncated;
};
template <class V>
void take_totals(TotalsFields& t, V v) {
  if (t.seen) return;
  t.seen = true;
  t.ok = fields(v, [&](std::string_view k, V x) {
    if (is(k, "packets")) take(t.packets, x);
    else if (is(k, "bytes")) take(t.bytes, x);
    else if (is(k, "missing_bytes")) take(t.missing, x);
    else if (is(k, "retransmitted_bytes")) take(t.retransmitted, x);
    else if (is(k, "dropped_over_cap_bytes")) take(t.dropped_over_cap, x);
    else if (is(k, "truncated_bytes")) take(t.truncated, x);
  });
}
bool totals_from(const TotalsFields& f, DirectionTotals& t) {
  if (!f.ok || !f.packets.ok || !f.bytes.ok || !f.missing.ok || !f.retransmitted.ok || !f.truncated.ok) return false;
  t.packets = f.packets.value;
  t.bytes = f.bytes.value;
  t.missing = f.missing.value;
  t.retransmitted = f.retransmitted.value;
  // Optional: lines of a tcpflow-reasm from before the field read as 0.
  if (f.dropped_over_cap.seen && !f.dropped_over_cap.ok) return false;
  t.dropped_over_cap = f.dropped_over_cap.ok ? f.dropped_over_cap.value : 0;
  t.truncated = f.truncated.value;
  return true;
}

// Everything the three record types carry, read in one pass over the fields.
struct SessionFields {
  First<std::string_view> type, src_ip, dest_ip, community_id, client_rule, dir, reason, closed_by, data;
  First<uint64_t> flow_id, src_port, dest_port, vlan, monologue, piece, offset, gap_before, packets;
  First<bool> handshake, last;
  TsField ts, first_ts, last_ts;
  TotalsFields c2s, s2c;
};

template <class V>
bool read_fields(V rec, std::string_view line, SessionFields& f) {
  return fields(rec, [&](std::string_view k, V v) {
    if (is(k, "type")) take(f.type, v);
    else if (is(k, "flow_id")) take(f.flow_id, v);
    else if (is(k, "ts")) take_ts(f.ts, v, line, "ts");
    else if (is(k, "src_ip")) take(f.src_ip, v);
    else if (is(k, "dest_ip")) take(f.dest_ip, v);
    else if (is(k, "src_port")) take(f.src_port, v);
    else if (is(k, "dest_port")) take(f.dest_port, v);
    else if (is(k, "vlan")) take(f.vlan, v);
    else if (is(k, "community_id")) take(f.community_id, v);
    else if (is(k, "client_rule")) take(f.client_rule, v);
    else if (is(k, "handshake")) take(f.handshake, v);
    else if (is(k, "dir")) take(f.dir, v);
    else if (is(k, "monologue")) take(f.monologue, v);
    else if (is(k, "piece")) take(f.piece, v);
    else if (is(k, "offset")) take(f.offset, v);
    else if (is(k, "gap_before")) take(f.gap_before, v);
    else if (is(k, "packets")) take(f.packets, v);
    else if (is(k, "last")) take(f.last, v);
    else if (is(k, "first_ts")) take_ts(f.first_ts, v, line, "first_ts");
    else if (is(k, "last_ts")) take_ts(f.last_ts, v, line, "last_ts");
    else if (is(k, "reason")) take(f.reason, v);
    else if (is(k, "closed_by")) take(f.closed_by, v);
    else if (is(k, "c2s")) take_totals(f.c2s, v);
    else if (is(k, "s2c")) take_totals(f.s2c, v);
    else if (is(k, "data") && !f.data.seen) {
      f.data.seen = true;
      f.data.ok = get_base64(v, f.data.value);
    }
  });
}

bool read_time(const TsField& f, Timestamp& t) { return f.ok && parse_timestamp(f.text, t); }

bool read_key(const SessionFields& f, FlowKey& k) {
  if (!f.src_ip.ok || !parse_ip(f.src_ip.value, k.src)) return false;
  if (!f.dest_ip.ok || !parse_ip(f.dest_ip.value, k.dst)) return false;
  if (!f.src_port.ok || !f.dest_port.ok) return false;
  k.sport = uint16_t(f.src_port.value);
  k.dport = uint16_t(f.dest_port.value);
  k.proto = 6;
  if (f.vlan.ok) k.vlan = uint16_t(f.vlan.value);
  return true;
}

}  // namespace

SessionRecordReader::Status SessionRecordReader::read(std::string_view line, std::string& type,
                                                      std::string& message) {
  if (problem_) problem_.clear();
  if (line.find_first_not_of(" \t\r\f\v") == std::string_view::npos) {
    problem_.set(line_problem::empty_line, "empty line");
    message = problem_.message;
    return Status::error;
  }
  Status status = read_record(line, type, message);
  if (status != Status::error) return status;
  const char* kind = line_problem::bad_record;  // out of order: no session_start, one twice
  if (message.starts_with("not ")) kind = line_problem::not_json;
  else if (message.starts_with("missing")) kind = line_problem::missing_field;
  else if (message.starts_with("no data")) kind = line_problem::no_payload;
  else if (message.starts_with("field")) kind = line_problem::bad_value;
  problem_.set(kind, message);
  return status;
}

SessionRecordReader::Status SessionRecordReader::read_record(std::string_view line, std::string& type,
                                                             std::string& message) {
  Impl& m = *impl_;
  SessionFields f;
  bool scanned = false;
  if (!m.dom_only) {
    json::RecordScan scan(line, m.data);
    scanned = read_fields(ScanValue{&scan}, line, f) && scan.finish();
  }
  if (!scanned) {
    // Not in the scanner's subset (or not valid JSON): the DOM reads it or says why.
    f = SessionFields{};
    ++m.dom_reads;
    element root;
    if (m.parser.parse(line.data(), line.size()).get(root) != simdjson::SUCCESS) {
      message = "not valid JSON";
      return Status::error;
    }
    if (!read_fields(root, line, f) || !f.type.ok) {
      message = "not a JSON object with a 'type'";
      return Status::error;
    }
  }
  if (!f.type.ok) {
    message = "not a JSON object with a 'type'";
    return Status::error;
  }
  std::string_view t = f.type.value;
  type = t;
  bool start = t == "session_start", mono = t == "monologue", end = t == "session_end";
  if (!start && !mono && !end) return Status::not_session;
  if (!f.flow_id.ok) {
    message = "missing field 'flow_id'";
    return Status::error;
  }
  uint64_t flow_id = f.flow_id.value;
  if (start) {
    SessionView s;
    if (!read_key(f, s.key)) { message = "missing or bad 5-tuple"; return Status::error; }
    if (!read_time(f.ts, s.start)) { message = "missing or bad 'ts'"; return Status::error; }
    if (f.community_id.ok) s.community_id = f.community_id.value;
    if (f.client_rule.ok && f.client_rule.value == "port") s.client_rule = ClientRule::port;
    if (f.handshake.ok) s.handshake_seen = f.handshake.value;
    s.flow_id = flow_id;
    s.session_no = m.next_no++;
    auto [it, fresh] = m.open.emplace(flow_id, s);
    if (!fresh) { message = "session_start for a session already open"; return Status::error; }
    m.sink.session_start(it->second);
    return Status::ok;
  }
  auto it = m.open.find(flow_id);
  if (it == m.open.end()) {
    message = std::string(t) + " for a session without session_start";
    return Status::error;
  }
  if (mono) {
    MonologuePiece p;
    std::string_view dir = f.dir.value;
    if (!f.dir.ok || (dir != "c2s" && dir != "s2c")) { message = "missing or bad 'dir'"; return Status::error; }
    p.dir = dir == "c2s" ? Dir::c2s : Dir::s2c;
    if (!f.monologue.ok) { message = "missing field 'monologue'"; return Status::error; }
    p.monologue_no = f.monologue.value;
    if (f.piece.ok) p.piece_no = uint32_t(f.piece.value);
    if (!f.offset.ok) { message = "missing field 'offset'"; return Status::error; }
    p.offset = f.offset.value;
    if (f.gap_before.ok) p.gap_before = f.gap_before.value;
    if (f.packets.ok) p.packets = uint32_t(f.packets.value);
    if (f.last.ok) p.last = f.last.value;
    if (!read_time(f.first_ts, p.first_ts) || !read_time(f.last_ts, p.last_ts)) {
      message = "missing or bad 'first_ts'/'last_ts'";
      return Status::error;
    }
    if (!f.data.ok) {
      message = "no data in monologue record (run tcpflow-reasm without --data=none)";
      return Status::error;
    }
    // The scanner decoded the data as it read it; the DOM's string is decoded here.
    if (!scanned && !decode_base64(f.data.value, m.data)) { message = "field 'data' is not valid base64"; return Status::error; }
    p.data = as_bytes(m.data);
    m.sink.monologue(it->second, p);
    return Status::ok;
  }
  SessionEnd e;
  if (!f.reason.ok) { message = "missing field 'reason'"; return Status::error; }
  std::string_view reason = f.reason.value;
  e.reason = reason == "fin" ? EndReason::fin : reason == "rst" ? EndReason::rst : reason == "idle" ? EndReason::idle
           : reason == "evicted" ? EndReason::evicted : reason == "interrupted" ? EndReason::interrupted
           : EndReason::eof;
  if (!read_time(f.ts, e.end)) { message = "missing or bad 'ts'"; return Status::error; }
  if (f.closed_by.ok) e.closed_by = f.closed_by.value == "server" ? Dir::s2c : Dir::c2s;
  if (!totals_from(f.c2s, e.c2s) || !totals_from(f.s2c, e.s2c)) { message = "missing or bad 'c2s'/'s2c' totals"; return Status::error; }
  SessionView s = std::move(it->second);
  m.open.erase(it);
  m.sink.session_end(s, e);
  return Status::ok;
}

void SessionRecordReader::finish(EndReason why) {
  Impl& m = *impl_;
  // In session order, as the engine does at end of input.
  std::map<uint64_t, SessionView> by_no;
  for (auto& [id, s] : m.open) by_no.emplace(s.session_no, std::move(s));
  m.open.clear();
  for (auto& [no, s] : by_no) {
    SessionEnd e;
    e.reason = why;
    e.end = s.start;
    m.sink.session_end(s, e);
  }
}

}  // namespace nl
