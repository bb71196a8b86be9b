#include "libcore/record/session_record.hpp"

#include <simdjson.h>

#include <map>
#include <memory>

namespace nl {
namespace {

void head(JsonWriter& w, const char* type, const SessionView& s, const Timestamp& ts, TimeFormat tf) {
  w.begin_object();
  w.field_str("type", type);
  w.key("ts");
  w.timestamp(ts, tf);
  w.field("flow_id", s.flow_id);
  w.field_str("community_id", s.community_id);
  write_eve_tuple(w, s.key);
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
  w.field("truncated_bytes", t.truncated);
  w.end_object();
}

}  // namespace

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
  explicit Impl(SessionSink& s) : sink(s) {}
};

SessionRecordReader::SessionRecordReader(SessionSink& sink) : impl_(new Impl(sink)) {}
SessionRecordReader::~SessionRecordReader() { delete impl_; }

namespace {

using simdjson::dom::object;

// The literal text of a top-level timestamp key: ISO strings directly; epoch numbers
// from the line itself, since a double cannot hold nanoseconds.
bool read_ts(const object& o, std::string_view line, const char* key, Timestamp& t) {
  std::string_view s;
  if (o[key].get(s) == simdjson::SUCCESS) return parse_timestamp(s, t);
  std::string pat = std::string("\"") + key + "\":";
  size_t at = line.find(pat);
  if (at == std::string_view::npos) return false;
  std::string_view text = line.substr(at + pat.size());
  text = text.substr(0, text.find_first_of(",}"));
  return parse_timestamp(text, t);
}

bool read_totals(const object& o, const char* k, DirectionTotals& t) {
  object d;
  if (o[k].get(d) != simdjson::SUCCESS) return false;
  auto get = [&d](const char* f, uint64_t& v) { return d[f].get(v) == simdjson::SUCCESS; };
  return get("packets", t.packets) && get("bytes", t.bytes) && get("missing_bytes", t.missing) &&
         get("retransmitted_bytes", t.retransmitted) && get("truncated_bytes", t.truncated);
}

bool read_key(const object& o, FlowKey& k) {
  std::string_view s;
  uint64_t v;
  if (o["src_ip"].get(s) != simdjson::SUCCESS || !parse_ip(s, k.src)) return false;
  if (o["dest_ip"].get(s) != simdjson::SUCCESS || !parse_ip(s, k.dst)) return false;
  if (o["src_port"].get(v) != simdjson::SUCCESS) return false;
  k.sport = uint16_t(v);
  if (o["dest_port"].get(v) != simdjson::SUCCESS) return false;
  k.dport = uint16_t(v);
  k.proto = 6;
  if (o["vlan"].get(v) == simdjson::SUCCESS) k.vlan = uint16_t(v);
  return true;
}

}  // namespace

SessionRecordReader::Status SessionRecordReader::read(std::string_view line, std::string& type,
                                                      std::string& message) {
  Impl& m = *impl_;
  simdjson::dom::element root;
  if (m.parser.parse(line.data(), line.size()).get(root) != simdjson::SUCCESS) {
    message = "not valid JSON";
    return Status::error;
  }
  object o;
  std::string_view t;
  if (root.get(o) != simdjson::SUCCESS || o["type"].get(t) != simdjson::SUCCESS) {
    message = "not a JSON object with a 'type'";
    return Status::error;
  }
  type = t;
  bool start = t == "session_start", mono = t == "monologue", end = t == "session_end";
  if (!start && !mono && !end) return Status::not_session;
  uint64_t flow_id;
  if (o["flow_id"].get(flow_id) != simdjson::SUCCESS) {
    message = "missing field 'flow_id'";
    return Status::error;
  }
  if (start) {
    SessionView s;
    std::string_view cid, rule;
    bool hs = false;
    if (!read_key(o, s.key)) { message = "missing or bad 5-tuple"; return Status::error; }
    if (!read_ts(o, line, "ts", s.start)) { message = "missing or bad 'ts'"; return Status::error; }
    if (o["community_id"].get(cid) == simdjson::SUCCESS) s.community_id = cid;
    if (o["client_rule"].get(rule) == simdjson::SUCCESS && rule == "port") s.client_rule = ClientRule::port;
    if (o["handshake"].get(hs) == simdjson::SUCCESS) s.handshake_seen = hs;
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
    std::string_view dir, b64;
    uint64_t v;
    bool last = false;
    if (o["dir"].get(dir) != simdjson::SUCCESS || (dir != "c2s" && dir != "s2c")) { message = "missing or bad 'dir'"; return Status::error; }
    p.dir = dir == "c2s" ? Dir::c2s : Dir::s2c;
    if (o["monologue"].get(v) != simdjson::SUCCESS) { message = "missing field 'monologue'"; return Status::error; }
    p.monologue_no = v;
    if (o["piece"].get(v) == simdjson::SUCCESS) p.piece_no = uint32_t(v);
    if (o["offset"].get(p.offset) != simdjson::SUCCESS) { message = "missing field 'offset'"; return Status::error; }
    if (o["gap_before"].get(v) == simdjson::SUCCESS) p.gap_before = v;
    if (o["packets"].get(v) == simdjson::SUCCESS) p.packets = uint32_t(v);
    if (o["last"].get(last) == simdjson::SUCCESS) p.last = last;
    if (!read_ts(o, line, "first_ts", p.first_ts) || !read_ts(o, line, "last_ts", p.last_ts)) {
      message = "missing or bad 'first_ts'/'last_ts'";
      return Status::error;
    }
    if (o["data"].get(b64) != simdjson::SUCCESS) {
      message = "no data in monologue record (run tcpflow-reasm without --data=none)";
      return Status::error;
    }
    if (!decode_base64(b64, m.data)) { message = "field 'data' is not valid base64"; return Status::error; }
    p.data = as_bytes(m.data);
    m.sink.monologue(it->second, p);
    return Status::ok;
  }
  SessionEnd e;
  std::string_view reason, closed;
  if (o["reason"].get(reason) != simdjson::SUCCESS) { message = "missing field 'reason'"; return Status::error; }
  e.reason = reason == "fin" ? EndReason::fin : reason == "rst" ? EndReason::rst : reason == "idle" ? EndReason::idle
           : reason == "evicted" ? EndReason::evicted : EndReason::eof;
  if (!read_ts(o, line, "ts", e.end)) { message = "missing or bad 'ts'"; return Status::error; }
  if (o["closed_by"].get(closed) == simdjson::SUCCESS) e.closed_by = closed == "server" ? Dir::s2c : Dir::c2s;
  if (!read_totals(o, "c2s", e.c2s) || !read_totals(o, "s2c", e.s2c)) { message = "missing or bad 'c2s'/'s2c' totals"; return Status::error; }
  SessionView s = std::move(it->second);
  m.open.erase(it);
  m.sink.session_end(s, e);
  return Status::ok;
}

void SessionRecordReader::finish() {
  Impl& m = *impl_;
  // In session order, as the engine does at end of input.
  std::map<uint64_t, SessionView> by_no;
  for (auto& [id, s] : m.open) by_no.emplace(s.session_no, std::move(s));
  m.open.clear();
  for (auto& [no, s] : by_no) {
    SessionEnd e;
    e.reason = EndReason::eof;
    e.end = s.start;
    m.sink.session_end(s, e);
  }
}

}  // namespace nl
