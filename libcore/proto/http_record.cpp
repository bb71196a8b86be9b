// {"type":"http","ts","flow_id","community_id",<EVE 5-tuple>,"tx_id",
//  "http":{request fields, response fields},"timing":{...},"complete","anomalies"}
#include "libcore/proto/http_record.hpp"

#include "libcore/record/session_record.hpp"

#include <algorithm>

namespace nl {

namespace {

void str_or_null(JsonWriter& w, std::string_view k, bool present, std::string_view v) {
  w.field_or_null(k, present, [&] { w.string(v); });
}

void headers(JsonWriter& w, std::string_view k, bool present, const std::vector<HttpHeader>& h) {
  w.key(k);
  if (!present) {
    w.null();
    return;
  }
  w.begin_array();
  for (const auto& x : h) {
    w.begin_array();
    w.string(x.name);
    w.string(x.value);
    w.end_array();
  }
  w.end_array();
}

void bytes_view(JsonWriter& w, const std::string& b, const HttpOptions& o) {
  if (o.preview_text) w.text_view(as_bytes(b));
  else w.base64(as_bytes(b));
}

void digest(JsonWriter& w, const BodyDigest& d, bool len_valid, const HttpOptions& o) {
  w.field_or_null("len", len_valid, [&] { w.number(d.len); });
  str_or_null(w, "sha256", !d.sha256.empty(), d.sha256);
  if (o.body.mode == BodyMode::preview) {
    w.key("preview");
    bytes_view(w, d.preview, o);
  } else if (o.body.mode == BodyMode::full) {
    w.key("full");
    bytes_view(w, d.full, o);
    w.field_bool("full_capped", d.full_capped);
  }
}

// "body": entity after de-chunking; "decoded": after Content-Encoding (null when none).
void body(JsonWriter& w, std::string_view k, const HttpMessage& m, const HttpOptions& o) {
  w.key(k);
  if (!m.present) {
    w.null();
    return;
  }
  w.begin_object();
  digest(w, m.body.body, true, o);
  w.field("missing", m.body.missing);
  w.key("decoded");
  if (m.body.decode == DecodeStatus::none) {
    w.null();
  } else {
    w.begin_object();
    w.field_str("coding", m.body.coding);
    w.field_str("status", decode_status_name(m.body.decode));
    DecodeStatus st = m.body.decode;
    bool ran = st == DecodeStatus::ok || st == DecodeStatus::limit || st == DecodeStatus::error ||
               st == DecodeStatus::truncated;
    digest(w, m.body.decoded, ran, o);
    w.end_object();
  }
  w.end_object();
}

void ts_or_null(JsonWriter& w, std::string_view k, bool present, const Timestamp& t, TimeFormat tf) {
  w.field_or_null(k, present, [&] { w.timestamp(t, tf); });
}

void duration(JsonWriter& w, std::string_view k, bool present, const Timestamp& a, const Timestamp& b) {
  w.key(k);
  if (!present) {
    w.null();
    return;
  }
  std::string tmp;
  append_duration(tmp, b.total_nsec() - a.total_nsec(), std::max(a.digits, b.digits));
  w.raw(tmp);
}

}  // namespace

void write_http_record(JsonWriter& w, const SessionView& s, const HttpTransaction& t,
                       const HttpOptions& o, TimeFormat tf) {
  const HttpRequest& q = t.request;
  const HttpResponse& r = t.response;
  begin_session_record(w, "http", s, q.present ? q.start : r.start, tf);
  w.field("tx_id", t.tx_id);

  w.key("http");
  w.begin_object();
  // Request.
  str_or_null(w, "method", q.present, q.method);
  str_or_null(w, "uri", q.present, q.uri);
  str_or_null(w, "version", q.present, q.version);
  w.field_or_null("host", q.host);
  w.field_or_null("user_agent", q.user_agent);
  w.field_or_null("referer", q.referer);
  w.field_or_null("request_content_type", q.content_type);
  w.field_or_null("request_content_length", q.content_length);
  w.field_or_null("request_transfer_encoding", q.transfer_encoding);
  w.field_or_null("request_content_encoding", q.content_encoding);
  headers(w, "request_headers", q.present, q.headers);
  w.field("request_headers_dropped", uint64_t(q.headers_dropped));
  str_or_null(w, "request_body_framing", q.present, body_framing_name(q.framing));
  w.key("request_wire_body_len");
  if (q.present) w.number(q.wire_body_len);
  else w.null();
  body(w, "request_body", q, o);
  headers(w, "request_trailers", q.present, q.trailers);
  w.field_or_null("auth_scheme", q.auth_scheme);
  w.field_or_null("auth_user", q.auth_user);
  if (o.show_secrets) w.field_or_null("auth_password", q.auth_password);
  // Response.
  w.key("status");
  if (r.present && r.status) w.number(uint64_t(r.status));
  else w.null();
  w.field_or_null("reason", r.reason);
  str_or_null(w, "response_version", r.present && !r.version.empty(), r.version);
  headers(w, "response_headers", r.present, r.headers);
  w.field("response_headers_dropped", uint64_t(r.headers_dropped));
  w.field_or_null("content_length", r.content_length);
  w.field_or_null("content_type", r.content_type);
  w.field_or_null("content_encoding", r.content_encoding);
  w.field_or_null("transfer_encoding", r.transfer_encoding);
  str_or_null(w, "body_framing", r.present, body_framing_name(r.framing));
  w.key("wire_body_len");
  if (r.present) w.number(r.wire_body_len);
  else w.null();
  body(w, "response_body", r, o);
  w.key("interim");
  w.begin_array();
  for (uint16_t c : t.interim) w.number(uint64_t(c));
  w.end_array();
  headers(w, "trailers", r.present, r.trailers);
  w.field_bool("tunnel", t.tunnel);
  w.end_object();

  // Timing: piece granularity (see http.hpp).
  w.key("timing");
  w.begin_object();
  ts_or_null(w, "request_start", q.present, q.start, tf);
  ts_or_null(w, "request_end", q.present && q.has_end, q.end, tf);
  ts_or_null(w, "response_start", r.present, r.start, tf);
  ts_or_null(w, "response_end", r.present && r.has_end, r.end, tf);
  duration(w, "ttfb", q.present && q.has_end && r.present, q.end, r.start);
  duration(w, "transfer", r.present && r.has_end, r.start, r.end);
  w.end_object();

  w.field_bool("complete", t.complete());
  w.field_bool("request_complete", q.complete);
  w.field_bool("response_complete", r.complete);
  w.key("anomalies");
  w.begin_array();
  std::vector<const char*> names;
  http_anomaly_names(t.anomalies, names);
  for (const char* n : names) w.string(n);
  w.end_array();
  w.end_object();
}

}  // namespace nl
